"""Type-ahead in a real terminal: a coder's keys from the search to the review's form, sent in
one tmux send-keys (one write to the terminal, as SSH delivers a fast typist's keys), all land
where they were meant to (workbench/tui/typeahead.py). The Pilot version is in
tests/test_tui_typeahead.py.
"""

from __future__ import annotations

from tests.tmux_terminal import NEEDS_TMUX, Terminal

pytestmark = NEEDS_TMUX

#: tmux key names and text, in the order typed; all in one send-keys.
KEYS = ["655", "Enter", "c", "4", "1", "1", "PAT28", "Tab", "EP28", "Tab", "01/03/2024"]


def test_keys_sent_in_one_write_reach_the_review_form(terminal: Terminal) -> None:
    terminal.launch()
    terminal.wait_for("rule pack", timeout=30)               # the reference database is ready
    terminal.keys(*KEYS)                                     # one write: nothing waits between keys
    screen = terminal.wait_for_all(["NHS number", "PAT28", "EP28", "01/03/2024", "= 1 Mar 2024"])
    for text in ("PAT28", "EP28", "01/03/2024"):
        assert text in screen, f"{text} was lost; the screen was:\n{screen}"
    assert "Review · IPG655" in screen
    terminal.keys("C-s")
    terminal.wait_for("saved")
    terminal.keys("C-q")
    terminal.wait_closed()
    [saved] = terminal.workbench_json("log", "list", "--json")
    assert saved["patient"] == "PAT28" and saved["episode"] == "EP28" and saved["date"] == "2024-03-01"
    assert saved["procedures"][0] == "K57.8"


def test_keys_after_a_key_that_closes_a_screen_go_to_the_screen_below(terminal: Terminal) -> None:
    # `/` closes the guidance (back to the search box); the keys after it, in the same write,
    # clear the box and type another search. (Not Escape: a terminal sends ESC and the byte
    # after it in one write as Alt+that key, which is what they are.)
    terminal.launch()
    terminal.wait_for("rule pack", timeout=30)
    terminal.type("655")
    terminal.wait_for("IPG655")
    terminal.keys("Enter")
    terminal.wait_for("Press c to code")
    terminal.keys("/", "C-u", "75")
    screen = terminal.wait_for_all(["IPG75 "])
    assert "IPG75 " in screen and "Press c to code" not in screen, screen
    terminal.keys("C-q")
    terminal.wait_closed()
