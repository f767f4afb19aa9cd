"""Many writers: 32 processes x 100 saves into one log; throughput and zero loss.

Every writer opens the log first, then all start together (a go file), so process
start-up is not counted. Baseline: one writer process saving on its own into a
fresh log (the same code path without contention). Loss check: every (writer,
reference) pair is in the log exactly once, no writer saw an error, verify() passes.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from benchmarks.common import Result, missing_or_duplicated, python, ratio, start_together


def _writers(folder: Path, home: Path, writers: int, saves: int) -> tuple[float, list[dict]]:
    argvs = [[python(), "-m", "benchmarks.writer", str(folder / "shared.db"), f"W{w:02d}", str(saves),
              str(folder / "go")] for w in range(writers)]
    start, summaries = start_together(argvs, folder / "go", home, timeout=600)
    return max(s["end"] for s in summaries) - start, summaries


def _loss(log_path: Path, writers: int, saves: int) -> tuple[int, bool]:
    """(episodes missing or duplicated, chain verifies)."""
    from workbench.core.episodes import EpisodeLog

    with EpisodeLog(log_path) as log:
        rows = log.connection.execute("SELECT patient, episode_ref, count(*) FROM episode"
                                      " GROUP BY patient, episode_ref").fetchall()
        ok = log.verify().ok
    bad = missing_or_duplicated(rows, writers, saves)
    return bad, ok


def run(work: Path, *, writers: int = 32, saves: int = 100) -> list[Result]:
    folder = work / "concurrency"
    folder.mkdir(parents=True, exist_ok=True)
    home = work / "concurrency-home"
    solo_folder = folder / "solo"
    solo_folder.mkdir(exist_ok=True)
    solo_saves = saves * 2
    solo_seconds, _ = _writers(solo_folder, home, 1, solo_saves)
    seconds, summaries = _writers(folder, home, writers, saves)
    errors = sum(s["error_count"] for s in summaries)
    bad, verified = _loss(folder / "shared.db", writers, saves)
    rate = writers * saves / seconds
    solo_rate = solo_saves / solo_seconds
    lost = bad + errors
    note = (f"{writers} processes x {saves} saves in {seconds:.1f} s; baseline: one process alone "
            f"({solo_saves} saves)")
    return [
        Result("concurrent saves throughput", rate, "saves/s", solo_rate, ratio(rate, solo_rate), "", None, note),
        Result("concurrent saves lost or failed", float(lost), "episodes", None, None, "== 0 and verify ok",
               lost == 0 and verified,
               f"{errors} writer errors, {bad} missing/duplicated, verify {'ok' if verified else 'FAILED'}"),
    ]


# ---------------------------------------------------------------- contention: saves and amends

CONTENDED_NOTE = ("{writers} processes, each {rounds} operations (save, then amend it), all at once; "
                  "latency of each call including retries; baseline: the same calls by one process alone")


def _contended(folder: Path, home: Path, writers: int, rounds: int) -> tuple[list[float], list[str]]:
    argvs = [[python(), "-m", "benchmarks.concurrency", str(folder / "contended.db"), f"C{w:02d}", str(rounds),
              str(folder / "go-contended")] for w in range(writers)]
    _start, summaries = start_together(argvs, folder / "go-contended", home, timeout=900, what="contended writer")
    return [x for s in summaries for x in s["latencies"]], [e for s in summaries for e in s["errors"]]


def contention(work: Path, *, writers: int = 64, rounds: int = 50) -> list[Result]:
    """Save latency p50/p95/p99 under ``writers`` processes saving and amending at once."""
    from benchmarks.common import percentile

    folder = work / "contention"
    folder.mkdir(parents=True, exist_ok=True)
    home = work / "concurrency-home"
    solo_folder = folder / "solo"
    solo_folder.mkdir(exist_ok=True)
    solo, _ = _contended(solo_folder, home, 1, rounds)
    latencies, errors = _contended(folder, home, writers, rounds)
    note = CONTENDED_NOTE.format(writers=writers, rounds=rounds * 2)
    rows = []
    for label, fraction in (("p50", 0.50), ("p95", 0.95), ("p99", 0.99)):
        value, base = percentile(latencies, fraction) * 1000, percentile(solo, fraction) * 1000
        rows.append(Result(f"contended save/amend latency {label}", value, "ms", base, ratio(value, base),
                           "", None, note))
    worst = max(latencies) * 1000
    rows.append(Result("contended saves failed", float(len(errors)), "saves", None, None, "== 0",
                       not errors, f"{len(latencies)} calls; worst wait {worst:.0f} ms"
                       + (f"; first error: {errors[0]}" if errors else "")))
    return rows


def _child(argv: list[str]) -> int:
    """One contended writer: saves an episode then amends it, ``rounds`` times, timing each call."""
    import datetime as dt
    import os

    from workbench.core.episodes import CodedEntry, Coding, EpisodeDetails, EpisodeLog, LogError

    path, tag, rounds, go = argv[0], argv[1], int(argv[2]), argv[3]
    first = Coding([CodedEntry("K57.8", "opcs4", "4.10"), CodedEntry("Y02.1", "opcs4", "4.10")],
                   [CodedEntry("I50.0", "icd10", "2019")])
    second = Coding([CodedEntry("K57.8", "opcs4", "4.10")], [CodedEntry("I50.0", "icd10", "2019")])
    log = EpisodeLog(path)
    print("ready", flush=True)
    while not os.path.exists(go):
        time.sleep(0.002)
    latencies, errors = [], []
    for n in range(rounds):
        details = EpisodeDetails(patient=tag, episode=str(n), date=dt.date(2024, 1, 1))
        try:
            start = time.perf_counter()
            saved = log.save(details, first, coder=tag, save_id=f"{tag}-{n}")
            latencies.append(time.perf_counter() - start)
            start = time.perf_counter()
            log.amend(saved.id, second, reason="contention", coder=tag)
            latencies.append(time.perf_counter() - start)
        except LogError as exc:
            errors.append(str(exc))
    log.close()
    print(json.dumps({"latencies": latencies, "errors": errors}), flush=True)
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(_child(sys.argv[1:]))
