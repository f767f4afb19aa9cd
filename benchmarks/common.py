"""Shared pieces of the benchmark harness: results, statistics, children, the table.

Every figure is a :class:`Result`. A result compares a measured value with a
baseline measured in the same run (never with a number from another run), and
states its goal as a bound on either the ratio or the value itself.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
WORK_DIR = BENCH_DIR / ".work"                 # gitignored scratch space
RESULTS_JSON = BENCH_DIR / "results.json"
REFERENCE_DIR = REPO_ROOT.parent / "shared" / "reference"


@dataclass
class Result:
    name: str
    value: float
    unit: str
    baseline: float | None = None
    ratio: float | None = None
    goal: str = ""            # human form, e.g. "ratio <= 1.25" or "p95 <= 20 ms"
    passed: bool | None = None  # None: informational, no goal
    note: str = ""            # what the baseline is, sizes, repeats
    noise: str = ""           # the spread behind the figure, e.g. "pairs 1.08-1.31" (same-run ratios)
    load: str = ""            # the machine's 1-minute load average while the figure was taken

    def as_json(self) -> dict:
        row = asdict(self)
        row["pass"] = row.pop("passed")
        return row


def load_average() -> float:
    """The 1-minute load average (/proc/loadavg), NaN where there is none."""
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return math.nan


def spread(ratios: Sequence[float | None], label: str = "pairs") -> str:
    """The noise of a ratio measured in alternating pairs: the range of the pairs' own ratios."""
    usable = sorted(r for r in ratios if r is not None and not math.isnan(r))
    if not usable:
        return ""
    if len(usable) == 1:
        return f"{label} {usable[0]:.2f}"
    return f"{label} {usable[0]:.2f}-{usable[-1]:.2f} (n={len(usable)})"


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (p95 of 20 samples is the 19th smallest)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan


def ratio(value: float, baseline: float | None) -> float | None:
    if baseline is None or not baseline or math.isnan(baseline) or math.isnan(value):
        return None
    return value / baseline


def at_most(value: float | None, bound: float) -> bool | None:
    return None if value is None or math.isnan(value) else value <= bound


def at_least(value: float | None, bound: float) -> bool | None:
    return None if value is None or math.isnan(value) else value >= bound


@dataclass
class ChildRun:
    wall: float               # seconds from just before spawn to reaped
    max_rss_kb: int           # the child's own peak resident set (ru_maxrss, KiB on Linux)
    returncode: int
    stdout: str
    stderr: str


def run_child(argv: Sequence[str], *, env: dict[str, str] | None = None,
              cwd: Path | None = None, timeout: float = 120.0, peak_rss: bool = True) -> ChildRun:
    """Run one process through benchmarks/spawn.py and return its wall time and own peak RSS.

    spawn.py reaps the child with os.wait4, which gives that one child's rusage
    (getrusage(RUSAGE_CHILDREN) is a running maximum over every child reaped, so it
    cannot tell one child from the next), and it stays small so that the child's
    ru_maxrss is not inflated by a large parent (see spawn.py).
    """
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    out_path = WORK_DIR / f"child-{os.getpid()}.out"
    err_path = WORK_DIR / f"child-{os.getpid()}.err"
    job = {"argv": list(argv), "env": dict(os.environ if env is None else env),
           "cwd": None if cwd is None else str(cwd), "timeout": timeout,
           "stdout": str(out_path), "stderr": str(err_path)}
    done = subprocess.run([python(), "-S", "-I", str(BENCH_DIR / "spawn.py")], input=json.dumps(job),
                          capture_output=True, text=True, timeout=timeout + 30, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"spawn.py failed: {done.stderr[-2000:]}")
    report = json.loads(done.stdout)
    if peak_rss and report["spawner_rss_kb"] >= report["max_rss_kb"]:   # (a C child smaller than it: peak_rss=False)
        raise RuntimeError("the spawner's own RSS is not below the child's: RSS figure unusable")
    return ChildRun(report["wall"], int(report["max_rss_kb"]), int(report["returncode"]),
                    out_path.read_text(errors="replace"), err_path.read_text(errors="replace"))


def python() -> str:
    return sys.executable


def fmt(value: float | None, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if abs(value) >= 1000:
        text = f"{value:,.0f}"
    elif abs(value) >= 100:
        text = f"{value:.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".strip()


def table(results: Sequence[Result]) -> str:
    headers = ("figure", "value", "baseline", "ratio", "goal", "pass", "noise", "load")
    rows = []
    for r in results:
        verdict = {True: "PASS", False: "FAIL", None: "info"}[r.passed]
        rows.append((r.name, fmt(r.value, r.unit), fmt(r.baseline, r.unit),
                     "-" if r.ratio is None else f"{r.ratio:.2f}", r.goal or "-", verdict,
                     r.noise or "-", r.load or "-"))
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h)
              for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(out)


def write_results(results: Sequence[Result], path: Path = RESULTS_JSON) -> None:
    path.write_text(json.dumps([r.as_json() for r in results], indent=2) + "\n", encoding="utf-8")


def child_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a measured child: a private WORKBENCH_HOME, nothing else inherited
    that changes behaviour (no log override, fixed coder)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKBENCH_")}
    env.update(WORKBENCH_HOME=str(home), **extra)
    return env


def start_together(argvs: Sequence[Sequence[str]], go: Path, home: Path, *, timeout: float,
                   what: str = "writer") -> tuple[float, list[dict]]:
    """Start one child per argv, wait until each prints ``ready`` (its log open, so start-up is
    not timed), then create ``go`` to start them all at once; each child's last line of output is
    its JSON summary. Returns (time.monotonic() at go, the summaries in argv order)."""
    import time

    go.unlink(missing_ok=True)
    env = child_env(home)
    procs = [subprocess.Popen(list(argv), cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for argv in argvs]
    for proc in procs:
        line = proc.stdout.readline().strip()
        if line != "ready":
            raise RuntimeError(f"{what} did not start: {line} {proc.stderr.read()[-2000:]}")
    start = time.monotonic()
    go.touch()
    summaries = []
    for proc in procs:
        out, err = proc.communicate(timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError(f"{what} failed: {err[-2000:]}")
        summaries.append(json.loads(out.strip().splitlines()[-1]))
    return start, summaries


def missing_or_duplicated(rows: Sequence[tuple[str, str, int]], writers: int, saves: int) -> int:
    """From (patient, episode_ref, count) rows of a log the writers of start_together filled
    (patient W00.., references 0..saves-1): how many episodes are missing, doubled or unexpected."""
    seen = {(p, e): n for p, e, n in rows}
    wanted = {(f"W{w:02d}", str(i)) for w in range(writers) for i in range(saves)}
    return sum(1 for key in wanted if seen.get(key) != 1) + len(set(seen) - wanted)
