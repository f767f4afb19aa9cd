"""Snapshots of every screen at 80x24 (and the wizard at 200x60).

Regenerate after an intended change with ``pytest tests/test_tui_snapshots.py --snapshot-update``
and look at the pictures in tests/__snapshots__/ before keeping them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from tests.tui_flows import SCREENS
from workbench.tui.app import WorkbenchApp


@pytest.fixture(scope="session")
def snapshot_reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from workbench.core.refdb import open_reference_db

    path = tmp_path_factory.mktemp("snap-reference") / "reference.db"
    open_reference_db(path).close()
    return path


def _steady(run_before):
    """The screen as ``run_before`` leaves it, with text cursors that do not blink: a blinking
    cursor made the picture depend on the moment it was taken (the review flaked on it)."""

    async def run(pilot) -> None:
        await run_before(pilot)
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause()

    return run


def _app(reference: Path) -> WorkbenchApp:
    # A fixed theme, so a user's config can never change the picture.
    return WorkbenchApp(reference=reference, offer_drafts=False, theme="textual-dark")


@pytest.mark.parametrize("screen", sorted(SCREENS))
def test_screen_at_80x24(screen: str, snap_compare, snapshot_reference: Path) -> None:
    assert snap_compare(_app(snapshot_reference), terminal_size=(80, 24), run_before=_steady(SCREENS[screen]))


def test_wizard_at_200x60_has_its_side_panel(snap_compare, snapshot_reference: Path) -> None:
    assert snap_compare(_app(snapshot_reference), terminal_size=(200, 60), run_before=_steady(SCREENS["wizard"]))
