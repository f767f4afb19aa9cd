"""Review and save the whole episode: every code with where it came from, the checks, the form.

Focus starts in the first empty field of the episode form (a new episode), or on the
code list when the details are already there (a worklist episode, an amend). The
code keys work from either: up/down pick a code, shift+up/down move it, ctrl+x
removes it; on the list x, u and d do the same.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Header, Label, OptionList, Static
from textual.widgets.option_list import Option

from workbench.core.episodes.session import HAND
from workbench.core.safetext import visible
from workbench.tui import keymap
from workbench.tui.screens.base import if_attached
from workbench.tui.screens.review_save import FORM_ROWS, ICD10, OPCS4, REQUIRED, SavesEpisode
from workbench.tui.widgets.caution import PackCaution
from workbench.tui.widgets.key_bar import KeyBar
from workbench.tui.widgets.line_input import LineInput
from workbench.tui.widgets.lists import KeyList
from workbench.tui.widgets.snomed import SnomedLine

LABELS = {OPCS4: "OPCS-4", ICD10: "ICD-10"}
#: How a check's finding is shown: an error refuses the save, a warning asks the coder to look,
#: a note says what could not be checked (the patient's sex or age not given).
SEVERITY_STYLES = {"error": "bold red", "warning": "bold yellow", "note": "bold"}


class SequenceList(KeyList):
    BINDINGS = keymap.bindings("sequence")


class ReviewScreen(SavesEpisode):
    HELP_NAME = "review"
    BINDINGS = keymap.bindings("review")

    def __init__(self) -> None:
        super().__init__()
        self.index: list[tuple[str, int] | None] = []   # option index -> (list, position)
        self.edits: list[Any] = []
        self.checked = False                              # the edits have run at least once
        self._codes_shown: list[tuple[str, str, str, str]] = []   # the sequence as last listed
        self.saving = False
        # Focus: the first empty detail (a new episode) or the code list (details filled in).
        # Set before mounting, so the screen's auto-focus never lands elsewhere first.
        session = self.session
        details = session.details
        locked = session.amend_of or session.audit
        empty = None if locked else next((f for f in REQUIRED if not details.get(f, "").strip()), None)
        self.AUTO_FOCUS = f"#{empty or 'sequence'}"

    @property
    def session(self) -> Any:
        return self.app.keeper.current()

    @property
    def rows(self) -> dict[str, list[Any]]:
        """The codes by classification, in sequence order."""
        return {OPCS4: self.session.of(OPCS4), ICD10: self.session.of(ICD10)}

    def packs(self) -> list[Any]:
        return [self.app.packs[p.pack_id] for p in self.session.packs if p.pack_id in self.app.packs]

    # ------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Header(icon="≡")
        yield Static("", id="review-title", classes="title")
        yield Static("", id="review-pas")
        yield PackCaution(id="review-caution")
        yield SnomedLine(id="review-snomed")
        with Vertical(id="review-body"):
            yield SequenceList(id="sequence")
            yield Static("", id="code-reason")
            yield Static("Checking…", id="edits")
        with Vertical(id="episode-form"):
            for label, fields in FORM_ROWS:
                with Horizontal(classes="form-row"):
                    yield Label(label)
                    for field, placeholder in fields:
                        yield LineInput(id=field, placeholder=placeholder, compact=True,
                                        slash_is_text=field == "date")
                        yield Static("", id=f"{field}-message", classes="field-message")
        yield KeyBar()

    def on_mount(self) -> None:
        session = self.session
        what = ", ".join(p.guidance_id for p in session.packs) or "by hand"
        title = f"Review · {what}" + (f" · amending episode {session.amend_of}" if session.amend_of else "")
        if session.audit:
            title = (f"Audit coding (blind) · sample {session.audit['sample']} · #{session.audit.get('position', '?')}"
                     f" · {what} · ctrl+s saves to the audit, not the log")
        self.query_one("#review-title", Static).update(Text(title))
        # What the PAS sent beyond the form (FCE, discharge, consultant, ward, its other columns).
        pas = session.details.get("pas", "")
        self.query_one("#review-pas", Static).update(Text(visible(f"PAS: {pas}")) if pas else "")
        self.query_one("#review-pas", Static).display = bool(pas)
        packs = self.packs()
        self._show_caution()
        snomed = tuple(concept for pack in packs for concept in pack.snomed)
        self.query_one("#review-snomed", SnomedLine).show_concepts(snomed)
        self.fill_form(session.details, locked=bool(session.amend_of or session.audit))
        # No diagnosis yet (with or without procedures): the empty diagnoses list is highlighted,
        # so ctrl+n adds the primary diagnosis every finished episode needs.
        if not session.of(ICD10):
            self._show_rows((ICD10, -1))
        else:
            self._show_rows((OPCS4, 0) if session.of(OPCS4) else (ICD10, 0))
        self.query_one(self.AUTO_FOCUS).focus()
        # The row's :focus-within style is only worked out on a focus change after mounting:
        # the form's styles once more (not the whole screen's).
        self.call_after_refresh(self.query_one("#episode-form").update_node_styles)
        self.fetch_titles()
        self.check()
        self.app.keeper.persist()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        if self._codes_shown != self._codes():   # a code was added or removed meanwhile
            self._changed(self._highlighted())

    # ------------------------------------------------------------ the sequence

    def _show_rows(self, highlight: tuple[str, int] | None = None) -> None:
        options: list[Option] = []
        self.index = []
        headings = {OPCS4: "OPCS-4 procedures", ICD10: "ICD-10 diagnoses"}
        for classification in (OPCS4, ICD10):
            options.append(Option(Text(headings[classification], style="bold underline"), disabled=True))
            self.index.append(None)
            rows = self.session.of(classification)
            if not rows:
                # Highlighted, ctrl+n adds to this list: the empty list is a place to add to.
                options.append(Option(Text(f"  none (ctrl+n adds an {LABELS[classification]} code)", style="dim")))
                self.index.append((classification, -1))
            for position, row in enumerate(rows, start=1):
                # One line a code, so a whole episode fits at 80x24; the highlighted code's
                # reason is shown in full under the list. The classification is on every row. Fixed
                # columns in one text (a Rich table per row cost a table layout per line on every
                # repaint).
                source = "hand" if row.source == HAND else row.source
                line = Text(no_wrap=True, overflow="ellipsis", end="")
                line.append(f"{position:>2} {row.marked:<7} "[:11].ljust(11), style="bold")
                line.append(f"{LABELS[classification]:<6} "[:7].ljust(7), style="dim")
                line.append(f"{source[:7]:<7} ", style="dim")
                line.append(row.title or "(title not loaded)")
                options.append(Option(line))
                self.index.append((classification, position - 1))
        self._codes_shown = self._codes()
        sequence = self.query_one("#sequence", OptionList)
        sequence.set_options(options)
        if highlight in self.index:
            sequence.highlighted = self.index.index(highlight)
        elif highlight is not None:
            same = [i for i, where in enumerate(self.index) if where and where[0] == highlight[0]]
            any_code = [i for i, where in enumerate(self.index) if where]
            if same or any_code:
                sequence.highlighted = (same or any_code)[-1]
        self._show_reason()

    def _codes(self) -> list[tuple[str, str, str, str]]:
        return [(c.classification, c.code, c.source, c.title or "") for c in self.session.codes]

    @work(thread=True, group="review-titles")
    def fetch_titles(self) -> None:
        context = self.app.context
        context.ready.wait()
        missing = [(c.classification, c.code) for c in self.session.codes if not c.title]
        if not missing:
            return   # every title known (the wizards give them): nothing to list again
        try:
            catalog = context.catalog()
            titles = {key: catalog.title(*key) or "" for key in missing}
        except Exception as exc:
            self.app.call_from_thread(self.app.report_error, "Code titles could not be read", exc)
            return
        self.app.call_from_thread(self._titles_ready, titles)

    @if_attached
    def _titles_ready(self, titles: dict[tuple[str, str], str]) -> None:
        for row in self.session.codes:
            row.title = row.title or titles.get((row.classification, row.code), "")
        self._show_rows(self._highlighted())

    @on(OptionList.OptionHighlighted, "#sequence")
    def _show_reason(self) -> None:
        where = self._highlighted()
        text = Text()
        if where is not None:
            row = self.session.of(where[0])[where[1]]
            text.append(f"{row.marked}: ", style="bold")
            text.append("added by hand" if row.source == HAND else f"from {row.source}", style="bold")
            text.append(f" · {row.reason}")
        self.query_one("#code-reason", Static).update(text)

    def _highlighted(self) -> tuple[str, int] | None:
        highlighted = self.query_one("#sequence", OptionList).highlighted
        if highlighted is None or highlighted >= len(self.index):
            return None
        where = self.index[highlighted]
        # The list may be a step behind the session while it is being rebuilt; an empty list's
        # placeholder row is a place to add to, not a code.
        if where is None or not 0 <= where[1] < len(self.session.of(where[0])):
            return None
        return where

    def target_list(self) -> str:
        """The list ctrl+n adds to: the highlighted row's (a code's or an empty list's), else the
        diagnoses when the episode has none yet (a finished episode needs its primary diagnosis),
        else the procedures."""
        highlighted = self.query_one("#sequence", OptionList).highlighted
        if highlighted is not None and highlighted < len(self.index) and self.index[highlighted]:
            return self.index[highlighted][0]
        return ICD10 if not self.session.of(ICD10) else OPCS4

    def action_focus_codes(self) -> None:
        self.query_one("#sequence").focus()

    def action_pick_code(self, step: int) -> None:
        """up/down from the form: move the code list's highlight without leaving the field."""
        sequence = self.query_one("#sequence", OptionList)
        sequence.action_cursor_down() if step > 0 else sequence.action_cursor_up()

    def action_remove_code(self) -> None:
        where = self._highlighted()
        if where is None:
            return
        classification, position = where
        removed = self.session.remove(classification, position)
        self.notify(f"Removed {removed.code}", timeout=2)
        keep = (classification, min(position, len(self.session.of(classification)) - 1))
        self._changed(keep)

    def action_move_code(self, step: int) -> None:
        where = self._highlighted()
        if where is None:
            return
        classification, position = where
        target = self.session.move(classification, position, step)
        if target != position:
            self._changed((classification, target))

    def action_add_code(self) -> None:
        """ctrl+n: add to the highlighted list, searching its classification (tab: the other list)."""
        from workbench.tui.screens.add_code import AddCodeModal

        def added(result: tuple[str, str, str] | None) -> None:
            if result:
                classification, code, title = result
                self.session.add_code(classification, code, title)
                self.app.episode_changed()
                self._changed((classification, len(self.session.of(classification)) - 1))

        self.app.push_screen(AddCodeModal(self.target_list()), added)

    def _changed(self, highlight: tuple[str, int] | None) -> None:
        self._show_rows(highlight)
        self.check()
        self.app.keeper.persist()

    # ------------------------------------------------------------ validation edits

    @work(thread=True, exclusive=True, group="edits")
    def check(self) -> None:
        from workbench.core.episodes.session_rules import session_edits

        context = self.app.context
        context.ready.wait()
        try:
            edits = session_edits(self.session, context.catalog(), self.packs())
        except Exception as exc:
            self.app.call_from_thread(self.app.report_error, "The checks could not run", exc)
            return
        self.app.call_from_thread(self._show_edits, edits)

    def _show_caution(self) -> None:
        """The first pack's draft/partial line, and any guidance not meant for this patient."""
        from workbench.core.episodes.session_rules import population_cautions

        packs = self.packs()
        self.query_one("#review-caution", PackCaution).show_pack(
            packs[0] if packs else None, " ".join(population_cautions(self.session, packs)))

    @if_attached
    def _show_edits(self, edits: list[Any]) -> None:
        self._show_caution()   # the sex or age may have just been typed
        self.edits = edits
        self.checked = True
        text = Text()
        if not edits:
            text.append("✓ All checks pass.", style="green")
        for edit in edits:
            if text:
                text.append("\n")
            label = edit.severity if edit.severity in SEVERITY_STYLES else "warning"
            text.append(f"{label}: ", style=SEVERITY_STYLES[label])
            text.append(edit.message)
        for run in self.session.packs:
            for note in run.notes:
                text.append(f"\nnote ({run.guidance_id}): ", style="bold")
                text.append(note)
        self.query_one("#edits", Static).update(text)

    # ------------------------------------------------------------ leaving

    def action_back(self) -> None:
        """Escape: back into the wizard of the highlighted code's guidance (or the last one)."""
        session = self.session
        where = self._highlighted()
        source = session.of(where[0])[where[1]].source if where else HAND
        run = next((p for p in session.packs if p.guidance_id == source), None)
        run = run or (session.pack(session.current_pack) if session.current_pack else None)
        run = run or (session.packs[-1] if session.packs else None)
        if run is None:
            self.app.go_home(clear=False)   # coding by hand: back to the search, episode kept
            return
        session.current_pack = run.pack_id
        self.app.show_wizard(run.pack_id, from_review=True, reopen_last=True)

    def action_find(self) -> None:
        """ctrl+g: to the search for another code or guidance; the episode stays current."""
        self.app.go_home(clear=True)
