"""Pilot tests of issue 23's day in the app: consultant episodes of a spell together with what the
PAS sent, queries asked and resolved, items removed, windows that follow each other, the log's
dates and export filter, and ctrl+y on a saved episode in the PAS's format."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

from tests.test_worklist_scenario import CODING, DAY_1, save_from
from tests.tui_flows import (
    SIZE,
    import_worklist,
    on_worklist,
    screen_name,
    wait_for,
    wait_for_screen,
)


def log():
    from workbench.core.episodes import EpisodeLog
    from workbench.core.paths import log_path

    return EpisodeLog(log_path())


def import_day(home: Path) -> None:
    shutil.copy(DAY_1, home / "extract.csv")
    from workbench.core.episodes.worklist import Worklist

    with log() as opened:
        Worklist(opened, coder="test.coder").import_file(home / "extract.csv")


def notes(app) -> str:
    return " | ".join(str(n.message) for n in app._notifications)


async def test_a_spells_fces_together_with_what_the_pas_sent_on_the_item_and_the_review(
        make_app, isolated_home: Path) -> None:
    import_day(isolated_home)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await on_worklist(pilot)
        screen = app.screen
        table = screen.query_one("#worklist-table")
        row = next(i for i, item in enumerate(screen.items) if item.episode == "SP257002" and item.fce == "2")
        assert screen.items[row - 1].fce == "1"                       # the spell's first FCE just above
        assert str(table.get_row_at(row)[2]).startswith("└ SP257002/2")
        table.move_cursor(row=row - 1)
        await pilot.pause()
        detail = str(screen.query_one("#worklist-detail").render())
        assert "FCE 1" in detail and "ward Ward 7" in detail and "Disch Meth: 1" in detail
        await pilot.press("enter")
        await wait_for_screen(pilot, "SearchScreen")
        await pilot.press("ctrl+r")
        await wait_for_screen(pilot, "ReviewScreen")
        pas = str(app.screen.query_one("#review-pas").render())
        assert "FCE 1" in pas and "cons C1122334" in pas and "Intended Mgmt: 1" in pas
        assert app.keeper.session.details["fce"] == "1"


async def test_query_asked_answered_resolved_and_an_item_removed_with_its_reason(
        make_app, isolated_home: Path) -> None:
    import_worklist(isolated_home)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await on_worklist(pilot)
        await pilot.press("q")
        await wait_for_screen(pilot, "QueryModal")
        await pilot.press(*"Mr Patel", "enter", *"which stent?", "enter")
        await wait_for(pilot, lambda: screen_name(app) == "WorklistScreen" and app.screen.items[0].status == "query",
                       what="the query")
        assert "Query to Mr Patel, sent today: which stent?" in str(app.screen.query_one("#worklist-detail").render())
        await pilot.press("q")                           # waiting: q records the reply
        await wait_for_screen(pilot, "TextModal")
        await pilot.press(*"two DES", "enter")
        await wait_for(pilot, lambda: screen_name(app) == "WorklistScreen" and app.screen.items[0].query.reply,
                       what="the reply")
        await pilot.press("o")
        await wait_for(pilot, lambda: app.screen.items[0].status == "open", what="resolved")
        await pilot.press("down", "r")
        await wait_for_screen(pilot, "TextModal")
        await pilot.press(*"cancelled", "enter")
        await wait_for(pilot, lambda: screen_name(app) == "WorklistScreen" and len(app.screen.items) == 2,
                       what="the removal")
    from workbench.core.episodes.worklist import Worklist

    with log() as opened:
        worklist = Worklist(opened)
        assert [e.kind for e in worklist.history(1)] == ["query", "reply", "resolved"]
        assert worklist.get(2).status == "removed" and worklist.history(2)[-1].detail["reason"] == "cancelled"


async def test_the_worklist_follows_another_window_and_a_stale_item_says_who_saved(
        make_app, isolated_home: Path) -> None:
    import_worklist(isolated_home)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await on_worklist(pilot)
        from workbench.core.episodes.worklist import Worklist

        with log() as other:                              # another coder's window saves item 1
            save_from(other, Worklist(other).get(1), coder="bob")
        # Coded items leave the list of episodes to do.
        await wait_for(pilot, lambda: [i.id for i in app.screen.items] == [2, 3], 1.5, "the list to follow")
        # A window that has not caught up yet: Enter on an item someone else has just coded.
        app.screen._watching = True                       # the watch is held back
        with log() as other:
            save_from(other, Worklist(other).get(2), coder="bob")
        app.screen.query_one("#worklist-table").move_cursor(row=0)
        await pilot.press("enter")
        await wait_for(pilot, lambda: "was saved from this item by bob" in notes(app), what="who saved it")
        assert screen_name(app) == "WorklistScreen" and app.keeper.session is None


async def test_the_log_follows_other_windows_filters_dates_and_exports_what_it_shows(
        make_app, isolated_home: Path) -> None:
    import_day(isolated_home)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await on_worklist(pilot)
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: screen_name(app) == "LogScreen" and app.screen.stamp is not None,
                       what="the log")
        from workbench.core.episodes.worklist import Worklist

        with log() as other:
            for item in Worklist(other).items():
                save_from(other, item)
        await wait_for(pilot, lambda: len(app.screen.shown) == 12, 1.5, "the log to follow")
        table = app.screen.query_one("#log-table")
        table.move_cursor(3)
        kept = app.screen.shown[3].id
        with log() as other:                             # a void elsewhere: re-read, the place kept
            other.void(app.screen.shown[0].id, reason="wrong notes", coder="bob")
        await wait_for(pilot, lambda: app.screen.shown[0].latest.status == "voided", 1.5, "the void")
        assert app.screen.shown[table.cursor_row].id == kept
        from workbench.core.dates import show_date

        first = app.screen.shown[0]           # one way of writing dates: 16 Nov 2025
        assert app.screen.query_one("#log-table").rows[0][1] == show_date(first.details.date) != str(first.details.date)
        await pilot.press("f")
        app.screen.query_one("#log-filter").value = "from 10/11/2025 to 11/11/2025"
        await wait_for(pilot, lambda: len(app.screen.shown) == 4, what="the date range")
        await pilot.press("enter", "e")
        await wait_for_screen(pilot, "TextModal")
        assert "the 4 episode(s) the filter shows" in str(app.screen.query_one("#modal-message").render())
        target = isolated_home / "filtered.csv"
        app.screen.query_one("#modal-input").value = str(target)
        await pilot.press("enter")
        await wait_for(pilot, target.exists, what="the export")
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert len(rows) == 4 and {r["date"] for r in rows} == {"2025-11-10", "2025-11-11"}
    assert all(r["discharge_date"] and r["consultant"] and r["fce"] == "1" for r in rows)


async def test_ctrl_y_on_a_saved_episode_copies_it_in_the_pas_format(make_app, isolated_home: Path) -> None:
    (isolated_home / "config.toml").write_text('[copy]\nlists = "separate"\ndots = false\n', encoding="utf-8")
    import_worklist(isolated_home)
    from workbench.core.episodes.worklist import Worklist

    with log() as opened:
        saved = save_from(opened, Worklist(opened).get(1))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await on_worklist(pilot)
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: screen_name(app) == "LogScreen" and app.screen.shown, what="the log")
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(app) == "HistoryScreen" and app.screen.versions, what="history")
        await pilot.press("ctrl+y")
        await wait_for(pilot, lambda: app.clipboard == "K578 Y021", what="the procedures")
        await pilot.press("ctrl+y")
        await wait_for(pilot, lambda: app.clipboard == "I500", what="the diagnoses")
        assert saved.latest.coding == CODING or saved.id == 1
