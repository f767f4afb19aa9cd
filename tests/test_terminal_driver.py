"""The terminal driver's Escape: a lone ESC at the end of a read is the Escape key, at once;
the same byte starting a sequence (an arrow key) is not (workbench/tui/terminal_driver.py)."""

from __future__ import annotations

import os
import threading
import time

import pytest
from textual import constants, events

from workbench.tui.terminal_driver import EscapeParser, WorkbenchDriver, escape_grace


class FakeApp:
    """What the driver's input thread needs of an app: somewhere to send the keys."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    def post_message(self, message) -> bool:
        return True


@pytest.fixture
def slow_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    # Textual's own wait for the rest of a sequence, made far longer than any test: an Escape
    # that arrives at all arrived by the driver's rule, not by that timeout.
    monkeypatch.setattr(constants, "ESCAPE_DELAY", 30.0)


def keys_of(events_) -> list[str]:
    return [e.key for e in events_ if isinstance(e, events.Key)]


def test_the_parser_gives_up_waiting_after_a_lone_escape(slow_parser) -> None:
    parser = EscapeParser()
    assert keys_of(parser.feed("\x1b")) == []
    assert parser.waiting_after_escape()
    assert keys_of(parser.give_up_waiting()) == ["escape"]
    assert not parser.waiting_after_escape()
    assert keys_of(parser.feed("\x1b[A")) == ["up"]            # a whole sequence: no wait at all
    assert not parser.waiting_after_escape()


def test_a_sequence_in_two_reads_within_the_grace_is_still_one_key(slow_parser) -> None:
    parser = EscapeParser()
    assert keys_of(parser.feed("\x1b")) == []
    assert keys_of(parser.feed("[B")) == ["down"]


def test_escdelay_sets_the_grace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ESCDELAY", raising=False)
    assert 0 < escape_grace() < 0.05
    monkeypatch.setenv("ESCDELAY", "250")
    assert escape_grace() == 0.25


def run_driver(data: list[str], pause: float = 0.0) -> list[str]:
    """Feed ``data`` (one write each) to the driver's input loop through a pipe; the keys.
    (Called from an async test: a driver is made inside the app's running loop.)"""
    read_fd, write_fd = os.pipe()
    driver = WorkbenchDriver(FakeApp(), debug=False, mouse=False)
    driver.fileno = read_fd
    got: list[str] = []
    arrived = threading.Event()

    def process_message(message) -> None:
        if isinstance(message, events.Key):
            got.append(message.key)
            if len(got) >= len(data):
                arrived.set()

    driver.process_message = process_message
    thread = threading.Thread(target=driver.run_input_thread, daemon=True)
    thread.start()
    try:
        for chunk in data:
            os.write(write_fd, chunk.encode())
            time.sleep(pause)
        arrived.wait(10)
    finally:
        driver.exit_event.set()
        thread.join(5)
        os.close(write_fd)
        os.close(read_fd)
    return got


async def test_the_escape_key_arrives_without_textuals_wait(slow_parser) -> None:
    assert run_driver(["\x1b"]) == ["escape"]


async def test_arrows_and_letters_after_escape_are_themselves(slow_parser) -> None:
    assert run_driver(["\x1b[A", "\x1b", "x"], pause=0.2) == ["up", "escape", "x"]
