"""What the app does with the episode being coded: start it, code it with guidance or by hand,
move between its wizards and its review, reopen it from a draft or an amend, save it, copy it.

A mixin of :class:`workbench.tui.app.WorkbenchApp`, kept apart so the app module stays short.
"""

from __future__ import annotations

from typing import Any

from textual import work


class EpisodeActions:
    keeper: Any
    packs: dict[str, Any]
    context: Any
    copy_format: Any
    copy_turn: tuple[str, int]

    def start_episode(self, details: dict[str, str] | None = None, worklist_item: int | None = None) -> None:
        """A new episode (from the worklist, or empty): the search is where codes are found."""
        from workbench.core.episodes.session import CodingSession

        self.keeper.begin(CodingSession(details=dict(details or {}), worklist_item=worklist_item))
        self.keeper.persist()
        self.episode_changed()
        self.go_home(clear=True)

    def code_worklist_item(self, item: Any) -> None:
        """Enter on the worklist: its episode in progress if there is one, else a new one."""
        session = self.keeper.session
        if session is not None and session.worklist_item == item.id:
            self.action_current_episode()
            return
        self.find_item_draft(item)

    @work(thread=True, exclusive=True, group="item-draft")
    def find_item_draft(self, item: Any) -> None:
        from workbench.core.episodes.allocation import Allocations, ItemTaken

        try:
            # Claimed first: no one else codes this item while we do (the second is told who has it).
            Allocations(self.context.episode_log()).claim(item.id, self.context.coder())
        except ItemTaken as exc:
            self.call_from_thread(self.notify, str(exc), title="Someone else is coding it",
                                  severity="warning", timeout=12)
            return
        except Exception as exc:
            self.call_from_thread(self.report_error, "The worklist item could not be claimed", exc)
            return
        try:
            drafts = self.context.episode_log().drafts(self.context.coder())
        except Exception as exc:
            self.call_from_thread(self.report_error, "The drafts could not be read", exc)
            drafts = []
        draft = next((d for d in drafts if d.state.get("worklist_item") == item.id), None)
        if draft is not None:
            self.call_from_thread(self.resume_draft, draft)
        else:
            self.call_from_thread(self.start_episode, item.details(), item.id)

    def start_audit_coding(self, sample_id: int, item: Any) -> None:
        """Code a sampled episode blind: its case-note details, no codes; the search finds them.
        An audit draft of the same episode is resumed instead of starting again."""
        self.find_audit_draft(sample_id, item)

    @work(thread=True, exclusive=True, group="item-draft")
    def find_audit_draft(self, sample_id: int, item: Any) -> None:
        try:
            drafts = self.context.episode_log().drafts(self.context.coder())
        except Exception as exc:
            self.call_from_thread(self.report_error, "The drafts could not be read", exc)
            drafts = []
        mine = {"sample": sample_id, "episode": item.episode_id}
        draft = next((d for d in drafts if isinstance(d.state.get("audit"), dict)
                      and {k: d.state["audit"].get(k) for k in mine} == mine), None)
        if draft is not None:
            self.call_from_thread(self.resume_draft, draft)
        else:
            self.call_from_thread(self._begin_audit, sample_id, item)

    def _begin_audit(self, sample_id: int, item: Any) -> None:
        from workbench.core.episodes.session import CodingSession

        session = CodingSession(details=item.session_details(),
                                audit={"sample": sample_id, "episode": item.episode_id, "position": item.position})
        self.keeper.begin(session)
        self.keeper.persist()
        self.episode_changed()
        self.go_home(clear=True)
        self.notify(f"Coding audit sample {sample_id} #{item.position} blind: search for codes or guidance, "
                    "ctrl+r reviews, ctrl+s saves to the audit.", timeout=6)

    def audit_saved(self, result: Any) -> None:
        """The audit coding is saved: now, and only now, the original is shown beside it."""
        from workbench.tui.screens.audit import AuditSampleScreen
        from workbench.tui.screens.audit_review import AuditCompareScreen

        self.keeper.drop()
        self.episode_changed()
        self._pop_coding_screens()
        while len(self.screen_stack) > 1 and not isinstance(self.screen, AuditSampleScreen):
            self.pop_screen()
        if not isinstance(self.screen, AuditSampleScreen):   # coded from the search: Escape leads back
            self.push_screen(AuditSampleScreen(result.sample_id))
        self.push_screen(AuditCompareScreen(result.sample_id, result.episode_id))
        count = len(result.reviews)
        self.notify(f"Audit coding saved: {count} difference(s)", title="Saved to the audit")

    def episode_changed(self) -> None:
        """Say in the header which episode is being coded (or what is loaded)."""
        session = self.keeper.session
        if session is None:
            self.sub_title = self.context.loaded.short() if self.context.loaded else ""
        else:
            # No key hint here: at 80 columns it pushed the episode off the header (F1 has it).
            self.sub_title = f"Coding {session.describe()}"

    def code_with_guidance(self, guidance_id: str, pack: Any | None) -> None:
        """`c` on a guidance: its wizard codes into the current episode (a new one if none)."""
        session = self.keeper.current()
        if pack is None:
            self.notify(f"{guidance_id} has no rule pack: add its codes by hand (ctrl+n).")
            self.show_review()
            return
        self.packs[pack.id] = pack
        session.start_pack(pack.id, pack.guidance_id)
        session.stage = "wizard"
        self.episode_changed()
        self.show_wizard(pack.id, from_review=False)

    def add_code_to_episode(self, classification: str, code: str, title: str = "") -> None:
        session = self.keeper.current()
        already = code in (session.procedures if classification == "opcs4" else session.diagnoses)
        session.add_code(classification, code, title)
        self.keeper.persist()
        self.episode_changed()
        note = " (it was already in the sequence)" if already else ""
        self.notify(f"{code} added to the episode{note}. ctrl+r reviews it.", timeout=3)
        self.go_home(clear=True)

    def _pop_coding_screens(self) -> None:
        from workbench.tui.screens.review import ReviewScreen
        from workbench.tui.screens.wizard import WizardScreen

        while len(self.screen_stack) > 1 and isinstance(self.screen, (WizardScreen, ReviewScreen)):
            self.pop_screen()

    def show_wizard(self, pack_id: str, *, from_review: bool = True, reopen_last: bool = False) -> None:
        from workbench.tui.screens.wizard import WizardScreen

        self._pop_coding_screens()
        self.push_screen(WizardScreen(pack_id, pack=self.packs.get(pack_id), from_review=from_review,
                                      reopen_last=reopen_last))

    def show_review(self) -> None:
        from workbench.tui.screens.review import ReviewScreen

        self._pop_coding_screens()
        self.keeper.current().stage = "review"
        self.push_screen(ReviewScreen())

    def action_current_episode(self) -> None:
        session = self.keeper.session
        if session is None:
            self.notify("No episode is being coded. Enter on the worklist, or c on a guidance, starts one.")
            return
        if session.stage == "wizard" and session.current_pack and session.pack(session.current_pack):
            self.show_wizard(session.current_pack, from_review=False)
        else:
            self.show_review()

    def open_state(self, state: dict, *, draft_id: int | None = None) -> None:
        """Resume a draft or amend an episode: its packs are loaded first, in a worker."""
        from workbench.core.episodes.session import CodingSession

        session = CodingSession.from_state(state)
        self.keeper.begin(session, draft_id)
        self.prepare_session(session)

    @work(thread=True, group="prepare")
    def prepare_session(self, session: Any) -> None:
        from workbench.core.episodes.session_rules import prepare_packs

        self.context.ready.wait()
        try:
            packs, problems = prepare_packs(session, self.context.catalog())
        except Exception as exc:
            self.call_from_thread(self.report_error, "The episode could not be reopened", exc)
            return
        self.call_from_thread(self._session_prepared, session, packs, problems)

    def _session_prepared(self, session: Any, packs: dict[str, Any], problems: list[str]) -> None:
        self.packs.update(packs)
        for problem in problems:
            self.notify(problem, severity="warning")
        self.episode_changed()
        self.action_current_episode()

    def episode_saved(self, summary: Any, session: Any) -> None:
        """After a save: the log for an amend, the worklist for a worklist item, else the search."""
        from workbench.tui.screens.log import LogScreen

        self.keeper.drop()
        self.episode_changed()
        version = summary.latest.version
        what = f"Episode {summary.id} saved" + (f" (version {version})" if version > 1 else "")
        if session.amend_of and any(isinstance(s, LogScreen) for s in self.screen_stack):
            while not isinstance(self.screen, LogScreen):
                self.pop_screen()
        elif session.worklist_item is not None:
            self.go_home(clear=True)
            from workbench.tui.screens.worklist import WorklistScreen

            self.push_screen(WorklistScreen(after=session.worklist_item))
            what += " · n codes the next episode"
        else:
            self.go_home(clear=True)
        self.notify(what, title="Saved")

    def action_copy_sequence(self) -> None:
        """ctrl+y: the codes to the clipboard (OSC 52) in the PAS's format (``[copy]``): those of the
        version a history shows, else of the episode being coded. With procedures and diagnoses
        copied separately, the next ctrl+y on the same codes copies the other list."""
        from workbench.core.episodes.copyout import CopyFormat, copy_parts

        source = getattr(self.screen, "codes_to_copy", None)
        codes = source() if source is not None else None
        if codes is None:
            session = self.keeper.session
            codes = (([c.code for c in session.of("opcs4")], [(c.code, c.mark or None) for c in session.of("icd10")])
                     if session is not None else ([], []))
        parts = copy_parts(self.copy_format or CopyFormat(), *codes)
        if not parts:
            self.notify("There is no sequence to copy yet.", severity="warning")
            return
        key = "|".join(text for _what, text in parts)
        last, turn = self.copy_turn
        turn = (turn + 1) % len(parts) if last == key else 0
        self.copy_turn = (key, turn)
        what, text = parts[turn]
        self.copy_to_clipboard(text)
        nxt = f" · ctrl+y again copies the {parts[(turn + 1) % len(parts)][0]}" if len(parts) > 1 else ""
        label = "Copied" if what == "codes" else f"Copied {what}"
        self.notify(f"{label}: {text}{nxt}", timeout=4)

