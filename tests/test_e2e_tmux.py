"""The real `workbench` command in a real terminal (tmux at 80x24): code IPG655, find it in the log.

Uses a private tmux server (-L) and a unique session name, so it never touches the
user's tmux. CI installs tmux; without it the tests skip and say why.
"""

from __future__ import annotations

import json
import time

from tests.tmux_terminal import NEEDS_TMUX, Terminal

pytestmark = NEEDS_TMUX

def test_code_ipg655_in_a_real_terminal_and_find_it_in_the_log(terminal: Terminal) -> None:
    terminal.launch()
    terminal.wait_for("Search:")
    terminal.wait_for("rule pack", timeout=30)          # the reference database is ready
    terminal.type("ipg655")
    terminal.wait_for("IPG655")
    terminal.keys("Enter")
    terminal.wait_for("Press c to code")
    terminal.keys("c")
    terminal.wait_for("question 1 of")
    terminal.keys("4")
    terminal.wait_for("question 2 of")
    terminal.keys("1")
    terminal.wait_for("question 3 of")
    terminal.keys("1")
    terminal.wait_for("NHS number")
    terminal.type("TMUX655")
    terminal.keys("Tab")
    terminal.type("EPT1")
    terminal.keys("Tab")
    terminal.type("2024-03-01")
    terminal.keys("C-s")
    terminal.wait_for("saved")
    terminal.keys("C-q")
    terminal.wait_closed()

    listed = terminal.workbench_json("log", "list", "--json")
    text = json.dumps(listed)
    for code in ("K57.8", "Y02.1", "Y53.4", "Z33.2", "Z33.6", "Z94.2", "I50.0"):
        assert code in text, f"{code} missing from `workbench log list --json`: {text}"
    assert "TMUX655" in text


def test_killed_terminal_keeps_the_draft_and_resumes_at_the_same_question(terminal: Terminal) -> None:
    terminal.launch()
    terminal.wait_for("rule pack", timeout=30)
    terminal.type("655")
    terminal.wait_for("IPG655")
    terminal.keys("Enter")
    terminal.wait_for("Press c to code")
    terminal.keys("c")
    terminal.wait_for("question 1 of")
    terminal.keys("4")
    terminal.wait_for("question 2 of")
    time.sleep(0.5)                      # the draft is written by a worker after the answer
    terminal.tmux("kill-session", "-t", terminal.session)
    assert not terminal.alive()

    terminal.launch()
    terminal.wait_for("Unfinished coding", timeout=30)
    terminal.keys("Enter")
    screen = terminal.wait_for("question 2 of")
    assert "right atrium" in screen
    terminal.keys("C-q")
    terminal.wait_closed()
