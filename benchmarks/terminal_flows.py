"""What is done to each program in the real terminal, and timed (benchmarks/terminal.py runs them).

Every function takes a :class:`ControlTerminal` with the program ready, does one thing a coder
does, and returns what it measured. The bare app (benchmarks/bare_app.py) has one screen, so
it takes part in the typing, the digit echo, the searches and the memory; the screen changes
are the workbench's own, measured against an absolute goal (a frame within 100 ms).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

from benchmarks.tmux_control import ControlTerminal, Repaint

#: How long the pane must stay quiet before a screen change counts as settled: shorter than the
#: cursor's blink (0.5 s after a text box takes the focus), longer than any gap within a change.
SCREEN_QUIET = 0.25


@dataclass
class Keys:
    """Times (ms) and bytes of single keys' repaints."""

    times: list[float] = field(default_factory=list)
    firsts: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)

    def add(self, repaint: Repaint) -> None:
        self.times.append(repaint.seconds * 1000)
        self.firsts.append(repaint.first * 1000)
        self.sizes.append(repaint.bytes)

    def __iadd__(self, other: Keys) -> Keys:
        self.times += other.times
        self.firsts += other.firsts
        self.sizes += other.sizes
        return self


def typing(term: ControlTerminal, queries: tuple[str, ...], escapes: Keys | None = None) -> Keys:
    """Each key of each query typed one at a time; the box is cleared between queries: with
    Escape (the search screen's clear key), timed into ``escapes``, or else with backspaces."""
    keys = Keys()
    for query in queries:
        for ch in query:
            keys.add(term.key(ch))
        if escapes is not None:
            escapes.add(term.key("Escape", literal=False))
            continue
        for _ in query:  # clear the box again, not measured
            term.key("BSpace", literal=False, quiet=0.05)
    return keys


def echoing(term: ControlTerminal, answers: int) -> Keys:
    """The bare app: the digit the wizard is answered with, echoed."""
    keys = Keys()
    for _ in range(answers):
        keys.add(term.key("4"))
        term.key("BSpace", literal=False, quiet=0.05)
    return keys


def misspelt(queries: list[str], seed: int = 28) -> list[str]:
    """The queries with every third one misspelt (two letters of its longest word swapped), as
    coders mistype: the typo corrector and its word list are part of the memory figure."""
    rng = random.Random(seed)
    out = []
    for n, query in enumerate(queries):
        words = query.split()
        longest = max(range(len(words)), key=lambda i: len(words[i])) if words else 0
        word = words[longest] if words else ""
        if n % 3 == 0 and len(word) >= 5 and word.isalpha():
            i = rng.randrange(1, len(word) - 2)
            words[longest] = word[:i] + word[i + 1] + word[i] + word[i + 2:]
            query = " ".join(words)
        out.append(query)
    return out


def searching(term: ControlTerminal, queries: list[str]) -> None:
    """Type each query (all its keys in one write), let it settle, then clear the box (ctrl+u)."""
    for query in queries:
        term.text(query, quiet=0.08)
        term.key("C-u", literal=False, quiet=0.05)


@dataclass
class Flow:
    """The workbench's screen changes in one launch, and its wizard keys."""

    changes: dict[str, list[Repaint]] = field(default_factory=dict)
    answers: Keys = field(default_factory=Keys)
    backs: Keys = field(default_factory=Keys)          # Escape: back one question

    def change(self, name: str, repaint: Repaint) -> None:
        self.changes.setdefault(name, []).append(repaint)


#: The screen changes of the coding flow, in the order a coder meets them.
CHANGES = ("search -> guidance (Enter)", "guidance -> search (Escape)", "guidance -> wizard (c)",
           "wizard -> review (last answer)", "review -> add a code (ctrl+n)",
           "add a code -> review (Escape)", "review -> wizard (Escape)", "search -> review (ctrl+r)")


def coding(term: ControlTerminal, answers: int) -> Flow:
    """IPG655 from the search to the review and back, each screen change timed to its first
    frame and to the end of its repaint; with ``answers``, the first question is answered
    that many times (the next question painted) and Escape goes back each time."""
    flow = Flow()

    def change(name: str, key: str, *, literal: bool = False) -> None:
        flow.change(name, term.key(key, literal=literal, quiet=SCREEN_QUIET))

    term.text("655", quiet=0.3)
    change(CHANGES[0], "Enter")
    change(CHANGES[1], "Escape")
    term.key("Enter", literal=False, quiet=SCREEN_QUIET)
    change(CHANGES[2], "c", literal=True)
    for _ in range(answers):
        flow.answers.add(term.key("4"))                   # fluoroscopic image control: question 2
        flow.backs.add(term.key("Escape", literal=False))   # back to question 1
    term.key("4", quiet=0.2)
    term.key("1", quiet=0.2)
    change(CHANGES[3], "1", literal=True)
    change(CHANGES[4], "C-n")
    change(CHANGES[5], "Escape")
    change(CHANGES[6], "Escape")
    term.key("1", quiet=SCREEN_QUIET)                     # the reopened question: the review again
    term.key("C-g", literal=False, quiet=SCREEN_QUIET)   # to the search, the episode kept
    change(CHANGES[7], "C-r")
    return flow


#: One write carrying a coder's keys from the search to the saved form: IPG655's result opened,
#: coded, its three questions answered, the episode's details typed (as SSH delivers a fast
#: typist's keys, all in one read). What must be on screen afterwards (the review's form).
TYPE_AHEAD = ("655", "Enter", "c", "4", "1", "1", "PAT28", "Tab", "EP28", "Tab", "01/03/2024")
TYPE_AHEAD_TYPED = {"patient": "PAT28", "episode": "EP28", "date": "01/03/2024"}


def typed_ahead(term: ControlTerminal, wait: float = 10.0) -> int:
    """Characters of the details lost when every key is sent in one write (0 when none)."""
    term.keys(*TYPE_AHEAD, quiet=0.2, limit=wait)
    deadline = time.monotonic() + wait
    while True:
        screen = term.capture()
        lost = sum(len(text) for text in TYPE_AHEAD_TYPED.values() if text not in screen)
        if not lost or time.monotonic() > deadline:
            return lost
        time.sleep(0.1)
