"""A small dialog to find a code by search and add it to the review's sequence."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from workbench.tui import keymap
from workbench.tui.widgets.line_input import LineInput
from workbench.tui.widgets.lists import KIND_LABELS, KeyList


class AddCodeInput(LineInput):
    BINDINGS = [k.binding() for k in keymap.SEARCH if k.id in ("search.down", "search.up")]


class AddCodeModal(ModalScreen[tuple[str, str, str] | None]):
    """Returns (classification, code, title), or None when cancelled."""

    BINDINGS = keymap.bindings("modal")
    HELP_NAME = "review"

    def __init__(self) -> None:
        super().__init__()
        self.hits: list[Any] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal"):
            yield Static("Add a code", classes="title")
            yield AddCodeInput(placeholder="a code (k578) or words", id="add-input")
            yield KeyList(id="add-results")
            yield Static("Enter adds the highlighted code · Escape cancels", classes="modal-keys")

    @on(Input.Changed, "#add-input")
    def _changed(self, event: Input.Changed) -> None:
        if event.value.strip():
            self.run_search(event.value.strip())

    @work(thread=True, exclusive=True, group="add-search")
    def run_search(self, query: str) -> None:
        from workbench.core.search import search

        context = self.app.context
        context.ready.wait()
        try:
            hits = [h for h in search(context.reference(), query, limit=40) if h.kind != "guidance"]
        except Exception as exc:
            self.app.call_from_thread(self.app.report_error, "Search failed", exc)
            return
        self.app.call_from_thread(self._show, query, hits)

    def _show(self, query: str, hits: list[Any]) -> None:
        if query != self.query_one("#add-input", Input).value.strip():
            return
        self.hits = hits
        results = self.query_one("#add-results", OptionList)
        results.set_options(
            Option(Text.assemble((f"{KIND_LABELS[h.kind]:<7}", "dim"), (f"{h.code:<7} ", "bold"), h.title))
            for h in hits
        )
        results.highlighted = 0 if hits else None

    def action_move(self, step: int) -> None:
        results = self.query_one("#add-results", OptionList)
        results.action_cursor_down() if step > 0 else results.action_cursor_up()

    @on(Input.Submitted, "#add-input")
    def _submitted(self) -> None:
        highlighted = self.query_one("#add-results", OptionList).highlighted
        if highlighted is not None:
            self._take(highlighted)

    @on(OptionList.OptionSelected, "#add-results")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._take(event.option_index)

    def _take(self, index: int) -> None:
        if 0 <= index < len(self.hits):
            hit = self.hits[index]
            self.dismiss((hit.kind, hit.code, hit.title))

    def action_cancel(self) -> None:
        self.dismiss(None)
