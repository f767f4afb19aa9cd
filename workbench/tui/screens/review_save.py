"""The review's episode form and saving: details checked as typed, then one save in a worker."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.widgets import Input, Static

from workbench.core.episodes.validate import detail_problem
from workbench.tui.screens.base import WorkbenchScreen

OPCS4, ICD10 = "opcs4", "icd10"
#: The form's rows in the order the coder fills them: (label, ((field id, placeholder), ...)).
#: Sex and age share one row, so the form stays five lines at 80x24.
FORM_ROWS = (
    ("Patient", (("patient", "identifier"),)),
    ("Episode", (("episode", "reference"),)),
    ("Date", (("date", "dd/mm/yyyy"),)),
    ("NHS number", (("nhs", "optional"),)),
    ("Sex, age", (("sex", "m/f"), ("age", "years"))),
)
FIELDS = tuple(f for _, fields in FORM_ROWS for f, _ in fields)
FIELDS_LABELS = {"patient": "patient", "episode": "episode", "date": "date", "nhs": "NHS number",
                 "sex": "sex", "age": "age"}
REQUIRED = ("patient", "episode", "date")


def field_message(field: str, value: str) -> Text:
    """What is wrong with a field, or for a good date the day it names, unmistakably."""
    problem = detail_problem(field, value)
    if problem:
        return Text(problem, style="bold")
    if field == "date" and value.strip():
        from workbench.core.dates import show_date

        return Text(f"= {show_date(value)}", style="dim")
    return Text("")


class SavesEpisode(WorkbenchScreen):
    """The review screen's base: the form's messages, the draft of its details, the save."""

    saving: bool
    check: Any   # the review's edits worker: re-run when the sex or age changes

    # ------------------------------------------------------------ the form

    def fill_form(self, details: dict[str, str], *, locked: bool) -> None:
        from workbench.core.safetext import visible

        for field in FIELDS:
            widget = self.query_one(f"#{field}", Input)
            # Stored or imported text with control characters is shown (and, if saved, saved)
            # escaped: what the coder sees is what the form holds, and it cannot drive the terminal.
            widget.value = visible(details.get(field) or "")
            widget.disabled = locked   # amending changes the coding, not the episode
            if widget.value:
                self.query_one(f"#{field}-message", Static).update(field_message(field, widget.value))

    @on(Input.Changed)
    def _field_changed(self, event: Input.Changed) -> None:
        field = event.input.id or ""
        if field not in FIELDS_LABELS or event.input.disabled:
            return
        self.query_one(f"#{field}-message", Static).update(field_message(field, event.value))
        session = self.app.keeper.current()
        if session.details.get(field, "") != event.value:
            session.details[field] = event.value
            # One draft write per pause in typing, not one per key.
            timer = getattr(self, "_details_timer", None)
            if timer is not None:
                timer.stop()
            self._details_timer = self.set_timer(0.6, self.app.keeper.persist)
            if field in ("sex", "age"):
                self.check()   # the sex and age limits of the diagnoses

    @on(Input.Submitted)
    def _field_submitted(self, event: Input.Submitted) -> None:
        self.focus_next()

    def _form_problems(self) -> dict[str, str]:
        problems = {}
        for field in FIELDS:
            problem = detail_problem(field, self.query_one(f"#{field}", Input).value)
            self.query_one(f"#{field}-message", Static).update(Text(problem, style="bold"))
            if problem:
                problems[field] = problem
        return problems

    # ------------------------------------------------------------ saving

    def action_save(self) -> None:
        if self.saving:
            return
        session = self.app.keeper.current()
        if not session.amend_of and not session.audit:
            problems = self._form_problems()
            if problems:
                first = next(iter(problems))
                self.query_one(f"#{first}", Input).focus()
                self.notify(f"Episode form: {FIELDS_LABELS[first]} {problems[first]}", severity="warning")
                return
        if not session.codes:
            self.notify("There are no codes to save.", severity="warning")
            return
        if session.amend_of:
            from workbench.tui.screens.modals import TextModal

            def reason_given(reason: str | None) -> None:
                if reason:
                    self._start_save(amend_reason=reason)

            self.app.push_screen(TextModal("Amend episode", "Why is the coding being amended?",
                                           placeholder="reason for the amendment"), reason_given)
            return
        self._start_save()

    def _start_save(self, *, overrides: dict[str, str] | None = None, amend_reason: str | None = None,
                    duplicate_reason: str | None = None) -> None:
        self.saving = True
        values = {f: self.query_one(f"#{f}", Input).value.strip() for f in FIELDS}
        self.save(values, overrides, amend_reason, duplicate_reason)

    def ask_override(self, errors: list[Any], amend_reason: str | None) -> None:
        from workbench.tui.screens.modals import TextModal

        self.saving = False
        listed = "\n".join(f"• {e.message}" for e in errors)

        def reason_given(reason: str | None) -> None:
            if reason:
                self._start_save(overrides={e.id: reason for e in errors}, amend_reason=amend_reason)

        self.app.push_screen(
            TextModal("Override the checks?", f"{listed}\n\nTo save anyway, give the reason:",
                      placeholder="reason for overriding"), reason_given)

    def ask_duplicate(self, existing_id: int, overrides: dict[str, str] | None, near: bool = False) -> None:
        """The log already holds a live episode with this patient, reference and date (or nearly:
        typed differently): say which, and save a second one only with a stated reason."""
        from workbench.tui.screens.modals import TextModal

        self.saving = False
        same = ("has nearly the same patient and episode reference (they differ only in case, spaces or "
                "look-alike characters) and the same start date" if near else
                "has the same patient, episode reference and start date")

        def reason_given(reason: str | None) -> None:
            if reason:
                self._start_save(overrides=overrides, duplicate_reason=reason)

        self.app.push_screen(
            TextModal("Already in the log",
                      f"Episode {existing_id} {same}. "
                      f"Nothing was saved. Escape, then amend episode {existing_id} from the log "
                      "(ctrl+l) if its codes need to change.\n\nTo save a second episode anyway, give "
                      "the reason:", placeholder="reason for a second episode"), reason_given)

    @work(thread=True, exclusive=True, group="save")
    def save(self, values: dict[str, str], overrides: dict[str, str] | None, amend_reason: str | None,
             duplicate_reason: str | None = None) -> None:
        from workbench.core.episodes import CodedEntry, Coding, EpisodeDetails, Override, parse_date
        from workbench.core.episodes.model import DuplicateEpisode
        from workbench.core.episodes.session_rules import session_edits
        from workbench.core.episodes.validate import checked_age, normalise_sex

        app = self.app
        context, keeper = app.context, app.keeper
        session = keeper.current()
        context.ready.wait()
        try:
            catalog = context.catalog()
            packs = [app.packs[p.pack_id] for p in session.packs if p.pack_id in app.packs]
            errors = [e for e in session_edits(session, catalog, packs) if e.severity == "error"]
            if errors and not overrides:
                app.call_from_thread(self.ask_override, errors, amend_reason)
                return
            editions = {c: catalog.edition(c) for c in (OPCS4, ICD10)}
            first = packs[0] if packs else None
            coding = Coding(
                procedures=[CodedEntry(c, OPCS4, editions[OPCS4]) for c in session.procedures],
                diagnoses=[CodedEntry(c.code, ICD10, editions[ICD10], c.mark or None)
                           for c in session.of(ICD10)],
                guidance_id=first.guidance_id if first else None,
                pack_id=first.id if first else None,
                pack_version=first.version if first else None,
                answers=session.coding_answers(),
                overrides=[Override(edit_id, reason) for edit_id, reason in (overrides or {}).items()],
            )
            log = context.episode_log()
            coder = context.coder()
            if session.audit:
                self._save_audit(session, coding, session_edits(session, catalog, packs), overrides)
                return
            # The draft goes in the same transaction as the episode, so a crash between
            # the two can never offer an already-saved episode for resume.
            draft_id = keeper.claim_draft()
            try:
                if session.amend_of:
                    summary = log.amend(session.amend_of, coding, reason=amend_reason or "", coder=coder,
                                        draft_id=draft_id)
                else:
                    details = EpisodeDetails(patient=values["patient"], episode=values["episode"],
                                             date=parse_date(values["date"]),
                                             nhs_number=values["nhs"].replace(" ", "") or None,
                                             specialty=session.details.get("specialty") or None,
                                             sex=normalise_sex(values["sex"]), age=checked_age(values["age"]),
                                             fce=session.details.get("fce") or None,
                                             end_date=parse_date(session.details["end_date"], "discharge date")
                                             if session.details.get("end_date") else None,
                                             consultant=session.details.get("consultant") or None)
                    # The worklist item is marked coded in the save's own transaction.
                    summary = log.save(details, coding, coder=coder, draft_id=draft_id,
                                       save_id=session.save_id, duplicate_reason=duplicate_reason,
                                       worklist_item=session.worklist_item)
            except Exception:
                keeper.release_draft(draft_id)
                raise
        except DuplicateEpisode as exc:
            app.call_from_thread(self.ask_duplicate, exc.existing_id, overrides, exc.near)
            return
        except Exception as exc:
            app.call_from_thread(self._save_failed, exc)
            return
        app.call_from_thread(self._saved, summary, session)

    def _save_audit(self, session: Any, coding: Any, edits: list[Any], overrides: dict[str, str] | None) -> None:
        """A blind audit coding (worker thread): into the audit store; the log's episode is untouched."""
        from workbench.core.audit import AuditCoding, Audits

        app, keeper = self.app, self.app.keeper
        log = app.context.episode_log()
        audit = AuditCoding(
            procedures=[e.code for e in coding.procedures], diagnoses=[e.code for e in coding.diagnoses],
            marks=[e.mark for e in coding.diagnoses], guidance=[p.guidance_id for p in session.packs],
            answers=session.coding_answers(),
            checks=[{"id": e.id, "severity": e.severity, "message": e.message,
                     **({"override": overrides[e.id]} if overrides and e.id in overrides else {})}
                    for e in edits],
            started_at=None)
        draft_id = keeper.claim_draft()
        try:
            result = Audits(log).save_coding(session.audit["sample"], session.audit["episode"], audit,
                                             auditor=app.context.coder())
        except Exception as exc:
            keeper.release_draft(draft_id)
            app.call_from_thread(self._save_failed, exc)
            return
        if draft_id is not None:
            try:
                log.discard_draft(draft_id)
            except Exception as exc:   # saved all the same
                app.call_from_thread(app.report_error, "The audit draft was not removed", exc)
        app.call_from_thread(self._audit_saved, result)

    def _audit_saved(self, result: Any) -> None:
        self.saving = False
        self.app.audit_saved(result)

    def _save_failed(self, exc: Exception) -> None:
        self.saving = False
        self.app.report_error("The episode was not saved", exc)

    def _saved(self, summary: Any, session: Any) -> None:
        self.saving = False
        self.app.episode_saved(summary, session)
