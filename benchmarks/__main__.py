"""``python -m benchmarks`` (``make bench``): every figure, one table, benchmarks/results.json.

Options (see benchmarks/README.md): --quick for a small fast run, --episodes N for
the size of the big log (also $WORKBENCH_BENCH_EPISODES), --only SECTION ... to run
some sections.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

from benchmarks.common import RESULTS_JSON, WORK_DIR, Result, load_average, table, write_results

SECTIONS = ("startup", "terminal", "search", "judged", "log", "audit", "concurrency", "department",
            "keystrokes", "classifications", "worklist", "rules")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes: about a minute")
    parser.add_argument("--episodes", type=int, default=None,
                        help="episodes in the big log (default 1,000,000; --quick 20,000)")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, help="run only these sections")
    parser.add_argument("--output", type=Path, default=RESULTS_JSON, help="where to write the JSON")
    return parser.parse_args(argv)


def sizes(args: argparse.Namespace) -> dict[str, int]:
    env_episodes = os.environ.get("WORKBENCH_BENCH_EPISODES")
    episodes = args.episodes or (int(env_episodes) if env_episodes else None)
    if args.quick:
        return {"repeats": 5, "queries": 100, "pilot_queries": 10, "episodes": episodes or 20_000,
                "samples": 50, "saves": 50, "writers": 8, "writer_saves": 20, "worklist_rows": 10_000,
                "department_writers": 8, "department_saves": 50}
    return {"repeats": 21, "queries": 500, "pilot_queries": 100, "episodes": episodes or 1_000_000,
            "samples": 200, "saves": 200, "writers": 32, "writer_saves": 100, "worklist_rows": 100_000,
            "department_writers": 32, "department_saves": 500}


def run_section(name: str, work: Path, size: dict[str, int]) -> list[Result]:
    if name == "startup":
        from benchmarks import startup
        return startup.run(size["repeats"], work)
    if name == "terminal":
        from benchmarks import terminal
        return terminal.run(work, launches=3 if size["repeats"] < 10 else 7)
    if name == "search":
        from benchmarks import search
        return search.run(work, queries=size["queries"], pilot_queries=size["pilot_queries"])
    if name == "judged":
        from benchmarks import search_judged
        return search_judged.run(work, sizes=(1000,) if size["queries"] < 500 else (1000, 10_000))
    if name == "log":
        from benchmarks import logscale
        return logscale.run(work, episodes=size["episodes"], samples=size["samples"], saves=size["saves"])
    if name == "audit":
        from benchmarks import audit
        return audit.run(work, episodes=size["episodes"], repeats=size["repeats"])
    if name == "concurrency":
        from benchmarks import concurrency
        return concurrency.run(work, writers=size["writers"], saves=size["writer_saves"])
    if name == "department":
        from benchmarks import department
        return department.run(work, writers=size["department_writers"], saves=size["department_saves"])
    if name == "classifications":
        from benchmarks import classifications
        return classifications.run(work, repeats=max(3, size["repeats"] // 3), queries=size["queries"] // 2)
    if name == "worklist":
        from benchmarks import worklist
        return worklist.run(work, rows=size["worklist_rows"], repeats=1 if size["repeats"] < 10 else 3)
    if name == "rules":
        from benchmarks import rules_check
        return rules_check.run(work, repeats=3 if size["repeats"] < 10 else 7)
    from benchmarks import keystrokes
    return keystrokes.run(work)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    size = sizes(args)
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="run-", dir=WORK_DIR))
    # Nothing measured here may touch a real user's data: a private home for this run.
    os.environ["WORKBENCH_HOME"] = str(work / "home")
    for name in ("WORKBENCH_LOG", "WORKBENCH_EXIT_ON_READY", "WORKBENCH_HEADLESS"):
        os.environ.pop(name, None)
    print(f"workbench benchmarks: {platform.node()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}, {platform.platform()}; sizes {size}; "
          f"load average {Path('/proc/loadavg').read_text().split()[:3] if Path('/proc/loadavg').exists() else '?'}",
          flush=True)
    results: list[Result] = []
    started = time.perf_counter()
    try:
        for name in args.only or SECTIONS:
            t0 = time.perf_counter()
            load_before = load_average()
            print(f"[{name}] ...", end=" ", flush=True)
            try:
                section = run_section(name, work, size)
            except Exception as exc:  # one broken section must not hide the others' figures
                traceback.print_exc()
                section = [Result(f"{name} (section failed)", float("nan"), "", None, None, "runs",
                                  False, f"{type(exc).__name__}: {exc}"[:300])]
            # The load beside each figure: a loaded machine's figures are noisier, never comparable.
            load = f"{load_before:.1f}-{load_average():.1f}"
            for row in section:
                row.load = row.load or load
            results += section
            print(f"{time.perf_counter() - t0:.0f} s, load {load}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print()
    print(table(results))
    total = time.perf_counter() - started
    print(f"\n{sum(r.passed is True for r in results)} pass, {sum(r.passed is False for r in results)} fail, "
          f"{sum(r.passed is None for r in results)} informational; {total:.0f} s in all")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    write_results(results, args.output)
    print(f"wrote {args.output}")
    return 1 if any(r.passed is False for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
