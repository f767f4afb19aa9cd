"""Export can never hit the system of record, never follows a symlink, never replaces unasked."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import stat
from pathlib import Path

import pytest

from tests.test_log_cli import coding, run
from workbench.core.episodes import EpisodeDetails, EpisodeLog, LogError


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    path = tmp_path / "episodes.db"
    with EpisodeLog(path) as log:
        log.save(EpisodeDetails("P1", "E1", dt.date(2024, 1, 5)), coding("L80.4"), coder="ann")
        log.save(EpisodeDetails('=HYPERLINK("x")', "+cmd|calc", dt.date(2024, 1, 6)),
                 coding("K57.8"), coder="@SUM(A1)", note="-2+3")
    return path


def _verifies(capsys, log_path: Path) -> bool:
    code, out, _ = run(capsys, log_path, "verify")
    return code == 0 and "intact" in out


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm"])
def test_export_refuses_the_log_and_its_companions(capsys, log_path: Path, suffix: str) -> None:
    target = log_path.with_name(log_path.name + suffix)
    before = log_path.read_bytes()
    code, _, err = run(capsys, log_path, "export", "-o", str(target), "--force")
    assert code != 0 and "never writes there" in err
    assert log_path.read_bytes() == before
    assert _verifies(capsys, log_path)


def test_export_refuses_a_symlink_or_hard_link_to_the_log(capsys, log_path: Path, tmp_path: Path) -> None:
    link = tmp_path / "innocent.csv"
    link.symlink_to(log_path)
    code, _, err = run(capsys, log_path, "export", "-o", str(link), "--force")
    assert code != 0 and "never writes there" in err
    hard = tmp_path / "other.csv"
    os.link(log_path, hard)
    # A second name of the log is refused before anything is read (issue 25: two names, two journals)...
    code, _, err = run(capsys, log_path, "export", "-o", str(hard), "--force")
    assert code != 0 and "hard links" in err
    # ...and the export's own check knows the file by device and inode, whatever its name.
    from workbench.core.episodes.export_file import check_target, protected_files

    with pytest.raises(LogError, match="never writes there"):
        check_target(hard, protected_files(log_path), force=True)
    hard.unlink()
    assert _verifies(capsys, log_path)


def test_export_refuses_the_reference_database(capsys, log_path: Path) -> None:
    from workbench.core.paths import reference_db_path

    target = reference_db_path()
    code, _, err = run(capsys, log_path, "export", "-o", str(target))
    assert code != 0 and "never writes there" in err


def test_export_never_writes_through_a_symlink(capsys, log_path: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("keep me")
    target = tmp_path / "export.csv"
    target.symlink_to(elsewhere)
    code, _, err = run(capsys, log_path, "export", "-o", str(target), "--force")
    assert code != 0 and "symbolic link" in err
    assert elsewhere.read_text() == "keep me"


def test_a_planted_partial_file_or_symlink_is_never_used(capsys, log_path: Path, tmp_path: Path) -> None:
    target = tmp_path / "export.csv"
    secret = tmp_path / "attacker-reads-this"
    secret.write_text("")
    os.chmod(secret, 0o666)
    (tmp_path / "export.csv.partial").symlink_to(secret)
    loose = tmp_path / ".export.csv.partial"
    loose.write_text("")
    os.chmod(loose, 0o644)
    code, _, _ = run(capsys, log_path, "export", "-o", str(target))
    assert code == 0
    assert secret.read_text() == ""
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".export.csv.") and p != loose]


def test_export_is_private_whatever_the_umask(capsys, log_path: Path, tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        target = tmp_path / "export.csv"
        code, _, _ = run(capsys, log_path, "export", "-o", str(target))
    finally:
        os.umask(old)
    assert code == 0 and stat.S_IMODE(target.stat().st_mode) == 0o600


def test_an_existing_target_needs_force(capsys, log_path: Path, tmp_path: Path) -> None:
    target = tmp_path / "export.csv"
    target.write_text("yesterday's export")
    code, _, err = run(capsys, log_path, "export", "-o", str(target))
    assert code != 0 and "--force" in err
    assert target.read_text() == "yesterday's export"
    code, _, _ = run(capsys, log_path, "export", "-o", str(target), "--force")
    assert code == 0 and target.read_text().startswith("episode_id,")


def test_format_follows_the_extension(capsys, log_path: Path, tmp_path: Path) -> None:
    target = tmp_path / "export.json"
    assert run(capsys, log_path, "export", "-o", str(target))[0] == 0
    assert target.read_text().startswith("[")


def test_csv_cells_cannot_start_a_formula(capsys, log_path: Path) -> None:
    code, out, _ = run(capsys, log_path, "export")
    assert code == 0
    rows = {r["episode_id"]: r for r in csv.DictReader(io.StringIO(out))}
    assert rows["2"]["patient"] == "'=HYPERLINK(\"x\")"
    assert rows["2"]["episode"] == "'+cmd|calc"
    assert rows["2"]["coder"] == "'@SUM(A1)"
    assert rows["2"]["note"] == "'-2+3"
    assert rows["1"]["patient"] == "P1"


def test_stdout_redirected_into_the_log_is_refused(log_path: Path) -> None:
    from workbench.core.episodes import LogError

    # The file is opened before the log and closed after it, so no lock is dropped.
    with (open(log_path, "a", encoding="utf-8") as out, EpisodeLog(log_path) as log,
          pytest.raises(LogError, match="never writes there")):
        log.export(out)
