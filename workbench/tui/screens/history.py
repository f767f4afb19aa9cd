"""One episode's history: every saved version; amend or void from here."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.widgets import DataTable, Header, Static

from workbench.core.episodes import VOIDED
from workbench.core.safetext import visible
from workbench.tui import keymap
from workbench.tui.screens.base import WorkbenchScreen, if_attached
from workbench.tui.screens.log import codes_text
from workbench.tui.widgets.key_bar import KeyBar


class HistoryScreen(WorkbenchScreen):
    HELP_NAME = "history"
    BINDINGS = keymap.bindings("history")

    def __init__(self, episode_id: int):
        super().__init__()
        self.episode_id = episode_id
        self.details: Any | None = None
        self.versions: list[Any] = []
        self.hidden = False              # in this login's blind audit, not yet coded

    def compose(self) -> ComposeResult:
        yield Header(icon="≡")
        yield Static(f"Episode {self.episode_id}", id="history-title", classes="title")
        yield DataTable(id="history-table", cursor_type="row")
        yield Static("", id="history-detail")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one("#history-table", DataTable)
        table.add_columns("v", "status", "saved", "coder", "codes", "reason")
        table.focus()
        self.load()

    @work(thread=True, exclusive=True, group="history")
    def load(self) -> None:
        from workbench.core.audit.audits import BLIND_MESSAGE, blind_set
        from workbench.core.episodes.identity import os_login

        try:
            log = self.app.context.episode_log()
            if self.episode_id in blind_set(log, os_login()):
                self.app.call_from_thread(self._hide, BLIND_MESSAGE.format(episode=self.episode_id))
                return
            details, versions = log.history(self.episode_id)
        except Exception as exc:
            self.app.call_from_thread(self.app.report_error, "The history could not be read", exc)
            return
        self.app.call_from_thread(self._loaded, details, versions)

    @if_attached
    def _hide(self, message: str) -> None:
        self.hidden = True
        self.query_one("#history-title", Static).update(Text(f"Episode {self.episode_id}"))
        self.query_one("#history-detail", Static).update(Text(message[0].upper() + message[1:] + "."))

    @if_attached
    def _loaded(self, details: Any, versions: list[Any]) -> None:
        from workbench.core.dates import show_date, shown_time

        self.details, self.versions = details, versions
        nhs = f" · NHS {details.nhs_number}" if details.nhs_number else ""
        fce = f" FCE {details.fce}" if details.fce else ""
        out = f" to {show_date(details.end_date)}" if details.end_date else ""
        cons = f" · {details.consultant}" if details.consultant else ""
        self.query_one("#history-title", Static).update(Text(visible(
            f"Episode {self.episode_id}: patient {details.patient} · episode {details.episode}{fce} · "
            f"{show_date(details.date)}{out}{cons}{nhs}")))
        table = self.query_one("#history-table", DataTable)
        table.clear()
        for v in versions:
            table.add_row(str(v.version), v.status, shown_time(v.saved_at), Text(visible(v.coder_label)),
                          Text(visible(codes_text(v.coding, 6))), Text(visible(v.reason or v.note or "")))
        if versions:
            table.move_cursor(row=len(versions) - 1)
            self._show_version(versions[-1])

    @on(DataTable.RowHighlighted, "#history-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if 0 <= event.cursor_row < len(self.versions):
            self._show_version(self.versions[event.cursor_row])

    def _show_version(self, version: Any) -> None:
        coding = version.coding
        text = Text()
        text.append(f"Version {version.version} ({version.status})", style="bold")
        if coding.guidance_id:
            text.append(f" · {coding.guidance_id}")
        if coding.pack_id:
            text.append(f" · pack {coding.pack_id} v{coding.pack_version}")
        text.append("\nProcedures: " + (" ".join(e.shown() for e in coding.procedures) or "none"))
        text.append("\nDiagnoses: " + (" ".join(e.shown() for e in coding.diagnoses) or "none"))
        text.append("  (ctrl+y copies)", style="dim")
        for override in coding.overrides:
            text.append(f"\nOverride {override.edit_id}: {visible(override.reason)}", style="dim")
        self.query_one("#history-detail", Static).update(text)

    def codes_to_copy(self) -> tuple[list[str], list[tuple[str, str | None]]] | None:
        """ctrl+y here copies the highlighted version's codes (see the app's copy action)."""
        if not self.versions:
            return None
        row = self.query_one("#history-table", DataTable).cursor_row
        version = self.versions[row] if 0 <= row < len(self.versions) else self.versions[-1]
        coding = version.coding
        return [e.code for e in coding.procedures], [(e.code, e.mark) for e in coding.diagnoses]

    # ------------------------------------------------------------ amend and void

    def action_amend(self) -> None:
        if self.hidden:
            self.notify("Hidden while you audit it blind.", severity="warning")
            return
        if not self.versions or self.details is None:
            return
        latest = self.versions[-1]
        if latest.status == VOIDED:
            self.notify("This episode is void; it cannot be amended.", severity="warning")
            return
        coding, details = latest.coding, self.details
        state = {
            "version": 1, "stage": "review", "guidance_id": coding.guidance_id, "pack_id": coding.pack_id,
            "answers": dict(coding.answers), "reopened": [], "amend_of": self.episode_id,
            "procedures": [e.code for e in coding.procedures],
            "diagnoses": [e.code for e in coding.diagnoses],
            "details": {"patient": details.patient, "episode": details.episode,
                        "date": str(details.date), "nhs": details.nhs_number or ""},
        }
        from workbench.tui.screens.wizard import start_from_state

        start_from_state(self.app, state)

    def action_void(self) -> None:
        from workbench.tui.screens.modals import TextModal

        if self.hidden:
            self.notify("Hidden while you audit it blind.", severity="warning")
            return

        if self.versions and self.versions[-1].status == VOIDED:
            self.notify("This episode is already void.", severity="warning")
            return

        def reason_given(reason: str | None) -> None:
            if reason:
                self.void(reason)

        self.app.push_screen(TextModal("Void episode", f"Why is episode {self.episode_id} void? "
                                       "It stays in the log with its history.",
                                       placeholder="reason"), reason_given)

    @work(thread=True, group="void")
    def void(self, reason: str) -> None:
        context = self.app.context
        try:
            log = context.episode_log()
            log.on_wait = lambda _seconds: self.app.call_from_thread(
                self.app.notify, "Another coder is saving; waiting for our turn…")
            log.void(self.episode_id, reason=reason, coder=context.coder())
        except Exception as exc:
            self.app.call_from_thread(self.app.report_error, "The episode was not voided", exc)
            return
        self.app.call_from_thread(self.app.notify, f"Episode {self.episode_id} is void")
        self.app.call_from_thread(self.load)
