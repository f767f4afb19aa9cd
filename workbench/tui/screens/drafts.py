"""Every unfinished episode of this coder: Enter resumes one, d discards it."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.widgets import DataTable, Header, Static

from workbench.core.dates import shown_time
from workbench.core.safetext import visible
from workbench.tui import keymap
from workbench.tui.screens.base import WorkbenchScreen, if_attached
from workbench.tui.widgets.key_bar import KeyBar


def describe_draft(draft: Any) -> str:
    from workbench.core.episodes.session import CodingSession

    try:
        return CodingSession.from_state(dict(draft.state)).describe()
    except Exception:   # a draft from another version: still listed, so it can be discarded
        return "an unfinished coding"


class DraftsScreen(WorkbenchScreen):
    HELP_NAME = "drafts"
    BINDINGS = keymap.bindings("drafts")

    def __init__(self) -> None:
        super().__init__()
        self.drafts: list[Any] = []

    def compose(self) -> ComposeResult:
        yield Header(icon="≡")
        yield Static("Unfinished episodes", classes="title")
        yield DataTable(id="drafts-table", cursor_type="row")
        yield Static("Enter resumes · d discards · Escape goes back", classes="status")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one("#drafts-table", DataTable)
        table.add_columns("last changed", "episode")
        table.focus()
        self.load()

    @work(thread=True, exclusive=True, group="drafts-list")
    def load(self) -> None:
        context = self.app.context
        try:
            drafts = context.episode_log().drafts(context.coder())
        except Exception as exc:
            self.app.call_from_thread(self.app.report_error, "The drafts could not be read", exc)
            return
        self.app.call_from_thread(self._loaded, drafts)

    @if_attached
    def _loaded(self, drafts: list[Any]) -> None:
        current = self.app.keeper.draft_id
        self.drafts = drafts
        table = self.query_one("#drafts-table", DataTable)
        table.clear()
        for draft in drafts:
            mark = " (current)" if draft.id == current else ""
            table.add_row(shown_time(draft.updated_at), Text(visible(describe_draft(draft) + mark)))
        if not drafts:
            table.add_row("", Text("No unfinished episodes.", style="dim"))

    def _current(self) -> Any | None:
        row = self.query_one("#drafts-table", DataTable).cursor_row
        return self.drafts[row] if 0 <= row < len(self.drafts) else None

    def action_resume(self) -> None:
        draft = self._current()
        if draft is not None:
            self.app.pop_screen()
            self.app.resume_draft(draft)

    @on(DataTable.RowSelected, "#drafts-table")
    def _selected(self, event: DataTable.RowSelected) -> None:
        self.action_resume()

    def action_discard(self) -> None:
        """d: asks once (y), then throws the draft away."""
        from workbench.tui.screens.modals import ConfirmModal

        draft = self._current()
        if draft is None:
            return

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            if draft.id == self.app.keeper.draft_id:
                self.app.keeper.drop()
                self.app.episode_changed()
            self.discard(draft.id)

        self.app.push_screen(ConfirmModal("Discard the draft?", f"Throw away {describe_draft(draft)}? "
                                          "Its answers and codes are lost."), answered)

    @work(thread=True, group="drafts-list")
    def discard(self, draft_id: int) -> None:
        try:
            self.app.context.episode_log().discard_draft(draft_id)
        except Exception as exc:
            self.app.call_from_thread(self.app.report_error, "The draft could not be discarded", exc)
            return
        self.app.call_from_thread(self.app.notify, "Draft discarded", timeout=2)
        self.app.call_from_thread(self.load)
