"""The episode log: latest version of every episode, a filter, export; and one episode's history."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.widgets import DataTable, Footer, Header, Input, Static

from workbench.core.episodes import VOIDED
from workbench.core.safetext import visible
from workbench.tui import keymap
from workbench.tui.screens.base import WorkbenchScreen, if_attached

COLUMNS = ("id", "date", "patient", "episode", "guidance", "codes", "status", "v")


def codes_text(coding: Any, limit: int = 4) -> str:
    codes = [e.code for e in coding.procedures] + [e.code for e in coding.diagnoses]
    shown = " ".join(codes[:limit])
    return shown + (f" +{len(codes) - limit}" if len(codes) > limit else "")


def searchable(summary: Any) -> str:
    """Everything the filter matches against, lower case."""
    coding = summary.latest.coding
    parts = [str(summary.id), summary.details.patient, summary.details.episode,
             str(summary.details.date), summary.details.nhs_number or "", coding.guidance_id or "",
             summary.latest.status, summary.latest.coder]
    parts += [e.code for e in coding.procedures + coding.diagnoses]
    return " ".join(parts).lower()


class LogScreen(WorkbenchScreen):
    HELP_NAME = "log"
    BINDINGS = keymap.bindings("log")

    def __init__(self) -> None:
        super().__init__()
        self.summaries: list[Any] = []
        self.shown: list[Any] = []

    def compose(self) -> ComposeResult:
        yield Header(icon="≡")
        yield Input(placeholder="filter: patient, episode, code, IPG, status (f)", id="log-filter", compact=True)
        yield DataTable(id="log-table", cursor_type="row", zebra_stripes=True)
        yield Static("Loading the log…", id="log-status", classes="status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#log-table", DataTable)
        table.add_columns(*COLUMNS)
        table.focus()
        self.load()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.load()

    @work(thread=True, exclusive=True, group="log")
    def load(self) -> None:
        try:
            summaries = self.app.context.episode_log().list()
        except Exception as exc:
            self.app.call_from_thread(self.app.report_error, "The episode log could not be read", exc)
            self.app.call_from_thread(self._status, "The log could not be read.")
            return
        self.app.call_from_thread(self._loaded, summaries)

    @if_attached
    def _loaded(self, summaries: list[Any]) -> None:
        self.summaries = sorted(summaries, key=lambda s: s.id, reverse=True)
        self._fill()

    @if_attached
    def _status(self, text: str) -> None:
        self.query_one("#log-status", Static).update(text)

    def _fill(self) -> None:
        words = self.query_one("#log-filter", Input).value.lower().split()
        self.shown = [s for s in self.summaries if all(w in searchable(s) for w in words)]
        table = self.query_one("#log-table", DataTable)
        table.clear()
        for s in self.shown:
            status = Text(s.latest.status, style="bold red" if s.latest.status == VOIDED else "")
            # Text, not str: a stored "[b]" is not markup, and controls show as escapes.
            table.add_row(str(s.id), str(s.details.date), Text(visible(s.details.patient)),
                          Text(visible(s.details.episode)), Text(visible(s.latest.coding.guidance_id or "")),
                          Text(visible(codes_text(s.latest.coding))), status,
                          str(s.latest.version), key=str(s.id))
        total = len(self.summaries)
        self._status(f"{len(self.shown)} of {total} episode{'s' if total != 1 else ''}. "
                     "Enter: history · f: filter · e: export")

    @on(Input.Changed, "#log-filter")
    def _filter(self) -> None:
        self._fill()

    @on(Input.Submitted, "#log-filter")
    def _filter_done(self) -> None:
        self.query_one("#log-table").focus()
        if len(self.shown) == 1:   # one episode found: Enter goes straight to its history
            self._open(self.shown[0].id)

    def action_focus_filter(self) -> None:
        self.query_one("#log-filter").focus()

    @on(DataTable.RowSelected, "#log-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        self._open(int(event.row_key.value))

    def action_open_episode(self) -> None:
        table = self.query_one("#log-table", DataTable)
        if self.shown and table.cursor_row is not None and table.cursor_row < len(self.shown):
            self._open(self.shown[table.cursor_row].id)

    def _open(self, episode_id: int) -> None:
        from workbench.tui.screens.history import HistoryScreen

        self.app.push_screen(HistoryScreen(episode_id))

    # ------------------------------------------------------------ export

    def action_export(self) -> None:
        from workbench.tui.screens.modals import TextModal

        if not self.shown:
            self.notify("There are no episodes to export.", severity="warning")
            return

        def chosen(path: str | None) -> None:
            if path:
                self.export(Path(path).expanduser(), list(self.shown))

        self.app.push_screen(TextModal(
            "Export episodes", f"Write the {len(self.shown)} listed episode(s) as JSON to:",
            value="episodes-export.json", placeholder="file name"), chosen)

    @work(thread=True, group="export")
    def export(self, path: Path, summaries: list[Any]) -> None:
        data = [asdict(s) for s in summaries]
        try:
            # The export holds patient identifiers: only its owner may read it.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=2, default=str, ensure_ascii=False)
        except OSError as exc:
            self.app.call_from_thread(self.app.report_error, "The export failed",
                                      OSError(f"{path}: {exc.strerror or exc}"))
            return
        self.app.call_from_thread(self.app.notify, f"Exported {len(data)} episode(s) to {path}")
