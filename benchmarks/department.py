"""A department's log under load: 32 writer processes x 500 saves on PostgreSQL, beside SQLite.

    python -m benchmarks --only department            # part of make bench
    python -m benchmarks.department --writers 32 --saves 500

Both stores get the same run: every writer opens the log, then all start together (a go
file) and save ``saves`` episodes each (patient = the writer's tag, references 0..n-1),
timing each ``save()`` call (the write, its lock wait and the read-back of the summary).
Then the log is checked: every (writer, reference) present exactly once, no writer error,
``verify()`` intact. The PostgreSQL server is a throwaway cluster with the server's durable
defaults (fsync on, synchronous_commit on: a save is on disk when it returns), listening on
a unix socket; the SQLite log is a file with synchronous=FULL. The SQLite run is the
baseline of the PostgreSQL p95 (same machine, same run, one after the other).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

from benchmarks.common import (
    Result,
    missing_or_duplicated,
    percentile,
    python,
    ratio,
    start_together,
)


def _run_writers(target: str, home: Path, folder: Path, writers: int, saves: int) -> tuple[float, list[dict]]:
    argvs = [[python(), "-m", "benchmarks.department", "--child", target, f"W{w:02d}", str(saves),
              str(folder / "go")] for w in range(writers)]
    start, summaries = start_together(argvs, folder / "go", home, timeout=1800)
    return max(s["end"] for s in summaries) - start, summaries


def _check(target: str, writers: int, saves: int) -> tuple[int, bool, int]:
    """(episodes missing or duplicated, verify intact, versions checked)."""
    from workbench.core.episodes import open_episode_log

    with open_episode_log(target) as log:
        rows = log.connection.execute("SELECT patient, episode_ref, count(*) FROM episode "
                                      "GROUP BY patient, episode_ref").fetchall()
        report = log.verify()
    bad = missing_or_duplicated(rows, writers, saves)
    return bad, report.ok, report.versions_checked


def _measure(label: str, target: str, home: Path, folder: Path, writers: int, saves: int) -> dict:
    seconds, summaries = _run_writers(target, home, folder, writers, saves)
    latencies = [x for s in summaries for x in s["latencies"]]
    errors = sum(s["error_count"] for s in summaries)
    bad, intact, versions = _check(target, writers, saves)
    return {"label": label, "seconds": seconds, "latencies": latencies, "errors": errors, "bad": bad,
            "intact": intact, "versions": versions,
            "first_error": next((e for s in summaries for e in s["errors"]), "")}


def run(work: Path, *, writers: int = 32, saves: int = 500) -> list[Result]:
    from tests import pg_cluster
    from workbench.core.episodes.postgres import schema

    folder = work / "department"
    folder.mkdir(parents=True, exist_ok=True)
    home = work / "department-home"
    load = os.getloadavg()[0]
    sqlite = _measure("SQLite", str(folder / "department.db"), home, folder, writers, saves)
    cluster = pg_cluster.start(fast=False)      # in /tmp: the server's own user must reach it
    try:
        url = cluster.url.replace("/postgres?", "/department?")
        import psycopg

        with psycopg.connect(cluster.url, autocommit=True) as admin:
            admin.execute("CREATE DATABASE department")
        schema.init(url)
        server = _measure("PostgreSQL", url, home, folder, writers, saves)
    finally:
        pg_cluster.stop(cluster.folder)
        shutil.rmtree(cluster.folder, ignore_errors=True)
    note = (f"{writers} processes x {saves} saves at once, each save() timed (lock wait, write, read-back); "
            f"load average {load:.1f} at the start; baseline: the same run on a SQLite file (synchronous=FULL)")
    rows = []
    for fraction, name in ((0.50, "p50"), (0.95, "p95"), (0.99, "p99")):
        value = percentile(server["latencies"], fraction) * 1000
        base = percentile(sqlite["latencies"], fraction) * 1000
        rows.append(Result(f"department log: PostgreSQL save {name} ({writers} writers)", value, "ms", base,
                           ratio(value, base), "", None, note))
    for run_ in (sqlite, server):
        total = writers * saves
        rows.append(Result(f"department log: {run_['label']} throughput ({writers} writers)",
                           total / run_["seconds"], "saves/s", None, None, "", None,
                           f"{total} saves in {run_['seconds']:.1f} s"))
        lost = run_["bad"] + run_["errors"]
        rows.append(Result(f"department log: {run_['label']} saves lost, duplicated or failed", float(lost),
                           "episodes", None, None, "== 0 and verify intact", lost == 0 and run_["intact"],
                           f"{run_['errors']} writer errors, {run_['bad']} missing/duplicated; verify "
                           f"{'intact' if run_['intact'] else 'FAILED'} ({run_['versions']} versions)"
                           + (f"; first error: {run_['first_error'][:120]}" if run_["first_error"] else "")))
    return rows


def _child(argv: list[str]) -> int:
    """One writer: open the log, say ready, wait for go, save COUNT episodes timing each."""
    import datetime as dt

    from workbench.core.episodes import (
        CodedEntry,
        Coding,
        EpisodeDetails,
        LogError,
        open_episode_log,
    )

    target, tag, count, go = argv[0], argv[1], int(argv[2]), argv[3]
    coding = Coding([CodedEntry("K57.8", "opcs4", "OPCS-4.10"), CodedEntry("Y02.1", "opcs4", "OPCS-4.10"),
                     CodedEntry("Z94.2", "opcs4", "OPCS-4.10")], [CodedEntry("I50.0", "icd10", "ICD-10 WHO 2019")])
    log = open_episode_log(target)
    print("ready", flush=True)
    while not os.path.exists(go):
        time.sleep(0.001)
    start = time.monotonic()
    latencies: list[float] = []
    errors: list[str] = []
    for i in range(count):
        details = EpisodeDetails(patient=tag, episode=str(i), date=dt.date(2024, 1, 1) + dt.timedelta(days=i % 300))
        began = time.perf_counter()
        try:
            log.save(details, coding, coder="bench.coder", save_id=f"{tag}-{i}")
        except LogError as exc:
            errors.append(str(exc))
            continue
        latencies.append(time.perf_counter() - began)
    end = time.monotonic()
    log.close()
    print(json.dumps({"start": start, "end": end, "latencies": latencies, "errors": errors[:5],
                      "error_count": len(errors)}), flush=True)
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["--child"]:
        return _child(argv[1:])
    import argparse
    import tempfile

    from benchmarks.common import WORK_DIR, table

    parser = argparse.ArgumentParser(prog="python -m benchmarks.department")
    parser.add_argument("--writers", type=int, default=32)
    parser.add_argument("--saves", type=int, default=500)
    args = parser.parse_args(argv)
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="department-", dir=WORK_DIR))
    os.environ["WORKBENCH_HOME"] = str(work / "home")
    try:
        results = run(work, writers=args.writers, saves=args.saves)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(table(results))
    return 1 if any(r.passed is False for r in results) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
