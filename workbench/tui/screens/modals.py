"""Small dialogs: resume a draft, give a reason, name a file."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from workbench.core.safetext import visible
from workbench.tui import keymap


class DraftModal(ModalScreen[str | None]):
    """Offered at start-up when the coder left a coding unfinished."""

    BINDINGS = keymap.bindings("draft")
    HELP_NAME = "search"

    def __init__(self, draft: Any, count: int):
        super().__init__()
        self.draft = draft
        self.count = count

    def compose(self) -> ComposeResult:
        from workbench.tui.screens.drafts import describe_draft

        when = getattr(self.draft, "updated_at", None)
        when_text = f" (last changed {when:%d %b %Y %H:%M})" if when else ""
        more = (f"\n{self.count - 1} older draft(s) are kept too: o lists them all (F3 any time)."
                if self.count > 1 else "")
        with Vertical(classes="modal", id="draft-box"):
            yield Static("Unfinished coding", classes="title")
            yield Static(Text(f"You were coding {describe_draft(self.draft)}{when_text}.{more}"))
            yield Static("Enter resumes · d discards it · o all drafts · Escape decides later",
                         classes="modal-keys")

    def action_resume(self) -> None:
        self.dismiss("resume")

    def action_discard(self) -> None:
        self.dismiss("discard")

    def action_list(self) -> None:
        self.dismiss("list")

    def action_later(self) -> None:
        self.dismiss(None)


class TextModal(ModalScreen[str | None]):
    """Asks for one line of text (a reason, a file name). Enter accepts, Escape cancels."""

    BINDINGS = keymap.bindings("modal")
    HELP_NAME = "search"

    def __init__(self, title: str, message: str, *, placeholder: str = "", value: str = "",
                 required: bool = True):
        super().__init__()
        self.title_text = title
        self.message = message
        self.placeholder = placeholder
        self.value = value
        self.required = required

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal"):
            yield Static(self.title_text, classes="title")
            # Messages quote file names and stored notes: plain text, never markup, escaped.
            yield Static(Text(visible(self.message, layout=True)), id="modal-message")
            yield Input(visible(self.value), placeholder=self.placeholder, id="modal-input")
            yield Static("", id="modal-error", classes="error-text")
            yield Static("Enter accepts · Escape cancels", classes="modal-keys")

    @on(Input.Submitted, "#modal-input")
    def _submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if self.required and not text:
            self.query_one("#modal-error", Static).update("Please type something first.")
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        self.dismiss(None)
