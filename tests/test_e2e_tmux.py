"""The real `workbench` command in a real terminal (tmux at 80x24): code IPG655, find it in the log.

Uses a private tmux server (-L) and a unique session name, so it never touches the
user's tmux. CI installs tmux; without it the tests skip and say why.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.tmux,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (.ci/run installs it)"),
]

WORKBENCH = Path(sys.executable).parent / "workbench"


class Terminal:
    def __init__(self, home: Path):
        self.socket = f"wb-test-{uuid.uuid4().hex[:8]}"
        self.session = f"wb-{uuid.uuid4().hex[:8]}"
        self.env = {**os.environ, "WORKBENCH_HOME": str(home), "WORKBENCH_CODER": "tmux.coder",
                    "TERM": "xterm-256color"}
        for name in ("WORKBENCH_EXIT_ON_READY", "WORKBENCH_HEADLESS", "WORKBENCH_LOG"):
            self.env.pop(name, None)

    def tmux(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(["tmux", "-L", self.socket, *args], env=self.env, check=check,
                              capture_output=True, text=True, timeout=10)

    def launch(self) -> None:
        command = f"{WORKBENCH}"
        self.tmux("new-session", "-d", "-s", self.session, "-x", "80", "-y", "24", command)

    def screen(self) -> str:
        result = self.tmux("capture-pane", "-p", "-t", self.session, check=False)
        return result.stdout

    def alive(self) -> bool:
        return self.tmux("has-session", "-t", self.session, check=False).returncode == 0

    def wait_for(self, text: str, timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"'{text}' never appeared; the screen was:\n{self.screen()}")

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", self.session, *keys)

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", self.session, "-l", text)

    def wait_closed(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while self.alive():
            if time.monotonic() > deadline:
                raise AssertionError(f"the app did not exit; the screen was:\n{self.screen()}")
            time.sleep(0.1)

    def kill_server(self) -> None:
        self.tmux("kill-server", check=False)


@pytest.fixture
def terminal(isolated_home: Path) -> Iterator[Terminal]:
    term = Terminal(isolated_home)
    yield term
    term.kill_server()


def workbench_json(term: Terminal, *args: str) -> object:
    result = subprocess.run([str(WORKBENCH), *args], env=term.env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


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
    terminal.keys("5")
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

    listed = workbench_json(terminal, "log", "list", "--json")
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
    terminal.keys("5")
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
