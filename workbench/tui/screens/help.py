"""F1: the keys and a short how-to for the screen underneath."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Markdown, Static

from workbench.tui import help as help_content
from workbench.tui import keymap


class HelpScreen(ModalScreen[None]):
    BINDINGS = keymap.bindings("help")
    HELP_NAME = "help"

    def __init__(self, under: Screen):
        super().__init__()
        self.topic = getattr(under, "HELP_NAME", "search")
        if self.topic not in help_content.SCREENS:
            self.topic = "search"

    def compose(self) -> ComposeResult:
        text = help_content.markdown(self.topic, self.app.user_keys)
        with Vertical(id="help-box", classes="modal"):
            with VerticalScroll(id="help-text"):
                yield Markdown(text)
            yield Static("Escape or F1 closes. ctrl+p lists every command.", classes="modal-keys")

    def on_mount(self) -> None:
        self.query_one("#help-text").focus()

    def action_close(self) -> None:
        self.dismiss(None)
