"""``log verify`` at scale (issue 28 item 6), and what checkpoints cost a save (issue 25).

Full verify: ``EpisodeLog.verify()`` (integrity_check in a thread, every hash of the chain,
every stored value, the derived indexes, every checkpoint line) against SQLite's own
``PRAGMA integrity_check`` on the same file, alternated run by run; the medians' ratio.

Incremental verify: after a full verify has left its mark, a day of saves is added, then
``workbench log verify --incremental`` runs as a child process (start-up included: what a
coder or a cron job waits for); the median of several runs.

Checkpoint cost: saves into the big log alternating with the checkpoint on and off (the
per-save line and the check of the newest line switched off), p95 of each.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from pathlib import Path

from benchmarks.common import Result, at_most, median, percentile, ratio, run_child
from benchmarks.startup import workbench_argv

VERIFY_RATIO_GOAL = 2.0
INCREMENTAL_GOAL_S = 1.0
DAY_OF_SAVES = 200


def full_verify(path: Path, rounds: int = 3) -> list[Result]:
    from workbench.core.episodes import EpisodeLog

    ours, base = [], []
    with EpisodeLog(path) as log:
        for _ in range(rounds):
            conn = sqlite3.connect(path)
            started = time.perf_counter()
            conn.execute("PRAGMA integrity_check").fetchall()
            base.append(time.perf_counter() - started)
            conn.close()
            started = time.perf_counter()
            report = log.verify()
            ours.append(time.perf_counter() - started)
            if not report.ok:
                raise RuntimeError(f"the benchmark log does not verify: {report.broken[:3]} {report.integrity[:3]}")
        versions = report.versions_checked
    ours_s, base_s = median(ours), median(base)
    return [Result("log verify vs integrity_check (median)", ours_s, "s", base_s, ratio(ours_s, base_s),
                   f"ratio <= {VERIFY_RATIO_GOAL:g}", ratio(ours_s, base_s) <= VERIFY_RATIO_GOAL,
                   f"{versions:,} versions, {rounds} runs each alternating; verify: integrity_check in a "
                   "thread + every hash, value, index and checkpoint (chain split between processes); "
                   "baseline: PRAGMA integrity_check alone")]


def _saves(path: Path, count: int, start: int) -> None:
    from workbench.core.episodes import CodedEntry, Coding, EpisodeDetails, EpisodeLog

    coding = Coding([CodedEntry("L80.4", "opcs4", "OPCS-4.10")], [CodedEntry("I70.2", "icd10", "ICD-10 WHO 2019")])
    with EpisodeLog(path) as log:
        for i in range(start, start + count):
            log.save(EpisodeDetails(f"DAY{i}", f"D{i}", dt.date(2025, 1, 2)), coding, coder="bench.coder")


def incremental_verify(path: Path, runs: int = 5) -> list[Result]:
    """After the full verify above (its mark is in the checkpoint file): a day of saves, then
    ``log verify --incremental`` as a command."""
    _saves(path, DAY_OF_SAVES, 0)
    argv = [*workbench_argv(), "--log", str(path), "log", "verify", "--incremental"]
    walls = []
    for _ in range(runs):
        outcome = run_child(argv)
        if outcome.returncode != 0 or "incremental:" not in outcome.stdout:
            raise RuntimeError(f"incremental verify failed: {outcome.stdout[-300:]} {outcome.stderr[-300:]}")
        walls.append(outcome.wall)
    wall = median(walls)
    return [Result("log verify --incremental (median)", wall, "s", None, None, f"< {INCREMENTAL_GOAL_S:g} s",
                   wall < INCREMENTAL_GOAL_S,
                   f"{DAY_OF_SAVES} saves since the last full verify, `workbench log verify --incremental` "
                   f"as a child process including start-up, {runs} runs")]


def checkpoint_cost(path: Path, saves: int) -> list[Result]:
    """Saves with the per-save checkpoint on and off, alternating (same log, same moment)."""
    from workbench.core.episodes import CodedEntry, Coding, EpisodeDetails, EpisodeLog, trust

    coding = Coding([CodedEntry("L80.4", "opcs4", "OPCS-4.10"), CodedEntry("Y53.4", "opcs4", "OPCS-4.10")],
                    [CodedEntry("I70.2", "icd10", "ICD-10 WHO 2019")])
    real = trust.LogTrust.before, trust.LogTrust.after
    on, off = [], []
    try:
        with EpisodeLog(path) as log:
            for i in range(2 * saves):
                checkpointing = i % 2 == 0
                trust.LogTrust.before, trust.LogTrust.after = real if checkpointing else (
                    lambda self, conn: None, lambda self, head, durable=False: None)
                details = EpisodeDetails(f"CP{i}", f"C{i}", dt.date(2025, 1, 3))
                started = time.perf_counter()
                log.save(details, coding, coder="bench.coder")
                (on if checkpointing else off).append((time.perf_counter() - started) * 1000)
    finally:
        trust.LogTrust.before, trust.LogTrust.after = real
    p95_on, p95_off = percentile(on, 0.95), percentile(off, 0.95)
    return [Result("log save p95, checkpoint on vs off", p95_on, "ms", p95_off, ratio(p95_on, p95_off),
                   "p95 <= 5 ms", at_most(p95_on, 5.0),
                   f"{saves} saves each, alternating, into the big log; median on {median(on):.2f} ms, "
                   f"off {median(off):.2f} ms; on = the newest checkpoint line checked before and the "
                   "new head appended after each save")]


def run(path: Path, *, saves: int = 200, rounds: int = 3) -> list[Result]:
    results = full_verify(path, rounds)
    results += incremental_verify(path)
    results += checkpoint_cost(path, saves)
    return results
