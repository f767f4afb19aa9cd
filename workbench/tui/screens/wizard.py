"""The coding wizard: one question at a time, the code sequence growing beside it.

The engine (``evaluate``) decides everything: which question is next, which answers
still apply, which codes follow. It runs on the UI thread because it is pure and
fast; code titles come from a small cache filled by a worker, so the UI thread
never touches SQLite.

Going back: Escape "reopens" the last answered question. Reopened questions are
left out of the evaluation (so the engine asks them again, in order) but their
answers are kept and highlighted, so Enter keeps an answer that still applies.
"""

from __future__ import annotations

import threading
from typing import Any

from rich.text import Text
from textual import events, on, work
from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.widgets import Footer, Header, Input, OptionList, Static
from textual.widgets.option_list import Option

from workbench.tui import keymap
from workbench.tui.screens.base import WorkbenchScreen, if_attached
from workbench.tui.widgets.caution import PackCaution
from workbench.tui.widgets.choices import ChoiceList
from workbench.tui.widgets.lists import KeyList
from workbench.tui.widgets.sequence import sequence_table
from workbench.tui.widgets.snomed import SnomedLine

STATE_VERSION = 1


class TitleCache:
    """A code catalog over titles fetched in a worker (the engine only needs titles)."""

    def __init__(self) -> None:
        self.titles: dict[tuple[str, str], str] = {}

    def exists(self, classification: str, code: str) -> bool:
        return (classification, code) in self.titles

    def title(self, classification: str, code: str) -> str | None:
        return self.titles.get((classification, code))


def start_coding(app: App, guidance_id: str, pack: Any | None) -> None:
    """Begin a new coding with a guidance's rule pack (or by hand when it has none)."""
    state = {"version": STATE_VERSION, "stage": "wizard", "guidance_id": guidance_id,
             "pack_id": pack.id if pack else None, "answers": {}, "reopened": []}
    app.push_screen(WizardScreen(state, pack=pack))


def start_from_state(app: App, state: dict, *, draft_id: int | None = None) -> None:
    """Resume a draft or amend an episode: the same question, or the review when complete."""
    app.push_screen(WizardScreen(state, draft_id=draft_id))


class WizardScreen(WorkbenchScreen):
    HELP_NAME = "wizard"
    BINDINGS = keymap.bindings("wizard")

    def __init__(self, state: dict, *, pack: Any | None = None, draft_id: int | None = None):
        super().__init__()
        self.state = state
        self.pack = pack
        self.answers: dict[str, object] = dict(state.get("answers") or {})
        self.reopened: list[str] = list(state.get("reopened") or [])
        self.draft_id = draft_id
        self.titles = TitleCache()
        self.question: Any | None = None
        self.evaluation: Any | None = None
        self._draft_lock = threading.Lock()
        self._draft_seq = 0
        self._draft_saved_seq = -1
        self.finished = False              # saved to the log: no more drafts
        self.notice: str | None = None     # "withdrawn" | "handover": a yes/no about the guidance itself

    # ------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Header(icon="≡")
        yield Static(Text(self.state.get("guidance_id") or ""), id="wizard-title", classes="title")
        yield PackCaution(id="wizard-caution")
        yield SnomedLine(id="wizard-snomed")
        with Vertical(id="wizard-body"):
            with Vertical(id="question-panel"):
                yield Static("", id="progress")
                yield Static("Loading the rule pack…", id="prompt")
                with Vertical(id="answer-area"):
                    yield ChoiceList(id="choices")
                    yield Input(id="number-input", type="integer", placeholder="a whole number, then Enter")
                    yield Input(id="code-input", placeholder="type a code or words, then Enter")
                    yield KeyList(id="slot-results")
                yield Static("", id="answer-error")
                yield Static("", id="question-help")
                yield Static("", id="question-source")
            yield Static("", id="sequence-panel")
        yield Footer()

    def on_mount(self) -> None:
        self._show_widgets(None)
        if self.pack is None:
            self.load_pack()
        else:
            self.pack_ready(self.pack)

    @work(thread=True, exclusive=True, group="pack")
    def load_pack(self) -> None:
        from workbench.core.rules import find_pack

        pack_id = self.state.get("pack_id") or self.state.get("guidance_id") or ""
        try:
            pack = find_pack(pack_id) if self.state.get("pack_id") else None
        except Exception as exc:
            self.app.call_from_thread(self.app.report_error, "The rule pack could not be loaded", exc)
            return
        self.app.call_from_thread(self.pack_ready, pack)

    @if_attached
    def pack_ready(self, pack: Any | None) -> None:
        self.pack = pack
        if pack is None:
            if self.state.get("pack_id"):
                self.app.notify(f"The rule pack {self.state['pack_id']} is no longer available: "
                                "review the saved codes by hand.", severity="warning")
            self.open_review()
            return
        self.query_one("#wizard-title", Static).update(Text(f"{pack.guidance_id}: {pack.title}"))
        self.query_one("#wizard-caution", PackCaution).show_pack(pack)
        self.query_one("#wizard-snomed", SnomedLine).show_concepts(pack.snomed)
        self.fetch_titles([(c, code) for c, code, _ in pack.code_lines])
        for warning in pack.lifecycle.warnings(pack.guidance_id):
            self.app.notify(warning, severity="warning", timeout=10)
        if pack.lifecycle.withdrawn is not None and not self.answers and not self.state.get("withdrawn_confirmed"):
            self.evaluation = self._evaluate()
            self.show_notice("withdrawn", " ".join(pack.lifecycle.warnings(pack.guidance_id)),
                             [("code", f"Yes, code this episode with {pack.guidance_id}"),
                              ("leave", "No, leave the wizard")])
            return
        self.advance(save=False)

    # ------------------------------------------------------------ titles (worker)

    @work(thread=True, group="titles")
    def fetch_titles(self, codes: list[tuple[str, str]]) -> None:
        self.app.context.ready.wait()
        try:
            catalog = self.app.context.catalog()
            found = {(c, code): catalog.title(c, code) for c, code in codes}
        except Exception as exc:
            self.app.call_from_thread(self.app.report_error, "Code titles could not be read", exc)
            return
        self.app.call_from_thread(self._titles_ready, found)

    @if_attached
    def _titles_ready(self, found: dict[tuple[str, str], str | None]) -> None:
        self.titles.titles.update({key: title for key, title in found.items() if title})
        if self.evaluation is not None and self.pack is not None:
            self.evaluation = self._evaluate()
            self._show_sequence()

    # ------------------------------------------------------------ the engine

    def _evaluate(self) -> Any:
        from workbench.core.rules import evaluate

        current = {k: v for k, v in self.answers.items() if k not in self.reopened}
        return evaluate(self.pack, current, self.titles)

    def advance(self, *, save: bool = True) -> None:
        """Evaluate, then show the next question or go to the review."""
        self.evaluation = self._evaluate()
        if save:
            self.persist()
        if self.evaluation.complete and self.evaluation.handover:
            # Outside the pack's scope, or no fixed codes: never save an episode without a procedure.
            self.show_notice("handover", self.evaluation.handover,
                             [("leave", "Leave the wizard and code this episode by hand"),
                              *([("back", "Change my last answer")] if self.evaluation.answered else [])])
            return
        if self.evaluation.complete:
            self.reopened.clear()
            self.open_review()
            return
        self.show_question(self.evaluation.next_question)

    def show_notice(self, kind: str, text: str, options: list[tuple[str, str]]) -> None:
        """A question about the guidance itself (withdrawn, out of scope), answered like any other."""
        self.notice, self.question = kind, None
        self.query_one("#progress", Static).update(self.pack.guidance_id if self.pack else "")
        self.query_one("#prompt", Static).update(Text(text))
        self.query_one("#question-help", Static).update("")
        self.query_one("#question-source", Static).update("")
        self._error("")
        choices = self.query_one("#choices", ChoiceList)
        choices.load(options, multi=False, chosen=None, default=None)
        self._show_widgets(choices)
        self._show_sequence()

    def _notice_answered(self, value: str) -> None:
        kind, self.notice = self.notice, None
        if kind == "withdrawn" and value == "code":
            self.state["withdrawn_confirmed"] = True
            self.advance(save=False)
        elif value == "back":
            self.action_back()
        else:
            draft_id = self.claim_draft()
            if draft_id is not None:
                self.app.discard_draft(draft_id)
            self.app.pop_screen()

    def show_question(self, question: Any) -> None:
        self.question, self.notice = question, None
        k, n = self.evaluation.progress
        guidance = self.pack.guidance_id if self.pack else ""
        self.query_one("#progress", Static).update(f"{guidance} · question {k} of at most {n}")
        self.query_one("#prompt", Static).update(Text(question.prompt))
        self.query_one("#question-help", Static).update(Text(question.help or ""))
        source = question.source or ""
        self.query_one("#question-source", Static).update(Text(f"Source: {source}" if source else ""))
        self._error("")
        kept = self.answers.get(question.id)
        if question.kind in ("yesno", "choice", "multi"):
            choices = self.query_one("#choices", ChoiceList)
            choices.load([(o.value, o.label + (" · preferred by the guidance" if o.preferred else ""))
                          for o in question.options], multi=question.kind == "multi",
                         chosen=kept, default=question.default)
            self._show_widgets(choices)
        elif question.kind == "number":
            field = self.query_one("#number-input", Input)
            field.value = str(kept) if kept is not None else (question.default or "")
            limits = [f"from {question.minimum}" if question.minimum is not None else "",
                      f"to {question.maximum}" if question.maximum is not None else ""]
            field.placeholder = " ".join(["a whole number", *filter(None, limits), "then Enter"])
            self._show_widgets(field)
        else:
            field = self.query_one("#code-input", Input)
            field.value = ", ".join(kept) if isinstance(kept, list) else str(kept or "")
            from workbench.core.rules.codes import describe_scope

            scope = describe_scope(question.code_scope, question.classification) if question.code_scope else ""
            field.placeholder = f"a code{' in ' + scope if scope else ''} or words to search, then Enter"
            self.query_one("#slot-results", OptionList).clear_options()
            self._show_widgets(field)
        self._show_sequence()

    def _error(self, message: str) -> None:
        error = self.query_one("#answer-error", Static)
        error.update(Text(message))
        error.display = bool(message)

    def _show_widgets(self, active: Any | None) -> None:
        for widget_id in ("#choices", "#number-input", "#code-input", "#slot-results"):
            widget = self.query_one(widget_id)
            shown = widget is active or (widget_id == "#slot-results" and active is not None
                                         and active.id == "code-input")
            widget.display = shown
        if active is not None:
            active.focus()

    def on_resize(self, event: events.Resize) -> None:
        super().on_resize(event)
        if self.evaluation is not None:
            self._show_sequence()   # the side panel and the compact strip lay codes out differently

    def _show_sequence(self) -> None:
        evaluation = self.evaluation
        table = sequence_table(evaluation.procedures, evaluation.diagnoses, stacked=self.has_class("-wide"))
        self.query_one("#sequence-panel", Static).update(table)

    # ------------------------------------------------------------ answering

    def answer(self, value: object) -> None:
        from workbench.core.rules import AnswerError, check_answer

        question = self.question
        if question is None or self.app.screen is not self:
            return  # a key typed ahead after the last answer: the review is already open
        try:
            value = check_answer(question, value)
        except AnswerError as exc:
            self._error(str(exc))
            return
        self.answers[question.id] = value
        if question.id in self.reopened:
            self.reopened.remove(question.id)
        if question.kind == "code":
            codes = value if isinstance(value, list) else [value]
            self.fetch_titles([(question.classification, str(c)) for c in codes])
        self.advance()

    @on(ChoiceList.Answered)
    def _choice(self, event: ChoiceList.Answered) -> None:
        if self.notice is not None:
            self._notice_answered(str(event.value))
            return
        self.answer(event.value)

    @on(Input.Submitted, "#number-input")
    def _number(self, event: Input.Submitted) -> None:
        self.answer(event.value)

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
        from workbench.core.rules.codes import in_scope
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
            hits = [h for h in hits if in_scope(h.code, question.code_scope)]
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

    # ------------------------------------------------------------ going back

    def action_back(self) -> None:
        self.notice = None
        evaluation = self.evaluation
        if evaluation is None or not evaluation.answered:
            self._leave()
            return
        last = evaluation.answered[-1][0].id
        self.reopened.insert(0, last)
        self.advance()

    def back_from_review(self) -> None:
        """The review was left with Escape: show the last question again."""
        self.state["stage"] = "wizard"   # the review's own code edits are dropped
        self.state.pop("procedures", None)
        self.state.pop("diagnoses", None)
        if self.evaluation is not None and self.evaluation.answered:
            self.reopened.insert(0, self.evaluation.answered[-1][0].id)
        self.advance()

    def _leave(self) -> None:
        if not self.answers and self.draft_id is not None:
            self.app.discard_draft(self.draft_id)
        self.app.pop_screen()

    # ------------------------------------------------------------ review

    def open_review(self) -> None:
        from workbench.tui.screens.review import ReviewScreen

        def returned(result: str | None) -> None:
            if result == "back" and self.pack is not None:
                self.back_from_review()
            elif result == "back":
                self.app.pop_screen()

        self.app.push_screen(ReviewScreen(self), returned)

    def state_for_draft(self, stage: str = "wizard", extra: dict | None = None) -> dict:
        state = {**self.state, "version": STATE_VERSION, "stage": stage,
                 "answers": dict(self.answers), "reopened": list(self.reopened)}
        if stage == "wizard":
            state.pop("procedures", None)
            state.pop("diagnoses", None)
        state.update(extra or {})
        return state

    # ------------------------------------------------------------ drafts

    def persist(self, stage: str = "wizard", extra: dict | None = None) -> None:
        """Save the coding so far as a draft (after every answer)."""
        self._draft_seq += 1
        self.save_draft(self.state_for_draft(stage, extra), self._draft_seq)

    @work(thread=True, group="draft")
    def save_draft(self, state: dict, seq: int) -> None:
        with self._draft_lock:
            if self.finished or seq < self._draft_saved_seq:
                return  # saved already, or a newer state is on disk
            try:
                log = self.app.context.episode_log()
                self.draft_id = log.save_draft(self.app.context.coder(), state, self.draft_id)
                self._draft_saved_seq = seq
            except Exception as exc:
                self.app.call_from_thread(self.app.report_error, "The draft could not be saved", exc)

    def claim_draft(self) -> int | None:
        """The draft id the save removes; no further draft writes after this."""
        with self._draft_lock:
            self.finished = True
            draft_id, self.draft_id = self.draft_id, None
            return draft_id

    def release_draft(self, draft_id: int | None) -> None:
        """The save failed: keep the draft and go on saving it."""
        with self._draft_lock:
            self.finished = False
            self.draft_id = draft_id

    def finish(self, log: Any) -> None:
        """The episode is saved (worker thread): drop the draft, save no more."""
        with self._draft_lock:
            self.finished = True
            if self.draft_id is not None:
                log.discard_draft(self.draft_id)
