"""The worklist: the PAS's uncoded episodes, oldest first; Enter codes one with its details filled in.

The filter box takes words: a status (open, query, coded, all), a date (``from 1/11/2025``,
``to 30/11/2025``, or one date for that day) and anything else as part of the specialty.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.widgets import DataTable, Header, Input, Static

from workbench.tui import keymap
from workbench.tui.screens.base import WorkbenchScreen, if_attached
from workbench.tui.widgets.key_bar import KeyBar

STATUS_WORDS = {"open": "open", "query": "query", "queries": "query", "coded": "coded", "done": "coded",
                "all": None, "todo": "todo"}


@dataclass(frozen=True)
class WorklistFilter:
    status: str | None = "todo"
    specialty: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None


def parse_filter(text: str) -> tuple[WorklistFilter, str]:
    """The filter box's words as a filter, and a problem to show ('' when none)."""
    from workbench.core.dates import DateError, parse_coder_date

    status: str | None = "todo"
    since = until = None
    words: list[str] = []
    tokens = text.split()
    i = 0
    try:
        while i < len(tokens):
            token = tokens[i].lower()
            if token in STATUS_WORDS:
                status = STATUS_WORDS[token]
            elif token in ("from", "since", "to", "until") and i + 1 < len(tokens):
                when = parse_coder_date(tokens[i + 1])
                if token in ("from", "since"):
                    since = when
                else:
                    until = when
                i += 1
            elif any(ch.isdigit() for ch in token) or token in ("today", "yesterday"):
                since = until = parse_coder_date(token)
            else:
                words.append(tokens[i])
            i += 1
    except DateError as exc:
        return WorklistFilter(), f"date: {exc}"
    return WorklistFilter(status, " ".join(words) or None, since, until), ""


class WorklistScreen(WorkbenchScreen):
    HELP_NAME = "worklist"
    BINDINGS = keymap.bindings("worklist")

    def __init__(self, after: int | None = None):
        super().__init__()
        self.after = after              # the item just coded: `n` goes on from there
        self.items: list[Any] = []
        self.filter = WorklistFilter()

    def compose(self) -> ComposeResult:
        yield Header(icon="≡")
        yield Input(placeholder="filter (f): specialty, from 1/11/2025, to …, open/query/coded/all",
                    id="worklist-filter", compact=True)
        yield DataTable(id="worklist-table", cursor_type="row")
        yield Static("", id="worklist-status", classes="status")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one("#worklist-table", DataTable)
        table.add_columns("start", "patient", "episode", "specialty", "consultant", "status")
        table.focus()
        self.load()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.load()

    @work(thread=True, exclusive=True, group="worklist")
    def load(self) -> None:
        from workbench.core.episodes.worklist import Worklist

        f = self.filter
        try:
            items = Worklist(self.app.context.episode_log()).items(
                status=f.status, specialty=f.specialty, since=f.since, until=f.until)
        except Exception as exc:
            self.app.call_from_thread(self.app.report_error, "The worklist could not be read", exc)
            return
        self.app.call_from_thread(self._loaded, items)

    @if_attached
    def _loaded(self, items: list[Any]) -> None:
        from workbench.core.dates import show_date

        self.items = items
        table = self.query_one("#worklist-table", DataTable)
        table.clear()
        for item in items:
            status = item.status + (f": {item.note}" if item.status == "query" and item.note else "")
            if item.episode_id:
                status += f" (episode {item.episode_id})"
            table.add_row(show_date(item.start_date), item.patient, item.episode, item.specialty or "",
                          item.consultant or "", status)
        start = self._after_index()
        if items:
            table.move_cursor(row=start)
        open_count = sum(1 for i in items if i.status == "open")
        self.query_one("#worklist-status", Static).update(Text(
            f"{len(items)} listed, {open_count} open · Enter codes · n next uncoded · q query · f filter"))

    def _after_index(self) -> int:
        """Start on the first open item after the one just coded (or the first open one)."""
        open_rows = [i for i, item in enumerate(self.items) if item.status == "open"]
        if not open_rows:
            return 0
        if self.after is not None:
            done = next((i for i, item in enumerate(self.items) if item.id == self.after), None)
            later = [i for i in open_rows if done is not None and i > done]
            if later:
                return later[0]
        return open_rows[0]

    def _current(self) -> Any | None:
        row = self.query_one("#worklist-table", DataTable).cursor_row
        return self.items[row] if 0 <= row < len(self.items) else None

    # ------------------------------------------------------------ keys

    def action_code_item(self) -> None:
        item = self._current()
        if item is None:
            return
        if item.status == "coded":
            self.notify(f"Already coded (episode {item.episode_id}); ctrl+l opens the log to amend it.",
                        severity="warning")
            return
        self.app.code_worklist_item(item)

    @on(DataTable.RowSelected, "#worklist-table")
    def _selected(self, event: DataTable.RowSelected) -> None:
        self.action_code_item()

    def action_next_item(self) -> None:
        open_rows = [i for i, item in enumerate(self.items) if item.status == "open"]
        if not open_rows:
            self.notify("Nothing left to code on this list.")
            return
        self.query_one("#worklist-table", DataTable).move_cursor(row=self._after_index())
        self.action_code_item()

    def action_query_item(self) -> None:
        from workbench.tui.screens.modals import TextModal

        item = self._current()
        if item is None:
            return

        def noted(note: str | None) -> None:
            if note:
                self.mark_query(item.id, note)

        self.app.push_screen(TextModal("Query", "What is the query about (who, what is missing)?",
                                       placeholder="note", value=item.note or ""), noted)

    @work(thread=True, group="worklist-query")
    def mark_query(self, item_id: int, note: str) -> None:
        from workbench.core.episodes.worklist import Worklist

        try:
            context = self.app.context
            Worklist(context.episode_log()).mark_query(item_id, note, context.coder())
        except Exception as exc:
            self.app.call_from_thread(self.app.report_error, "The query was not recorded", exc)
            return
        self.app.call_from_thread(self.load)

    def action_focus_filter(self) -> None:
        self.query_one("#worklist-filter", Input).focus()

    @on(Input.Submitted, "#worklist-filter")
    def _filter(self, event: Input.Submitted) -> None:
        parsed, problem = parse_filter(event.value)
        if problem:
            self.notify(problem, severity="warning")
            return
        self.filter = parsed
        self.query_one("#worklist-table", DataTable).focus()
        self.load()

    def action_back(self) -> None:
        if self.focused is self.query_one("#worklist-filter", Input):
            self.query_one("#worklist-table", DataTable).focus()
            return
        self.app.go_home(clear=False)
