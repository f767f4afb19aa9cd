"""A program in a real terminal, watched through a tmux control-mode client.

tmux runs the program in an 80x24 pane and, in control mode (``tmux -C``), reports every
byte the program writes to its terminal as a ``%output`` line, as it happens. That lets a
benchmark time what a coder sees: from the moment a key is sent to the end of the repaint
it causes (the last ``%output`` before the pane falls quiet), and count the bytes that
repaint put on the wire (what an SSH link would carry).
"""

from __future__ import annotations

import os
import re
import select
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

#: The pane counts as quiet (the repaint finished) after this long with no output.
QUIET_SECONDS = 0.25
#: A repaint is cut off this long after the first wait (the cursor's blink would never end it).
LONGEST_REPAINT = 5.0
_OCTAL = re.compile(rb"\\([0-7]{3})")


def _decode(escaped: bytes) -> bytes:
    """tmux writes non-printable bytes and backslashes of %output as \\ooo."""
    return _OCTAL.sub(lambda m: bytes([int(m.group(1), 8)]), escaped)


@dataclass
class Repaint:
    seconds: float            # key sent -> last output of the repaint (the screen has settled)
    bytes: int                # bytes the program wrote to the terminal for it
    first: float = float("nan")   # key sent -> first output (the first frame reached the terminal)
    text: bytes = b""         # what it wrote


class ControlTerminal:
    """One private tmux server (its own -L socket) running ``argv`` at 80x24."""

    def __init__(self, argv: list[str], env: dict[str, str], *, width: int = 80, height: int = 24):
        self.socket = f"wb-bench-{uuid.uuid4().hex[:8]}"
        self.env = {**env, "TERM": "xterm-256color"}
        command = " ".join(_quote(a) for a in argv)
        self.started = time.monotonic()
        self.client = subprocess.Popen(
            ["tmux", "-L", self.socket, "-C", "new-session", "-s", "bench", "-x", str(width),
             "-y", str(height), command],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=self.env, bufsize=0)
        self._send(f"refresh-client -C {width}x{height}")
        self._pending = b""
        self.seen = b""           # everything the program has written so far, decoded

    def _send(self, command: str) -> None:
        assert self.client.stdin is not None
        self.client.stdin.write(command.encode() + b"\n")

    def _read(self, timeout: float) -> list[tuple[float, bytes]]:
        """Output chunks (arrival time, decoded bytes) read in one go, waiting up to ``timeout``.

        Replies to our own commands (%begin/%end) are read and dropped, so an empty list
        does not mean the pane was quiet for ``timeout``.
        """
        assert self.client.stdout is not None
        ready, _, _ = select.select([self.client.stdout], [], [], max(0.0, timeout))
        if not ready:
            return []
        data = os.read(self.client.stdout.fileno(), 1 << 16)
        now = time.monotonic()
        if not data:
            raise EOFError("the tmux client ended")
        self._pending += data
        *lines, self._pending = self._pending.split(b"\n")
        chunks = []
        for line in lines:
            if line.startswith(b"%output "):
                payload = _decode(line.split(b" ", 2)[2] if line.count(b" ") >= 2 else b"")
                self.seen += payload
                chunks.append((now, payload))
        return chunks

    def wait_for(self, text: str, timeout: float = 60.0) -> float:
        """Seconds from launch until ``text`` first appears in the program's output."""
        needle = text.encode()
        deadline = time.monotonic() + timeout
        while needle not in self.seen:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{text!r} never appeared")
            for arrived, _ in self._read(0.05):
                if needle in self.seen:
                    return arrived - self.started
        return time.monotonic() - self.started

    def settle(self, quiet: float = QUIET_SECONDS) -> None:
        """Read until the pane has been quiet (no %output) for ``quiet`` seconds (a cursor that
        blinks is never quiet for longer than its half-period: given up after LONGEST_REPAINT)."""
        last = start = time.monotonic()
        while time.monotonic() - last < quiet and time.monotonic() - start < LONGEST_REPAINT:
            if self._read(quiet - (time.monotonic() - last)):
                last = time.monotonic()

    def key(self, key: str, *, literal: bool = True, quiet: float = QUIET_SECONDS,
            limit: float = 3.0) -> Repaint:
        """Send one key and time the repaint it causes."""
        self.settle()
        flag = "-l " if literal else ""
        sent = time.monotonic()
        self._send(f"send-keys -t bench {flag}{_quote(key)}")
        return self._repaint(sent, quiet, limit)

    def text(self, text: str, *, quiet: float = QUIET_SECONDS, limit: float = 3.0) -> Repaint:
        """Send ``text`` literally in one write (a query typed faster than the screen repaints)."""
        self.settle()
        sent = time.monotonic()
        self._send(f"send-keys -t bench -l {_quote(text)}")
        return self._repaint(sent, quiet, limit)

    def capture(self) -> str:
        """The text on the pane now."""
        return subprocess.run(["tmux", "-L", self.socket, "capture-pane", "-p", "-t", "bench"],
                              env=self.env, capture_output=True, text=True).stdout

    def keys(self, *keys: str, quiet: float = QUIET_SECONDS, limit: float = 3.0) -> Repaint:
        """Send several keys in one ``send-keys`` (one write to the terminal, as a fast typist's
        keys reach the program over SSH) and time the repaint they cause."""
        self.settle()
        sent = time.monotonic()
        self._send("send-keys -t bench " + " ".join(_quote(k) for k in keys))
        return self._repaint(sent, quiet, limit)

    def _repaint(self, sent: float, quiet: float, limit: float) -> Repaint:
        first: float | None = None
        last: float | None = None
        text = b""
        while time.monotonic() - sent < limit + LONGEST_REPAINT:   # a blinking cursor is never quiet
            # Before any output, wait up to ``limit``; after it, until ``quiet`` passes with none.
            waited_from, allowed = (sent, limit) if last is None else (last, quiet)
            remaining = allowed - (time.monotonic() - waited_from)
            if remaining <= 0:
                break
            for arrived, chunk in self._read(remaining):
                first = arrived if first is None else first
                last, text = arrived, text + chunk
        nan = float("nan")
        return Repaint(nan if last is None else last - sent, len(text),
                       nan if first is None else first - sent, text)

    def pid(self) -> int | None:
        shown = subprocess.run(["tmux", "-L", self.socket, "display-message", "-p", "-t", "bench",
                                "#{pane_pid}"], env=self.env, capture_output=True, text=True).stdout
        return int(shown) if shown.strip() else None

    def rss_mb(self) -> float:
        pid = self.pid()
        if pid is None:
            return float("nan")
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], env=self.env, capture_output=True)
        try:
            self.client.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.client.kill()


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"
