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

from typing import Any

from rich.text import Text
from textual import events, on, work
from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.widgets import Header, Input, OptionList, Static

from workbench.core.option_keys import option_keys
from workbench.tui import keymap
from workbench.tui.screens.base import if_attached
from workbench.tui.screens.wizard_slots import CodeSlotScreen, TitleCache
from workbench.tui.widgets.caution import PackCaution
from workbench.tui.widgets.choices import ChoiceList
from workbench.tui.widgets.key_bar import KeyBar
from workbench.tui.widgets.line_input import LineInput
from workbench.tui.widgets.lists import KeyList
from workbench.tui.widgets.sequence import sequence_table
from workbench.tui.widgets.snomed import SnomedLine


def start_coding(app: App, guidance_id: str, pack: Any | None) -> None:
    """`c` on a guidance: code the current episode (or a new one) with its rule pack."""
    app.code_with_guidance(guidance_id, pack)


def start_from_state(app: App, state: dict, *, draft_id: int | None = None) -> None:
    """Resume a draft or amend an episode: the same question, or the review when complete."""
    app.open_state(state, draft_id=draft_id)


class WizardScreen(CodeSlotScreen):
    """One guidance's questions, coding into the app's current episode."""

    HELP_NAME = "wizard"
    BINDINGS = keymap.bindings("wizard")

    def __init__(self, pack_id: str, *, pack: Any | None = None, from_review: bool = False,
                 reopen_last: bool = False):
        super().__init__()
        self.pack_id = pack_id
        self.pack = pack
        self.from_review = from_review
        self.reopen_last = reopen_last
        self.titles = TitleCache()
        self.question: Any | None = None
        self.evaluation: Any | None = None
        self.slot_hits: list[Any] = []
        self.notice: str | None = None     # "withdrawn" | "handover": a yes/no about the guidance itself
        self.withdrawn_confirmed = False

    @property
    def session(self) -> Any:
        return self.app.keeper.current()

    @property
    def run(self) -> Any:
        run = self.session.pack(self.pack_id)
        if run is None:   # dropped meanwhile: start it again rather than fail
            run = self.session.start_pack(self.pack_id, self.pack.guidance_id if self.pack else self.pack_id)
        return run

    @property
    def answers(self) -> dict[str, object]:
        return self.run.answers

    @property
    def reopened(self) -> list[str]:
        return self.run.reopened

    # ------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Header(icon="≡")
        yield Static(Text(self.pack_id), id="wizard-title", classes="title")
        yield PackCaution(id="wizard-caution")
        yield SnomedLine(id="wizard-snomed")
        with Vertical(id="wizard-body"):
            with Vertical(id="question-panel"):
                yield Static("", id="progress")
                yield Static("Loading the rule pack…", id="prompt")
                with Vertical(id="answer-area"):
                    yield ChoiceList(id="choices")
                    yield LineInput(id="number-input", type="integer", placeholder="a whole number, then Enter")
                    yield LineInput(id="code-input", placeholder="type a code or words, then Enter")
                    yield KeyList(id="slot-results")
                yield Static("", id="answer-error")
                with Vertical(id="question-notes"):   # gives way to the options at 80x24
                    yield Static("", id="question-help")
                    yield Static("", id="question-source")
                    yield Static("", id="pack-notes")
            yield Static("", id="sequence-panel")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#choices", ChoiceList).on_answer = self.choose
        self._show_widgets(None)
        if self.pack is None:
            self.app.typeahead.hold(self)   # answers typed ahead wait for the first question
            self.load_pack()
        else:
            self.pack_ready(self.pack)

    @work(thread=True, exclusive=True, group="pack")
    def load_pack(self) -> None:
        from workbench.core.rules import find_pack

        try:
            pack = find_pack(self.pack_id)
        except Exception as exc:
            self.app.call_from_thread(self.app.report_error, "The rule pack could not be loaded", exc)
            self.app.call_from_thread(self.app.typeahead.release, self)
            return
        self.app.call_from_thread(self.pack_ready, pack)

    def pack_ready(self, pack: Any | None) -> None:
        try:
            self._pack_ready(pack)
        finally:
            self.app.typeahead.release(self)

    @if_attached
    def _pack_ready(self, pack: Any | None) -> None:
        self.pack = pack
        if pack is None:
            self.app.notify(f"The rule pack {self.pack_id} is no longer available: "
                            "review the codes by hand.", severity="warning")
            self.open_review()
            return
        self.app.packs[pack.id] = pack
        self.session.current_pack = pack.id
        self.session.stage = "wizard"
        if self.reopen_last:
            evaluation = self._evaluate()
            if evaluation.answered:
                self.reopened.insert(0, evaluation.answered[-1][0].id)
        self.query_one("#wizard-title", Static).update(Text(f"{pack.guidance_id}: {pack.title}"))
        from workbench.core.episodes.session_rules import population_cautions

        self.query_one("#wizard-caution", PackCaution).show_pack(
            pack, " ".join(population_cautions(self.session, [pack])))
        self.query_one("#wizard-snomed", SnomedLine).show_concepts(pack.snomed)
        self.fetch_titles([(c, code) for c, code, _ in pack.code_lines])
        for warning in pack.lifecycle.warnings(pack.guidance_id):
            self.app.notify(warning, severity="warning", timeout=10)
        if pack.lifecycle.withdrawn is not None and not self.answers and not self.withdrawn_confirmed:
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
        if self.evaluation.complete and self.evaluation.handover:
            # Outside the pack's scope, or no fixed codes: never save an episode without a procedure.
            if save:
                self.app.keeper.persist()
            self.show_notice("handover", self.evaluation.handover,
                             [("leave", "Leave the wizard and code this episode by hand"),
                              *([("back", "Change my last answer")] if self.evaluation.answered else [])])
            return
        if self.evaluation.complete:
            self.reopened.clear()
            entries = [*self.evaluation.procedures, *self.evaluation.diagnoses]
            self.session.apply_pack(self.pack_id, entries, list(self.evaluation.notes))
            self.app.keeper.persist()
            self.open_review()
            return
        if save:
            self.app.keeper.persist()
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
            self.withdrawn_confirmed = True
            self.advance(save=False)
        elif value == "back":
            self.action_back()
        else:
            # Not coded with this guidance: it leaves the episode, with any codes it gave.
            self.session.drop_pack(self.pack_id)
            self.app.keeper.persist()
            self.app.episode_changed()
            if kind == "handover" or self.from_review:
                self.app.show_review()   # the coder codes the episode by hand there
            else:
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
        notes = list(self.evaluation.notes)
        self.query_one("#pack-notes", Static).update(Text("\n".join(f"Note: {n}" for n in notes)))
        self._error("")
        kept = self.answers.get(question.id)
        if question.kind in ("yesno", "choice", "multi"):
            choices = self.query_one("#choices", ChoiceList)
            choices.load([(o.value, o.label + (" · preferred by the guidance" if o.preferred else ""))
                          for o in question.options], multi=question.kind == "multi",
                         chosen=kept, default=question.default, keys=option_keys(question))
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
        if message or error.display:     # nothing to clear: no repaint, no layout
            error.update(Text(message))
            error.display = bool(message)

    def _show_widgets(self, active: Any | None) -> None:
        for widget_id in ("#choices", "#number-input", "#code-input", "#slot-results"):
            widget = self.query_one(widget_id)
            shown = widget is active or (widget_id == "#slot-results" and active is not None
                                         and active.id == "code-input")
            if widget.display != shown:     # each change lays the screen out again
                widget.display = shown
        # Options take the room they need first, so every option and its key is in view.
        self.query_one("#answer-area").set_class(active is not None and active.id == "choices", "-choices")
        if active is not None:
            active.focus()

    def on_resize(self, event: events.Resize) -> None:
        super().on_resize(event)
        if self.evaluation is not None:
            self._show_sequence()   # the side panel and the compact strip lay codes out differently

    def _show_sequence(self) -> None:
        evaluation = self.evaluation
        stacked = self.has_class("-wide")
        shown = (stacked, *((e.code, e.title, e.reason) for e in [*evaluation.procedures, *evaluation.diagnoses]),
                 len(evaluation.procedures))
        if shown == getattr(self, "_sequence_shown", None):
            return   # most answers leave the codes as they were: the table is not laid out again
        self._sequence_shown = shown
        table = sequence_table(evaluation.procedures, evaluation.diagnoses, stacked=stacked)
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

    def choose(self, value: object) -> None:
        """An option picked: the answer to the question, or to a notice about the guidance."""
        if self.notice is not None:
            self._notice_answered(str(value))
            return
        self.answer(value)

    @on(ChoiceList.Answered)
    def _choice(self, event: ChoiceList.Answered) -> None:
        self.choose(event.value)

    @on(Input.Submitted, "#number-input")
    def _number(self, event: Input.Submitted) -> None:
        self.answer(event.value)

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

    def _leave(self) -> None:
        """Escape on the first question: out of this guidance's wizard."""
        run = self.session.pack(self.pack_id)
        if run is not None and not run.answers and run.applied is None:
            self.session.drop_pack(self.pack_id)   # nothing answered: the guidance is not used
            self.app.keeper.persist()
            self.app.episode_changed()
        if self.from_review:
            self.app.show_review()
        else:
            self.app.pop_screen()

    # ------------------------------------------------------------ review

    def open_review(self) -> None:
        self.app.episode_changed()
        self.app.show_review()
