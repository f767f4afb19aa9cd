"""Type-ahead that keeps its order across focus changes and screen switches.

Textual hands each key to the widget focused when the key arrives, and resolves
non-priority bindings later, once the key has bubbled up to the app. Over SSH a
coder's "5 1 1 P1<Tab>E1" can arrive in one packet, so keys meant for the next
question or field would be queued on the old widget, or run after keys typed
later. Widgets with this mixin therefore:

1. pass a key on to whatever has the focus now if they have lost it meanwhile;
2. run their own bindings at once, in the order the keys were typed.
"""

from __future__ import annotations

from textual import events
from textual.widgets import Input


class ForwardTypeAhead:
    async def _on_key(self, event: events.Key) -> None:
        app = self.app  # type: ignore[attr-defined]
        target = app.focused
        if self.screen is not app.screen:  # type: ignore[attr-defined]
            target = app.focused or app.screen   # a new screen opened while keys were queued
        if target is not None and target is not self:
            event.prevent_default()
            event.stop()
            target.post_message(events.Key(event.key, event.character))
            return
        if self.key_now(event) or await self._own_binding(event):
            event.prevent_default()
            event.stop()

    def key_now(self, event: events.Key) -> bool:
        """Handle a key at once; True when handled. For subclasses."""
        return False

    async def _own_binding(self, event: events.Key) -> bool:
        bindings = self._bindings.copy()  # type: ignore[attr-defined]
        keymap = self.app._keymap  # type: ignore[attr-defined]
        if keymap:
            bindings.apply_keymap(keymap)
        for binding in bindings.key_to_bindings.get(event.key, []):
            if await self.app.run_action(binding.action, self):  # type: ignore[attr-defined]
                return True
        return False


class FormInput(ForwardTypeAhead, Input):
    """A form field where Tab moves on at once, in order with the keys typed after it."""

    def key_now(self, event: events.Key) -> bool:
        if event.key == "tab":
            self.screen.focus_next()
            return True
        if event.key == "shift+tab":
            self.screen.focus_previous()
            return True
        return False
