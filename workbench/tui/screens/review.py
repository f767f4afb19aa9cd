"""Review and save: the final sequences, the validation edits, and the episode form.

Focus starts in the patient field, so the usual path after the wizard is: type the
patient, Tab, the episode, Tab, the date, ctrl+s.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from rich.table import Table
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Header, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from workbench.core.episodes.validate import detail_problem
from workbench.tui import keymap
from workbench.tui.screens.base import WorkbenchScreen, if_attached
from workbench.tui.widgets.caution import PackCaution
from workbench.tui.widgets.lists import KeyList
from workbench.tui.widgets.snomed import SnomedLine
from workbench.tui.widgets.typeahead import FormInput

OPCS4, ICD10 = "opcs4", "icd10"
FIELDS = (  # (id, label, placeholder) in the order the coder fills them
    ("patient", "Patient", "identifier"),
    ("episode", "Episode", "reference"),
    ("date", "Date", "YYYY-MM-DD"),
    ("nhs", "NHS number", "optional"),
)


@dataclass
class Row:
    classification: str
    code: str
    title: str
    reason: str


class SequenceList(KeyList):
    BINDINGS = keymap.bindings("sequence")


class ReviewScreen(WorkbenchScreen):
    HELP_NAME = "review"
    BINDINGS = keymap.bindings("review")
    AUTO_FOCUS = "#patient"

    def __init__(self, wizard: Any):
        super().__init__()
        self.wizard = wizard
        self.pack = wizard.pack
        self.state = wizard.state
        self.amend_of: int | None = self.state.get("amend_of")
        self.rows: dict[str, list[Row]] = {OPCS4: [], ICD10: []}
        self.index: list[tuple[str, int] | None] = []   # option index -> (list, position)
        self.edits: list[Any] = []
        self.checked = False                              # the edits have run at least once
        self.saving = False
        self._build_rows()

    def _build_rows(self) -> None:
        evaluation = self.wizard.evaluation
        entries = {OPCS4: list(evaluation.procedures), ICD10: list(evaluation.diagnoses)} if evaluation else {}
        saved = {OPCS4: self.state.get("procedures"), ICD10: self.state.get("diagnoses")}
        for classification in (OPCS4, ICD10):
            by_code = {e.code: e for e in entries.get(classification, [])}
            if self.state.get("stage") == "review" and saved[classification] is not None:
                for code in saved[classification]:
                    entry = by_code.get(code)
                    reason = entry.reason if entry else "Added by the coder"
                    self.rows[classification].append(Row(classification, code, entry.title if entry else "", reason))
            else:
                self.rows[classification] = [Row(classification, e.code, e.title, e.reason)
                                             for e in entries.get(classification, [])]

    # ------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Header(icon="≡")
        what = self.pack.guidance_id if self.pack else (self.state.get("guidance_id") or "coding by hand")
        title = f"Review {what}" + (f" · amending episode {self.amend_of}" if self.amend_of else "")
        yield Static(Text(title), id="review-title", classes="title")
        yield PackCaution(id="review-caution")
        yield SnomedLine(id="review-snomed")
        with Vertical(id="review-body"):
            yield SequenceList(id="sequence")
            yield Static("Checking…", id="edits")
        with Vertical(id="episode-form"):
            for field, label, placeholder in FIELDS:
                with Horizontal(classes="form-row"):
                    yield Label(label)
                    yield FormInput(id=field, placeholder=placeholder, compact=True)
                    yield Static("", id=f"{field}-message", classes="field-message")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#review-caution", PackCaution).show_pack(self.pack)
        self.query_one("#review-snomed", SnomedLine).show_concepts(self.pack.snomed if self.pack else ())
        details = self.state.get("details")
        if self.amend_of and details:
            for field in ("patient", "episode", "date", "nhs"):
                widget = self.query_one(f"#{field}", Input)
                widget.value = str(details.get(field) or "")
                widget.disabled = True   # amending changes the coding, not the episode
        self._show_rows()
        self.fetch_titles()
        self.check()
        self.persist()

    def on_key(self, event: events.Key) -> None:
        # Keys typed ahead before the patient field has the focus: they are for it.
        if self.focused is None and (event.is_printable or event.key == "tab"):
            event.stop()
            patient = self.query_one("#patient", Input)
            self.set_focus(patient)
            patient.post_message(events.Key(event.key, event.character))

    # ------------------------------------------------------------ the sequence

    def _show_rows(self, highlight: tuple[str, int] | None = None) -> None:
        options: list[Option] = []
        self.index = []
        headings = {OPCS4: "OPCS-4 procedures", ICD10: "ICD-10 diagnoses"}
        for classification in (OPCS4, ICD10):
            options.append(Option(Text(headings[classification], style="bold underline"), disabled=True))
            self.index.append(None)
            if not self.rows[classification]:
                options.append(Option(Text("  none (ctrl+n adds a code)", style="dim"), disabled=True))
                self.index.append(None)
            for position, row in enumerate(self.rows[classification], start=1):
                # A grid, so that long titles and reasons wrap under themselves, not under the code.
                grid = Table.grid(expand=True)
                grid.add_column(width=11, no_wrap=True)
                grid.add_column(ratio=1)
                grid.add_row(Text(f"{position:>2} {row.code:<7} ", style="bold"),
                             Text(row.title or "(title not loaded)"))
                grid.add_row("", Text(row.reason, style="dim"))
                options.append(Option(grid))
                self.index.append((classification, position - 1))
        sequence = self.query_one("#sequence", OptionList)
        sequence.set_options(options)
        if highlight in self.index:
            sequence.highlighted = self.index.index(highlight)

    def _codes(self, classification: str) -> list[str]:
        return [row.code for row in self.rows[classification]]

    @work(thread=True, group="review-titles")
    def fetch_titles(self) -> None:
        context = self.app.context
        context.ready.wait()
        try:
            catalog = context.catalog()
            titles = {(r.classification, r.code): catalog.title(r.classification, r.code) or ""
                      for rows in self.rows.values() for r in rows if not r.title}
        except Exception as exc:
            self.app.call_from_thread(self.app.report_error, "Code titles could not be read", exc)
            return
        self.app.call_from_thread(self._titles_ready, titles)

    @if_attached
    def _titles_ready(self, titles: dict[tuple[str, str], str]) -> None:
        for rows in self.rows.values():
            for row in rows:
                row.title = row.title or titles.get((row.classification, row.code), "")
        self._show_rows(self._highlighted())

    def _highlighted(self) -> tuple[str, int] | None:
        highlighted = self.query_one("#sequence", OptionList).highlighted
        if highlighted is None or highlighted >= len(self.index):
            return None
        return self.index[highlighted]

    def action_focus_codes(self) -> None:
        self.query_one("#sequence").focus()

    def action_remove_code(self) -> None:
        where = self._highlighted()
        if where is None:
            return
        classification, position = where
        removed = self.rows[classification].pop(position)
        self.notify(f"Removed {removed.code}")
        keep = (classification, min(position, len(self.rows[classification]) - 1))
        self._changed(keep)

    def action_move_code(self, step: int) -> None:
        where = self._highlighted()
        if where is None:
            return
        classification, position = where
        rows = self.rows[classification]
        target = position + step
        if not 0 <= target < len(rows):
            return
        rows[position], rows[target] = rows[target], rows[position]
        self._changed((classification, target))

    def action_add_code(self) -> None:
        from workbench.tui.screens.add_code import AddCodeModal

        def added(result: tuple[str, str, str] | None) -> None:
            if result:
                classification, code, title = result
                self.rows[classification].append(Row(classification, code, title, "Added by the coder"))
                self._changed((classification, len(self.rows[classification]) - 1))

        self.app.push_screen(AddCodeModal(), added)

    def _changed(self, highlight: tuple[str, int] | None) -> None:
        self._show_rows(highlight)
        self.check()
        self.persist()

    # ------------------------------------------------------------ validation edits

    @work(thread=True, exclusive=True, group="edits")
    def check(self) -> None:
        from workbench.core.rules import run_edits

        context = self.app.context
        context.ready.wait()
        procedures, diagnoses = self._codes(OPCS4), self._codes(ICD10)
        try:
            edits = run_edits(procedures, diagnoses, context.catalog(), self.pack)
        except Exception as exc:
            self.app.call_from_thread(self.app.report_error, "The checks could not run", exc)
            return
        self.app.call_from_thread(self._show_edits, edits)

    @if_attached
    def _show_edits(self, edits: list[Any]) -> None:
        self.edits = edits
        self.checked = True
        text = Text()
        if not edits:
            text.append("✓ All checks pass.", style="green")
        for edit in edits:
            if text:
                text.append("\n")
            label = "error" if edit.severity == "error" else "warning"
            text.append(f"{label}: ", style="bold red" if label == "error" else "bold yellow")
            text.append(edit.message)
        self.query_one("#edits", Static).update(text)

    # ------------------------------------------------------------ the form

    @on(Input.Changed)
    def _field_changed(self, event: Input.Changed) -> None:
        field = event.input.id or ""
        if field in dict((f, 1) for f, _, _ in FIELDS) and event.value:
            self.query_one(f"#{field}-message", Static).update(detail_problem(field, event.value))

    @on(Input.Submitted)
    def _field_submitted(self, event: Input.Submitted) -> None:
        self.focus_next()

    def _form_problems(self) -> dict[str, str]:
        problems = {}
        for field, _, _ in FIELDS:
            problem = detail_problem(field, self.query_one(f"#{field}", Input).value)
            self.query_one(f"#{field}-message", Static).update(problem)
            if problem:
                problems[field] = problem
        return problems

    # ------------------------------------------------------------ saving

    def action_back(self) -> None:
        self.dismiss("back")

    def action_save(self) -> None:
        if self.saving:
            return
        problems = self._form_problems()
        if problems:
            first = next(iter(problems))
            self.query_one(f"#{first}", Input).focus()
            self.notify(f"Episode form: {dict(FIELDS_LABELS)[first]} {problems[first]}", severity="warning")
            return
        if not self.rows[OPCS4] and not self.rows[ICD10]:
            self.notify("There are no codes to save.", severity="warning")
            return
        if self.amend_of:
            from workbench.tui.screens.modals import TextModal

            def reason_given(reason: str | None) -> None:
                if reason:
                    self._start_save(amend_reason=reason)

            self.app.push_screen(TextModal("Amend episode", "Why is the coding being amended?",
                                           placeholder="reason for the amendment"), reason_given)
            return
        self._start_save()

    def _start_save(self, *, overrides: dict[str, str] | None = None, amend_reason: str | None = None) -> None:
        self.saving = True
        values = {f: self.query_one(f"#{f}", Input).value.strip() for f, _, _ in FIELDS}
        self.save(values, overrides, amend_reason)

    def ask_override(self, errors: list[Any], values: dict, amend_reason: str | None) -> None:
        from workbench.tui.screens.modals import TextModal

        self.saving = False
        listed = "\n".join(f"• {e.message}" for e in errors)

        def reason_given(reason: str | None) -> None:
            if reason:
                overrides = {e.id: reason for e in errors}
                self._start_save(overrides=overrides, amend_reason=amend_reason)

        self.app.push_screen(
            TextModal("Override the checks?", f"{listed}\n\nTo save anyway, give the reason:",
                      placeholder="reason for overriding"), reason_given)

    @work(thread=True, exclusive=True, group="save")
    def save(self, values: dict[str, str], overrides: dict[str, str] | None, amend_reason: str | None) -> None:
        from workbench.core.episodes import CodedEntry, Coding, EpisodeDetails, Override
        from workbench.core.rules import run_edits

        context = self.app.context
        context.ready.wait()
        try:
            catalog = context.catalog()
            procedures, diagnoses = self._codes(OPCS4), self._codes(ICD10)
            edits = run_edits(procedures, diagnoses, catalog, self.pack)
            errors = [e for e in edits if e.severity == "error"]
            if errors and not overrides:
                self.app.call_from_thread(self.ask_override, errors, values, amend_reason)
                return
            editions = {c: catalog.edition(c) for c in (OPCS4, ICD10)}
            answers = self.wizard.answers if self.pack else {}
            coding = Coding(
                procedures=[CodedEntry(c, OPCS4, editions[OPCS4]) for c in procedures],
                diagnoses=[CodedEntry(c, ICD10, editions[ICD10]) for c in diagnoses],
                guidance_id=self.pack.guidance_id if self.pack else self.state.get("guidance_id"),
                pack_id=self.pack.id if self.pack else None,
                pack_version=self.pack.version if self.pack else None,
                answers=dict(answers),
                overrides=[Override(edit_id, reason) for edit_id, reason in (overrides or {}).items()],
            )
            log = context.episode_log()
            coder = context.coder()
            if self.amend_of:
                summary = log.amend(self.amend_of, coding, reason=amend_reason or "", coder=coder)
            else:
                details = EpisodeDetails(patient=values["patient"], episode=values["episode"],
                                         date=dt.date.fromisoformat(values["date"]),
                                         nhs_number=values["nhs"].replace(" ", "") or None)
                # The draft goes in the same transaction as the episode, so a crash
                # between the two can never offer an already-saved episode for resume.
                draft_id = self.wizard.claim_draft()
                try:
                    summary = log.save(details, coding, coder=coder, draft_id=draft_id)
                except Exception:
                    self.wizard.release_draft(draft_id)
                    raise
            self.wizard.finish(log)
        except Exception as exc:
            self.app.call_from_thread(self._save_failed, exc)
            return
        self.app.call_from_thread(self._saved, summary)

    def _save_failed(self, exc: Exception) -> None:
        self.saving = False
        self.app.report_error("The episode was not saved", exc)

    def _saved(self, summary: Any) -> None:
        self.saving = False
        version = summary.latest.version
        what = f"Episode {summary.id} saved" + (f" (version {version})" if version > 1 else "")
        self.app.notify(what, title="Saved")
        self.app.go_home(clear=True)

    # ------------------------------------------------------------ drafts

    def persist(self) -> None:
        extra = {"procedures": self._codes(OPCS4), "diagnoses": self._codes(ICD10)}
        self.wizard.persist(stage="review", extra=extra)


FIELDS_LABELS = [(f, label.lower()) for f, label, _ in FIELDS]
