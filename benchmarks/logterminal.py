"""The log screen's filter in a real terminal: keystroke to the end of the repaint.

The workbench runs in tmux at 80x24 on a log of each size (benchmarks/tmux_control.py):
the log screen is opened (ctrl+l), ``f`` focuses the filter, and each key of a few filters
(a code, code plus year, a year, a month) is sent one at a time; a key's time runs from
sending it to the last output of the repaint it causes (the pane quiet for 250 ms), so the
new page is on screen, not just the echo of the key. The bare Textual app echoing the
same keys is measured in the same run, launches alternating, for comparison.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from benchmarks.common import Result, at_most, child_env, percentile, ratio
from benchmarks.startup import bare_argv, prebuilt_home, workbench_argv
from benchmarks.terminal_flows import typing  # as the search rows: key to end of repaint
from benchmarks.tmux_control import ControlTerminal

GOAL_MS = 100.0
FILTERS = ("K57.8 2016", "2016-03", "L80")


def _type(term: ControlTerminal, filters: tuple[str, ...]) -> tuple[list[float], list[int]]:
    keys = typing(term, filters)
    return keys.times, keys.sizes


def _workbench(log: Path, home: Path, filters: tuple[str, ...]) -> tuple[list[float], list[int]]:
    term = ControlTerminal([*workbench_argv(), "--log", str(log)], child_env(home))
    try:
        term.wait_for("Loaded:")
        term.settle()
        term.key("C-l", literal=False, limit=10.0)
        term.wait_for("shown")
        term.key("f")
        return _type(term, filters)
    finally:
        term.close()


def _bare(home: Path, filters: tuple[str, ...]) -> tuple[list[float], list[int]]:
    term = ControlTerminal(bare_argv(), child_env(home))
    try:
        term.wait_for("BareApp")
        term.settle()
        return _type(term, filters)
    finally:
        term.close()


def run(work: Path, logs: dict[int, Path], *, launches: int = 2,
        filters: tuple[str, ...] = FILTERS) -> list[Result]:
    """Rows per log size (``{episodes: path}``): filter key to screen p95 and bytes per key."""
    if shutil.which("tmux") is None:
        return [Result("terminal: log filter key (tmux missing)", float("nan"), "", passed=None,
                       note="install tmux to measure in a real terminal")]
    root = Path(tempfile.mkdtemp(prefix="log-terminal-", dir=work))
    try:
        home = prebuilt_home(root)
        found: dict[int, tuple[list[float], list[int]]] = {size: ([], []) for size in logs}
        bare: tuple[list[float], list[int]] = ([], [])
        for _ in range(launches):
            for size, path in sorted(logs.items()):
                times, sizes = _workbench(path, home, filters)
                found[size][0].extend(times)
                found[size][1].extend(sizes)
                times, sizes = _bare(home, filters)
                bare[0].extend(times)
                bare[1].extend(sizes)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    base95 = percentile(bare[0], 0.95)
    base_bytes = sum(bare[1]) / max(1, len(bare[1]))
    results = []
    for size, (times, sizes) in sorted(found.items()):
        p95, mean_bytes = percentile(times, 0.95), sum(sizes) / max(1, len(sizes))
        note = (f"{size:,} episodes, tmux at 80x24, {len(times)} keys ({', '.join(filters)}) over "
                f"{launches} launches; baseline: the bare app echoing the same keys, launches alternating")
        results += [
            Result(f"terminal: log filter key to screen p95, {size:,} episodes", p95, "ms", base95,
                   ratio(p95, base95), f"< {GOAL_MS:g} ms", at_most(p95, GOAL_MS), note),
            Result(f"terminal: bytes per log filter key, {size:,} episodes", mean_bytes, "B", base_bytes,
                   ratio(mean_bytes, base_bytes), "", None, note),
        ]
    return results
