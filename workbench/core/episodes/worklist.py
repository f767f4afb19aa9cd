"""The worklist: finished consultant episodes (FCEs) from the PAS, kept in the log beside the
episodes saved from them.

An item is one FCE: patient, spell (``episode``) and FCE number. It is ``open`` until an
episode is saved from it (``coded``, linked by its id; voiding that episode opens it
again), ``query`` while a question to a clinician is unresolved, or ``removed`` with a
reason. Importing a newer extract refreshes the details of uncoded items, never touches
coded or removed ones, and lists the uncoded items the extract no longer holds. Every
change is an event row: nothing about an item is forgotten.

Small API on purpose (allocation will be added on top of it): read with :meth:`items`,
:meth:`get`, :meth:`history`; change with :meth:`import_file`, :meth:`remove`, the
query methods (:mod:`worklist_queries`), and the log's own save and void.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.core.episodes.model import LogError
from workbench.core.episodes.rows import to_json, utc_now
from workbench.core.episodes.worklist_file import Extract, RefusedRow
from workbench.core.episodes.worklist_import import apply_extract
from workbench.core.episodes.worklist_items import (
    CODED,
    ITEM_COLUMNS,
    LATEST_QUERY,
    OPEN,
    QUERY,
    REMOVED,
    STATUSES,
    WorklistEvent,
    WorklistItem,
    item_from,
    record_event,
)
from workbench.core.episodes.worklist_queries import QueryActions

__all__ = ["CODED", "OPEN", "QUERY", "REMOVED", "STATUSES", "ImportReport", "Worklist", "WorklistItem"]

#: FCEs of one spell stay together, in FCE order, at the spell's first date.
_ORDER = ("min(w.start_date) OVER (PARTITION BY w.patient, w.episode_ref), w.patient, w.episode_ref, "
          "length(w.fce), w.fce, w.id")


@dataclass(frozen=True)
class ImportReport:
    imported: int
    already: int                     # in the log already, or on the list and unchanged
    refused: list[RefusedRow]
    updated: int = 0                 # uncoded items whose details the extract changed
    kept_coded: int = 0              # coded or removed items listed again: never touched
    vanished: list[int] = dataclasses.field(default_factory=list)   # uncoded items not in this extract
    unmapped: list[str] = dataclasses.field(default_factory=list)   # columns kept as extra details

    def as_dict(self) -> dict[str, Any]:
        return {"imported": self.imported, "already_listed": self.already, "updated": self.updated,
                "coded_unchanged": self.kept_coded, "vanished": list(self.vanished),
                "unmapped_columns": list(self.unmapped),
                "refused": [{"line": r.line, "problem": r.problem} for r in self.refused]}


class Worklist(QueryActions):
    """The worklist of one :class:`EpisodeLog` (same connection, same thread)."""

    def __init__(self, log: Any, coder: Any = None):
        self.log = log
        self._coder = coder

    @property
    def coder(self) -> str:
        """The OS login recorded with each change (:mod:`identity`); a ``Coder`` or a login may
        be given, as to the log's own writes."""
        from workbench.core.episodes.identity import coder_fields

        if not self._coder:
            from workbench.core.episodes.validate import resolve_coder

            self._coder = resolve_coder()
        return coder_fields(self._coder)[0]

    def _write(self, work: Any) -> Any:
        return self.log.transaction(work)

    def _read(self, work: Any) -> Any:
        return self.log.read(work)

    # ------------------------------------------------------------ import and refresh

    def import_file(self, path: Path, mapping: dict[str, str] | None = None,
                    today: dt.date | None = None) -> ImportReport:
        """Check every row; add the new FCEs, refresh uncoded ones, in one transaction.

        The file is streamed (flat memory). Bad rows are refused with their line; the
        rest are imported all the same.
        """
        coder = self.coder
        with Extract(path, mapping, today):
            pass          # a file that cannot be read is refused before the write lock is taken

        def work(conn: sqlite3.Connection) -> ImportReport:
            now = utc_now()
            import_id = conn.execute(
                "INSERT INTO worklist_import (at, coder, file_name, rows, added, updated, refused) "
                "VALUES (?, ?, ?, 0, 0, 0, 0) RETURNING id", (now, coder, Path(path).name)).fetchone()[0]
            refused: list[RefusedRow] = []
            with Extract(path, mapping, today) as extract:
                done = apply_extract(conn, extract, refused, now, coder)
                unmapped = extract.unmapped
            conn.execute("UPDATE worklist_import SET rows = ?, added = ?, updated = ?, refused = ?, "
                         "unmapped = ? WHERE id = ?", (done.rows, done.added, done.updated, len(refused),
                                                      to_json(unmapped), import_id))
            return ImportReport(done.added, done.already, refused, done.updated, done.kept,
                                list(done.vanished), unmapped)

        return self._write(work)

    # ------------------------------------------------------------ reads

    def items(self, *, status: str | None = None, specialty: str | None = None,
              since: dt.date | None = None, until: dt.date | None = None,
              limit: int | None = None, waiting_days: int | None = None) -> list[WorklistItem]:
        """Items by spell date, FCEs of a spell together; ``status`` "todo" means open or query.
        ``waiting_days``: only items whose open query was sent at least that many days ago."""
        where, params = [], []
        if status == "todo":
            where.append("w.status IN ('open', 'query')")
        elif status:
            if status not in STATUSES:
                raise LogError(f"status: one of {', '.join(STATUSES)} or todo")
            where.append("w.status = ?")
            params.append(status)
        if specialty:
            where.append("lower(w.specialty) LIKE ?")
            params.append(f"%{specialty.lower()}%")
        if since:
            where.append("w.start_date >= ?")
            params.append(since.isoformat())
        if until:
            where.append("w.start_date <= ?")
            params.append(until.isoformat())
        if waiting_days is not None:
            where.append("w.status = 'query' AND q.status != 'resolved' AND q.sent_on <= ?")
            params.append((dt.date.today() - dt.timedelta(days=waiting_days)).isoformat())
        sql = f"SELECT {ITEM_COLUMNS} FROM worklist_item w {LATEST_QUERY}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += f" ORDER BY {_ORDER}"
        if limit:
            sql += f" LIMIT {int(limit)}"
        return [item_from(r) for r in self._read(lambda c: c.execute(sql, params).fetchall())]

    def get(self, item_id: int) -> WorklistItem:
        row = self._read(lambda c: c.execute(f"SELECT {ITEM_COLUMNS} FROM worklist_item w {LATEST_QUERY} "
                                             "WHERE w.id = ?", (int(item_id),)).fetchone())
        if row is None:
            raise LogError(f"worklist item {item_id}: there is no such item")
        return item_from(row)

    def open_count(self) -> int:
        return self._read(lambda c: c.execute(
            "SELECT count(*) FROM worklist_item WHERE status = 'open'").fetchone()[0])

    def next_open(self, after: int | None = None) -> WorklistItem | None:
        """The next open item in list order after ``after`` (or the first), wrapping round."""
        items = self.items(status="todo")
        opened = [i for i in items if i.status == OPEN]
        if not opened:
            return None
        ids = [i.id for i in items]
        if after is not None and after in ids:
            later = [i for i in items[ids.index(after) + 1:] if i.status == OPEN]
            if later:
                return later[0]
        return opened[0]

    def history(self, item_id: int) -> list[WorklistEvent]:
        """Everything that happened to the item, oldest first."""
        self.get(item_id)
        rows = self._read(lambda c: c.execute(
            "SELECT at, coder, kind, detail FROM worklist_event WHERE item_id = ? ORDER BY id",
            (int(item_id),)).fetchall())
        return [WorklistEvent(dt.datetime.fromisoformat(at), coder, kind, json.loads(detail))
                for at, coder, kind, detail in rows]

    def saved_by(self, item_id: int) -> tuple[str, dt.datetime] | None:
        """Who saved the episode coded from this item, and when (for a window that is behind)."""
        row = self._read(lambda c: c.execute(
            "SELECT v.coder, v.saved_at FROM worklist_item w JOIN version v ON v.episode_id = w.episode_id "
            "WHERE w.id = ? ORDER BY v.id LIMIT 1", (int(item_id),)).fetchone())
        return (row[0], dt.datetime.fromisoformat(row[1])) if row else None

    def stamp(self) -> tuple:
        """Changes whenever any window or process saves, voids, imports, queries or removes:
        a few index seeks, cheap enough to ask twice a second."""
        return self._read(lambda c: c.execute(
            "SELECT (SELECT max(id) FROM version), (SELECT max(id) FROM worklist_event), "
            "(SELECT max(id) FROM worklist_import), (SELECT max(id) FROM draft), "
            "(SELECT max(updated_at) FROM draft), (SELECT max(claimed_at) FROM worklist_allocation), "
            "(SELECT count(claimed_by) FROM worklist_allocation), "
            "(SELECT max(assigned_at) FROM worklist_allocation)").fetchone())

    # ------------------------------------------------------------ changes

    def remove(self, item_id: int, reason: str) -> WorklistItem:
        """Take an uncoded item off the list; the reason is kept in its history."""
        reason = (reason or "").strip()
        if not reason:
            raise LogError("reason: say why the item is taken off the worklist")
        item = self.get(item_id)
        if item.status == CODED:
            raise LogError(f"worklist item {item_id} is coded (episode {item.episode_id}); "
                           "void the episode instead if it should not have been coded")
        if item.status == REMOVED:
            raise LogError(f"worklist item {item_id} is already removed")
        coder = self.coder

        def work(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE worklist_item SET status = 'removed' WHERE id = ?", (item_id,))
            record_event(conn, item_id, coder, "removed", reason=reason, was=item.status)

        self._write(work)
        return self.get(item_id)

    def link(self, item_id: int, episode_id: int) -> None:
        """An episode was saved from this item: it is coded. (The app links in the save itself.)"""
        from workbench.core.episodes.worklist_items import link_in

        self.get(item_id)
        coder = self.coder
        self._write(lambda c: link_in(c, item_id, episode_id, coder))
