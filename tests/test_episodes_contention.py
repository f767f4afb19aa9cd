"""Writers take turns: a waiting save is told why, waits its turn, and gives up cleanly."""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import threading
import time
from pathlib import Path

import pytest

from workbench.core.episodes import (
    CodedEntry,
    Coding,
    EpisodeDetails,
    EpisodeLog,
    LogError,
    storage,
)

CODING = Coding([CodedEntry("L80.4", "opcs4", "4.10")], [CodedEntry("I70.2", "icd10", "2019")])


def _details(n: int) -> EpisodeDetails:
    return EpisodeDetails(patient=f"P{n}", episode=f"E{n}", date=dt.date(2024, 1, 1))


def _hold_turn(path: Path, seconds: float) -> threading.Thread:
    """Another writer holding its turn (the lock file, never the log itself)."""
    fd = os.open(path.with_name(path.name + "-lock"), os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)

    def release() -> None:
        time.sleep(seconds)
        os.close(fd)

    thread = threading.Thread(target=release)
    thread.start()
    return thread


def test_a_waiting_save_is_told_once_and_then_saved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(storage, "WAIT_NOTICE_S", 0.2)
    path = tmp_path / "episodes.db"
    with EpisodeLog(path) as log:
        told: list[float] = []
        log.on_wait = told.append
        holder = _hold_turn(path, 0.6)
        started = time.monotonic()
        saved = log.save(_details(1), CODING, coder="a")
        assert time.monotonic() - started >= 0.5
        holder.join()
        assert len(told) == 1 and saved.id == 1


def test_a_save_gives_up_after_its_patience_changing_nothing(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(storage, "WAIT_NOTICE_S", 0.1)
    monkeypatch.setattr(storage, "WRITE_PATIENCE_S", 0.3)
    path = tmp_path / "episodes.db"
    with EpisodeLog(path) as log:
        holder = _hold_turn(path, 1.0)
        with pytest.raises(LogError, match="busy") as caught:
            log.save(_details(1), CODING, coder="a")
        assert "P1" not in str(caught.value)
        holder.join()
        assert log.count() == 0
        assert log.save(_details(1), CODING, coder="a").id == 1    # a later save takes its turn


def test_threads_of_one_process_take_turns(tmp_path: Path) -> None:
    path = tmp_path / "episodes.db"
    EpisodeLog(path).close()
    errors: list[str] = []

    def saver(n: int) -> None:
        with EpisodeLog(path) as log:
            for k in range(10):
                try:
                    log.save(_details(n * 100 + k), CODING, coder="a")
                except LogError as exc:
                    errors.append(str(exc))

    threads = [threading.Thread(target=saver, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with EpisodeLog(path) as log:
        assert log.count() == 80 and log.verify().ok
