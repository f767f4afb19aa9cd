"""A private tmux server at 80x24 running the real `workbench` command, for end-to-end tests.

Each Terminal has its own server socket (-L), so tests never touch the user's tmux.
With ``record_exit`` a shell around the app writes its exit status (128 + N when
signal N ended it) to a file, and ``launch`` returns the app's process id (Linux /proc).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

WORKBENCH = Path(sys.executable).parent / "workbench"
#: Marks of every test that drives the real command in tmux.
NEEDS_TMUX = [
    pytest.mark.tmux,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (.ci/run installs it)"),
]


class Terminal:
    def __init__(self, home: Path, *, record_exit: bool = False):
        self.status_file = home / "app-exit-status" if record_exit else None
        self.socket = f"wb-test-{uuid.uuid4().hex[:8]}"
        self.session = "app"
        self.env = {**os.environ, "WORKBENCH_HOME": str(home),
                    "TERM": "xterm-256color"}
        for name in ("WORKBENCH_EXIT_ON_READY", "WORKBENCH_HEADLESS", "WORKBENCH_LOG"):
            self.env.pop(name, None)

    def tmux(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(["tmux", "-L", self.socket, *args], env=self.env, check=check,
                              capture_output=True, text=True, timeout=10)

    def launch(self) -> int | None:
        """Start the app; with ``record_exit``, return its process id."""
        command = str(WORKBENCH)
        if self.status_file is not None:
            self.status_file.unlink(missing_ok=True)
            command = f"{WORKBENCH}; echo $? > {self.status_file}"
        self.tmux("new-session", "-d", "-s", self.session, "-x", "80", "-y", "24", command)
        return self._app_pid() if self.status_file is not None else None

    def _app_pid(self) -> int:
        shell = int(self.tmux("display-message", "-p", "-t", self.session, "#{pane_pid}").stdout)
        children = Path(f"/proc/{shell}/task/{shell}/children")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            pids = children.read_text().split() if children.exists() else []
            if pids:
                return int(pids[0])
            time.sleep(0.02)
        raise AssertionError("the app's process never started")

    def exit_status(self, timeout: float = 10.0) -> int:
        """The app's exit status once it has ended (needs ``record_exit``)."""
        assert self.status_file is not None, "exit_status needs Terminal(record_exit=True)"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.status_file.read_text().strip() if self.status_file.exists() else ""
            if text:
                return int(text)
            time.sleep(0.05)
        raise AssertionError(f"the app did not end; the screen was:\n{self.screen()}")

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", self.session, check=False).stdout

    def alive(self) -> bool:
        return self.tmux("has-session", "-t", self.session, check=False).returncode == 0

    def wait_for(self, text: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.05)
        raise AssertionError(f"'{text}' never appeared; the screen was:\n{self.screen()}")

    def wait_for_all(self, texts: list[str], timeout: float = 30.0) -> str:
        """The screen once every one of ``texts`` is on it (a screen's later frames included),
        or as it is at the timeout: the caller's assertions then say what is missing."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if all(text in screen for text in texts) or time.monotonic() > deadline:
                return screen
            time.sleep(0.1)

    def wait_closed(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while self.alive():
            if time.monotonic() > deadline:
                raise AssertionError(f"the app did not exit; the screen was:\n{self.screen()}")
            time.sleep(0.1)

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", self.session, *keys)

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", self.session, "-l", text)

    def close(self) -> None:
        self.tmux("kill-session", "-t", self.session, check=False)

    def kill_server(self) -> None:
        self.tmux("kill-server", check=False)

    def workbench_json(self, *args: str) -> object:
        """Run a `workbench` CLI command against the same home and parse its JSON."""
        result = subprocess.run([str(WORKBENCH), *args], env=self.env, capture_output=True,
                                text=True, timeout=60)
        assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
        return json.loads(result.stdout)
