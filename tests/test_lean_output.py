"""The lean output draws the same screen, cell for cell, with fewer bytes (workbench/tui/lean_output.py).

Both streams are replayed through a small terminal model written here on its own (cursor
moves, text, new lines, erases and SGR styles, as a terminal applies them), in writes cut at
random places: the rewritten stream must leave every cell with the same character and style.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.tui.lean_output import LeanOutput

WIDTH, HEIGHT = 20, 6
TOKEN = re.compile(r"\x1b\[([0-?]*)([ -/]*)([@-~])|\x1b\][^\x07]*\x07|\x1b.|[\s\S]")


class Terminal:
    """A tiny terminal: a grid of (character, style) where a style is (attributes, fg, bg)."""

    def __init__(self) -> None:
        self.style: tuple[frozenset, str | None, str | None] = (frozenset(), None, None)
        self.blank = (" ", self.style)
        self.grid = [[self.blank] * WIDTH for _ in range(HEIGHT)]
        self.x = self.y = 0

    def feed(self, data: str) -> None:
        for match in TOKEN.finditer(data):
            token = match.group()
            if match.group(3) == "m" and not match.group(1).startswith(("?", ">", "<", "=")):
                self.sgr(match.group(1))
            elif match.group(3) == "H":
                row, _, col = (match.group(1) or "1;1").partition(";")
                self.y, self.x = int(row or 1) - 1, int(col or 1) - 1
            elif match.group(3) == "J":
                self.grid = [[(" ", (frozenset(), None, self.style[2]))] * WIDTH for _ in range(HEIGHT)]
            elif match.group(3) == "K":
                for x in range(self.x, WIDTH):
                    self.grid[self.y][x] = (" ", (frozenset(), None, self.style[2]))
            elif token == "\r":
                self.x = 0
            elif token == "\n":
                self.y = min(HEIGHT - 1, self.y + 1)
            elif not token.startswith("\x1b") and 0 <= self.x < WIDTH and 0 <= self.y < HEIGHT:
                self.grid[self.y][self.x] = (token, self.style)
                self.x += 1

    def sgr(self, text: str) -> None:
        attrs, fg, bg = set(self.style[0]), self.style[1], self.style[2]
        params = text.split(";") if text else ["0"]
        i = 0
        while i < len(params):
            n = int(params[i])
            if n in (38, 48):
                span = 3 if params[i + 1] == "5" else 5
                colour = ";".join(params[i:i + span])
                fg, bg = (colour, bg) if n == 38 else (fg, colour)
                i += span
                continue
            if n == 0:
                attrs, fg, bg = set(), None, None
            elif n == 22:
                attrs -= {1, 2}
            elif n == 24:
                attrs -= {4, 21}
            elif n in (23, 25, 27, 28, 29, 55):
                attrs -= {n - 20} if n != 55 else {53}
            elif n == 39:
                fg = None
            elif n == 49:
                bg = None
            elif 30 <= n <= 37 or 90 <= n <= 97:
                fg = str(n)
            elif 40 <= n <= 47 or 100 <= n <= 107:
                bg = str(n)
            else:
                attrs.add(n)
            i += 1
        self.style = (frozenset(attrs), fg, bg)


STYLE = st.sampled_from(["0", "1", "2", "3", "4", "7", "9", "1;2", "22", "23", "24", "27", "39", "49",
                         "38;5;246", "38;5;253;48;5;233", "1;38;5;195;48;5;32", "48;2;10;20;30",
                         "2;3;38;5;246", "31", "44", "97;100", ""])
PIECE = st.one_of(
    STYLE.map(lambda s: f"\x1b[{s}m"),
    st.text(alphabet="abc XYZ…", min_size=1, max_size=6),
    st.tuples(st.integers(1, HEIGHT), st.integers(1, WIDTH)).map(lambda p: f"\x1b[{p[0]};{p[1]}H"),
    st.sampled_from(["\r\n", "\r", "\x1b[K", "\x1b[2J", "\x1b[?25l", "\x1b[?2026h", "\x1b[?2026l", "\x1b]0;t\x07"]),
)


def replay(writes: list[str]) -> list:
    terminal = Terminal()
    for data in writes:
        terminal.feed(data)
    return terminal.grid


@settings(max_examples=300, deadline=None)
@given(st.lists(PIECE, max_size=60), st.lists(st.integers(0, 400), max_size=4))
def test_the_same_cells_in_the_same_styles(pieces: list[str], cuts: list[int]) -> None:
    stream = "\x1b[0m" + "".join(pieces)
    # The same stream, written in pieces cut anywhere between sequences (as frames are).
    writes, at = [], 0
    for cut in sorted(cuts):
        cut = min(cut, len(pieces))
        writes.append("".join(pieces[at:cut]))
        at = max(at, cut)
    writes.append("".join(pieces[at:]))
    writes[0] = "\x1b[0m" + writes[0]
    lean = LeanOutput()
    assert replay([lean.rewrite(w) for w in writes]) == replay([stream])


def test_a_textual_frame_takes_far_fewer_bytes() -> None:
    # Three result lines as Textual writes them: each run its whole style, then a reset.
    frame = "".join(
        f"\x1b[{y};1H\x1b[38;5;246;48;5;233mICD-10   \x1b[0m\x1b[1;38;5;253;48;5;233m{code}   \x1b[0m"
        f"\x1b[38;5;253;48;5;233m{title:<60}\x1b[0m\r\n"
        for y, code, title in ((6, "T81.6", "Acute reaction"), (7, "X80.3", "Self-harm"), (8, "A19.0", "Miliary")))
    lean = LeanOutput()
    lean.rewrite("\x1b[0m")
    shorter = lean.rewrite(frame)
    assert replay([shorter]) == replay([frame])
    assert len(shorter) < 0.8 * len(frame)
    assert "\x1b[0m" not in shorter          # never back to plain between lines of one background


def test_an_erase_gets_the_background_it_was_meant_to_have() -> None:
    lean = LeanOutput()
    out = lean.rewrite("\x1b[0m\x1b[48;5;233mab\x1b[0m\x1b[2J")
    assert out.index("\x1b[0m", 1) < out.index("\x1b[2J")   # plain again before the screen is cleared


STYLES = ["0", "1", "2", "1;2", "3", "4", "7", "9", "1;3;4;7", "38;5;246", "48;5;233", "1;38;5;253;48;5;233",
          "2;38;5;246;48;5;233", "31;44", "97;100", "38;2;1;2;3;48;2;4;5;6", "1;7;38;5;117"]


def test_every_change_between_two_styles_lands_on_the_second() -> None:
    for first in STYLES:
        for second in STYLES:
            frame = f"\x1b[0m\x1b[{first}mA\x1b[0m\x1b[{second}mB"
            lean = LeanOutput()
            assert replay([lean.rewrite(frame)]) == replay([frame]), (first, second)
