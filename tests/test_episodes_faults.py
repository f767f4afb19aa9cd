"""Refusals that leave the file untouched, and writes that survive a busy or full log."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, read_only_folder_of
from workbench.core.episodes import (
    CodedEntry,
    Coding,
    EpisodeDetails,
    EpisodeLog,
    LogError,
    storage,
)

CODING = Coding([CodedEntry("L80.4", "opcs4", "4.10")], [CodedEntry("I70.2", "icd10", "2019")])
DETAILS = EpisodeDetails(patient="P-SECRET", episode="E1", date=dt.date(2024, 1, 1))


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file in the folder with its bytes: a refused open must change none of them."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def assert_refused_untouched(path: Path, match: str) -> None:
    before = snapshot(path.parent)
    with pytest.raises(LogError, match=match) as caught:
        EpisodeLog(path)
    assert snapshot(path.parent) == before
    assert "database is locked" not in str(caught.value)


def test_random_bytes_refused(tmp_path: Path) -> None:
    path = tmp_path / "episodes.db"
    path.write_bytes(os.urandom(8192))
    assert_refused_untouched(path, "not an SQLite database")


def test_short_text_file_refused(tmp_path: Path) -> None:
    path = tmp_path / "episodes.db"
    path.write_text("patient,episode\n")
    assert_refused_untouched(path, "not an SQLite database")


def test_other_sqlite_database_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.execute("INSERT INTO t VALUES (1)")
    conn.commit()
    conn.close()
    assert_refused_untouched(path, "not an episode log")


def test_schema_newer_than_the_app_refused(tmp_path: Path) -> None:
    path = tmp_path / "episodes.db"
    with EpisodeLog(path) as log:
        log.save(DETAILS, CODING, coder="c")
        log.connection.execute(f"PRAGMA user_version = {storage.latest_schema_version() + 1}")
        log.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for side in ("-wal", "-shm"):
        Path(f"{path}{side}").unlink(missing_ok=True)
    assert_refused_untouched(path, "newer workbench")


def test_folder_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(LogError, match="is a folder"):
        EpisodeLog(tmp_path)


def test_disk_full_refuses_and_loses_nothing(tmp_path: Path) -> None:
    path = tmp_path / "episodes.db"
    with EpisodeLog(path) as log:
        log.save(DETAILS, CODING, coder="c")
        pages = log.connection.execute("PRAGMA page_count").fetchone()[0]
        # SQLite reports SQLITE_FULL when a write needs more pages than this allows.
        log.connection.execute(f"PRAGMA max_page_count = {pages}")
        big = Coding([CodedEntry(f"L{n:02d}.{n % 10}", "opcs4", "x" * 400) for n in range(60)], [])
        with pytest.raises(LogError, match="disk is full") as caught:
            log.save(replace(DETAILS, episode="E2"), big, coder="c")
        assert "P-SECRET" not in str(caught.value)
        assert log.count() == 1
        assert log.verify().ok


@pytest.fixture
def read_only_folder(tmp_path: Path):
    """A folder holding a log that cannot be written: by file modes, or (as root, who
    ignores modes) by a read-only bind mount."""
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "episodes.db"
    with EpisodeLog(path) as log:
        log.save(DETAILS, CODING, coder="c")
    with read_only_folder_of(path):
        yield folder


@pytest.mark.parametrize("name", ["episodes.db", "new.db"])
def test_read_only_path_refused(read_only_folder: Path, name: str) -> None:
    assert_refused_untouched(read_only_folder / name, "read-only")


def test_read_only_path_cli_message(read_only_folder: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    result = subprocess.run([sys.executable, "-m", "workbench", "--log", str(read_only_folder / "episodes.db"),
                             "log", "list"], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 2
    assert "read-only" in result.stderr
    assert "Traceback" not in result.stderr


def test_busy_log_retries_then_succeeds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(storage, "BUSY_TIMEOUT_MS", 20)
    path = tmp_path / "episodes.db"
    log = EpisodeLog(path)
    blocker = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    blocker.execute("BEGIN IMMEDIATE")
    released = threading.Timer(0.3, lambda: blocker.execute("COMMIT"))
    released.start()
    try:
        started = time.monotonic()
        log.save(DETAILS, CODING, coder="c")       # waits out the other writer
        assert time.monotonic() - started >= 0.2
    finally:
        released.join()
        blocker.close()
    assert log.count() == 1
    log.close()


def test_busy_log_gives_up_with_a_plain_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(storage, "BUSY_TIMEOUT_MS", 10)
    monkeypatch.setattr(storage, "WRITE_PATIENCE_S", 0.3)
    path = tmp_path / "episodes.db"
    log = EpisodeLog(path)
    blocker = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(LogError, match="is busy") as caught:
            log.save(DETAILS, CODING, coder="c")
        assert "locked" not in str(caught.value)
        with pytest.raises(LogError, match="is busy"):
            log.save_draft("c", {"x": 1})
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    log.save(DETAILS, CODING, coder="c")
    assert log.count() == 1
    log.close()


def test_real_full_disk(tiny_disk: Path) -> None:
    path = tiny_disk / "episodes.db"
    saved = 0
    with EpisodeLog(path) as log:
        big = Coding([CodedEntry(f"L{n:02d}.{n % 10}", "opcs4", "x" * 300) for n in range(40)], [])
        with pytest.raises(LogError, match="disk is full") as caught:
            for n in range(10_000):
                log.save(replace(DETAILS, episode=f"E{n}"), big, coder="c")
                saved += 1
        assert "P-SECRET" not in str(caught.value)
    assert saved > 0
    with EpisodeLog(path) as log:       # reopening reads everything saved before the disk filled
        assert log.count() == saved
        assert log.verify().ok
