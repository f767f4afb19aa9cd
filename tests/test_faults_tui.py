"""Fault suite: the real app in a real terminal (tmux) loses no coding when it is cut off.

SIGHUP (an SSH session dropped) and SIGKILL are sent straight to the app's process in
the middle of the wizard, right after an answer shows the next question. The draft must
be in the log (`workbench log drafts --json`, with the answers given so far), and the next
launch must offer it and resume at the same question. Uses a private tmux server; skips
with the reason when tmux is missing.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tmux_terminal import NEEDS_TMUX, Terminal

pytestmark = [
    *NEEDS_TMUX,
    pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="finds the app's process in /proc (Linux only)"),
]

@pytest.fixture
def terminal(isolated_home: Path) -> Iterator[Terminal]:
    term = Terminal(isolated_home, record_exit=True)
    yield term
    term.kill_server()


def drafts(term: Terminal) -> list[dict]:
    return term.workbench_json("log", "drafts", "--json")


def to_question_3_of_ipg655(term: Terminal) -> int:
    pid = term.launch()
    term.wait_for("rule pack", timeout=30)           # the reference database is ready
    term.type("655")
    term.wait_for("IPG655")
    term.keys("Enter")
    term.wait_for("Press c to code")
    term.keys("c")
    term.wait_for("question 1 of")
    term.keys("4")                                    # fluoroscopy
    term.wait_for("question 2 of")
    term.keys("1")                                    # right-atrial lead: yes
    term.wait_for("question 3 of")
    return pid


def relaunch_resumes_question_3(term: Terminal) -> None:
    term.close()
    term.launch()
    term.wait_for("Unfinished coding", timeout=30)
    term.keys("Enter")
    screen = term.wait_for("question 3 of")
    assert "congestive" in screen.lower()
    term.keys("C-q")
    assert term.exit_status() == 0


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGKILL], ids=["SIGHUP", "SIGKILL"])
def test_signal_mid_wizard_keeps_the_draft(terminal: Terminal, sig: signal.Signals) -> None:
    pid = to_question_3_of_ipg655(terminal)
    # Almost at once: the draft is written by a worker after each answer, and an answer
    # whose next question is already on screen must be safe (this passes with no pause at
    # all on a quiet machine; 0.1 s keeps a loaded CI runner from flaking).
    time.sleep(0.1)
    os.kill(pid, sig)
    status = terminal.exit_status()
    if sig == signal.SIGHUP:
        assert status == 0, f"SIGHUP should end the app quietly, exit status {status}"
    else:
        assert status == 128 + signal.SIGKILL
    saved = drafts(terminal)
    assert len(saved) == 1, saved
    state = saved[0]["state"]
    assert state.get("guidance_id") == "IPG655", state
    assert len(state.get("answers") or {}) == 2, state
    relaunch_resumes_question_3(terminal)


def test_sighup_leaves_no_traceback_on_the_terminal(terminal: Terminal) -> None:
    pid = to_question_3_of_ipg655(terminal)
    time.sleep(0.1)
    os.kill(pid, signal.SIGHUP)
    terminal.exit_status()
    assert "Traceback" not in terminal.screen()
