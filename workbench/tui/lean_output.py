"""Fewer bytes for the same screen: each style change is sent as the difference from the last.

Textual writes every styled run of text as its whole style, the text, then a reset::

    ESC[38;5;246;48;5;233m ICD-10 ESC[0m ESC[1;38;5;253;48;5;233m T81.6 ESC[0m ...

so a result line of three runs carries about 75 bytes of styles for 80 characters, and a
keystroke on the search screen sends a dozen such lines over SSH. The terminal keeps its
current style between writes, so the same screen needs only what changes: here the second
run becomes ``ESC[1;38;5;253m`` (bold and the colour; the background stays), and the reset
at the end of a line is only sent when the next text needs it.

``LeanOutput.rewrite`` keeps the terminal's style across writes and rewrites the style
sequences (SGR) of what Textual writes. Text, cursor moves and new lines keep a deferred
style waiting (none of them paints a cell); anything else (an erase, a mode, a title) is
preceded by the style it expects, and a sequence this module does not model leaves the
style unknown, so the next change is sent from a full reset. The screen is the same cell
for cell: tests/test_lean_output.py replays both outputs through a terminal model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: One escape sequence: CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), or ESC and one byte.
SEQUENCE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[^\[\]]?")
#: Cursor moves: change no cell and no style, so a waiting style can wait past them.
MOVES = set("ABCDEFGHdf")
#: The attributes Rich and Textual use, with the code that turns each off.
OFF = {1: 22, 2: 22, 3: 23, 4: 24, 21: 24, 5: 25, 6: 25, 7: 27, 8: 28, 9: 29, 51: 54, 52: 54, 53: 55}


@dataclass(frozen=True)
class Style:
    flags: frozenset[int] = field(default_factory=frozenset)
    fg: str | None = None      # "38;5;246", "31", "38;2;1;2;3"; None: the terminal's default
    bg: str | None = None

    def apply(self, params: list[str]) -> Style | None:
        """This style after an SGR with ``params``; None for a code not modelled here."""
        flags, fg, bg = set(self.flags), self.fg, self.bg
        i = 0
        while i < len(params):
            code = params[i]
            if not code.isdigit():
                return None
            n = int(code)
            if n == 0:
                flags, fg, bg = set(), None, None
            elif n in OFF:
                flags.add(n)
            elif n in (22, 23, 24, 25, 27, 28, 29, 54, 55):
                flags -= {k for k, off in OFF.items() if off == n}
            elif 30 <= n <= 37 or 90 <= n <= 97:
                fg = code
            elif 40 <= n <= 47 or 100 <= n <= 107:
                bg = code
            elif n == 39:
                fg = None
            elif n == 49:
                bg = None
            elif n in (38, 48):
                size = {"5": 3, "2": 5}.get(params[i + 1] if i + 1 < len(params) else "", 0)
                if not size or i + size > len(params):
                    return None
                colour = ";".join(params[i:i + size])
                fg, bg = (colour, bg) if n == 38 else (fg, colour)
                i += size
                continue
            else:
                return None
            i += 1
        return Style(frozenset(flags), fg, bg)

    def from_reset(self) -> list[str]:
        """The SGR codes setting this style on any terminal: a reset, then each part."""
        return ["0", *sorted(str(f) for f in self.flags), *(c for c in (self.fg, self.bg) if c is not None)]

    def change_to(self, wanted: Style) -> str:
        """The shortest SGR taking a terminal in this style to ``wanted`` ('' when equal)."""
        if wanted == self:
            return ""
        full = wanted.from_reset()
        if self is UNKNOWN:
            return f"\x1b[{';'.join(full)}m"
        codes: list[str] = []
        gone = self.flags - wanted.flags
        if gone:
            offs = {OFF[f] for f in gone}
            codes += [str(off) for off in sorted(offs)]
            # 22 turns off bold and dim together: put back the one still wanted.
            again = {f for f in wanted.flags if OFF[f] in offs}
        else:
            again = set()
        codes += [str(f) for f in sorted((wanted.flags - self.flags) | again)]
        if wanted.fg != self.fg:
            codes.append(wanted.fg or "39")
        if wanted.bg != self.bg:
            codes.append(wanted.bg or "49")
        shortest = min(codes, full, key=lambda c: len(";".join(c)))
        return f"\x1b[{';'.join(shortest)}m"


PLAIN = Style()
UNKNOWN = Style(frozenset({-1}))   # after a sequence not modelled: never equal to a real style


class LeanOutput:
    """Rewrites a stream of terminal output; keep one per terminal (it remembers the style)."""

    def __init__(self) -> None:
        self.terminal = UNKNOWN     # the style the terminal is in (unknown until a reset)
        self.wanted = PLAIN         # the style the next text is to be drawn in

    def rewrite(self, data: str) -> str:
        out: list[str] = []
        at = 0
        for match in SEQUENCE.finditer(data):
            if match.start() > at:
                self._text(data[at:match.start()], out)
            self._sequence(match.group(), out)
            at = match.end()
        if at < len(data):
            self._text(data[at:], out)
        return "".join(out)

    def _text(self, text: str, out: list[str]) -> None:
        if text.strip("\r\n\b\t\x07"):     # something is drawn: in the style wanted
            self._commit(out)
        out.append(text)

    def _commit(self, out: list[str]) -> None:
        if self.wanted is not UNKNOWN and self.wanted != self.terminal:
            out.append(self.terminal.change_to(self.wanted))
            self.terminal = self.wanted

    def _sequence(self, sequence: str, out: list[str]) -> None:
        if sequence.startswith("\x1b[") and sequence.endswith("m") and sequence[2:3] not in "<=>?":
            params = sequence[2:-1].split(";") if sequence[2:-1] else ["0"]
            base = PLAIN if params[0] in ("0", "") else self.wanted
            wanted = None if base is UNKNOWN else base.apply(params)
            if wanted is not None:
                self.wanted = wanted       # sent when text needs it
                return
            self._commit(out)              # not modelled: sent as it is, after what it follows
            out.append(sequence)
            self.terminal = self.wanted = UNKNOWN
            return
        if sequence.startswith("\x1b[") and sequence[-1] in MOVES:
            out.append(sequence)           # a cursor move paints nothing
            return
        self._commit(out)                  # an erase fills with the style: it must be in place
        out.append(sequence)
        if sequence in ("\x1b8", "\x1bc") or sequence.startswith("\x1b[!p"):
            self.terminal = self.wanted = UNKNOWN   # restored or reset by the terminal: not known
