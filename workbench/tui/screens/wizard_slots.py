"""The wizard's code questions (type a code, or words to search and pick a result), and its titles."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from workbench.tui.screens.base import WorkbenchScreen, if_attached


class TitleCache:
    """A code catalog over titles fetched in a worker (the engine only needs titles)."""

    def __init__(self) -> None:
        self.titles: dict[tuple[str, str], str] = {}

    def exists(self, classification: str, code: str) -> bool:
        return (classification, code) in self.titles

    def title(self, classification: str, code: str) -> str | None:
        return self.titles.get((classification, code))


class CodeSlotScreen(WorkbenchScreen):
    """Base of the wizard screen: what its #code-input and #slot-results do."""

    question: Any | None
    slot_hits: list[Any]

    def answer(self, value: object) -> None:   # the wizard's
        raise NotImplementedError

    def _error(self, message: str) -> None:   # the wizard's
        raise NotImplementedError

    @on(Input.Submitted, "#code-input")
    def _code(self, event: Input.Submitted) -> None:
        from workbench.core.rules.codes import normalise_code

        text = event.value.strip()
        parts = [p for p in text.split(",") if p.strip()]
        if parts and all(normalise_code(p) for p in parts):
            self.answer(text)
            return
        results = self.query_one("#slot-results", OptionList)
        if results.option_count and results.highlighted is not None:
            self._take_slot_result(results.highlighted)
        else:
            self._error("Type a code (e.g. K57.8), or words and pick a result.")

    @on(Input.Changed, "#code-input")
    def _code_changed(self, event: Input.Changed) -> None:
        if self.question is not None and len(event.value.strip()) >= 2:
            self.search_codes(event.value.strip(), self.question)

    @work(thread=True, exclusive=True, group="slot-search")
    def search_codes(self, text: str, question: Any) -> None:
        from workbench.core.rules.codes import slot_takes
        from workbench.core.search import search

        context = self.app.context
        context.ready.wait()
        query = text.rsplit(",", 1)[-1].strip()
        try:
            hits = search(context.reference(), query, kind=question.classification, limit=40)
        except Exception as exc:
            self.app.call_from_thread(self.app.report_error, "Search failed", exc)
            return
        if question.code_scope:
            hits = [h for h in hits if slot_takes(h.code, question.code_scope, question.classification)]
        self.app.call_from_thread(self._slot_results, hits)

    @if_attached
    def _slot_results(self, hits: list[Any]) -> None:
        self.slot_hits = hits
        results = self.query_one("#slot-results", OptionList)
        results.set_options(Option(Text.assemble((f"{h.code:<7} ", "bold"), h.title)) for h in hits)
        results.highlighted = 0 if hits else None

    @on(OptionList.OptionSelected, "#slot-results")
    def _slot_selected(self, event: OptionList.OptionSelected) -> None:
        self._take_slot_result(event.option_index)

    def _take_slot_result(self, index: int) -> None:
        hit = self.slot_hits[index]
        field = self.query_one("#code-input", Input)
        if self.question is not None and self.question.several:
            kept = [p.strip() for p in field.value.split(",")[:-1] if p.strip()]
            field.value = ", ".join([*kept, hit.code]) + ", "
            field.focus()
        else:
            self.answer(hit.code)

