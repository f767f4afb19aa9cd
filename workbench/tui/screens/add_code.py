"""Add a code to one list of the episode: the procedures (OPCS-4) or the diagnoses (ICD-10).

The dialog knows the list it adds to (``target``) and searches that list's classification
only, so a code shape that exists in both (E11.9, Z94.2, W37.1) goes to the list being added
to, and every row says its classification. Tab switches to the other list. This is the one
path for adding a code by search from the review.

One key adds (issue 22): Enter on a complete code adds it and closes the dialog; Enter on a
category that needs a 4th character lists its codes, the most recorded nationally first, with
the first highlighted; ctrl+o opens the highlighted code to read it (`a` there adds it through
this dialog). Each row ends with how often the code is recorded in England in a year.
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
from workbench.tui.widgets.line_input import LineInput
from workbench.tui.widgets.lists import KIND_LABELS, KeyList

OPCS4, ICD10 = "opcs4", "icd10"
#: The list a classification's codes go to, as the coder reads it.
LIST_NAMES = {OPCS4: "procedures", ICD10: "diagnoses"}


class AddCodeInput(LineInput):
    BINDINGS = [k.binding() for k in keymap.SEARCH if k.id in ("search.down", "search.up")]


def target_line(target: str) -> Text:
    other = ICD10 if target == OPCS4 else OPCS4
    return Text.assemble(("Add to the ", ""), (f"{LIST_NAMES[target]} ({KIND_LABELS[target]})", "bold"),
                         (f" · tab: the {LIST_NAMES[other]} ({KIND_LABELS[other]})", "dim"))


class AddCodeModal(ModalScreen[tuple[str, str, str] | None]):
    """Returns (classification, code, title) for the list it adds to, or None when cancelled."""

    BINDINGS = keymap.bindings("modal", "add_code")
    HELP_NAME = "review"

    def __init__(self, target: str = OPCS4) -> None:
        super().__init__()
        self.target = target if target in LIST_NAMES else OPCS4
        self.hits: list[Any] = []
        self.facts: dict[tuple[str, str], tuple[bool, int]] = {}   # (kind, code) -> (needs a 4th character, uses)
        self.expanding: str | None = None     # the category whose codes Enter asked for

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal"):
            yield Static(target_line(self.target), id="add-target", classes="title")
            yield AddCodeInput(placeholder=f"an {KIND_LABELS[self.target]} code ({'k578' if self.target == OPCS4 else 'e119'}) "
                                           "or words", id="add-input")
            yield KeyList(id="add-results")
            yield Static("Enter adds the code (a category: its codes) · ctrl+o reads it · Tab the other list "
                         "· Escape cancels", classes="modal-keys")

    @on(Input.Changed, "#add-input")
    def _changed(self, event: Input.Changed) -> None:
        if event.value.strip():
            self.run_search(event.value.strip(), self.target)

    def action_switch_list(self) -> None:
        """Tab: add to the other list; the same words are searched in its classification."""
        self.target = ICD10 if self.target == OPCS4 else OPCS4
        self.query_one("#add-target", Static).update(target_line(self.target))
        text = self.query_one("#add-input", Input).value.strip()
        self.query_one("#add-results", OptionList).clear_options()
        self.hits = []
        if text:
            self.run_search(text, self.target)

    @work(thread=True, exclusive=True, group="add-search")
    def run_search(self, query: str, target: str) -> None:
        from workbench.core.search import code_facts, search

        context = self.app.context
        context.ready.wait()
        try:
            conn = context.reference()
            hits = search(conn, query, kind=target, limit=40)
            facts = code_facts(conn, hits)
        except Exception as exc:
            self.app.call_from_thread(self.app.report_error, "Search failed", exc)
            return
        self.app.call_from_thread(self._show, query, target, hits, facts)

    def _show(self, query: str, target: str, hits: list[Any],
              facts: dict[tuple[str, str], tuple[bool, int]] | None = None) -> None:
        if query != self.query_one("#add-input", Input).value.strip() or target != self.target:
            return
        self.hits, self.facts = hits, facts or {}
        results = self.query_one("#add-results", OptionList)
        results.set_options(Option(self._label(h)) for h in hits)
        if not hits:
            other = ICD10 if target == OPCS4 else OPCS4
            results.add_option(Option(Text(f"No {KIND_LABELS[target]} code matches. Tab adds to the "
                                           f"{LIST_NAMES[other]} ({KIND_LABELS[other]}) instead.", style="dim"),
                                      disabled=True))
        first = 0
        if self.expanding == query:
            # Enter on a category: its codes follow it, most used first; the first is highlighted.
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
        if not (0 <= index < len(self.hits) and self.hits[index].kind == self.target):
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
        """ctrl+o: the highlighted code's screen, to read it; `a` there adds it through this dialog."""
        highlighted = self.query_one("#add-results", OptionList).highlighted
        if highlighted is None or not 0 <= highlighted < len(self.hits):
            return
        from workbench.tui.screens.code import CodeScreen

        hit = self.hits[highlighted]

        def add(classification: str, code: str, title: str) -> None:
            if classification == self.target:   # the list never takes the other classification's code
                self.dismiss((classification, code, title))

        self.app.push_screen(CodeScreen(hit.kind, hit.code, on_add=add))

    def action_cancel(self) -> None:
        self.dismiss(None)
