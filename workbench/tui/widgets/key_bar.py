"""The key bar at the foot of every screen: the keys that work here, in one line of text.

Textual's Footer is a container of one widget per key, composed again whenever the screen's
bindings change (every screen change, every focus change): a dozen widgets mounted and
styled each time, a third of the cost of opening the review. This bar is one widget that
draws the same line (the key, then what it does; the command palette's key on the right)
and repaints it only when its text changes. A click on a key presses it.
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.widget import Widget


class KeyBar(Widget, can_focus=False):
    COMPONENT_CLASSES = {"key-bar--key", "key-bar--description", "key-bar--disabled", "key-bar--separator"}
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        width: 1fr;
        color: $footer-foreground;
        background: $footer-background;
        & > .key-bar--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        & > .key-bar--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        & > .key-bar--disabled {
            text-style: dim;
        }
        & > .key-bar--separator {
            color: $foreground 20%;
        }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._spans: list[tuple[int, int, str]] = []     # (start, end, key) of each key on the line
        self._shown: tuple = ()

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: object) -> None:
        if self.is_attached and screen is self.screen:
            shown = self._keys()
            if shown != self._shown:
                self._shown = shown
                self.refresh()    # one line, same size: no layout

    def _keys(self) -> tuple:
        """(key, display, description, enabled) of every shown binding, palette last."""
        app = self.app
        keys, palette, seen = [], None, set()
        for _node, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if binding.key == app.COMMAND_PALETTE_BINDING and app.ENABLE_COMMAND_PALETTE:
                palette = (binding.key, app.get_key_display(binding), binding.description, enabled)
            elif binding.show and binding.action not in seen:
                seen.add(binding.action)
                keys.append((binding.key, app.get_key_display(binding), binding.description, enabled))
        return (tuple(keys), palette)

    def render(self) -> Text:
        if not self._shown:
            self._shown = self._keys()
        keys, palette = self._shown
        key_style = self.get_component_rich_style("key-bar--key")
        text_style = self.get_component_rich_style("key-bar--description")
        dim = self.get_component_rich_style("key-bar--disabled")
        line = Text(no_wrap=True, overflow="crop", end="")
        self._spans = []

        def add(key: str, display: str, description: str, enabled: bool) -> None:
            start = line.cell_len
            line.append(f" {display} ", key_style if enabled else key_style + dim)
            if description:
                line.append(f"{description} ", text_style if enabled else text_style + dim)
            self._spans.append((start, line.cell_len, key))

        tail = Text(end="")
        if palette is not None:   # on the right, always; the keys take what room is left
            separator = self.get_component_rich_style("key-bar--separator")
            tail = Text.assemble(("▏", separator), (palette[1], key_style), (f" {palette[2]} ", text_style))
        room = (self.size.width or 80) - tail.cell_len
        for key in keys:
            add(*key)
        if line.cell_len > room:
            line.truncate(room)
            self._spans = [(start, min(end, room), key) for start, end, key in self._spans if start < room]
        if tail:
            line.append(" " * (room - line.cell_len))
            self._spans.append((room, room + tail.cell_len, palette[0]))
            line.append_text(tail)
        return line

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self._spans:
            if start <= event.x < end:
                self.app.simulate_key(key)
                return
