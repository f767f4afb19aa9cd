"""The app's side of patient privacy: a crash shows no local values, and a log others can
read is warned about on screen."""

from __future__ import annotations

import os
import stat

import pytest

from tests.tui_flows import wait_for, wait_ready
from workbench.tui.app import WorkbenchApp

SECRET = "HOSP-SECRET-424242"


async def test_a_crash_shows_what_and_where_never_local_values(isolated_home, reference_db, capsys) -> None:
    app = WorkbenchApp(offer_drafts=False)

    def bug() -> None:
        patient = SECRET  # noqa: F841  (a local value Textual's own panel would print)
        raise ValueError("internal")

    with pytest.raises(ValueError):
        async with app.run_test() as pilot:
            await wait_ready(pilot)
            app.call_later(bug)
            await pilot.pause()
            await pilot.pause()
    shown = capsys.readouterr().err
    assert "The workbench stopped: an internal error (ValueError in test_privacy_app.py:" in shown
    assert "kept as a draft in the episode log" in shown and "episodes.db" in shown
    assert SECRET not in shown and "locals" not in shown.lower()
    reports = list((isolated_home / "crashes").iterdir())
    assert len(reports) == 1 and str(reports[0]) in shown.replace("\n", "")
    assert stat.S_IMODE(os.stat(reports[0]).st_mode) == 0o600
    assert "ValueError: internal" in reports[0].read_text()


async def test_an_open_log_folder_is_warned_about_on_screen(tmp_path, reference_db) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o777)
    log = folder / "episodes.db"
    log.write_bytes(b"")
    log.chmod(0o644)
    app = WorkbenchApp(log=str(log), offer_drafts=False)
    async with app.run_test() as pilot:
        await wait_ready(pilot)
        await wait_for(pilot, lambda: len(exposed(app)) >= 2, what="the exposure warnings")
        warnings = exposed(app)
    assert any("can be read by other users (mode 644)" in w for w in warnings), warnings
    assert any("folder" in w and "mode 777" in w for w in warnings), warnings


async def test_a_private_log_gets_no_warning(tmp_path, reference_db) -> None:
    folder = tmp_path / "private"
    folder.mkdir(mode=0o700)
    folder.chmod(0o700)
    app = WorkbenchApp(log=str(folder / "episodes.db"), offer_drafts=False)
    async with app.run_test() as pilot:
        await wait_ready(pilot)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not exposed(app)


def exposed(app: WorkbenchApp) -> list[str]:
    return [n.message for n in app._notifications if n.title == "Patient data exposed"]
