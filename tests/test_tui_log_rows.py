"""The log screen's rows as drawn: each filter shows the right episodes on screen, the
cursor and Enter open the highlighted one, and the log is counted once, not per key."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from rich.text import Text
from textual.app import App

from tests.test_tui_log_screen import _open_log
from tests.tui_flows import SIZE, screen_name, wait_for, wait_for_screen
from workbench.core.episodes import CodedEntry, Coding, EpisodeDetails, EpisodeLog, bulk_load
from workbench.tui.app import WorkbenchApp
from workbench.tui.widgets.log_rows import Column, LogRows


def _coding(n: int) -> Coding:
    code = "K57.8" if n % 3 == 0 else "L80.4"
    return Coding([CodedEntry(code, "opcs4", "4.10")], [CodedEntry("I50.0", "icd10", "2019")])


@pytest.fixture
def log_file(isolated_home: Path) -> Path:
    from workbench.core.paths import log_path

    path = log_path()
    with EpisodeLog(path) as log:
        bulk_load(log, ((EpisodeDetails(f"P{n % 40}", f"E{n}", dt.date(2023, 1, 1) + dt.timedelta(days=3 * n)),
                         _coding(n), "c") for n in range(1, 251)))
    return path


def _drawn_ids(app: WorkbenchApp) -> list[int]:
    """The episode ids in the table's lines as drawn (the header line skipped)."""
    table = app.screen.query_one("#log-table", LogRows)
    lines = [table.render_line(y).text for y in range(1, table.size.height)]
    return [int(line.split()[0]) for line in lines if line.strip()]


def _expected(log_file: Path, **filters) -> list[int]:
    with EpisodeLog(log_file) as log:
        return [s.id for s in log.list(limit=100, **filters)]


async def test_each_filter_key_draws_its_own_episodes(shared_reference: Path, log_file: Path) -> None:
    app = WorkbenchApp(reference=shared_reference, offer_drafts=False)
    async with app.run_test(size=SIZE) as pilot:
        await _open_log(app, pilot)
        visible = app.screen.query_one("#log-table", LogRows).size.height - 1
        assert _drawn_ids(app) == list(range(250, 250 - visible, -1))
        await pilot.press("f")
        typed = ""
        steps = [("K", None), ("5", None), ("7", {"code": "K57"}), (".", None), ("8", {"code": "K57.8"}),
                 ("space", None), ("P", None), ("3", {"code": "K57.8", "words": ["P3"]})]
        for key, filters in steps:
            await pilot.press(key)
            typed += " " if key == "space" else key
            if filters is None:
                continue
            expected = _expected(log_file, **filters)
            await wait_for(pilot, lambda e=expected, t=typed: [s.id for s in app.screen.shown] == e
                           and app.screen.query_one("#log-filter").value == t, what=f"the page for {typed!r}")
            await pilot.pause()
            assert _drawn_ids(app) == expected[:visible], typed
            assert all(n % 3 == 0 for n in expected) and expected
        await pilot.press(*["backspace"] * len(typed), *"2023-02")
        expected = _expected(log_file, since="2023-02-01", until="2023-02-28")
        await wait_for(pilot, lambda: [s.id for s in app.screen.shown] == expected, what="February 2023")
        await pilot.pause()
        assert _drawn_ids(app) == expected[:visible] and len(expected) == 9
        assert "9 shown of 250 episodes" in str(app.screen.query_one("#log-status").render())


async def test_the_cursor_scrolls_pages_in_and_enter_opens_the_highlighted_episode(
        shared_reference: Path, log_file: Path) -> None:
    app = WorkbenchApp(reference=shared_reference, offer_drafts=False)
    async with app.run_test(size=SIZE) as pilot:
        await _open_log(app, pilot)
        table = app.screen.query_one("#log-table", LogRows)
        await pilot.press("down", "down", "down")
        assert table.cursor_row == 3
        await pilot.press("pagedown")
        assert table.cursor_row == 3 + table.size.height - 1
        assert _drawn_ids(app)[-1] == 250 - table.cursor_row      # the cursor line is on screen
        await pilot.press("end")                                  # near the end: the next page comes
        await wait_for(pilot, lambda: len(app.screen.shown) == 200, what="the second page")
        assert table.row_count == 200 and table.cursor_row == 99
        await pilot.press("end")
        await wait_for(pilot, lambda: len(app.screen.shown) == 250, what="the last page")
        await pilot.press("end")
        assert _drawn_ids(app)[-1] == 1
        await pilot.press("home", "down", "enter")
        await wait_for_screen(pilot, "HistoryScreen")
        assert app.screen.episode_id == 249
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen_name(app) == "LogScreen", what="back to the log")


async def test_the_log_is_counted_on_opening_not_on_each_filter_key(
        shared_reference: Path, log_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    counted: list[int] = []
    real = EpisodeLog.count

    def count(self: EpisodeLog) -> int:
        counted.append(1)
        return real(self)

    monkeypatch.setattr(EpisodeLog, "count", count)
    app = WorkbenchApp(reference=shared_reference, offer_drafts=False)
    async with app.run_test(size=SIZE) as pilot:
        await _open_log(app, pilot)
        assert len(counted) == 1
        await pilot.press("f", *"P7")
        await wait_for(pilot, lambda: {s.details.patient for s in app.screen.shown} == {"P7"}, what="P7")
        await pilot.press("backspace", "backspace")
        await wait_for(pilot, lambda: len(app.screen.shown) == 100, what="the whole log again")
        assert len(counted) == 1
        assert "100 shown (more below) of 250 episodes" in str(app.screen.query_one("#log-status").render())


class _Host(App):
    def compose(self):  # noqa: ANN201 - Textual
        yield LogRows([Column("id", 9), Column("codes", 28), Column("status", 7), Column("v", 3)], id="rows")


def _row(n: int, codes: str = "L80.4 Y53.9") -> tuple:
    return (str(n), Text(codes), Text("final"), "1")


async def test_only_lines_that_change_are_drawn_again() -> None:
    app = _Host()
    async with app.run_test(size=(60, 12)) as pilot:
        rows = app.query_one(LogRows)
        rows.set_rows([_row(n) for n in range(30, 0, -1)])
        await pilot.pause()
        drawn: list[object] = []
        real_refresh = rows.refresh
        rows.refresh = lambda *regions, **kw: (drawn.append(regions), real_refresh(*regions, **kw))[1]
        rows.set_rows([_row(n) for n in range(30, 0, -1)])           # the same page again
        assert drawn == []
        rows.set_rows([_row(n, "L80.2 Y53.9" if n == 27 else "L80.4 Y53.9") for n in range(30, 0, -1)])
        assert [r[0].y for r in drawn] == [4]                         # row 27 is on the 4th line
        drawn.clear()
        rows.set_rows([_row(n, "L80.2 Y53.9 Z94.2 L76.1 +3") for n in range(30, 0, -1)])   # wider codes
        assert drawn == [()]                                         # widths changed: all of it


async def test_a_narrow_terminal_shortens_the_codes_not_the_status() -> None:
    app = _Host()
    async with app.run_test(size=(30, 6)) as pilot:
        rows = app.query_one(LogRows)
        rows.set_rows([_row(1234567, "L80.2 Y53.9 Z94.2 L76.1 +3")])
        await pilot.pause()
        header, first = rows.render_line(0).text, rows.render_line(1).text
        assert header.rstrip().endswith("status v") and first.rstrip().endswith("final  1")
        assert first.startswith("1234567 L80.2") and "…" in first and len(first) == 30


async def test_letters_typed_straight_after_f_land_in_the_filter(shared_reference: Path, log_file: Path) -> None:
    """Over SSH "f" and the text after it often arrive in one read, before "f" has moved the
    focus; none may be lost or act on the table (the app hands keys over one at a time)."""
    from tests.test_tui_typeahead import one_read

    app = WorkbenchApp(reference=shared_reference, offer_drafts=False)
    async with app.run_test(size=SIZE) as pilot:
        await _open_log(app, pilot)
        table = app.screen.query_one("#log-table", LogRows)
        assert app.focused is table
        one_read(app, [("f", "f"), ("K", "K"), ("5", "5"), ("7", "7")])   # together, no pause between them
        await wait_for(pilot, lambda: app.screen.query_one("#log-filter").value == "K57", what="the filter text")
        assert app.focused is app.screen.query_one("#log-filter")
