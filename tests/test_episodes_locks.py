"""Locks are never dropped: the reproduction from the log-integrity issue, and the audit.

On POSIX, closing any descriptor of a file drops every lock the process holds on it,
SQLite's included. If the workbench opened the log with plain ``open()`` while one of
its own connections was open, another process would checkpoint and delete the WAL
under it and later saves would vanish.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from workbench.core.episodes import CodedEntry, Coding, EpisodeDetails, EpisodeLog, storage


def _details(n: int) -> EpisodeDetails:
    return EpisodeDetails(patient=f"P{n}", episode=f"E{n}", date=dt.date(2024, 3, 1))


CODING = Coding([CodedEntry("L80.4", "opcs4", "4.10")], [CodedEntry("I70.2", "icd10", "2019")])


def _cli(path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), WORKBENCH_LOG=str(path))
    return subprocess.run([sys.executable, "-m", "workbench", "log", *args], capture_output=True,
                          text=True, env=env, cwd=REPO_ROOT, timeout=120, input=stdin)


def test_the_reproduction_keeps_both_episodes(tmp_path: Path) -> None:
    path = tmp_path / "episodes.db"
    app = EpisodeLog(path)
    first = app.save(_details(1), CODING, coder="a")
    # The app opens one log per worker thread while its first connection stays open.
    worker = threading.Thread(target=lambda: EpisodeLog(path).close())
    worker.start()
    worker.join()
    listed = _cli(path, "list")                     # another process opens and closes the log
    assert listed.returncode == 0, listed.stderr
    second = app.save(_details(2), CODING, coder="a")
    result = _cli(path, "list", "--json")
    assert result.returncode == 0, result.stderr
    assert sorted(item["id"] for item in json.loads(result.stdout)) == [first.id, second.id]
    app.close()
    assert _cli(path, "verify").returncode == 0


def test_no_plain_open_of_the_log_while_a_connection_is_open(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Opening more logs on the same file in this process never reads it with open()."""
    import builtins

    path = tmp_path / "episodes.db"
    first = EpisodeLog(path)
    opened: list[str] = []
    real_open = builtins.open

    def spying_open(file, *args, **kwargs):  # noqa: ANN001, ANN202 - mirrors open()
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spying_open)
    others = [EpisodeLog(path) for _ in range(3)]
    others.append(EpisodeLog(tmp_path / "." / "episodes.db"))   # another spelling, same file
    for n, log in enumerate(others):
        log.save(_details(n + 10), CODING, coder="b")
        log.close()
    first.close()
    assert not [name for name in opened if Path(name).name.startswith("episodes.db")]


def test_the_header_is_read_again_once_every_connection_is_closed(tmp_path: Path) -> None:
    """The registry forgets a file when its last connection closes: a replaced file is re-checked."""
    path = tmp_path / "episodes.db"
    EpisodeLog(path).close()
    path.unlink()
    path.write_bytes(b"not a database at all" * 10)
    with pytest.raises(storage.LogError, match="not an episode log"):
        EpisodeLog(path)


def test_companions_are_made_private(tmp_path: Path) -> None:
    path = tmp_path / "episodes.db"
    with EpisodeLog(path) as log:
        log.save(_details(1), CODING, coder="a")
        wal = path.with_name(path.name + "-wal")
        os.chmod(wal, 0o644)
        with EpisodeLog(path) as second:
            assert second.count() == 1
        assert wal.stat().st_mode & 0o077 == 0


def test_a_folder_open_to_others_is_warned_about(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o700)
    os.chmod(folder, 0o777)
    with EpisodeLog(folder / "episodes.db") as log:
        assert any("folder" in w and "chmod 700" in w for w in log.warnings)
    os.chmod(folder, 0o700)
    with EpisodeLog(folder / "episodes.db") as log:
        assert log.warnings == []


# ------------------------------------------------------------------ one file, one name (issue 25)


def test_a_second_hard_link_is_refused_and_loses_nothing(tmp_path: Path) -> None:
    """The reproduction: a save through a hard link while another process has the log open was
    acknowledged and then lost (SQLite names the WAL after the path it was opened by)."""
    path = tmp_path / "episodes.db"
    app = EpisodeLog(path)
    app.save(_details(1), CODING, coder="a")
    link = tmp_path / "hard.db"
    os.link(path, link)
    through_link = _cli(link, "add", "--details", "-", "--procedures", "K57.8", "--diagnoses", "I50.9",
                        stdin="patient=P2\nepisode=E2\ndate=2024-03-01\nsex=f\nage=70\n")
    assert through_link.returncode == 2, through_link.stdout
    assert "hard link" in through_link.stderr and "saved" not in through_link.stdout
    assert len([line for line in through_link.stderr.splitlines() if "hard link" in line]) == 1
    # The log's own name refuses too while the extra name exists: both would be unsafe.
    with pytest.raises(storage.LogError, match="hard link"):
        app.save(_details(2), CODING, coder="a")
    link.unlink()
    app.save(_details(3), CODING, coder="a")
    app.close()
    listed = _cli(path, "list", "--json")
    assert sorted(item["patient"] for item in json.loads(listed.stdout)) == ["P1", "P3"]


def test_a_log_replaced_under_an_open_connection_takes_no_writes(tmp_path: Path) -> None:
    path = tmp_path / "episodes.db"
    log = EpisodeLog(path)
    log.save(_details(1), CODING, coder="a")
    other = tmp_path / "other.db"
    EpisodeLog(other).close()
    os.replace(other, path)               # someone moved another file over the log's name
    with pytest.raises(storage.LogError, match="no longer the file"):
        log.save(_details(2), CODING, coder="a")
    log.close()


def test_a_symlink_shares_the_lock_and_the_journal_of_the_real_name(tmp_path: Path) -> None:
    path = tmp_path / "episodes.db"
    link = tmp_path / "alias.db"
    link.symlink_to(path)
    with EpisodeLog(path) as real, EpisodeLog(link) as alias:
        real.save(_details(1), CODING, coder="a")
        alias.save(_details(2), CODING, coder="b")
        assert alias._turn.path == real._turn.path
        assert real.checkpoint_file == alias.checkpoint_file
    assert not Path(f"{link}-wal").exists() and not Path(f"{link}-lock").exists()
    assert _cli(path, "verify").returncode == 0
