"""The app's side of issue 25's escaping: stored and imported text holding ESC, BEL, OSC, CSI,
U+009B, U+202E (and Rich markup) is shown escaped on every screen that shows it: the worklist,
the title line, the review form (from a worklist item and when amending), the drafts (F3),
the log and an episode's history. What the screen paints is read from its screenshot."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tests.test_hostile_text import RAW, hostile
from tests.tui_flows import SIZE, screen_name, wait_for, wait_for_screen, wait_ready

MARKUP = "[bold]B[/bold][/]"


def bad(name: str) -> str:
    return hostile(name) + MARKUP


def painted(app) -> str:
    return app.export_screenshot()


def assert_shown_escaped(app, where: str, *names: str) -> None:
    shot = painted(app)
    found = RAW.search(shot)
    assert found is None, (where, repr(found.group()), shot[max(0, found.start() - 80): found.end() + 40])
    for name in names:
        assert f"{name}\\x1b[2J" in shot.replace("&#92;", "\\"), (where, name)


def seed(home: Path) -> int:
    from workbench.core.episodes import CodedEntry, Coding, EpisodeDetails, EpisodeLog
    from workbench.core.episodes.worklist import Worklist
    from workbench.core.paths import log_path

    extract = home / "extract.csv"
    extract.write_text("patient,episode,start,specialty,consultant\n"
                       f"{bad('WP')},{bad('WE')},01/02/2025,{bad('WS')},{bad('WC')}\n", encoding="utf-8")
    with EpisodeLog(log_path()) as log:
        Worklist(log).import_file(extract)
        Worklist(log).mark_query(1, bad("WQ"))
        saved = log.save(EpisodeDetails(bad("LP"), bad("LE"), dt.date(2025, 1, 3), specialty=bad("LS")),
                         Coding([CodedEntry("K57.8", "opcs4", "4.10")], []), coder=bad("LC"), note=bad("LN"))
        log.amend(saved.id, Coding([CodedEntry("K57.8", "opcs4", "4.10"), CodedEntry("Y53.4", "opcs4", "4.10")], []),
                  reason=bad("LR"), coder=bad("LC"))
    return saved.id


async def test_every_screen_shows_stored_text_escaped(make_app, isolated_home: Path) -> None:
    from workbench.tui.screens.history import HistoryScreen

    episode_id = seed(isolated_home)
    app = make_app()
    async with app.run_test(size=(480, 40)) as pilot:   # wide: every column on screen
        await wait_ready(pilot)
        app.action_open_worklist()
        await wait_for(pilot, lambda: screen_name(app) == "WorklistScreen" and app.screen.items, what="the worklist")
        await pilot.pause()
        assert_shown_escaped(app, "worklist", "WP", "WE", "WS", "WC", "WQ")
        app.code_worklist_item(app.screen.items[0])
        await wait_for_screen(pilot, "SearchScreen")
        await pilot.pause()
        assert_shown_escaped(app, "search, the episode in the title", "WP")
        app.show_review()
        await wait_for_screen(pilot, "ReviewScreen")
        await pilot.pause()
        assert_shown_escaped(app, "review from the worklist", "WP", "WE")
        await pilot.press("f3")
        await wait_for_screen(pilot, "DraftsScreen")
        await wait_for(pilot, lambda: app.screen.drafts, what="the drafts")
        await pilot.pause()
        assert_shown_escaped(app, "drafts", "WP")
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: screen_name(app) == "LogScreen" and app.screen.shown, what="the log")
        await pilot.pause()
        assert_shown_escaped(app, "log", "LP", "LE")
        app.push_screen(HistoryScreen(episode_id))
        await wait_for(pilot, lambda: screen_name(app) == "HistoryScreen" and app.screen.versions, what="history")
        await pilot.pause()
        assert_shown_escaped(app, "history", "LP", "LC", "LR")
        await pilot.press("a")
        await wait_for_screen(pilot, "ReviewScreen")
        await pilot.pause()
        assert_shown_escaped(app, "review when amending", "LP", "LE")


async def test_what_the_review_shows_is_what_it_saves(make_app, isolated_home: Path) -> None:
    """A worklist field with control characters is put in the form escaped: the coder sees
    exactly the text that will be saved (printable), never a raw escape sequence."""
    from workbench.core.episodes import EpisodeLog
    from workbench.core.paths import log_path

    seed(isolated_home)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        app.action_open_worklist()
        await wait_for(pilot, lambda: screen_name(app) == "WorklistScreen" and app.screen.items, what="the worklist")
        app.code_worklist_item(app.screen.items[0])
        await wait_for_screen(pilot, "SearchScreen")
        app.keeper.current().add_code("opcs4", "K57.8")
        app.keeper.current().add_code("icd10", "I50.9")
        app.show_review()
        await wait_for_screen(pilot, "ReviewScreen")
        await wait_for(pilot, lambda: app.screen.query_one("#patient").value, what="the form")
        shown = app.screen.query_one("#patient").value
        assert shown.startswith("WP\\x1b[2J") and not RAW.search(shown)
        await pilot.press("ctrl+s")
        await wait_for_screen(pilot, "WorklistScreen", 10.0)
    with EpisodeLog(log_path()) as log:
        saved = log.list()[0]
    assert saved.details.patient == shown.strip()
