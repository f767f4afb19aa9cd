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
from workbench.tui.widgets.line_input import LineInput


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
        from workbench.core.dates import shown_time

        when_text = f" (last changed {shown_time(when)})" if when else ""
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


class ConfirmModal(ModalScreen[bool]):
    """A yes/no question asked once (y or n; Escape is no)."""

    BINDINGS = keymap.bindings("confirm")
    HELP_NAME = "search"

    def __init__(self, title: str, message: str):
        super().__init__()
        self.title_text = title
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal"):
            yield Static(self.title_text, classes="title")
            yield Static(Text(self.message), id="modal-message")
            yield Static("y yes · n or Escape no", classes="modal-keys")

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_no(self) -> None:
        self.dismiss(False)


class QueryField(LineInput):
    """A field of the query form (free text and a date: a slash is text). Enter moves on, or
    saves; the keys typed after it wait until it has (the app hands keys over one at a time),
    so "Mr Patel<Enter>which stent?<Enter>" lands where it was meant."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, slash_is_text=True, **kwargs)


class QueryModal(ModalScreen[dict | None]):
    """A query to a clinician: to whom, the question, the day it was sent (today unless changed).
    Enter on the question saves it (sent today); Tab reaches the day sent."""

    BINDINGS = keymap.bindings("modal")
    HELP_NAME = "worklist"

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal"):
            yield Static("Query to a clinician", classes="title")
            yield QueryField(placeholder="to whom (e.g. Mr Patel, the consultant's secretary)", id="query-to")
            yield QueryField(placeholder="the question (what is missing from the notes)", id="query-question")
            yield QueryField("today", placeholder="sent on (dd/mm/yyyy)", id="query-sent")
            yield Static("", id="modal-error", classes="error-text")
            yield Static("Enter goes on, and saves from the question · Escape cancels", classes="modal-keys")

    def on_mount(self) -> None:
        self.query_one("#query-to", Input).focus()

    @on(Input.Submitted)
    def _entered(self, event: Input.Submitted) -> None:
        event.stop()
        self.enter_in(event.input)

    def enter_in(self, field: Input) -> None:
        from workbench.core.dates import DateError, parse_coder_date

        question = self.query_one("#query-question", Input).value.strip()
        if field.id == "query-to" or (field.id == "query-question" and not question):
            self.focus_next()
            return
        if not question:
            self.query_one("#modal-error", Static).update("The question is needed.")
            self.query_one("#query-question", Input).focus()
            return
        try:
            sent = parse_coder_date(self.query_one("#query-sent", Input).value or "today")
        except DateError as exc:
            self.query_one("#modal-error", Static).update(Text(f"Sent on: {exc}"))
            self.query_one("#query-sent", Input).focus()
            return
        self.dismiss({"to": self.query_one("#query-to", Input).value.strip(), "question": question,
                      "sent": sent})

    def action_cancel(self) -> None:
        self.dismiss(None)
