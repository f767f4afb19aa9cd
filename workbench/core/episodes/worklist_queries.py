"""Queries to clinicians about worklist items: to whom, when sent, the reply, resolved or reopened.

An item waits (status ``query``) from the moment a query is raised until it is resolved;
a reply alone does not end the wait (the coder reads it first). A resolved query can be
reopened when the answer did not settle it. Each step is an event row, so the history of
a query is kept whole; the query row holds its current state.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import TYPE_CHECKING, Any

from workbench.core.episodes.model import LogError
from workbench.core.episodes.rows import utc_now
from workbench.core.episodes.worklist_items import (
    CODED,
    OPEN,
    QUERY,
    REMOVED,
    WorklistItem,
    record_event,
)

MAX_TEXT = 2000


def _text(value: str | None, field: str, *, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise LogError(f"{field}: required")
    if len(text) > MAX_TEXT:
        raise LogError(f"{field}: longer than {MAX_TEXT} characters")
    return text


class QueryActions:
    """Mixed into :class:`workbench.core.episodes.worklist.Worklist`."""

    coder: str

    if TYPE_CHECKING:          # provided by Worklist
        def get(self, item_id: int) -> WorklistItem: ...
        def items(self, **filters: Any) -> list[WorklistItem]: ...
        def _write(self, work: Any) -> Any: ...

    def raise_query(self, item_id: int, question: str, *, to: str = "", sent_on: dt.date | None = None,
                    coder: Any = None) -> WorklistItem:
        """Ask a clinician: the item waits until the query is resolved. ``coder`` (a login or a
        ``Coder``) raised it; by default the worklist's own."""
        from workbench.core.episodes.identity import coder_fields

        question = _text(question, "question")
        to = _text(to, "to", required=False)
        sent = sent_on or dt.date.today()
        if sent > dt.date.today():
            raise LogError("sent: the date is in the future")
        item = self.get(item_id)
        if item.status in (CODED, REMOVED):
            raise LogError(f"worklist item {item_id} is {item.status}; a query is for an item still to code")
        if item.query is not None and item.query.status != "resolved":
            raise LogError(f"worklist item {item_id} already has a query waiting (sent "
                           f"{item.query.sent_on:%d/%m/%Y}); record its reply or resolve it first")
        coder = coder_fields(coder)[0] if coder is not None else self.coder

        def work(conn: sqlite3.Connection) -> None:
            query_id = conn.execute(
                "INSERT INTO worklist_query (item_id, clinician, question, sent_on, raised_by) "
                "VALUES (?, ?, ?, ?, ?) RETURNING id", (item_id, to, question, sent.isoformat(), coder)).fetchone()[0]
            # query_by / query_at (schema 7) are what the manager's figures count (core.episodes.stats).
            conn.execute("UPDATE worklist_item SET status = 'query', query_by = ?, query_at = ? WHERE id = ?",
                         (coder, utc_now(), item_id))
            record_event(conn, item_id, coder, "query", query=query_id, to=to, question=question,
                         sent_on=sent.isoformat())

        self._write(work)
        return self.get(item_id)

    def mark_query(self, item_id: int, note: str, coder: Any = None, *, to: str = "") -> WorklistItem:
        """A query with its question (older scripts and tests); ``coder`` as for :meth:`raise_query`."""
        if not (note or "").strip():
            raise LogError("note: say what the query is about")
        return self.raise_query(item_id, note, to=to, coder=coder)

    def record_reply(self, item_id: int, reply: str, *, on: dt.date | None = None) -> WorklistItem:
        reply = _text(reply, "reply")
        query = self._waiting(item_id)
        day = on or dt.date.today()
        coder = self.coder

        def work(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE worklist_query SET reply = ?, replied_on = ?, status = 'answered' WHERE id = ?",
                         (reply, day.isoformat(), query.id))
            record_event(conn, item_id, coder, "reply", query=query.id, reply=reply, on=day.isoformat())

        self._write(work)
        return self.get(item_id)

    def resolve(self, item_id: int) -> WorklistItem:
        """The query is settled: the item is open to code again."""
        query = self._waiting(item_id)
        coder = self.coder

        def work(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE worklist_query SET status = 'resolved' WHERE id = ?", (query.id,))
            conn.execute("UPDATE worklist_item SET status = 'open' WHERE id = ? AND status = 'query'", (item_id,))
            record_event(conn, item_id, coder, "resolved", query=query.id)

        self._write(work)
        return self.get(item_id)

    def reopen(self, item_id: int) -> WorklistItem:
        """Older name of :meth:`resolve` (``worklist query ID --reopen`` opened the item again)."""
        item = self.get(item_id)
        return self.resolve(item_id) if item.status == QUERY else item

    def reopen_query(self, item_id: int, why: str = "") -> WorklistItem:
        """A resolved query was not settled after all: the item waits again."""
        item = self.get(item_id)
        query = item.query
        if query is None or query.status != "resolved":
            raise LogError(f"worklist item {item_id} has no resolved query to reopen")
        if item.status != OPEN:
            raise LogError(f"worklist item {item_id} is {item.status}; only an open item's query can reopen")
        why = _text(why, "why", required=False)
        coder = self.coder

        def work(conn: sqlite3.Connection) -> None:
            status = "answered" if query.reply else "open"
            conn.execute("UPDATE worklist_query SET status = ? WHERE id = ?", (status, query.id))
            conn.execute("UPDATE worklist_item SET status = 'query' WHERE id = ?", (item_id,))
            record_event(conn, item_id, coder, "query-reopened", query=query.id, why=why)

        self._write(work)
        return self.get(item_id)

    def waiting(self, older_than_days: int | None = None) -> list[WorklistItem]:
        """Items whose query is not resolved, longest waiting first."""
        items = self.items(status=QUERY, waiting_days=older_than_days or 0)
        return sorted(items, key=lambda i: (i.query.sent_on if i.query else dt.date.max, i.id))

    def _waiting(self, item_id: int) -> Any:
        item = self.get(item_id)
        if item.query is None or item.query.status == "resolved" or item.status != QUERY:
            raise LogError(f"worklist item {item_id} has no query waiting")
        return item.query
