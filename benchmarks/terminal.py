"""What the coder sees in a real terminal, against the cheapest honest echo in the same run.

Each program runs in its own tmux server at 80x24 and is watched through a control-mode
client (benchmarks/tmux_control.py). The baseline is the bare Textual app
(benchmarks/bare_app.py: Header, Input, Static, Footer) whose Input echoes a key in one
frame. Launches alternate between the workbench and the bare app (the order flips every
launch) so that machine noise hits both alike; each ratio's noise is the range of the
ratios of the launch pairs.

- Launch to usable search: until the workbench prints "Loaded:" (the reference database is
  open, search answers), against the bare app's first frame. Warm (reference database
  built) and first run (empty home: the install-time database is copied).
- Memory: VmRSS half a second after ready, and after 200 searches (every third misspelt).
- Search keystroke: each key of each query typed one at a time, from send to the end of the
  repaint, and the bytes of that repaint; the bare app echoes the same keys.
- Wizard: IPG655's first question answered with its number key (the next question painted),
  then Escape back one question; the bare app echoes the digit.
- Screen changes of the coding flow (benchmarks/terminal_flows.py): first frame and settled,
  against an absolute goal (100 ms and 150 ms).
- Type-ahead: the keys from the search to the review's details sent in one write: none lost.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from benchmarks import terminal_flows as flows
from benchmarks.common import Result, at_most, child_env, median, percentile, ratio, spread
from benchmarks.startup import bare_argv, compile_package, prebuilt_home, workbench_argv
from benchmarks.tmux_control import ControlTerminal

KEY_GOAL = 1.5           # search key p50 and p95 against the echo
KEY_BYTES_GOAL = 2.0
WIZARD_GOAL = 2.0        # wizard answer key p95, Escape back a question
ESCAPE_GOAL = 1.5        # Escape's first frame against a letter's: no escape-sequence wait
LAUNCH_GOAL = 1.25
FIRST_RUN_GOAL = 1.5
RSS_GOAL = 1.3
FIRST_FRAME_MS, SETTLED_MS = 100.0, 150.0
WIZARD_ANSWERS = 10
SEARCHES = 200
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


def run(work: Path | None = None, *, launches: int = 7, queries: tuple[str, ...] = QUERIES,
        searches: int = SEARCHES) -> list[Result]:
    if not available():
        return [Result("real-terminal section (tmux missing)", float("nan"), "", passed=None,
                       note="install tmux to measure in a real terminal")]
    root = Path(tempfile.mkdtemp(prefix="terminal-", dir=work))
    try:
        return _measure(root, launches, queries, searches)
    finally:
        shutil.rmtree(root, ignore_errors=True)


class Side:
    """What one program gave over the run, launch by launch."""

    def __init__(self) -> None:
        self.launch: list[float] = []
        self.first_run: list[float] = []
        self.rss: list[float] = []
        self.rss_searched: list[float] = []
        self.keys: list[flows.Keys] = []       # one per typing launch
        self.answers: list[flows.Keys] = []
        self.escapes: list[flows.Keys] = []     # Escape clearing the search box
        self.backs: list[flows.Keys] = []       # Escape back one question in the wizard
        self.flows: list[flows.Flow] = []


def _home(root: Path, name: str, reference: Path | None) -> Path:
    # A home of its own per launch: a draft left by the wizard keys must not greet the next one.
    home = root / name
    home.mkdir(mode=0o700)
    if reference is not None:
        shutil.copyfile(reference, home / "reference.db")
    return home


def _measure(root: Path, launches: int, queries: tuple[str, ...], searches: int) -> list[Result]:
    from benchmarks import corpus
    from workbench.core.prebuilt import ensure_prebuilt
    from workbench.core.refdb import open_reference_db

    ensure_prebuilt()   # as `make` leaves it: a first run copies the install-time database
    compile_package()   # and the package byte-compiled, as any install leaves it
    programs = {"wb": (workbench_argv(), WORKBENCH_READY), "bare": (bare_argv(), BARE_READY)}
    sides = {"wb": Side(), "bare": Side()}
    root.chmod(0o700)
    reference = prebuilt_home(root) / "reference.db"
    conn = open_reference_db(reference)
    try:
        search_queries = flows.misspelt(corpus.queries(conn, searches))
    finally:
        conn.close()

    for i in range(max(1, launches // 2)):   # first runs: an empty home each
        for name in (("wb", "bare") if i % 2 == 0 else ("bare", "wb")):
            argv, ready = programs[name]
            term, seconds = _launch(argv, child_env(_home(root, f"first-{i}-{name}", None)), ready)
            term.close()
            sides[name].first_run.append(seconds * 1000)

    for i in range(launches):
        for name in (("wb", "bare") if i % 2 == 0 else ("bare", "wb")):
            argv, ready = programs[name]
            side = sides[name]
            term, seconds = _launch(argv, child_env(_home(root, f"launch-{i}-{name}", reference)), ready)
            try:
                side.launch.append(seconds * 1000)
                side.rss.append(term.rss_mb())
                if i < 2:     # typing in the first two launches of each program: enough keys
                    escapes = flows.Keys() if name == "wb" else None
                    side.keys.append(flows.typing(term, queries, escapes))
                    if escapes is not None:
                        side.escapes.append(escapes)
                if i == 0 and searches:
                    flows.searching(term, search_queries)
                    term.settle(0.5)
                    side.rss_searched.append(term.rss_mb())
                if name == "bare" and i < 2:
                    side.answers.append(flows.echoing(term, WIZARD_ANSWERS))
                elif name == "wb":
                    flow = flows.coding(term, WIZARD_ANSWERS if i < 2 else 0)
                    side.flows.append(flow)
                    if i < 2:
                        side.answers.append(flow.answers)
                        side.backs.append(flow.backs)
            finally:
                term.close()

    lost = []
    for i in range(2):
        term, _ = _launch(workbench_argv(), child_env(_home(root, f"ahead-{i}", reference)), WORKBENCH_READY)
        try:
            lost.append(flows.typed_ahead(term))
        finally:
            term.close()
    return _rows(sides["wb"], sides["bare"], launches, queries, len(search_queries), lost)


def _merged(parts: list[flows.Keys]) -> flows.Keys:
    total = flows.Keys()
    for part in parts:
        total += part
    return total


def _row(name: str, value: float, base: float, goal: float, unit: str, note: str,
         pairs: list[float | None]) -> Result:
    r = ratio(value, base)
    return Result(name, value, unit, base, r, f"ratio <= {goal}", at_most(r, goal), note, spread(pairs))


def _rows(wb: Side, bare: Side, launches: int, queries: tuple[str, ...], searches: int,
          lost: list[int]) -> list[Result]:
    keys, base_keys = _merged(wb.keys), _merged(bare.keys)
    typing_note = (f"{len(keys.times)} keys ({', '.join(queries)}), typed one at a time; "
                   "baseline: the bare app's one-frame echo of the same keys")
    launch_note = f"{launches} alternating launches in tmux at 80x24; baseline: the bare app's first frame"
    results = []
    for label, stat in (("p95", 0.95), ("p50", 0.5)):
        pairs = [ratio(percentile(w.times, stat), percentile(b.times, stat)) for w, b in zip(wb.keys, bare.keys, strict=False)]
        results.append(_row(f"terminal: search key to screen {label}", percentile(keys.times, stat),
                            percentile(base_keys.times, stat), KEY_GOAL, "ms", typing_note, pairs))
    mean = lambda sizes: sum(sizes) / max(1, len(sizes))  # noqa: E731
    results.append(_row("terminal: bytes per search key (mean)", mean(keys.sizes), mean(base_keys.sizes),
                        KEY_BYTES_GOAL, "B", typing_note,
                        [ratio(mean(w.sizes), mean(b.sizes)) for w, b in zip(wb.keys, bare.keys, strict=False)]))
    answers, echoes = _merged(wb.answers), _merged(bare.answers)
    results.append(_row("terminal: wizard answer key to screen p95", percentile(answers.times, 0.95),
                        percentile(echoes.times, 0.95), WIZARD_GOAL, "ms",
                        f"{len(answers.times)} answers to IPG655's first question (the next question "
                        "painted); baseline: the bare app's echo of the digit",
                        [ratio(percentile(w.times, .95), percentile(b.times, .95))
                         for w, b in zip(wb.answers, bare.answers, strict=False)]))
    escapes = _merged(wb.escapes)
    results.append(_row("terminal: Escape (search box cleared) to first frame p95", percentile(escapes.firsts, 0.95),
                        percentile(base_keys.firsts, 0.95), ESCAPE_GOAL, "ms",
                        f"{len(escapes.firsts)} Escapes clearing the search box, to the first byte of the repaint "
                        "(Escape at once: no wait for an escape sequence); baseline: the first byte of the bare "
                        "app's echo of a letter", [ratio(percentile(w.firsts, .95), percentile(b.firsts, .95))
                                                   for w, b in zip(wb.escapes, bare.keys, strict=False)]))
    backs = _merged(wb.backs)
    results.append(_row("terminal: wizard Escape (back a question) to screen p95", percentile(backs.times, 0.95),
                        percentile(echoes.times, 0.95), WIZARD_GOAL, "ms",
                        f"{len(backs.times)} Escapes back to IPG655's first question (it is painted again); "
                        "baseline: the bare app's echo of a digit", [ratio(percentile(w.times, .95),
                                                                          percentile(b.times, .95))
                                                                    for w, b in zip(wb.backs, bare.answers,
                                                                                    strict=False)]))
    pairs = [ratio(w, b) for w, b in zip(wb.launch, bare.launch, strict=False)]
    results.append(_row("terminal: launch to usable search (median)", median(wb.launch), median(bare.launch),
                        LAUNCH_GOAL, "ms", launch_note, pairs))
    results.append(_row("terminal: first run to usable search (median)", median(wb.first_run),
                        median(bare.first_run), FIRST_RUN_GOAL, "ms",
                        f"{len(wb.first_run)} launches each in an empty home (the install-time reference "
                        "database is copied), alternating; baseline: the bare app's first frame",
                        [ratio(w, b) for w, b in zip(wb.first_run, bare.first_run, strict=False)]))
    results.append(_row("terminal: RSS once ready (median)", median(wb.rss), median(bare.rss), RSS_GOAL, "MB",
                        launch_note + "; VmRSS half a second after ready",
                        [ratio(w, b) for w, b in zip(wb.rss, bare.rss, strict=False)]))
    if wb.rss_searched:
        results.append(_row(f"terminal: RSS after {searches} searches", median(wb.rss_searched),
                            median(bare.rss_searched), RSS_GOAL, "MB",
                            f"{searches} realistic queries, every third misspelt, each typed in one write "
                            "and cleared (ctrl+u); baseline: the bare app given the same keys",
                            [ratio(w, b) for w, b in zip(wb.rss_searched, bare.rss_searched, strict=False)]))
    results += _change_rows(wb.flows, base_keys)
    results.append(Result("terminal: details lost typed ahead in one write", float(max(lost)), "chars", None,
                          None, "== 0", max(lost) == 0,
                          f"{len(lost)} launches; one send-keys: {' '.join(flows.TYPE_AHEAD)} "
                          "(the search, Enter, c, three answers, the review's details)",
                          spread([float(n) for n in lost], "launches")))
    return results


def _change_rows(runs: list[flows.Flow], echo: flows.Keys) -> list[Result]:
    rows = []
    echo_first, echo_settled = percentile(echo.firsts, 0.95), percentile(echo.times, 0.95)
    for change in flows.CHANGES:
        repaints = [r for run in runs for r in run.changes.get(change, [])]
        for what, values, goal, base in (
                ("first frame", [r.first * 1000 for r in repaints], FIRST_FRAME_MS, echo_first),
                ("settled", [r.seconds * 1000 for r in repaints], SETTLED_MS, echo_settled)):
            value = percentile(values, 0.95)
            rows.append(Result(
                f"terminal: {change}, {what} p95", value, "ms", base, ratio(value, base),
                f"p95 <= {goal:g} ms", at_most(value, goal),
                f"{len(values)} changes, one a launch; key to the {what} "
                f"({'first byte' if what == 'first frame' else 'last byte before 250 ms of quiet'}); "
                "baseline (information): the bare app's echo of a letter",
                f"{min(values):.0f}-{max(values):.0f} ms" if values else ""))
    return rows


if __name__ == "__main__":
    import sys

    from benchmarks.common import table

    launches = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    print(table(run(launches=launches, queries=QUERIES[:2], searches=30)))
