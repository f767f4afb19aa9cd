"""Keys typed ahead: held while the app is busy with an earlier key or a screen, then replayed.

Over SSH a fast typist's keys arrive together, in one read ("655⏎c511PAT28⇥EP28..."). Textual
gives each key to the widget that has the focus when the key *arrives*: keys meant for the
screen the previous key opens, or the question it answers, land on the old one, or on a screen
not yet mounted, which drops them. So the app takes keys one at a time (``TypeAhead.key``):

1. A key is dispatched as Textual does it (priority bindings, then the focused widget, then the
   bindings of the widgets and screen it bubbles through). It counts as handled when two
   markers sent one after the other from that widget have reached the app: the first follows
   the key up the same queues, the second whatever the key's handlers posted on the way (an
   answer chosen, a field submitted).
2. A screen pushed meanwhile holds the keys until it is mounted and has painted its first
   frame (its focus is set by then): ``opened``.
3. A screen may also hold them while it loads what they act on (the guidance before ``c``,
   the results before Enter): ``hold(owner)`` ... ``release(owner)``.

Held keys are replayed in the order typed, to whatever has the focus then. Nothing is held
for longer than ``HOLD_LIMIT``: a slow or locked database must never swallow the keyboard.
With no key waiting, a key costs two small messages and is dispatched at once.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from textual import events
from textual.message import Message

#: Longest a screen's hold may keep keys back (seconds); then they go where the focus is.
HOLD_LIMIT = 2.0
#: Longest one key may be in flight (its markers lost with a closed widget, say).
IN_FLIGHT_LIMIT = 0.5
WATCH_PERIOD = 0.05


class KeyHandled(Message):
    """A marker following a key up the widget tree (``round`` 1, then 2)."""

    def __init__(self, token: int, round: int) -> None:
        super().__init__()
        self.token = token
        self.round = round


class TypeAhead:
    def __init__(self, app: Any, dispatch: Callable[[events.Key], Awaitable[None]]) -> None:
        self.app = app
        self._dispatch_key = dispatch        # Textual's own handling of a key from the terminal
        self.pending: deque[events.Key] = deque()
        self.holds: dict[tuple[int, str], tuple[Any, float]] = {}   # (id(owner), why) -> (owner, since)
        self._token = 0
        self._in_flight: tuple[int, Any, float] | None = None   # (token, widget, since)
        self._watch: Any = None

    # ------------------------------------------------------------ state

    @property
    def busy(self) -> bool:
        return self._in_flight is not None or bool(self.holds)

    def hold(self, owner: Any, why: str = "loading") -> None:
        """Keep keys back until ``release(owner)`` (or ``HOLD_LIMIT``)."""
        self.holds[(id(owner), why)] = (owner, time.monotonic())

    def release(self, owner: Any, why: str = "loading") -> None:
        if self.holds.pop((id(owner), why), None) is not None:
            self._replay_soon()

    def opened(self, screen: Any) -> None:
        """A screen was pushed: keys wait until it is mounted and has painted its first frame.

        The callback is queued on the screen itself, so it runs only after the screen's
        compose and mount, then after its next refresh."""
        self.hold(screen, "opening")
        if not screen.call_after_refresh(self.release, screen, "opening"):
            self.release(screen, "opening")

    # ------------------------------------------------------------ keys

    async def key(self, event: events.Key) -> None:
        """A key from the terminal: dispatched now, or queued behind what is in progress."""
        if self.pending or self.busy:
            self.pending.append(event)
            self._watching()
            return
        await self._dispatch(event)

    async def _dispatch(self, event: events.Key) -> None:
        app = self.app
        target = app.focused or app.screen
        await self._dispatch_key(event)
        if event.is_forwarded:   # to a widget's queue (not taken by a priority binding)
            self._send_marker(target, 1)
        self._watching()

    def _send_marker(self, widget: Any, round: int) -> None:
        self._token += 1
        if widget.post_message(KeyHandled(self._token, round)):
            self._in_flight = (self._token, widget, time.monotonic())
        else:
            self._in_flight = None

    async def marker(self, message: KeyHandled) -> None:
        """A marker reached the app (the app's ``on_key_handled``)."""
        if self._in_flight is None or message.token != self._in_flight[0]:
            return    # one given up on (IN_FLIGHT_LIMIT)
        widget = self._in_flight[1]
        if message.round == 1 and widget.is_attached:
            self._send_marker(widget, 2)
            return
        self._in_flight = None
        await self._replay()

    async def _replay(self) -> None:
        self._expire()
        while self.pending and not self.busy:
            await self._dispatch(self.pending.popleft())

    def _replay_soon(self) -> None:
        if self.pending and not self.busy:
            self.app.call_later(self._replay)

    # ------------------------------------------------------------ nothing held for ever

    def _expire(self) -> None:
        now = time.monotonic()
        for key, (owner, since) in list(self.holds.items()):
            gone = getattr(owner, "is_attached", True) is False and owner is not getattr(self.app, "screen", None)
            if now - since > HOLD_LIMIT or (gone and now - since > WATCH_PERIOD):
                del self.holds[key]
        if self._in_flight is not None:
            _, widget, since = self._in_flight
            if now - since > IN_FLIGHT_LIMIT or not widget.is_attached:
                self._in_flight = None

    def _watching(self) -> None:
        """While keys wait, look every WATCH_PERIOD for holds and markers to give up on."""
        if self._watch is None:
            self._watch = self.app.set_interval(WATCH_PERIOD, self._tick, pause=True)
        if self.pending:
            self._watch.resume()

    async def _tick(self) -> None:
        if not self.pending:
            self._watch.pause()
            return
        self._expire()
        await self._replay()
