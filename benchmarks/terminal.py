"""What the coder sees in a real terminal, against a bare Textual app in the same run.

Each program runs in its own tmux server at 80x24 and is watched through a control-mode
client (benchmarks/tmux_control.py). Launches and keystrokes alternate between the
workbench and the bare app (benchmarks/bare_app.py) so that machine noise hits both alike.

- Launch to usable search: until the workbench prints "Loaded:" (the reference database is
  open, search answers), against the bare app's first frame (its search box is painted).
  Warm (reference database built) and first run (empty home).
- RSS once ready (VmRSS of the program, half a second after it is ready).
- Search keystroke: each key of each query typed one at a time, from send to the end of the
  repaint, and the bytes of that repaint; the bare app echoes the same keys into a Static.
- Wizard answer key: IPG655's first question answered with its number key (the next question
  is painted), then escape back (not timed), again and again; the bare app echoes the digit.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from benchmarks.common import Result, at_most, child_env, median, percentile, ratio
from benchmarks.startup import bare_argv, compile_package, prebuilt_home, workbench_argv
from benchmarks.tmux_control import ControlTerminal

KEY_P95_GOAL = 1.2
KEY_BYTES_GOAL = 2.0
LAUNCH_GOAL = 1.25
FIRST_RUN_GOAL = 2.0
RSS_GOAL = 1.3
WIZARD_ANSWERS = 10
QUERIES = ("pulmonary vein", "angioplasty", "heart failure", "l804", "ipg 655")
# The bare app's header title: plain text in its first frame (the search box's placeholder is
# split by the cursor's styling until the cursor blinks off, which would time the blink).
WORKBENCH_READY, BARE_READY = "Loaded:", "BareApp"


def available() -> bool:
    return shutil.which("tmux") is not None


def _launch(argv: list[str], env: dict[str, str], ready: str) -> tuple[ControlTerminal, float]:
    term = ControlTerminal(argv, env)
    seconds = term.wait_for(ready)
    term.settle()
    return term, seconds


def _typing(term: ControlTerminal, queries: tuple[str, ...]) -> tuple[list[float], list[int]]:
    times: list[float] = []
    sizes: list[int] = []
    for query in queries:
        for ch in query:
            repaint = term.key(ch)
            times.append(repaint.seconds * 1000)
            sizes.append(repaint.bytes)
        for _ in query:  # clear the box again, not measured
            term.key("BSpace", literal=False, quiet=0.05)
    return times, sizes


def _answering(term: ControlTerminal, answers: int) -> tuple[list[float], list[int]]:
    """Time IPG655's first answer key, going back to the question between answers."""
    for key in "655":
        term.key(key, quiet=0.1)
    term.key("Enter", literal=False)
    term.key("c")
    times: list[float] = []
    sizes: list[int] = []
    for _ in range(answers):
        repaint = term.key("4")              # fluoroscopic image control: the next question
        times.append(repaint.seconds * 1000)
        sizes.append(repaint.bytes)
        term.key("Escape", literal=False)    # back to the first question (not timed)
    return times, sizes


def _echoing(term: ControlTerminal, answers: int) -> tuple[list[float], list[int]]:
    times: list[float] = []
    sizes: list[int] = []
    for _ in range(answers):
        repaint = term.key("4")
        times.append(repaint.seconds * 1000)
        sizes.append(repaint.bytes)
        term.key("BSpace", literal=False, quiet=0.05)
    return times, sizes


def run(work: Path | None = None, *, launches: int = 7, queries: tuple[str, ...] = QUERIES) -> list[Result]:
    if not available():
        return [Result("real-terminal section (tmux missing)", float("nan"), "", passed=None,
                       note="install tmux to measure in a real terminal")]
    root = Path(tempfile.mkdtemp(prefix="terminal-", dir=work))
    try:
        return _measure(root, launches, queries)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _measure(root: Path, launches: int, queries: tuple[str, ...]) -> list[Result]:
    from workbench.core.prebuilt import ensure_prebuilt

    ensure_prebuilt()   # as `make` leaves it: a first run copies the install-time database
    compile_package()   # and the package byte-compiled, as any install leaves it
    wb_argv, bare = workbench_argv(), bare_argv()
    first_home = root / "first-run"
    first_home.mkdir(mode=0o700)
    term, first_wb = _launch(wb_argv, child_env(first_home), WORKBENCH_READY)
    term.close()
    term, first_bare = _launch(bare, child_env(first_home), BARE_READY)
    term.close()

    warm_home = prebuilt_home(root)
    wb_launch, bare_launch, wb_rss, bare_rss = [], [], [], []
    wb_keys: list[float] = []
    bare_keys: list[float] = []
    wb_bytes: list[int] = []
    bare_bytes: list[int] = []
    wb_answers: list[float] = []
    bare_answers: list[float] = []
    for i in range(launches):
        order = [("wb", wb_argv, WORKBENCH_READY), ("bare", bare, BARE_READY)]
        if i % 2:
            order.reverse()
        for name, argv, ready in order:
            # A home of its own per launch (the reference database copied in): a draft left by
            # the wizard keys must not greet the next launch.
            home = root / f"launch-{i}-{name}"
            home.mkdir(mode=0o700)
            shutil.copyfile(warm_home / "reference.db", home / "reference.db")
            term, seconds = _launch(argv, child_env(home), ready)
            try:
                rss = term.rss_mb()
                # Typing is measured in the first two launches of each program only: enough keys.
                typed = _typing(term, queries) if i < 2 else ([], [])
                answer = _echoing if name == "bare" else _answering
                answered = answer(term, WIZARD_ANSWERS) if i < 2 else ([], [])
            finally:
                term.close()
            if name == "wb":
                wb_launch.append(seconds * 1000)
                wb_rss.append(rss)
                wb_keys += typed[0]
                wb_bytes += typed[1]
                wb_answers += answered[0]
            else:
                bare_launch.append(seconds * 1000)
                bare_rss.append(rss)
                bare_keys += typed[0]
                bare_bytes += typed[1]
                bare_answers += answered[0]

    keys = len(wb_keys)
    typing_note = f"{keys} keys ({', '.join(queries)}), typed one at a time; baseline: bare app echo"
    launch_note = f"{launches} alternating launches in tmux at 80x24; baseline: bare app's first frame"
    results = []
    for label, value, base, goal, unit, note in (
        ("terminal: search key to screen p95", percentile(wb_keys, 0.95),
         percentile(bare_keys, 0.95), KEY_P95_GOAL, "ms", typing_note),
        ("terminal: bytes per search key (mean)", sum(wb_bytes) / max(1, len(wb_bytes)),
         sum(bare_bytes) / max(1, len(bare_bytes)), KEY_BYTES_GOAL, "B", typing_note),
        ("terminal: launch to usable search (median)", median(wb_launch), median(bare_launch),
         LAUNCH_GOAL, "ms", launch_note),
        ("terminal: first run to usable search", first_wb * 1000, first_bare * 1000, FIRST_RUN_GOAL,
         "ms", "empty home: the install-time reference database is copied first; one launch each"),
        ("terminal: RSS once ready (median)", median(wb_rss), median(bare_rss), RSS_GOAL, "MB",
         launch_note),
    ):
        r = ratio(value, base)
        results.append(Result(label, value, unit, base, r, f"ratio <= {goal}", at_most(r, goal), note))
    p95, base95 = percentile(wb_answers, 0.95), percentile(bare_answers, 0.95)
    results.append(Result("terminal: wizard answer key to screen p95", p95, "ms", base95,
                          ratio(p95, base95), "", None,
                          f"{len(wb_answers)} answers to IPG655's first question; baseline: bare app echo"))
    p50, base50 = percentile(wb_keys, 0.5), percentile(bare_keys, 0.5)
    results.append(Result("terminal: search key to screen p50", p50, "ms", base50, ratio(p50, base50),
                          "", None, typing_note))
    return results


if __name__ == "__main__":
    from benchmarks.common import table

    print(table(run(launches=3, queries=QUERIES[:2])))
