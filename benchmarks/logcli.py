"""`workbench log list` for a month against the same command for one patient (issue 17).

A month of a large, date-ordered log is thousands of lines; one patient is a handful.
The acceptance asks the month to take at most twice the patient's time, start-up
included, so each is run as a child process (the installed command, output to a file),
alternating month and patient, and the ratio of the medians is the figure.

The goal is the acceptance's: a date-ordered log (``rising``). On a log whose dates are
unrelated to save order the month's episodes lie on scattered pages (the query alone
takes about twice as long at 1M), so that row is shown for information.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks import logdata
from benchmarks.common import Result, at_most, child_env, median, ratio, run_child
from benchmarks.startup import workbench_argv

GOAL = 2.0
SINCE, UNTIL = "2015-02-01", "2015-02-28"     # the acceptance's month: the log's second month
PATIENT = logdata.patient_id(42)
GOAL_SHAPES = ("rising",)


def month_vs_patient(home: Path, logs: dict[str, Path], *, runs: int = 7) -> list[Result]:
    """One row per log (``{shape: path}``): median wall of the month's listing / the patient's."""
    env = child_env(home)
    results = []
    for shape, path in logs.items():
        base = [*workbench_argv(), "--log", str(path), "log", "list"]
        month_argv = [*base, "--since", SINCE, "--until", UNTIL]
        patient_argv = [*base, "--patient", PATIENT]
        month, patient, lines = [], [], {}
        for n in range(runs + 1):                 # the first pair warms the page cache, not counted
            for name, argv, times in (("patient", patient_argv, patient), ("month", month_argv, month)):
                run = run_child(argv, env=env, timeout=300)
                if run.returncode != 0:
                    raise RuntimeError(f"log list child failed: {run.stderr[-2000:]}")
                lines[name] = len(run.stdout.splitlines())
                if n:
                    times.append(run.wall * 1000)
        value, baseline = median(month), median(patient)
        share = ratio(value, baseline)
        judged = shape in GOAL_SHAPES
        results.append(Result(
            f"log list month vs one patient, {shape} dates", value, "ms", baseline, share,
            f"ratio <= {GOAL:g}" if judged else "info (goal: date-ordered log)",
            at_most(share, GOAL) if judged else None,
            f"`workbench log list --since {SINCE} --until {UNTIL}` ({lines['month']:,} lines) against "
            f"`--patient {PATIENT}` ({lines['patient']} lines) on the same log, child processes "
            f"(start-up included), alternating, median of {runs} each"))
    return results
