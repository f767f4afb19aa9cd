"""Search result rows fit one line at 80x24 and say how a hit matched (issue 16 item 3)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.tui_flows import SIZE, quiet, wait_for, wait_ready
from workbench.tui.app import WorkbenchApp

QUERY = "angiplasty"


async def _search(pilot) -> None:
    await wait_ready(pilot)
    await pilot.press(*QUERY)
    await wait_for(pilot, lambda: pilot.app.screen.shown_query == QUERY, what="results")
    await quiet(pilot)


@pytest.fixture
def rows_reference(_built_reference_db: Path, tmp_path: Path) -> Path:
    """A copy of the session's built reference database (the app may write to its WAL)."""
    path = tmp_path / "reference.db"
    shutil.copyfile(_built_reference_db, path)
    return path


def _app(reference: Path) -> WorkbenchApp:
    return WorkbenchApp(reference=reference, offer_drafts=False, theme="textual-dark")


async def test_every_row_is_one_line_with_the_note_when_it_fits(rows_reference: Path) -> None:
    app = _app(rows_reference)
    async with app.run_test(size=SIZE) as pilot:
        await _search(pilot)
        results = app.screen.query_one("#results")
        hits = app.screen.hits
        assert len(hits) > 3 and any(h.match_note for h in hits)
        # One painted line per hit: nothing wraps onto a second line.
        # The lines on screen (lines composed for a taller terminal are clipped and left blank).
        lines = results.lines()[: min(len(hits), results.size.height)]
        assert all(line.strip() for line in lines)
        codes = [h.code for h in hits[: len(lines)]]
        assert all(code in line for code, line in zip(codes, lines, strict=True))
        for hit, line in zip(hits, lines, strict=False):
            if not hit.match_note:
                continue
            room = len(f"{'OPCS-4':<9}{hit.code:<7} {hit.title}  {hit.match_note}") <= results.content_region.width
            # The note shows whole when it fits, and not at all when it does not.
            assert (hit.match_note in line) is room, (line, hit)
        assert not any(line.rstrip().endswith("text") for line in lines)


def test_search_rows_snapshot(snap_compare, rows_reference: Path) -> None:
    assert snap_compare(_app(rows_reference), terminal_size=SIZE, run_before=_search)
