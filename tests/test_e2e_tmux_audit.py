"""The audit end to end in a real terminal (tmux, 80x24): a sample of 20 drawn from a log of
500 episodes is re-coded blind through the app's own screens (F4, the review, ctrl+n, ctrl+s),
with four known differences, and the report's percentages and attainment levels are the ones
worked out by hand. The HTML report is then rendered (tests/test_audit_html.py renders it in
Chromium)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import time
from pathlib import Path

from tests.tmux_terminal import NEEDS_TMUX, WORKBENCH, Terminal
from workbench.core.episodes import CodedEntry, Coding, EpisodeDetails, EpisodeLog, bulk_load

pytestmark = NEEDS_TMUX

CODERS = ("ann", "bob", "cat", "dan")
SPECIALTIES = ("cardiology", "general medicine", "vascular surgery")


def original(n: int) -> tuple[list[str], list[str]]:
    """Episode n's saved coding: two procedures and two diagnoses, all passing the checks."""
    if n % 2:
        return ["K57.8", "Y02.1"], ["I48.9", "I10"]
    return ["K63.1", "Y53.4"], ["I25.1", "I10"]


def build_log(path: Path) -> None:
    def items():
        for n in range(1, 501):
            procedures, diagnoses = original(n)
            details = EpisodeDetails(patient=f"PT{n:04d}", episode=f"FCE{n:04d}",
                                     date=dt.date(2025, 1, 1) + dt.timedelta(days=n % 200),
                                     specialty=SPECIALTIES[n % 3], sex="male" if n % 2 else "female",
                                     age=40 + n % 40)   # with the patient, the checks can all pass
            yield details, Coding([CodedEntry(c, "opcs4", "OPCS-4.10") for c in procedures],
                                  [CodedEntry(c, "icd10", "ICD-10 5th edition") for c in diagnoses]), CODERS[n % 4]

    with EpisodeLog(path) as log:
        bulk_load(log, items())


def audit_coding(position: int, episode: int) -> tuple[list[str], list[str], str | None]:
    """What the auditor codes for the sample's n-th episode, and the difference it makes."""
    procedures, diagnoses = original(episode)
    if position == 1:
        return procedures, ["I21.9", diagnoses[1]], "wrong primary diagnosis"
    if position == 2 and procedures[0] == "K57.8":
        return [*procedures, "Y53.4"], diagnoses, "missing secondary procedure"
    if position == 2:
        return [*procedures, "Y02.1"], diagnoses, "missing secondary procedure"
    if position == 3:
        return procedures, [diagnoses[1], diagnoses[0]], "sequencing swap"
    if position == 4 and procedures[0] == "K57.8":
        return ["K57.1", procedures[1]], diagnoses, "wrong 4th character"
    if position == 4:
        return ["K63.2", procedures[1]], diagnoses, "wrong 4th character"
    return procedures, diagnoses, None


def run_cli(terminal: Terminal, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([str(WORKBENCH), *args], env=terminal.env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    return result


def add_code(terminal: Terminal, code: str, to: str) -> None:
    """ctrl+n in the review (tab when the dialog adds to the other list), the code typed, Enter
    adds the top hit to the list ``to`` ("procedures" or "diagnoses")."""
    terminal.keys("C-n")
    screen = terminal.wait_for("Add to the")
    if f"Add to the {to}" not in screen:
        terminal.keys("Tab")
        terminal.wait_for(f"Add to the {to}")
    terminal.type(code.replace(".", "").lower())
    deadline = time.monotonic() + 30   # a loaded CI machine: the search and the dialog are slower
    while code not in terminal.screen().split("Add to the", 1)[-1]:
        assert time.monotonic() < deadline, terminal.screen()
        time.sleep(0.05)
    terminal.keys("Enter")
    deadline = time.monotonic() + 30   # a loaded CI machine: the search and the dialog are slower
    while "Add to the" in terminal.screen():
        assert time.monotonic() < deadline, terminal.screen()
        time.sleep(0.05)


def wait_for_sample_list(terminal: Terminal, timeout: float = 20.0) -> str:
    """The sample's list alone on screen: after Escape the comparison can still be on the
    terminal for a frame or two while the list's title is already drawn (on a loaded machine
    the list's repaint can reach the terminal in several reads), so wait until the comparison's
    own line ("audited by") is gone and the screen has stopped changing."""
    deadline = time.monotonic() + timeout
    previous = ""
    while True:
        screen = terminal.screen()
        if "Audit sample 1:" in screen and "audited by" not in screen and screen == previous:
            return screen
        previous = screen
        assert time.monotonic() < deadline, screen
        time.sleep(0.1)


def test_twenty_episodes_recoded_blind_give_the_hand_computed_report(terminal: Terminal, tmp_path: Path) -> None:
    home = Path(terminal.env["WORKBENCH_HOME"])
    build_log(home / "episodes.db")
    drawn = json.loads(run_cli(terminal, "audit", "new", "--size", "20", "--seed", "2026", "--name", "Q1",
                               "--json").stdout)
    shown = json.loads(run_cli(terminal, "audit", "show", "1", "--json").stdout)
    episodes = [e["episode_id"] for e in shown["episodes"]]
    assert drawn["size"] == 20 and len(set(episodes)) == 20
    plan = [audit_coding(p, e) for p, e in enumerate(episodes, start=1)]
    # Hand-computed: 4 types; 20 primaries each, 20 secondary diagnoses, 20 + 1 secondary procedures.
    expected = {"primary_diagnosis": (18, 20), "secondary_diagnosis": (20, 20),
                "primary_procedure": (19, 20), "secondary_procedure": (20, 21)}

    terminal.launch()
    terminal.wait_for("rule pack", timeout=30)
    terminal.keys("F4")
    terminal.wait_for("Q1")
    terminal.keys("Enter")
    terminal.wait_for("to code")
    for position, (procedures, diagnoses, _why) in enumerate(plan, start=1):
        screen = wait_for_sample_list(terminal)
        assert "K57.8" not in screen and "I48.9" not in screen and "ann" not in screen
        terminal.keys("Enter")                                  # the highlighted: first to code
        terminal.wait_for("Coding audit 1 (blind)")             # the header, on the search screen
        terminal.keys("C-r")
        screen = terminal.wait_for("Audit coding (blind)")
        assert f"#{position}" in screen
        for code in procedures:
            add_code(terminal, code, "procedures")
        for code in diagnoses:
            add_code(terminal, code, "diagnoses")
        terminal.wait_for("All checks pass")
        terminal.keys("C-s")
        screen = terminal.wait_for("audited by")
        assert f"#{position}" in screen
        terminal.keys("Escape")
    terminal.wait_for("20/20 audited")
    terminal.keys("r")
    screen = terminal.wait_for("attainment:")
    assert "attainment: Level 2" in screen
    terminal.keys("C-q")
    terminal.wait_closed()

    report = json.loads(run_cli(terminal, "audit", "report", "1", "--json").stdout)
    figures = {t["code_type"]: (t["right"], t["counted"], t["percent"], t["level"]) for t in report["accuracy"]["types"]}
    for code_type, (right, counted) in expected.items():
        percent = round(100 * right / counted, 2)
        level = "Level 3" if percent >= {"primary_diagnosis": 95, "secondary_diagnosis": 90,
                                         "primary_procedure": 95, "secondary_procedure": 90}[code_type] else "Level 2"
        assert figures[code_type] == (right, counted, percent, level), (code_type, figures[code_type])
    assert figures["primary_diagnosis"][2] == 90.0 and figures["secondary_procedure"][2] == 95.24
    assert report["level"] == "Level 2" and report["audited"] == 20
    kinds = sorted((d["code_type"], d["kind"]) for d in report["differences"])
    assert kinds == sorted([("primary_diagnosis", "wrong_code"), ("secondary_procedure", "missing"),
                            ("primary_diagnosis", "sequencing"), ("primary_procedure", "wrong_4th_character")])
    # The log's episodes were never touched by the audit, and verify covers the audit records.
    verify = json.loads(run_cli(terminal, "log", "verify", "--json").stdout)
    assert verify["ok"] and verify["versions_checked"] == 500
    html = tmp_path / "audit.html"
    run_cli(terminal, "audit", "report", "1", "--html", str(html))
    assert "Level 2" in html.read_text()
