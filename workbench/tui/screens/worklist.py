"""The worklist: the PAS's consultant episodes, by spell; Enter codes one with its details filled in.

The filter box takes words: a status (open, query, coded, removed, all), dates as every
filter takes them (``from 1/11/2025``, ``to 30/11/2025``, ``14/11/2025``), ``waiting 7d``
(queries sent at least 7 days ago) and anything else as part of the specialty. The list
follows other windows and processes: it is re-read within a second of any change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.widgets import DataTable, Header, Input, Static

from workbench.core.safetext import visible
from workbench.tui import keymap
from workbench.tui.screens.base import WorkbenchScreen, if_attached
from workbench.tui.screens.log_watch import WatchesTheLog
from workbench.tui.screens.worklist_changes import WorklistChanges
from workbench.tui.widgets.key_bar import KeyBar

STATUS_WORDS = {"open": "open", "query": "query", "queries": "query", "coded": "coded", "done": "coded",
                "removed": "removed", "all": None, "todo": "todo"}
#: How often the screen asks whether the log changed (another window saved, an import ran).


@dataclass(frozen=True)
class WorklistFilter:
    status: str | None = "todo"
    specialty: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    waiting_days: int | None = None


def parse_filter(text: str) -> tuple[WorklistFilter, str]:
    """The filter box's words as a filter, and a problem to show ('' when none)."""
    from workbench.core.dates import DateError, parse_days, take_date_range

    status: str | None = "todo"
    waiting = None
    words: list[str] = []
    tokens = text.split()
    try:
        since, until, rest = take_date_range(tokens)
        i = 0
        while i < len(rest):
            token = rest[i].lower()
            if token in ("waiting", "older") and i + 1 < len(rest):
                waiting = parse_days(rest[i + 1])
                status = "query"
                i += 1
            elif token in STATUS_WORDS:
                status = STATUS_WORDS[token]
            else:
                words.append(rest[i])
            i += 1
    except DateError as exc:
        return WorklistFilter(), f"date: {exc}"
    return WorklistFilter(status, " ".join(words) or None, since, until, waiting), ""


def status_text(item: Any, drafted: bool = False) -> str:
    """Short enough for its column at 80: 'open', 'draft', 'query 3d', 'coded #12', 'removed'."""
    if item.status == "query" and item.query is not None:
        return f"query {item.query.waiting_days()}d" + (" re" if item.query.status == "answered" else "")
    if item.status == "coded":
        return f"coded #{item.episode_id}" if item.episode_id else "coded"
    if item.status == "open" and drafted:
        return "draft"
    return item.status


def detail_text(item: Any) -> Text:
    """The highlighted item in full, under the list: what the PAS sent, and its query."""
    from workbench.core.dates import show_day

    text = Text()
    text.append(visible(f"{item.patient} · spell {item.episode}"
                        + (f" · FCE {item.fce}" if item.fce else "")), style="bold")
    pas = item.pas_line().removeprefix(f"FCE {item.fce} · " if item.fce else "")
    if pas and pas != f"FCE {item.fce}":
        text.append(" · " + visible(pas))
    query = item.query
    if query is not None and query.status != "resolved":
        waited = query.waiting_days()
        text.append(f"\nQuery to {visible(query.clinician) or '(not recorded)'}, sent "
                    f"{show_day(query.sent_on)}" + (f" ({waited} d)" if waited > 1 else "") + ": ", style="bold")
        text.append(visible(query.question))
        if query.reply:
            text.append(f"\nReply {show_day(query.replied_on)}: ", style="bold")
            text.append(visible(query.reply))
    return text


class WorklistScreen(WorklistChanges, WatchesTheLog, WorkbenchScreen):
    HELP_NAME = "worklist"
    BINDINGS = keymap.bindings("worklist")

    def __init__(self, after: int | None = None):
        super().__init__()
        self.after = after              # the item just coded: `n` goes on from there
        self.items: list[Any] = []
        self.allocations: dict[int, Any] = {}   # who has each item (core.episodes.allocation)
        self.drafted: set[int] = set()  # items with an unfinished draft of this coder
        self.filter = WorklistFilter()
        self.stamp: Any = None          # the log's change stamp when the list was read

    def compose(self) -> ComposeResult:
        yield Header(icon="≡")
        yield Input(placeholder="filter (f): specialty, from 1/11/2025, waiting 7d, open/query/coded/all",
                    id="worklist-filter", compact=True)
        yield DataTable(id="worklist-table", cursor_type="row")
        yield Static("", id="worklist-detail")
        yield Static("", id="worklist-status", classes="status")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one("#worklist-table", DataTable)
        table.add_columns("start", "patient", "spell/FCE", "specialty", "consultant", "status")
        table.focus()
        self.load()
        self.start_watching()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.load()

    def on_log_changed(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="worklist")
    def load(self) -> None:
        from workbench.core.episodes.allocation import Allocations
        from workbench.core.episodes.worklist import Worklist

        f = self.filter
        context = self.app.context
        try:
            log = context.episode_log()
            worklist = Worklist(log)
            stamp = worklist.stamp()
            items = worklist.items(status=f.status, specialty=f.specialty, since=f.since, until=f.until,
                                   waiting_days=f.waiting_days)
            paired = Allocations(log).ordered(items, context.coder())      # the coder's own first
            drafted = {d.state.get("worklist_item") for d in log.drafts(context.coder())}
        except Exception as exc:
            self.app.call_from_thread(self.app.report_error, "The worklist could not be read", exc)
            return
        self.app.call_from_thread(self._loaded, paired, drafted, stamp)

    @if_attached
    def _loaded(self, paired: list[tuple[Any, Any]], drafted: set[Any], stamp: Any) -> None:
        from workbench.core.dates import show_date
        from workbench.core.episodes.identity import coder_fields

        keep = self._current() if self.items else None     # a re-read keeps the coder's place
        items = [item for item, _ in paired]
        self.items, self.drafted, self.stamp = items, {d for d in drafted if d}, stamp
        self.allocations = {item.id: allocation for item, allocation in paired}
        me = coder_fields(self.app.context.coder())[0]
        table = self.query_one("#worklist-table", DataTable)
        table.clear()
        previous = None
        for item, allocation in paired:
            spell = (item.patient, item.episode)
            # The second FCE of a spell is drawn as part of the first: linked as one spell.
            reference = ("└ " if spell == previous and item.fce else "") + item.reference
            previous = spell
            status = status_text(item, item.id in self.drafted)
            if allocation.claimed_by and item.status in ("open", "query"):
                # Someone is coding it: who, in place of "open" (the detail line says until when).
                status = "mine" if allocation.claimed_by == me else visible(allocation.claimed_by)[:9]
            table.add_row(show_date(item.start_date), Text(visible(item.patient)), Text(visible(reference)),
                          Text(visible(item.specialty or "")), Text(visible(item.consultant or "")), Text(visible(status)))
        ids = [i.id for i in items]
        row = ids.index(keep.id) if keep is not None and keep.id in ids else self._after_index()
        if items:
            table.move_cursor(row=row)
        self._show_detail()
        open_count = sum(1 for i in items if i.status == "open")
        queries = sum(1 for i in items if i.status == "query")
        self.query_one("#worklist-status", Static).update(Text(
            f"{len(items)} listed · {open_count} open · {queries} query · Enter code · n next · q query"))

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
        try:
            row = self.query_one("#worklist-table", DataTable).cursor_row
        except Exception:
            return None
        return self.items[row] if 0 <= row < len(self.items) else None

    @on(DataTable.RowHighlighted, "#worklist-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        item = self._current()
        text = detail_text(item) if item is not None else Text("")
        allocation = self.allocations.get(item.id) if item is not None else None
        if allocation is not None and allocation.label():
            until = f" until {allocation.claim_until[11:16]} UTC" if allocation.claimed_by else ""
            text.append(f"\n{visible(allocation.label())}{until}", style="bold")
        self.query_one("#worklist-detail", Static).update(text)

    # ------------------------------------------------------------ keys

    def action_code_item(self) -> None:
        item = self._current()
        if item is None:
            return
        if item.status == "coded":
            self.notify(f"Already coded (episode {item.episode_id}); ctrl+l opens the log to amend it.",
                        severity="warning")
            return
        if item.status == "removed":
            self.notify("This item was taken off the worklist (see its history: workbench worklist show).",
                        severity="warning")
            return
        self.check_and_code(item.id)

    @work(thread=True, exclusive=True, group="worklist-open")
    def check_and_code(self, item_id: int) -> None:
        """Another window may have saved or removed the item since this list was read."""
        from workbench.core.episodes.worklist import Worklist

        try:
            log = self.app.context.episode_log()
            worklist = Worklist(log)
            item = worklist.get(item_id)
            saved = worklist.saved_by(item_id) if item.status == "coded" else None
            if saved is not None:
                from workbench.core.audit.audits import blind_set
                from workbench.core.episodes.identity import os_login

                if item.episode_id in blind_set(log, os_login()):
                    saved = None     # re-coded blind for an audit: who coded it stays unsaid
        except Exception as exc:
            self.app.call_from_thread(self.app.report_error, "The worklist item could not be read", exc)
            return
        self.app.call_from_thread(self._checked, item, saved)

    @if_attached
    def _checked(self, item: Any, saved: Any) -> None:
        if item.status == "coded":
            who = ""
            if saved is not None:
                coder, when = saved
                who = f" by {visible(coder)} at {when.astimezone():%H:%M}"
            self.notify(f"Episode {item.episode_id} was saved from this item{who} (in another window); "
                        "the list is up to date now.", severity="warning", timeout=10)
            self.load()
            return
        if item.status == "removed":
            self.notify("This item was taken off the worklist meanwhile.", severity="warning")
            self.load()
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

    def action_claim_item(self) -> None:
        item = self._current()
        if item is not None:
            self.toggle_claim(item.id)

    @work(thread=True, group="worklist-claim")
    def toggle_claim(self, item_id: int) -> None:
        from workbench.core.episodes.allocation import Allocations, ItemTaken
        from workbench.core.episodes.identity import coder_fields

        me = self.app.context.coder()
        try:
            allocations = Allocations(self.app.context.episode_log())
            if allocations.get(item_id).claimed_by == coder_fields(me)[0]:
                allocations.release(item_id, me)
                message = "Let go: anyone may code it now."
            else:
                until = allocations.claim(item_id, me).claim_until or ""
                message = f"Claimed: yours to code until {until[11:16]} UTC."
        except ItemTaken as exc:
            self.app.call_from_thread(self.notify, str(exc), title="Someone else is coding it",
                                      severity="warning", timeout=12)
            return
        except Exception as exc:
            self.app.call_from_thread(self.app.report_error, "The claim was not changed", exc)
            return
        self.app.call_from_thread(self.notify, message)
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
