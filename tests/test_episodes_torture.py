"""Torture: processes x threads saving, amending, listing, exporting and verifying one
log, with random SIGKILLs; then every acknowledged save is present exactly once.

Seconds in the normal suite; minutes with ``--long``. The counts are printed (-s).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.torture_worker import coding
from workbench.core.episodes import EpisodeDetails, EpisodeLog


class Worker:
    def __init__(self, path: Path, tag: str, threads: int, seconds: float, out: Path):
        env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
        self.tag = tag
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.torture_worker", str(path), tag, str(threads), str(seconds),
             str(out)], cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def finish(self) -> tuple[int, str]:
        code = self.proc.wait(timeout=300)
        self.reader.join(timeout=30)
        return code, self.proc.stderr.read()


LISTER = ("import sys; from workbench.core.episodes import EpisodeLog\n"
          "with EpisodeLog(sys.argv[1]) as log: log.list(limit=20)")


def _listers(path: Path, deadline: float) -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    while time.monotonic() < deadline:
        done = subprocess.run([sys.executable, "-c", LISTER, str(path)], cwd=REPO_ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]


def torture(tmp_path: Path, *, processes: int, threads: int, seconds: float, kills: int,
            seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    path, out = tmp_path / "episodes.db", tmp_path / "exports"
    out.mkdir(mode=0o700)
    EpisodeLog(path).close()
    workers = [Worker(path, f"W{i}", threads, seconds, out) for i in range(processes)]
    deadline = time.monotonic() + seconds
    # Short-lived readers, like `workbench log list` in another window: each may be the
    # process that closes last, which is when a lost lock used to delete the WAL.
    listers = threading.Thread(target=_listers, args=(path, deadline), daemon=True)
    listers.start()
    killed = 0
    for k in range(kills):
        time.sleep(max(0.0, rng.uniform(0.3, 1.0) * seconds / kills))
        if time.monotonic() > deadline - 0.3:
            break
        victim = rng.choice([w for w in workers if w.proc.poll() is None] or workers)
        victim.proc.send_signal(signal.SIGKILL)
        killed += 1
        remaining = max(1.0, deadline - time.monotonic())
        workers.append(Worker(path, f"R{k}", threads, remaining, out))
    listers.join(timeout=60)
    started, acked, amends, errors = set(), {}, [], []
    for worker in workers:
        code, err = worker.finish()
        assert code in (0, -signal.SIGKILL), err[-3000:]
        assert "Traceback" not in err, err[-3000:]
        for line in worker.lines:
            kind, _, rest = line.partition(" ")
            if kind == "START":
                started.add(rest)
            elif kind == "ACK" and len(rest.split()) == 2:
                save_id, episode = rest.split()
                acked[save_id] = int(episode)
            elif kind == "AMEND" and len(rest.split()) == 2:
                amends.append(tuple(int(x) for x in rest.split()))
            elif kind == "ERROR":
                errors.append(rest)
    assert errors == []
    interrupted = sorted(started - set(acked))
    with EpisodeLog(path) as log:
        present = {row[0] for row in log.connection.execute("SELECT patient FROM episode")}
        # A caller whose save was interrupted retries it with the same save id.
        for save_id in interrupted:
            n = int(save_id.rsplit("-", 1)[1])
            retried = log.save(EpisodeDetails(patient=save_id, episode="E", date=dt.date(2024, 1, 1 + n % 28)),
                               coding(n), coder="retry", save_id=save_id)
            acked[save_id] = retried.id
        rows = log.connection.execute("SELECT patient, id FROM episode").fetchall()
        versions = set(log.connection.execute("SELECT episode_id, version FROM version").fetchall())
        report = log.verify()
    per_patient = Counter(patient for patient, _ in rows)
    ids = dict((patient, episode) for patient, episode in rows)
    duplicates = sum(n - 1 for n in per_patient.values() if n > 1)
    found = sum(1 for save_id, episode in acked.items() if ids.get(save_id) == episode)
    assert duplicates == 0
    assert found == len(acked)
    assert set(amends) <= versions
    assert report.ok, (report.integrity, report.broken[:5])
    counts = {"processes": len(workers), "killed": killed, "acknowledged": len(acked),
              "interrupted_and_retried": len(interrupted),
              "interrupted_but_committed": len(set(interrupted) & present),
              "found": found, "duplicates": duplicates, "amends": len(amends), "episodes": len(rows)}
    print("torture:", counts)
    return counts


def test_torture_short(tmp_path: Path) -> None:
    counts = torture(tmp_path, processes=3, threads=3, seconds=4, kills=3, seed=10)
    assert counts["acknowledged"] > 20 and counts["killed"] >= 2


@pytest.mark.slow
def test_torture_long(tmp_path: Path) -> None:
    counts = torture(tmp_path, processes=6, threads=4, seconds=150, kills=60, seed=11)
    assert counts["acknowledged"] > 1000
