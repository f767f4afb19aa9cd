"""Two windows on one log, as a coder works over SSH: the app saves, the CLI lists, the app
saves again, the CLI sees both; after the app quits both are still there."""

from __future__ import annotations

from tests.tmux_terminal import NEEDS_TMUX, Terminal

pytestmark = NEEDS_TMUX


def _code_and_save(terminal: Terminal, patient: str, number: int) -> None:
    terminal.type("ipg655")
    terminal.wait_for("IPG655")
    terminal.keys("Enter")
    terminal.wait_for("Press c to code")
    terminal.keys("c")
    for question, answer in ((1, "4"), (2, "1"), (3, "1")):
        terminal.wait_for(f"question {question} of")
        terminal.keys(answer)
    terminal.wait_for("NHS number")
    terminal.type(patient)
    terminal.keys("Tab")
    terminal.type(f"EP-{patient}")
    terminal.keys("Tab")
    terminal.type("2024-03-01")
    terminal.keys("C-s")
    # This save's own message: the first save's may still be on screen when the second is made.
    terminal.wait_for(f"Episode {number} saved")


def _patients(terminal: Terminal) -> list[str]:
    listed = terminal.workbench_json("log", "list", "--json")
    return sorted(item["patient"] for item in listed)


def test_app_and_cli_in_two_windows_keep_both_episodes(terminal: Terminal) -> None:
    terminal.launch()
    terminal.wait_for("rule pack", timeout=30)
    _code_and_save(terminal, "TWO-A", 1)
    assert _patients(terminal) == ["TWO-A"]             # the other window lists while the app runs
    terminal.wait_for("Search:")
    _code_and_save(terminal, "TWO-B", 2)
    assert _patients(terminal) == ["TWO-A", "TWO-B"]
    terminal.keys("C-q")
    terminal.wait_closed()
    assert _patients(terminal) == ["TWO-A", "TWO-B"]
    verified = terminal.workbench_json("log", "verify", "--json")
    assert verified["ok"] and verified["versions_checked"] == 2
