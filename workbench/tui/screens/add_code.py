"""A small dialog to find a code by search and add it to the review's sequence.

One key adds: Enter on a complete code adds it and closes the dialog; Enter on a category that
needs a 4th character lists its codes, the most recorded nationally first, with the first one
highlighted; ctrl+o opens the highlighted code to read it. Opened from a list (procedures or
diagnoses), the dialog searches that list's classification first and says so; the other
classification's codes still follow, each labelled with its classification.
"""

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
from workbench.tui.widgets.lists import KIND_LABELS, KeyList

LISTS = {"opcs4": "a procedure (OPCS-4 first)", "icd10": "a diagnosis (ICD-10 first)"}


class AddCodeInput(Input):
    BINDINGS = [k.binding() for k in keymap.SEARCH if k.id in ("search.down", "search.up")]


class AddCodeModal(ModalScreen[tuple[str, str, str] | None]):
    """Returns (classification, code, title), or None when cancelled."""

    BINDINGS = keymap.bindings("modal", "add_code")
    HELP_NAME = "review"

    def __init__(self, target: str | None = None) -> None:
        super().__init__()
        self.target = target if target in LISTS else None   # the list the code is for
        self.hits: list[Any] = []
        self.facts: dict[tuple[str, str], tuple[bool, int]] = {}
        self.expanding: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal"):
            yield Static(f"Add {LISTS[self.target]}" if self.target else "Add a code", classes="title")
            yield AddCodeInput(placeholder="a code (k578) or words", id="add-input")
            yield KeyList(id="add-results")
            yield Static("Enter adds the code (a category: its codes) · ctrl+o reads it · Escape cancels",
                         classes="modal-keys")

    @on(Input.Changed, "#add-input")
    def _changed(self, event: Input.Changed) -> None:
        if event.value.strip():
            self.run_search(event.value.strip())

    @work(thread=True, exclusive=True, group="add-search")
    def run_search(self, query: str) -> None:
        from workbench.core.search import code_facts, search

        context = self.app.context
        context.ready.wait()
        try:
            conn = context.reference()
            hits = [h for h in search(conn, query, limit=40, prefer=self.target) if h.kind != "guidance"]
            facts = code_facts(conn, hits)
        except Exception as exc:
            self.app.call_from_thread(self.app.report_error, "Search failed", exc)
            return
        self.app.call_from_thread(self._show, query, hits, facts)

    def _show(self, query: str, hits: list[Any], facts: dict[tuple[str, str], tuple[bool, int]]) -> None:
        if query != self.query_one("#add-input", Input).value.strip():
            return
        self.hits, self.facts = hits, facts
        results = self.query_one("#add-results", OptionList)
        results.set_options(Option(self._label(h)) for h in hits)
        first = 0
        if self.expanding == query:
            self.expanding = None
            first = 1 if len(hits) > 1 and hits[1].code.startswith(hits[0].code) else 0
        results.highlighted = first if hits else None

    def _label(self, hit: Any) -> Text:
        from workbench.core.classifications.catalog import compact_count

        needs_fourth, uses = self.facts.get((hit.kind, hit.code), (False, 0))
        label = Text.assemble((f"{KIND_LABELS[hit.kind]:<7}", "dim"), (f"{hit.code:<7} ", "bold"), hit.title)
        if needs_fourth:
            label.append("  (choose a 4th character)", style="dim italic")
        if uses:
            label.append(f"  {compact_count(uses)}", style="dim")
        return label

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
        if not 0 <= index < len(self.hits):
            return
        hit = self.hits[index]
        if self.facts.get((hit.kind, hit.code), (False, 0))[0]:
            # A category is not codable as it stands: its codes, most used first.
            self.expanding = hit.code
            box = self.query_one("#add-input", Input)
            box.value = hit.code
            box.cursor_position = len(hit.code)
            box.focus()
            return
        self.dismiss((hit.kind, hit.code, hit.title))

    def action_read(self) -> None:
        """ctrl+o: the highlighted code's screen, to read; `a` there adds it through this dialog."""
        highlighted = self.query_one("#add-results", OptionList).highlighted
        if highlighted is None or not 0 <= highlighted < len(self.hits):
            return
        from workbench.tui.screens.code import CodeScreen

        hit = self.hits[highlighted]

        def add(classification: str, code: str, title: str) -> None:
            self.dismiss((classification, code, title))

        self.app.push_screen(CodeScreen(hit.kind, hit.code, on_add=add))

    def action_cancel(self) -> None:
        self.dismiss(None)
