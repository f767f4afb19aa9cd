"""Start-up: process start to the first screen ready for input, against a bare Textual app.

Both programs run as child processes with WORKBENCH_EXIT_ON_READY=1 and
WORKBENCH_HEADLESS=1, interleaved (workbench, bare, workbench, bare ...) so that
machine noise hits both alike. The workbench gets a WORKBENCH_HOME with a
pre-built reference database; the cold figure is the very first launch in a
fresh home (no reference database yet, nothing in the OS page cache from a
previous launch of this run), against the bare app's first launch.
Peak RSS is each child's own ru_maxrss, from os.wait4.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from benchmarks.common import (
    BENCH_DIR,
    ChildRun,
    Result,
    at_most,
    child_env,
    median,
    percentile,
    python,
    ratio,
    run_child,
)

RSS_GOAL = 1.5


def compile_package() -> None:
    """Byte-compile the workbench, as installing it does (pip writes the .pyc files of a wheel).

    An editable install writes them on first import, except under PYTHONDONTWRITEBYTECODE=1
    (set in some shells and CI): every launch then compiles the source of the ~40 modules
    it imports (~100 ms), a cost no installed app pays and the bare app, a single script
    over an installed Textual, does not pay either.
    """
    import compileall

    import workbench

    compileall.compile_dir(Path(workbench.__file__).parent, quiet=1)


def workbench_argv() -> list[str]:
    script = Path(python()).with_name("workbench")
    # The installed console script is what a coder runs; fall back to -m when absent.
    return [str(script)] if script.exists() else [python(), "-m", "workbench"]


def bare_argv() -> list[str]:
    return [python(), str(BENCH_DIR / "bare_app.py")]


def _checked(run: ChildRun, what: str) -> ChildRun:
    if run.returncode != 0 or "Traceback" in run.stderr:
        raise RuntimeError(f"{what} did not exit cleanly on ready (exit {run.returncode}):\n"
                           f"{run.stderr[-2000:]}")
    return run


def prebuilt_home(root: Path) -> Path:
    """A WORKBENCH_HOME whose reference database is already built."""
    from workbench.core.refdb import build_reference_db

    home = root / "home-warm"
    home.mkdir(parents=True, exist_ok=True)
    build_reference_db(home / "reference.db")
    return home


def run(repeats: int = 15, work: Path | None = None) -> list[Result]:
    compile_package()
    root = Path(tempfile.mkdtemp(prefix="startup-", dir=work))
    try:
        return _measure(root, repeats)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _measure(root: Path, repeats: int) -> list[Result]:
    switches = {"WORKBENCH_EXIT_ON_READY": "1", "WORKBENCH_HEADLESS": "1"}
    cold_home = root / "home-cold"
    cold_home.mkdir()
    # Cold: first launches of this run, the workbench with an empty home.
    cold_wb = _checked(run_child(workbench_argv(), env=child_env(cold_home, **switches)), "workbench")
    cold_bare = _checked(run_child(bare_argv(), env=child_env(cold_home, **switches)), "bare app")

    warm_home = prebuilt_home(root)
    wb_env, bare_env = child_env(warm_home, **switches), child_env(warm_home, **switches)
    wb: list[ChildRun] = []
    bare: list[ChildRun] = []
    for i in range(repeats):
        # Alternate which goes first, so neither always follows the other.
        order = [("wb", wb_env), ("bare", bare_env)]
        if i % 2:
            order.reverse()
        for name, env in order:
            if name == "wb":
                wb.append(_checked(run_child(workbench_argv(), env=env), "workbench"))
            else:
                bare.append(_checked(run_child(bare_argv(), env=env), "bare app"))

    wb_wall = [r.wall * 1000 for r in wb]
    bare_wall = [r.wall * 1000 for r in bare]
    wb_rss = [r.max_rss_kb / 1024 for r in wb]
    bare_rss = [r.max_rss_kb / 1024 for r in bare]
    note = f"{repeats} interleaved launches each; baseline: bare Textual app (benchmarks/bare_app.py)"
    results = []
    # The wall time is information: the start-up goal (launch to usable search <= 1.25x) is
    # judged in a real terminal (benchmarks/terminal.py), on the frame that shows "Loaded:".
    # Headless, each program only exits once it is idle after that frame, so this also counts
    # what the app settles after it (the footer's six keys against the bare app's one).
    wall, base_wall = median(wb_wall), median(bare_wall)
    results.append(Result("startup wall median", wall, "ms", base_wall, ratio(wall, base_wall), "", None,
                          note + "; the goal is the terminal row 'launch to usable search'"))
    value, baseline = median(wb_rss), median(bare_rss)
    r = ratio(value, baseline)
    results.append(Result("startup peak RSS median", value, "MB", baseline, r, f"ratio <= {RSS_GOAL}",
                          at_most(r, RSS_GOAL), note))
    p95, base95 = percentile(wb_wall, 0.95), percentile(bare_wall, 0.95)
    results.append(Result("startup wall p95", p95, "ms", base95, ratio(p95, base95), "", None, note))
    cold_ratio = ratio(cold_wb.wall, cold_bare.wall)
    results.append(Result("startup wall cold (first launch, empty home)", cold_wb.wall * 1000, "ms",
                          cold_bare.wall * 1000, cold_ratio, "", None,
                          "single first launch of the run vs the bare app's first launch"))
    return results
