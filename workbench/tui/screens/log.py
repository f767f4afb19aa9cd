"""The episode log: latest version of every episode, a filter, export; and one episode's history."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.widgets import Header, Input, Static

from workbench.core.dates import show_date
from workbench.core.episodes import VOIDED
from workbench.core.safetext import visible
from workbench.tui import keymap
from workbench.tui.screens.base import WorkbenchScreen, if_attached
from workbench.tui.screens.log_watch import WatchesTheLog
from workbench.tui.widgets.key_bar import KeyBar
from workbench.tui.widgets.log_rows import Column, LogRows

# Each column as wide as its widest cell on the page, up to a maximum (see LogRows).
COLUMNS = (Column("id", 9), Column("date", 11), Column("patient", 16), Column("episode", 16),
           Column("guidance", 9), Column("codes", 28), Column("status", 7), Column("v", 3))


def codes_text(coding: Any, limit: int = 4) -> str:
    codes = [e.code for e in coding.procedures] + [e.code for e in coding.diagnoses]
    shown = " ".join(codes[:limit])
    return shown + (f" +{len(codes) - limit}" if len(codes) > limit else "")


PAGE = 100          # rows fetched at a time; the next page loads as the cursor nears the end
NEAR_END = 20


class LogTable(LogRows):
    """The log's rows, with the filter key: over SSH "f" and the filter text often arrive in
    one read; the app hands the letters after "f" to the filter once "f" has moved the focus
    there (workbench/tui/typeahead.py)."""

    BINDINGS = [b for b in keymap.bindings("log") if b.id == "log.filter"]

    def action_focus_filter(self) -> None:
        self.screen.query_one("#log-filter").focus()


class LogScreen(WatchesTheLog, WorkbenchScreen):
    """The log, newest first, one page at a time (keyset pagination in core), so a log of a
    million episodes opens as fast as a small one and memory grows only as far as the
    coder scrolls. The filter runs in the database (see core.episodes.filtering)."""

    HELP_NAME = "log"
    BINDINGS = keymap.bindings("log")

    def __init__(self) -> None:
        super().__init__()
        self.shown: list[Any] = []
        self.total = 0
        self.more = False            # another page may follow
        self._generation = 0         # bumps on every new filter, so late pages are dropped
        self._loading = False
        self._open_when_one = False      # Enter in the filter: open the one episode it finds
        self._arguments: dict[str, Any] = {}    # how the current filter was read (first page)
        self._count = True           # count the log on the next first page (open, resume)
        self.stamp: Any = None       # the log's change stamp when the first page was read
        self._keep_id: int | None = None     # the episode the cursor stays on through a re-read
        #: Episodes this login re-codes blind for an audit and has not coded yet: their coding,
        #: coder and status are never shown here (workbench.core.audit).
        self.blind: set[int] = set()

    def compose(self) -> ComposeResult:
        yield Header(icon="≡")
        yield Input(placeholder="filter: patient, episode, code, IPG, date, status (f)", id="log-filter",
                    compact=True)
        yield LogTable(COLUMNS, id="log-table")
        yield Static("Loading the log…", id="log-status", classes="status")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#log-table", LogRows).focus()
        # No load here: the screen is resumed as it is pushed, and that loads the first page.
        self.start_watching()

    def log_watch_paused(self) -> bool:
        return self._loading

    def on_log_changed(self) -> None:
        # Another window or process saved, amended or voided: the first page again, the
        # cursor kept on the episode it was on.
        table = self.query_one("#log-table", LogRows)
        row = table.cursor_row
        self._keep_id = self.shown[row].id if 0 <= row < len(self.shown) else None
        self._count = True
        self.reload()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self._count = True           # an episode may have been amended or saved meanwhile
        self.reload()

    def reload(self) -> None:
        """Start again from the first page of the current filter."""
        self._generation += 1
        self._loading = True
        self.load(self._generation, self.query_one("#log-filter", Input).value, None, self._count)
        self._count = False

    @work(thread=True, exclusive=True, group="log")
    def load(self, generation: int, text: str, after: tuple[str, int] | None, count: bool = False) -> None:
        from workbench.core.episodes import LogError
        from workbench.core.episodes.filtering import first_page, parse_filter

        try:
            parse_filter(text)
        except LogError as exc:
            self.app.call_from_thread(self._page, generation, None, [], str(exc), -1)
            return
        try:
            log = self.app.context.episode_log()
            if after is None:
                from workbench.core.episodes.worklist import Worklist

                self.stamp = Worklist(log).stamp()

                from workbench.core.audit.audits import blind_set
                from workbench.core.episodes.identity import os_login

                self.blind = blind_set(log, os_login())
                page, self._arguments = first_page(log, text, PAGE + 1)
                # Counting a million rows costs tens of ms: once when the screen opens or
                # comes back, never per filter keystroke (the total is the log's, not the filter's).
                total = log.count() if count else -1
            else:
                page, total = log.list(limit=PAGE + 1, after=after, **self._arguments), -1
        except Exception as exc:
            self.app.call_from_thread(self.app.report_error, "The episode log could not be read", exc)
            self.app.call_from_thread(self._status, "The log could not be read.")
            return
        damaged = list(getattr(page, "damaged", []))
        rows = list(page)
        if self.blind and text.strip():
            # Found by a code, guidance or status, a hidden episode would tell what it holds.
            rows = [s for s in rows if s.id not in self.blind]
        self.app.call_from_thread(self._page, generation, after, rows, damaged, total)

    @if_attached
    def _page(self, generation: int, after: Any, rows: list[Any], problem: Any, total: int) -> None:
        if generation != self._generation:
            return                      # the filter changed while this page was read
        self._loading = False
        table = self.query_one("#log-table", LogRows)
        if total >= 0:
            self.total = total
        self.more = len(rows) > PAGE
        rows = rows[:PAGE]
        cells = [self._hidden(s) if s.id in self.blind else self._cells(s) for s in rows]
        if after is None:
            self.shown = rows
            table.set_rows(cells)
            keep, self._keep_id = self._keep_id, None
            ids = [s.id for s in rows]
            if keep in ids:
                table.move_cursor(ids.index(keep))
        else:
            self.shown += rows
            table.add_rows(cells)
        if after is None and self._open_when_one:
            # Enter was pressed in the filter before this page arrived.
            self._open_when_one = False
            if len(self.shown) == 1 and not self.more:
                self._open(self.shown[0].id)
        if isinstance(problem, str):
            self._status(f"Filter: {problem}")
            return
        more = " (more below)" if self.more else ""
        damaged = (f" · {len(problem)} damaged episode(s) left out: run workbench log verify"
                   if problem else "")
        self._status(f"{len(self.shown)} shown{more} of {self.total} episode{'s' if self.total != 1 else ''}"
                     f"{damaged}. Enter: history · f: filter · e: export")

    @staticmethod
    def _hidden(s: Any) -> tuple[str | Text, ...]:
        return (str(s.id), show_date(s.details.date), Text(visible(s.details.patient)),
                Text(visible(s.details.episode)), "", Text("hidden: blind audit", style="dim"), "", "")

    @staticmethod
    def _cells(s: Any) -> tuple[str | Text, ...]:
        status = Text(s.latest.status, style="bold red" if s.latest.status == VOIDED else "")
        # Text, not str: a stored "[b]" is not markup, and controls show as escapes.
        return (str(s.id), show_date(s.details.date), Text(visible(s.details.patient)),
                Text(visible(s.details.episode)), Text(visible(s.latest.coding.guidance_id or "")),
                Text(visible(codes_text(s.latest.coding))), status, str(s.latest.version))

    @if_attached
    def _status(self, text: str) -> None:
        self.query_one("#log-status", Static).update(Text(text))   # may quote a typed filter

    def _next_page(self) -> None:
        if self.more and not self._loading and self.shown:
            from workbench.core.episodes.queries import page_key

            self._loading = True
            self.load(self._generation, self.query_one("#log-filter", Input).value, page_key(self.shown[-1]))

    @on(LogRows.Highlighted, "#log-table")
    def _highlighted(self, event: LogRows.Highlighted) -> None:
        if event.row >= len(self.shown) - NEAR_END:
            self._next_page()

    @on(Input.Changed, "#log-filter")
    def _filter(self) -> None:
        self.reload()

    @on(Input.Submitted, "#log-filter")
    def _filter_done(self) -> None:
        self.query_one("#log-table").focus()
        if self._loading:          # the filter's page is still being read: decide when it comes
            self._open_when_one = True
        elif len(self.shown) == 1:   # one episode found: Enter goes straight to its history
            self._open(self.shown[0].id)

    def action_focus_filter(self) -> None:
        self.query_one("#log-filter").focus()

    @on(LogRows.Selected, "#log-table")
    def _row_selected(self, event: LogRows.Selected) -> None:
        if event.row < len(self.shown):
            self._open(self.shown[event.row].id)

    def action_open_episode(self) -> None:
        table = self.query_one("#log-table", LogRows)
        if self.shown and table.cursor_row < len(self.shown):
            self._open(self.shown[table.cursor_row].id)

    def _open(self, episode_id: int) -> None:
        from workbench.tui.screens.history import HistoryScreen

        self.app.push_screen(HistoryScreen(episode_id))

    # ------------------------------------------------------------ export

    def action_export(self) -> None:
        """Export the latest version of the episodes the filter shows (every episode when the
        filter is empty), streamed by core, never the log itself."""
        from workbench.tui.screens.modals import TextModal

        if not self.total:
            self.notify("There are no episodes to export.", severity="warning")
            return
        if self.blind:
            self.notify(f"You are re-coding {len(self.blind)} episode(s) blind for an audit: an export would "
                        "show their coding. Finish their audit coding first (F4).", severity="warning")
            return

        from workbench.core.episodes import LogError
        from workbench.core.episodes.filtering import parse_filter

        text = self.query_one("#log-filter", Input).value.strip()
        try:
            parse_filter(text)
        except LogError:
            self.notify("The filter cannot be read: correct it, or clear it to export every episode.",
                        severity="warning")
            return
        filters = dict(self._arguments) if text else {}
        if text:
            count = f"{len(self.shown)}{'+' if self.more else ''}"
            what = f"the {count} episode(s) the filter shows ({visible(text)})"
        else:
            what = f"all {self.total} episode(s)"

        def chosen(path: str | None) -> None:
            if path:    # ~ and ~user are expanded by the export, which says so in one line if it cannot
                self.export(Path(path), False, filters)

        self.app.push_screen(TextModal(
            "Export episodes", f"Write the latest version of {what} to this file (.csv for CSV, .json "
            "for JSON; clear the filter to export every episode):",
            value="episodes-export.csv", placeholder="file name"), chosen)

    def _ask_replace(self, path: Path, filters: dict[str, Any]) -> None:
        from workbench.tui.screens.modals import TextModal

        def answered(text: str | None) -> None:
            if text and text.strip().lower() in ("y", "yes"):
                self.export(path, True, filters)
            else:
                self.notify(f"{visible(path.name)} was not replaced.", severity="warning", markup=False)

        self.app.push_screen(TextModal("Replace the file?", f"{visible(path)} already exists. Type yes to replace it.",
                                       placeholder="yes / no", required=False), answered)

    @work(thread=True, group="export")
    def export(self, path: Path, replace: bool, filters: dict[str, Any] | None = None) -> None:
        from workbench.core.episodes import LogError
        from workbench.core.episodes.export_file import ExportTargetExists

        try:
            count = self.app.context.episode_log().export_to_file(path, force=replace, filters=filters or None)
        except ExportTargetExists:
            self.app.call_from_thread(self._ask_replace, path, filters or {})
            return
        except LogError as exc:   # the typed name may hold anything: shown as text, never markup
            message = visible(exc)
            self.app.call_from_thread(lambda: self.app.notify(message, severity="error", title="Not exported",
                                                              markup=False))
            return
        except Exception as exc:
            self.app.call_from_thread(self.app.report_error, "The export failed", exc)
            return
        self.app.call_from_thread(lambda: self.app.notify(f"Exported {count} episode(s) to {visible(path)}",
                                                          markup=False))
