"""The episode log at scale: filters, one durable save, CSV export.

Filters (patient, code, date range) run through ``EpisodeLog.list`` on a log built
with the log's bulk loader, each interleaved with a baseline: the plain indexed SQL
query for the same filter (ids only), i.e. what the index alone costs. Code and date
filters ask for one screenful (limit 100), as the app's log screen and a coder's
``log list`` would; a patient has a handful of episodes, so no limit.

Durable save: ``EpisodeLog.save`` (synchronous=FULL, BEGIN IMMEDIATE, hash chain)
against a bare one-row INSERT committed with synchronous=FULL in WAL in another file
in the same folder: the fsync floor of this disk.

Export: ``workbench log export`` as a child process (wall time, own peak RSS from
wait4), against a child that streams the same episodes with csv.writer from one
plain SELECT (no workbench import).
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
import time
from pathlib import Path

from benchmarks import logcli, logdata, logverify
from benchmarks.common import (
    Result,
    at_least,
    at_most,
    child_env,
    median,
    percentile,
    python,
    ratio,
    run_child,
    spread,
)
from benchmarks.startup import workbench_argv

FILTER_GOAL_MS = 20.0
SAVE_GOAL_MS = 5.0
EXPORT_RSS_GOAL_MB = 100.0
PAGE = 100

EXPORT_RATIO_GOAL = 0.6     # of sqlite3's own CSV output of the same rows


def sqlite3_export_sql(conn, empty: bool = False) -> str:
    """The export's rows as one would ask sqlite3's CLI for them (``.mode csv``): each episode's
    latest version with its details, its diagnoses (the primary, then the rest) and one column
    per procedure, the codes with their marks. Written here on its own, not from the export's
    query, so the baseline is sqlite3 doing the job its own way."""
    width = conn.execute("SELECT max(position) FROM version_code WHERE kind = 'procedure'").fetchone()[0] or 1
    marked = "code || CASE mark WHEN 'dagger' THEN '†' WHEN 'asterisk' THEN '*' ELSE '' END"

    def code(kind: str, position: int) -> str:
        return (f"(SELECT {marked} FROM version_code WHERE version_id = v.id AND kind = '{kind}' "
                f"AND position = {position})")

    secondary = (f"(SELECT group_concat(c, ' ') FROM (SELECT {marked} AS c FROM version_code "
                 "WHERE version_id = v.id AND kind = 'diagnosis' AND position > 1 ORDER BY position))")
    cells = ["e.id", "e.patient", "e.nhs_number", "e.episode_ref", "e.start_date", "e.specialty", "v.version",
             "v.status", code("diagnosis", 1), secondary, "e.sex", "e.age_years",
             *(code("procedure", i) for i in range(1, width + 1)), "v.guidance_id", "v.pack_id",
             "v.pack_version", "v.coder", "v.saved_at", "v.note", "v.reason", "v.overrides", "v.coder_name",
             "v.coder_id"]
    where = "v.id = (SELECT max(id) FROM version WHERE episode_id = v.episode_id)"
    where += " AND e.start_date >= '2999-01-01'" if empty else ""
    return (f"SELECT {', '.join(cells)} FROM version v JOIN episode e ON e.id = v.episode_id WHERE {where} "
            "ORDER BY v.id;")


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def filters(path: Path, count: int, samples: int, seed: int = 20) -> list[Result]:
    from workbench.core.episodes import EpisodeLog

    rng = random.Random(seed)
    raw = sqlite3.connect(path)
    patients = max(1, count // 5)
    cases = {"patient": [], "code": [], "date range": []}
    for _ in range(samples):
        cases["patient"].append(logdata.patient_id(rng.randrange(patients)))
        cases["code"].append(rng.choice(logdata.PROCEDURES + logdata.DIAGNOSES))
        start = logdata.FIRST_DAY + dt.timedelta(days=rng.randrange(logdata.DAYS - 31))
        cases["date range"].append((start, start + dt.timedelta(days=rng.randint(1, 30))))
    baseline_sql = {
        "patient": ("SELECT id FROM episode WHERE patient = ?", lambda v: (v,)),
        "code": ("SELECT episode_id FROM code_index WHERE code = ? ORDER BY episode_id DESC LIMIT ?",
                 lambda v: (v, PAGE)),
        "date range": ("SELECT id FROM episode WHERE start_date BETWEEN ? AND ? ORDER BY id DESC LIMIT ?",
                       lambda v: (v[0].isoformat(), v[1].isoformat(), PAGE)),
    }
    results = []
    with EpisodeLog(path) as log:
        calls = {
            "patient": lambda v: log.list(patient=v),
            "code": lambda v: log.list(code=v, limit=PAGE),
            "date range": lambda v: log.list(since=v[0], until=v[1], limit=PAGE),
        }
        for name, values in cases.items():
            sql, args = baseline_sql[name]
            ours, base = [], []
            for v in values[:5]:               # warm-up
                calls[name](v)
            call = calls[name]
            for v in values:
                ours.append(_timed(lambda v=v, call=call: call(v)))
                base.append(_timed(lambda v=v, sql=sql, args=args: raw.execute(sql, args(v)).fetchall()))
            p95, b95 = percentile(ours, 0.95), percentile(base, 0.95)
            limit = "" if name == "patient" else f", limit {PAGE}"
            results.append(Result(
                f"log filter by {name} p95", p95, "ms", b95, ratio(p95, b95),
                f"p95 <= {FILTER_GOAL_MS:g} ms", at_most(p95, FILTER_GOAL_MS),
                f"{count:,} episodes, {samples} filters{limit}, median {median(ours):.2f} ms; "
                "baseline: the plain indexed SELECT of ids"))
    raw.close()
    return results


def durable_save(folder: Path, path: Path, samples: int) -> list[Result]:
    from workbench.core.episodes import CodedEntry, Coding, EpisodeDetails, EpisodeLog

    floor = sqlite3.connect(folder / "fsync-floor.db", isolation_level=None)
    floor.execute("PRAGMA journal_mode = WAL")
    floor.execute("PRAGMA synchronous = FULL")
    floor.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, body TEXT)")
    coding = Coding([CodedEntry("L80.4", "opcs4", "OPCS-4.10"), CodedEntry("Y53.4", "opcs4", "OPCS-4.10")],
                    [CodedEntry("I70.2", "icd10", "ICD-10 WHO 2019")])

    def bare_insert() -> None:
        floor.execute("BEGIN IMMEDIATE")
        floor.execute("INSERT INTO t (body) VALUES (?)", ("x" * 300,))
        floor.execute("COMMIT")

    ours, base = [], []
    with EpisodeLog(path) as log:
        for i in range(samples):
            details = EpisodeDetails(patient=f"SAVE{i}", episode=f"S{i}", date=dt.date(2024, 5, 1))
            ours.append(_timed(lambda d=details: log.save(d, coding, coder=logdata.CODER)))
            base.append(_timed(bare_insert))
    floor.close()
    p95, b95 = percentile(ours, 0.95), percentile(base, 0.95)
    return [Result("log durable save p95", p95, "ms", b95, ratio(p95, b95),
                   f"p95 <= {SAVE_GOAL_MS:g} ms", at_most(p95, SAVE_GOAL_MS),
                   f"{samples} saves into the big log, median {median(ours):.2f} ms; baseline: bare "
                   "one-row INSERT, WAL + synchronous=FULL, same folder")]


def export(folder: Path, path: Path, home: Path) -> list[Result]:
    """Rows per second of the export itself, against sqlite3's own CSV output of the same rows
    (the sqlite3 command, ``-csv``, into a file): each side's wall time as a child process, less
    that of the same child exporting nothing (process start, imports, opening the log), so a
    small --quick log measures the export and not Python's start-up."""
    import shutil
    import sqlite3

    env = child_env(home)
    out, base_out = folder / "export.csv", folder / "export-baseline.csv"
    ours_argv = [*workbench_argv(), "--log", str(path), "log", "export", "--format", "csv", "--force"]
    cli = shutil.which("sqlite3")
    if cli is None:
        return [Result("log CSV export rate (sqlite3 command missing)", float("nan"), "", passed=None,
                       note="install the sqlite3 command to measure the export against it")]
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        full, nothing = sqlite3_export_sql(conn), sqlite3_export_sql(conn, empty=True)
    base_argv = [cli, "-readonly", "-csv", "-cmd", f".output {base_out}", str(path)]
    base_empty_argv = [cli, "-readonly", "-csv", "-cmd", f".output {folder / 'empty-baseline.csv'}", str(path)]
    # Alternate: baseline, ours, and each one's empty export; the best of two (page cache warm).
    runs, base_runs, empty, base_empty = [], [], [], []
    for _ in range(2):
        base_runs.append(run_child([*base_argv, full], env=env, timeout=600, peak_rss=False))
        runs.append(run_child([*ours_argv, "-o", str(out)], env=env, timeout=600))
        base_empty.append(run_child([*base_empty_argv, nothing], env=env, timeout=600, peak_rss=False))
        empty.append(run_child([*ours_argv, "--since", "2999-01-01", "-o", str(folder / "empty.csv")],
                               env=env, timeout=600))
    for run in runs + base_runs + empty + base_empty:
        if run.returncode != 0:
            raise RuntimeError(f"export child failed: {run.stderr[-2000:]}")
    rows = sum(1 for _ in out.open(encoding="utf-8", newline="")) - 1
    with base_out.open(encoding="utf-8", newline="") as lines:
        import csv

        base_rows = sum(1 for _ in csv.reader(lines))
    start = min(r.wall for r in empty)
    base_start = min(r.wall for r in base_empty)
    times = [r.wall - start for r in runs]
    base_times = [r.wall - base_start for r in base_runs]
    rate = rows / max(1e-3, min(times))
    base_rate = base_rows / max(1e-3, min(base_times))
    share = ratio(rate, base_rate)
    rss = max(r.max_rss_kb for r in runs) / 1024
    pairs = [ratio(rows / max(1e-3, t), base_rows / max(1e-3, b)) for t, b in zip(times, base_times, strict=True)]
    note = (f"{rows:,} rows via `workbench log export` in a child (best of 2), less an empty export's "
            f"{start * 1000:.0f} ms of process start; baseline: the sqlite3 command ({base_rows:,} rows, "
            "-csv, the same columns asked its own way: benchmarks/logscale.sqlite3_export_sql), less its empty run")
    return [
        Result("log CSV export rate", rate, "rows/s", base_rate, share, f"ratio >= {EXPORT_RATIO_GOAL}",
               at_least(share, EXPORT_RATIO_GOAL), note, spread(pairs)),
        Result("log CSV export peak RSS", rss, "MB", None, None, f"< {EXPORT_RSS_GOAL_MB:g} MB",
               rss < EXPORT_RSS_GOAL_MB, f"{rows:,} rows; own ru_maxrss from wait4"),
    ]


# ---------------------------------------------------------------- log shapes and the log screen

SHAPE_NOTE = ("{count:,} episodes, dates {shape} ({describe}); {samples} filters, limit {page}, "
              "median {median:.2f} ms; baseline: the same filter on the {other} log in this run")


def shape_filters(paths: dict[str, Path], count: int, samples: int, seed: int = 21) -> list[Result]:
    """Date range, oldest-year range, code, and code plus range on both shapes (p95, limit 100).

    Both shapes use the same plan (the date index walked backwards, or the code index),
    so each ratio against the other shape should stay near 1.
    """
    from workbench.core.episodes import EpisodeLog

    rng = random.Random(seed)
    cases: dict[str, list[dict]] = {"date range": [], "oldest-year range": [], "code": [],
                                    "code + range": []}
    for _ in range(samples):
        start = logdata.FIRST_DAY + dt.timedelta(days=rng.randrange(logdata.DAYS - 31))
        span = {"since": start, "until": start + dt.timedelta(days=rng.randint(1, 30))}
        old = logdata.FIRST_DAY + dt.timedelta(days=rng.randrange(300))
        code = rng.choice(logdata.PROCEDURES + logdata.DIAGNOSES)
        cases["date range"].append(span)
        cases["oldest-year range"].append({"since": old, "until": old + dt.timedelta(days=60)})
        cases["code"].append({"code": code})
        cases["code + range"].append({"code": code, **span})
    measured: dict[tuple[str, str], list[float]] = {}
    logs = {shape: EpisodeLog(path) for shape, path in paths.items()}
    try:
        for name, values in cases.items():
            for log in logs.values():
                for v in values[:5]:
                    log.list(limit=PAGE, **v)
            for v in values:                        # alternate the shapes, value by value
                for shape, log in logs.items():
                    measured.setdefault((name, shape), []).append(
                        _timed(lambda v=v, log=log: log.list(limit=PAGE, **v)))
    finally:
        for log in logs.values():
            log.close()
    results = []
    describe = {"rising": "rising with ids", "random": "unrelated to save order"}
    for name in cases:
        for shape in paths:
            other = next(s for s in paths if s != shape)
            ours, base = measured[(name, shape)], measured[(name, other)]
            p95, b95 = percentile(ours, 0.95), percentile(base, 0.95)
            results.append(Result(
                f"log {name} p95, {shape} dates", p95, "ms", b95, ratio(p95, b95),
                f"p95 <= {FILTER_GOAL_MS:g} ms", at_most(p95, FILTER_GOAL_MS),
                SHAPE_NOTE.format(count=count, shape=shape, describe=describe[shape], samples=samples,
                                  page=PAGE, median=median(ours), other=other)))
    return results


SCREEN_CHILD = r"""
import asyncio, json, resource, sys, time
from pathlib import Path
from workbench.tui.app import WorkbenchApp

TYPED = ["K", "K5", "K57", "K57.", "K57.8", "K57.8 2", "K57.8 20", "K57.8 201", "K57.8 2016",
         "", "2", "20", "201", "2016", "2016-", "2016-0", "2016-03"]

async def until(pilot, condition, timeout=60.0):
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise SystemExit("timed out")
        await pilot.pause(0.002)

async def main():
    app = WorkbenchApp(log=sys.argv[1], reference=Path(sys.argv[2]), offer_drafts=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.sub_title != "")
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        await pilot.press("ctrl+l")
        await until(pilot, lambda: type(app.screen).__name__ == "LogScreen" and app.screen.shown
                    and not app.screen._loading)
        opened = (time.perf_counter() - started) * 1000
        screen, keys, pages = app.screen, [], []
        painted = [0.0]
        compose = app._display          # called with each composed frame (headless: not written)

        def display(screen, renderable):
            compose(screen, renderable)
            if renderable is not None:
                painted[0] = time.perf_counter()

        app._display = display
        for text in TYPED:
            generation = screen._generation
            started = time.perf_counter()
            screen.query_one("#log-filter").value = text
            await until(pilot, lambda g=generation: screen._generation > g and not screen._loading)
            shown = time.perf_counter()
            pages.append((shown - started) * 1000)
            # To the screen: the first frame composed after the page was set (none within
            # 250 ms means the page changed nothing visible: the page time stands).
            deadline = shown + 0.25
            await until(pilot, lambda: painted[0] >= shown or time.perf_counter() > deadline)
            keys.append(((painted[0] if painted[0] >= shown else shown) - started) * 1000)
        for _ in range(5):                       # scroll five pages
            screen.query_one("#log-table").focus()
            await pilot.press("ctrl+end")
            await pilot.pause(0.2)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps({"open_ms": opened, "keys_ms": keys, "pages_ms": pages, "rss_before_mb": before / 1024,
                          "rss_peak_mb": after / 1024, "rows": len(screen.shown)}))

asyncio.run(main())
"""


def log_screen(work: Path, logs: dict[int, Path]) -> list[Result]:
    """Open the app's log screen and type filter keys on logs of each size (Pilot, in a child,
    each size twice, alternating); the smallest log is the baseline."""
    import json

    from workbench.core.refdb import open_reference_db

    reference = work / "log-screen-reference.db"
    open_reference_db(reference).close()
    env = child_env(work / "log-screen-home")
    found: dict[int, list[dict]] = {}
    for _ in range(2):
        for size, path in sorted(logs.items()):
            run = run_child([python(), "-c", SCREEN_CHILD, str(path), str(reference)], env=env, timeout=900)
            if run.returncode != 0:
                raise RuntimeError(f"log screen child failed: {run.stderr[-2000:]} {run.stdout[-500:]}")
            found.setdefault(size, []).append(json.loads(run.stdout.strip().splitlines()[-1]))
    smallest = min(found)
    base = found[smallest]
    base_open = min(r["open_ms"] for r in base)
    base_keys = percentile([k for r in base for k in r["keys_ms"]], 0.95)
    base_rss = min(r["rss_peak_mb"] for r in base)
    results = []
    for size, runs in sorted(found.items()):
        opened = min(r["open_ms"] for r in runs)
        keys = percentile([k for r in runs for k in r["keys_ms"]], 0.95)
        rss = min(r["rss_peak_mb"] for r in runs)
        note = (f"{size:,} episodes, Pilot at 80x24 in a child, best of 2; baseline: {smallest:,} "
                "episodes in the same run")
        results += [
            Result(f"log screen open, {size:,} episodes", opened, "ms", base_open, ratio(opened, base_open),
                   "< 1000 ms", at_most(opened, 1000.0), note),
            Result(f"log filter keystroke p95, {size:,} episodes", keys, "ms", base_keys,
                   ratio(keys, base_keys), "< 100 ms", at_most(keys, 100.0),
                   note + f"; {len(runs[0]['keys_ms'])} keys (code, year, month), page shown"),
            Result(f"log screen peak RSS, {size:,} episodes", rss, "MB", base_rss, ratio(rss, base_rss),
                   "ratio <= 1.2 (flat)", at_most(ratio(rss, base_rss), 1.2),
                   note + f"; opened, filtered, scrolled 5 pages ({runs[0]['rows']} rows held)"),
        ]
    return results


def run(work: Path, *, episodes: int, samples: int = 200, saves: int = 200) -> list[Result]:
    folder = work / "log"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "episodes.db"
    seconds = logdata.build_log(path, episodes)
    results = [Result("log bulk build (setup)", episodes / seconds, "episodes/s", None, None, "", None,
                      f"{episodes:,} episodes in {seconds:.1f} s with episodes.bulk_load")]
    results += filters(path, episodes, samples)
    results += durable_save(folder, path, saves)
    results += logverify.run(path, saves=saves)
    results += export(folder, path, work / "log-home")
    results += logcli.month_vs_patient(work / "log-home", {"rising": path})
    return results


def integrity(work: Path, *, episodes: int, screen_sizes: tuple[int, ...], writers: int, rounds: int,
              sections: tuple[str, ...] = ("shapes", "cli", "screen", "terminal", "contention"),
              logs_dir: Path | None = None) -> list[Result]:
    """The log-integrity figures: both log shapes at ``episodes``, the log screen at each
    size, and saves under ``writers`` concurrent writers. ``logs_dir`` reuses logs built
    earlier (named <shape>-<count>.db), since a 1,000,000-episode build takes minutes."""
    from benchmarks import concurrency

    folder = logs_dir or (work / "log-shapes")
    folder.mkdir(parents=True, exist_ok=True)

    def log_of(count: int, shape: str) -> Path:
        path = folder / f"{shape}-{count}.db"
        if not path.exists():
            logdata.build_log(path, count, shape)
        return path

    results: list[Result] = []
    if "shapes" in sections:
        results += shape_filters({s: log_of(episodes, s) for s in logdata.SHAPES}, episodes, samples=100)
    if "screen" in sections:
        results += log_screen(work, {n: log_of(n, "rising") for n in screen_sizes})
    if "cli" in sections:
        results += logcli.month_vs_patient(work / "log-home", {s: log_of(episodes, s) for s in logdata.SHAPES})
    if "terminal" in sections:
        from benchmarks import logterminal

        results += logterminal.run(work, {n: log_of(n, "rising") for n in screen_sizes})
    if "contention" in sections:
        results += concurrency.contention(work, writers=writers, rounds=rounds)
    return results


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.logscale``: the log-integrity figures (see integrity())."""
    import argparse
    import os
    import tempfile

    from benchmarks.common import WORK_DIR, table

    parser = argparse.ArgumentParser(prog="python -m benchmarks.logscale", description=integrity.__doc__)
    parser.add_argument("--episodes", type=int, default=1_000_000)
    parser.add_argument("--screen-sizes", default="10000,100000,1000000")
    parser.add_argument("--writers", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=50, help="save+amend rounds per writer")
    parser.add_argument("--only", default="shapes,cli,screen,terminal,contention")
    parser.add_argument("--logs", type=Path, help="folder of logs built earlier, reused")
    args = parser.parse_args(argv)
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="log-", dir=WORK_DIR))
    os.environ["WORKBENCH_HOME"] = str(work / "home")
    results = integrity(work, episodes=args.episodes,
                        screen_sizes=tuple(int(n) for n in args.screen_sizes.split(",")),
                        writers=args.writers, rounds=args.rounds, sections=tuple(args.only.split(",")),
                        logs_dir=args.logs)
    print(table(results))
    return 0 if all(r.passed is not False for r in results) else 1


if __name__ == "__main__":
    import sys

    sys.exit(main())
