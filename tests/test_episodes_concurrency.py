"""Many processes writing one log at once, and a writer killed mid-stream."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import REPO_ROOT
from workbench.core.episodes import EpisodeLog

# Each writer waits for the "go" file so that all of them start writing together.
WRITER = r"""
import datetime as dt, os, sys, time
from pathlib import Path
from workbench.core.episodes import CodedEntry, Coding, EpisodeDetails, EpisodeLog, LogError
path, worker, count, go = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
log = EpisodeLog(path)
while go and not Path(go).exists():
    time.sleep(0.005)
for n in range(count):
    details = EpisodeDetails(patient=f"W{worker}", episode=f"W{worker}-E{n}", date=dt.date(2024, 1, 1))
    coding = Coding([CodedEntry("L80.4", "opcs4", "4.10"), CodedEntry(f"Y53.{n % 10}", "opcs4", "4.10")],
                    [CodedEntry("I70.2", "icd10", "2019")])
    try:
        summary = log.save(details, coding, coder=f"coder{worker}")
        if n % 3 == 0:
            log.save_draft(f"coder{worker}", {"n": n})
    except LogError as exc:
        print(f"ERROR {exc}", flush=True)
        sys.exit(3)
    print(summary.id, flush=True)
"""


def _env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(REPO_ROOT))


def test_32_writers_at_once(tmp_path: Path) -> None:
    path, go = tmp_path / "shared.db", tmp_path / "go"
    EpisodeLog(path).close()           # created once, as the first coder's app would
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(w), "10", str(go)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
               for w in range(32)]
    time.sleep(0.5)
    go.touch()
    results = [w.communicate(timeout=120) for w in writers]
    for writer, (out, err) in zip(writers, results, strict=True):
        assert writer.returncode == 0, out + err
        assert "locked" not in out + err and "Traceback" not in err
    saved_ids = sorted(int(line) for out, _ in results for line in out.split())
    assert len(saved_ids) == 320 and len(set(saved_ids)) == 320
    with EpisodeLog(path) as log:
        assert log.count() == 320
        for worker in range(32):
            mine = log.list(patient=f"W{worker}")
            assert sorted(s.details.episode for s in mine) == sorted(f"W{worker}-E{n}" for n in range(10))
            assert all(len(s.latest.coding.procedures) == 2 for s in mine)
        assert log.verify().ok


def test_sigkill_during_saves_leaves_whole_episodes(tmp_path: Path) -> None:
    path = tmp_path / "killed.db"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path), "1", "100000", ""],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
    confirmed: list[int] = []
    assert writer.stdout is not None
    while len(confirmed) < 40:
        line = writer.stdout.readline()
        assert line, writer.stderr.read() if writer.stderr else "writer ended early"
        confirmed.append(int(line))
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=30)
    writer.stdout.close()
    writer.stderr.close()
    with EpisodeLog(path) as log:
        report = log.verify()
        assert report.ok, report
        everything = log.list()
        assert {s.id for s in everything} >= set(confirmed)   # every confirmed save survived
        for summary in everything:                             # and nothing is half there
            assert [e.code for e in summary.latest.coding.procedures][0] == "L80.4"
            assert len(summary.latest.coding.procedures) == 2
            assert len(summary.latest.coding.diagnoses) == 1
        ids = sorted(s.id for s in everything)
        assert ids == list(range(1, len(ids) + 1))
