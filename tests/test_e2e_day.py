"""The coder's day in a real terminal (tmux at 80x24): the worklist, coding without guidance,
two guidances in one episode, option keys past 9, and copying the sequence with OSC 52.

Keys are counted as a coder presses them; search text and identifiers are counted apart.
"""

from __future__ import annotations

import base64
import json
import subprocess
import time
from pathlib import Path

import pytest

from tests.tmux_terminal import NEEDS_TMUX, WORKBENCH, Terminal
from tests.tui_flows import WORKLIST_CSV

pytestmark = NEEDS_TMUX


class Counted:
    """A terminal whose key presses are counted (typed text is counted apart)."""

    def __init__(self, terminal: Terminal):
        self.terminal = terminal
        self.keys = 0
        self.typed = 0

    def press(self, *keys: str) -> None:
        for key in keys:
            self.keys += 1
            self.terminal.keys(key)

    def type(self, text: str) -> None:
        self.typed += len(text)
        self.terminal.type(text)


def import_worklist(terminal: Terminal, home: Path) -> dict:
    extract = home / "worklist.csv"
    extract.write_text(WORKLIST_CSV, encoding="utf-8")
    result = subprocess.run([str(WORKBENCH), "worklist", "import", str(extract), "--json"], env=terminal.env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_worklist_ipg655_hand_code_kept_through_the_wizard_then_next(terminal: Terminal, isolated_home: Path) -> None:
    assert import_worklist(terminal, isolated_home)["imported"] == 3
    terminal.launch()
    terminal.wait_for("WL001", timeout=30)
    terminal.wait_for("3 listed")
    keys = Counted(terminal)
    keys.press("Enter")
    terminal.wait_for("Coding WL001")
    keys.type("655")
    terminal.wait_for("IPG655")
    keys.press("Enter")
    terminal.wait_for("Press c to code")
    keys.press("c")
    terminal.wait_for("question 1 of")
    keys.press("5")
    terminal.wait_for("question 2 of")
    keys.press("1")
    terminal.wait_for("question 3 of")
    keys.press("1")
    screen = terminal.wait_for("NHS number")
    assert "WL001" in screen and "SP001" in screen          # details filled in from the worklist
    assert keys.keys + 1 <= 8, "IPG655 from the worklist must take at most 8 keys (+ ctrl+s)"
    # A diagnosis by hand, then back into the wizard to change the image control answer.
    terminal.keys("C-n")                                  # the procedures are highlighted:
    terminal.wait_for("Add to the procedures")
    terminal.keys("Tab")                                  # tab adds to the diagnoses (ICD-10)
    terminal.wait_for("Add to the diagnoses")
    terminal.type("i489")
    terminal.wait_for("I48.9")
    terminal.keys("Enter")
    terminal.wait_for("by hand")
    terminal.keys("Escape")
    terminal.wait_for("question 3 of")
    terminal.keys("Escape")
    terminal.wait_for("question 2 of")
    terminal.keys("Escape")
    terminal.wait_for("question 1 of")
    terminal.keys("2")                                    # ultrasound (Y53.2): 2 in every pack
    terminal.wait_for("question 2 of")
    terminal.keys("Enter")
    terminal.wait_for("question 3 of")
    terminal.keys("Enter")
    # At 80x24 the review's notes (drawn once its checks have run) leave the list less room than
    # its eight codes need: the coder moves down to the last one, which scrolls it into view.
    terminal.wait_for_all(["NHS number", "note (IPG655)"])
    terminal.keys(*["Down"] * 9)
    screen = terminal.wait_for_all(["NHS number", "I48.9", "Y53.2", "hand "])
    assert "I48.9" in screen and "Y53.2" in screen and "hand " in screen, screen
    terminal.keys("C-s")
    terminal.wait_for("saved")
    terminal.wait_for("WL002")
    terminal.keys("n")
    terminal.wait_for("Coding WL002")
    terminal.keys("C-q")
    terminal.wait_closed()
    [saved] = terminal.workbench_json("log", "list", "--json")
    assert saved["patient"] == "WL001" and saved["diagnoses"] == ["I50.0", "I48.9"]
    assert "Y53.2" in saved["procedures"] and "Y53.4" not in saved["procedures"]
    coded = terminal.workbench_json("worklist", "list", "--status", "coded", "--json")
    assert [item["episode_id"] for item in coded] == [saved["id"]]


def test_worklist_episode_without_guidance_in_at_most_20_keys(terminal: Terminal, isolated_home: Path) -> None:
    import_worklist(terminal, isolated_home)
    terminal.launch()
    terminal.wait_for("3 listed", timeout=30)
    keys = Counted(terminal)
    keys.press("Enter")
    terminal.wait_for("Coding WL001")
    for text, code in (("k578", "K57.8"), ("y534", "Y53.4"), ("i500", "I50.0"), ("i489", "I48.9")):
        keys.type(text)
        terminal.wait_for(f"{code} ")
        keys.press("Enter")                     # while coding, Enter adds the code (issue 22)
        terminal.wait_for(f"{code} added")
    keys.press("C-r")
    terminal.wait_for("NHS number")
    keys.press("C-s")
    terminal.wait_for("saved")
    assert keys.keys <= 20 and keys.typed == 16, (keys.keys, keys.typed)
    terminal.keys("C-q")
    terminal.wait_closed()
    [saved] = terminal.workbench_json("log", "list", "--json")
    assert saved["procedures"] == ["K57.8", "Y53.4"] and saved["diagnoses"] == ["I50.0", "I48.9"]


def test_two_guidances_in_one_episode_option_keys_past_nine_and_osc52_copy(terminal: Terminal) -> None:
    terminal.launch()
    terminal.wait_for("rule pack", timeout=30)
    terminal.tmux("set-option", "-g", "set-clipboard", "on")
    output = terminal.env["WORKBENCH_HOME"] + "/pane-output"
    terminal.tmux("pipe-pane", "-o", "-t", terminal.session, f"cat >> {output}")
    terminal.type("655")
    terminal.wait_for("IPG655")
    terminal.keys("Enter")
    terminal.wait_for("Press c to code")
    terminal.keys("c")
    screen = terminal.wait_for("question 1 of")
    assert "9 Image control used, method not stated (Y53.9)" in screen
    assert "c Other method (Y68), not stated which (Y68.9)" in screen   # the 13th option, in view
    terminal.keys("c")
    terminal.wait_for("question 2 of")
    terminal.keys("1")
    terminal.wait_for("question 3 of")
    terminal.keys("1")
    terminal.wait_for("NHS number")
    terminal.keys("C-g")                                  # another guidance for the same episode
    terminal.wait_for("Search: words")
    terminal.type("75")
    terminal.wait_for("IPG75")
    terminal.keys("Enter")
    terminal.wait_for("Press c to code")
    terminal.keys("c")
    terminal.wait_for("question 1 of")
    for key, then in (("1", "question 2 of"), ("3", "question 3 of"), ("2", "question 4 of"),
                      ("Enter", "question 5 of")):
        terminal.keys(key)
        terminal.wait_for(then)
    terminal.keys("4")
    screen = terminal.wait_for("NHS number")
    assert "IPG655, IPG75" in screen
    terminal.keys("C-y")
    terminal.wait_for("Copied")
    expected = "K57.8 Y02.1 Y68.9 Z33.2 Z33.6 Z94.2 L80.4 L89.1 Y53.4 I50.0"
    raw = Path(output).read_bytes()
    copied = [base64.b64decode(part.split(b"\x07")[0]).decode() for part in raw.split(b"\x1b]52;c;")[1:]]
    assert copied == [expected], copied
    buffer = terminal.tmux("show-buffer", check=False).stdout
    assert buffer == expected
    terminal.type("P2G")
    terminal.keys("Tab")
    terminal.type("E2G")
    terminal.keys("Tab")
    terminal.type("20/11/2025")
    terminal.wait_for("= 20 Nov 2025")
    terminal.keys("C-s")
    terminal.wait_for("saved")
    terminal.keys("C-q")
    terminal.wait_closed()
    [saved] = terminal.workbench_json("log", "list", "--json")
    assert " ".join(saved["procedures"] + saved["diagnoses"]) == expected
    assert saved["date"] == "2025-11-20"


@pytest.mark.parametrize("setting", [("NO_COLOR", "1"), ("--theme", "textual-ansi")])
def test_the_focused_field_is_marked_without_colour(terminal: Terminal, setting: tuple[str, str]) -> None:
    """NO_COLOR and the ANSI theme: the focused form row is shown reversed, not in a shade."""
    import re

    name, value = setting
    if name == "NO_COLOR":
        terminal.env["NO_COLOR"] = value
        terminal.launch()
    else:
        terminal.tmux("new-session", "-d", "-s", terminal.session, "-x", "80", "-y", "24",
                      f"{WORKBENCH} --theme {value}")
    terminal.wait_for("rule pack", timeout=30)
    terminal.type("655")
    terminal.wait_for("IPG655")
    terminal.keys("Enter")
    terminal.wait_for("Press c to code")
    terminal.keys("c", "5", "1", "1")                     # typed ahead in one go: none is lost
    terminal.wait_for("NHS number")
    reverse = re.compile(r"\x1b\[(?:[0-9;]*;)?7[;m]")

    def marked(label: str) -> bool:
        styled = terminal.tmux("capture-pane", "-p", "-e", "-t", terminal.session).stdout
        plain = re.compile(r"\x1b\[[0-9;]*m")
        line = next(line for line in styled.splitlines() if plain.sub("", line).startswith(f" {label} "))
        return bool(reverse.search(line.split(label)[0]))

    def becomes(label: str, wanted: bool) -> None:
        deadline = time.monotonic() + 10
        while marked(label) != wanted:
            assert time.monotonic() < deadline, f"{label} focus mark should be {wanted}:\n{terminal.screen()}"
            time.sleep(0.1)

    becomes("Patient", True)
    assert not marked("Episode")
    terminal.keys("Tab")
    becomes("Episode", True)
    becomes("Patient", False)
    terminal.keys("C-q")


def test_a_pas_day_fces_refresh_query_and_another_process_in_a_real_terminal(terminal: Terminal,
                                                                             isolated_home: Path) -> None:
    """Issue 23's day: the PAS's own column names, a spell with two consultant episodes, the next
    extract imported by another process while the app is open, a query, and an FCE saved."""
    from tests.test_worklist_scenario import DAY_1, DAY_2

    report = terminal.workbench_json("worklist", "import", str(DAY_1), "--json")
    assert report["imported"] == 12 and report["unmapped_columns"] == ["Disch Meth", "Intended Mgmt"]
    terminal.launch()
    screen = terminal.wait_for("12 listed", timeout=30)
    header = screen.splitlines()[0]
    assert "packs" in header and "…" not in header                # the header fits 80 columns
    assert "└ SP257002/2" in screen and "SP257002/1" in screen
    # Another process imports the next day's extract: the open window follows.
    again = terminal.workbench_json("worklist", "import", str(DAY_2), "--json")
    # Two uncoded items changed (a specialty, and the consultant of the two-FCE spell's first FCE).
    assert again["imported"] == 1 and again["updated"] == 2 and len(again["vanished"]) == 1
    terminal.wait_for("13 listed", timeout=5)
    terminal.workbench_json("worklist", "remove", str(again["vanished"][0]), "--reason", "cancelled", "--json")
    terminal.wait_for("12 listed", timeout=5)
    terminal.keys("q")
    terminal.wait_for("Query to a clinician")
    terminal.type("Mr Patel")
    terminal.keys("Enter")
    terminal.type("which stent?")
    terminal.keys("Enter")
    terminal.wait_for("Query to Mr Patel, sent today: which stent?")
    terminal.keys("Down", "Down", "Down")
    terminal.wait_for("ward Ward 7")                              # FCE 1 of the two-FCE spell
    terminal.keys("Enter")
    terminal.wait_for("Coding K500102")
    terminal.keys("C-r")
    screen = terminal.wait_for("NHS number")
    assert "PAS: FCE 1" in screen
    terminal.keys("C-n")
    terminal.wait_for("Add to the diagnoses")
    terminal.type("i500")
    terminal.wait_for("I50.0")
    terminal.keys("Enter")
    terminal.wait_for("I50.0: added by hand")           # the review's line, not the add-a-code screen's
    terminal.keys("C-s")
    terminal.wait_for("saved")
    terminal.wait_for("11 listed", timeout=5)
    terminal.keys("C-q")
    terminal.wait_closed()
    [coded] = terminal.workbench_json("worklist", "list", "--status", "coded", "--json")
    assert (coded["episode"], coded["fce"]) == ("SP257002", "1")
    [saved] = terminal.workbench_json("log", "list", "--json")
    # Saved with the refreshed consultant: the item was uncoded when the second extract came.
    assert saved["id"] == coded["episode_id"] and saved["fce"] == "1" and saved["consultant"] == "C0000001"
