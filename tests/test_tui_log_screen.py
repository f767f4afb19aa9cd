"""The log screen pages through the log, and its export never touches the system of record."""

from __future__ import annotations

import datetime as dt
import json
import stat
from pathlib import Path

import pytest

from tests.tui_flows import SIZE, screen_name, wait_for, wait_for_screen, wait_ready
from workbench.core.episodes import CodedEntry, Coding, EpisodeDetails, EpisodeLog, bulk_load
from workbench.tui.app import WorkbenchApp

CODING = Coding([CodedEntry("K57.8", "opcs4", "4.10")], [CodedEntry("I50.0", "icd10", "2019")])




@pytest.fixture
def log_file(isolated_home: Path) -> Path:
    from workbench.core.paths import log_path

    path = log_path()
    with EpisodeLog(path) as log:
        bulk_load(log, ((EpisodeDetails(f"P{n}", f"E{n}", dt.date(2024, 1, 1) + dt.timedelta(days=n % 200)),
                         CODING, "c") for n in range(1, 251)))
    return path


def _status(app: WorkbenchApp) -> str:
    return str(app.screen.query_one("#log-status").render())


async def _open_log(app: WorkbenchApp, pilot) -> None:  # noqa: ANN001 - Pilot
    await wait_ready(pilot)
    await pilot.press("ctrl+l")
    await wait_for_screen(pilot, "LogScreen")
    await wait_for(pilot, lambda: app.screen.shown, what="the first page")


async def test_the_log_screen_loads_a_page_at_a_time(shared_reference: Path, log_file: Path) -> None:
    app = WorkbenchApp(reference=shared_reference, offer_drafts=False)
    async with app.run_test(size=SIZE) as pilot:
        await _open_log(app, pilot)
        screen = app.screen
        assert [s.id for s in screen.shown[:3]] == [250, 249, 248] and len(screen.shown) == 100
        assert "100 shown (more below) of 250 episodes" in _status(app)
        for expected in (200, 250):
            await pilot.press("ctrl+end")
            await wait_for(pilot, lambda e=expected: len(screen.shown) == e, what=f"{expected} rows")
        assert not screen.more and [s.id for s in screen.shown] == list(range(250, 0, -1))
        await pilot.press("f", *"E7")
        await wait_for(pilot, lambda: [s.id for s in screen.shown] == [7], what="episode E7")


async def _export_to(app: WorkbenchApp, pilot, target: Path) -> None:  # noqa: ANN001 - Pilot
    await pilot.press("e")
    await wait_for_screen(pilot, "TextModal")
    app.screen.query_one("#modal-input").value = str(target)
    await pilot.press("enter")


async def test_the_app_export_refuses_the_log_and_asks_before_replacing(
        shared_reference: Path, log_file: Path, tmp_path: Path) -> None:
    before = log_file.stat().st_size
    target = tmp_path / "out.csv"
    target.write_text("keep me")
    app = WorkbenchApp(reference=shared_reference, offer_drafts=False)
    async with app.run_test(size=SIZE) as pilot:
        await _open_log(app, pilot)
        await _export_to(app, pilot, log_file)
        await wait_for(pilot, lambda: any("never writes there" in str(n.message) for n in app._notifications),
                       what="the refusal")
        await _export_to(app, pilot, target)
        await wait_for_screen(pilot, "TextModal")            # "already exists" question
        await pilot.press(*"no", "enter")
        await wait_for(pilot, lambda: screen_name(app) == "LogScreen", what="back to the log")
        assert target.read_text() == "keep me"
        await _export_to(app, pilot, target)
        await wait_for_screen(pilot, "TextModal")
        await pilot.press(*"yes", "enter")
        await wait_for(pilot, lambda: target.read_text().startswith("episode_id,"), what="the CSV export")
        json_target = tmp_path / "out.json"
        await _export_to(app, pilot, json_target)
        await wait_for(pilot, json_target.exists, what="the JSON export")
    assert len(json.loads(json_target.read_text())) == 250
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with EpisodeLog(log_file) as log:
        assert log.verify().ok and log.count() == 250
    assert log_file.stat().st_size >= before
