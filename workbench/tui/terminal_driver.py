"""The terminal driver: Textual's, with an Escape key that acts at once and leaner output.

Output: every write goes through ``LeanOutput`` (workbench/tui/lean_output.py), which sends
each style change as the difference from the last (about a third fewer bytes a frame).

Input, the Escape key:

An ESC byte starts every escape sequence (arrows, function keys, mouse reports) and is also
the Escape key itself. Textual's input thread tells them apart by waiting up to ESCDELAY
(100 ms) for more bytes, and it only looks again when its 100 ms ``select`` returns, so a
coder's Escape waited 100-200 ms before anything happened.

A terminal writes a whole sequence at once, and the pty (or the SSH channel) hands it over
in one read: a lone ESC at the *end* of a read, with nothing following within a few
milliseconds, is the Escape key. So after such a read this driver waits ``ESCAPE_GRACE`` for
the rest of a sequence and, when none comes, has the parser give up waiting now. A
sequence that does arrive in pieces (a very slow link) still parses, as long as its pieces
are less than ESCAPE_GRACE apart; a coder on such a link sets ESCDELAY (milliseconds, as for
curses) to wait longer.
"""

from __future__ import annotations

import os
import selectors
from codecs import getincrementaldecoder
from typing import Any

from textual._loop import loop_last
from textual._parser import ParseError
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver

from workbench.tui.lean_output import LeanOutput

ESC = "\x1b"


def escape_grace() -> float:
    """Seconds to wait after a lone ESC for the rest of a sequence: ESCDELAY if set, else 8 ms."""
    try:
        return max(1, int(os.environ["ESCDELAY"])) / 1000
    except (KeyError, ValueError):
        return 0.008


class EscapeParser(XTermParser):
    def waiting_after_escape(self) -> bool:
        """True while the parser waits (with a timeout) for what follows an ESC."""
        return self._timeout_time is not None

    def give_up_waiting(self):
        """What the parser would emit once its ESC wait ran out (the Escape key), now."""
        self._timeout_time = 0.0
        return self.tick()


class WorkbenchDriver(LinuxDriver):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lean = LeanOutput()

    def write(self, data: str) -> None:
        super().write(self._lean.rewrite(data))

    def run_input_thread(self) -> None:
        """Textual's input loop (LinuxDriver.run_input_thread), plus the lone-ESC rule."""
        selector = selectors.SelectSelector()
        selector.register(self.fileno, selectors.EVENT_READ)
        fileno = self.fileno
        parser = EscapeParser(self._debug)
        grace = escape_grace()
        decode = getincrementaldecoder("utf-8")().decode

        def process(selector_events: list, final: bool = False) -> str:
            data = ""
            for last, (_key, mask) in loop_last(selector_events):
                if mask & selectors.EVENT_READ:
                    data = decode(os.read(fileno, 1024 * 4), final=final and last)
                    if not data:
                        break   # stdin piped and ended
                    for event in parser.feed(data):
                        self.process_message(event)
            for event in parser.tick():
                self.process_message(event)
            return data

        try:
            while not self.exit_event.is_set():
                data = process(selector.select(0.1))
                if data.endswith(ESC) and parser.waiting_after_escape() and not selector.select(grace):
                    for event in parser.give_up_waiting():
                        self.process_message(event)
            selector.unregister(self.fileno)
            process(selector.select(0.1), final=True)
        finally:
            selector.close()
            try:
                for _event in parser.feed(""):
                    pass
            except (EOFError, ParseError):
                pass
