"""The worklist: uncoded episodes from the PAS, kept in the log beside the episodes saved from them.

An item is ``open`` until an episode is saved from it (``coded``, linked by its id),
or ``query`` while the coder waits on a clinician (with a note). Items are never
deleted. An episode is the same one when its patient identifier and episode
reference are, so importing the same extract twice adds nothing, and nor does an
episode that is already in the log.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.core.episodes import storage
from workbench.core.episodes.model import LogError
from workbench.core.episodes.rows import utc_now
from workbench.core.episodes.worklist_file import RefusedRow, read_rows

OPEN, QUERY, CODED = "open", "query", "coded"
STATUSES = (OPEN, QUERY, CODED)
_COLUMNS = ("id, patient, nhs_number, episode_ref, start_date, end_date, specialty, consultant, "
            "sex, age, status, note, episode_id, query_by, query_at")


@dataclass(frozen=True)
class WorklistItem:
    id: int
    patient: str
    nhs_number: str | None
    episode: str
    start_date: dt.date
    end_date: dt.date | None
    specialty: str | None
    consultant: str | None
    sex: str | None
    age: int | None
    status: str
    note: str | None
    episode_id: int | None
    query_by: str | None = None      # the OS login that raised the query
    query_at: str | None = None      # when (UTC, ISO 8601)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "patient": self.patient, "nhs_number": self.nhs_number,
                "episode": self.episode, "start_date": self.start_date.isoformat(),
                "end_date": self.end_date.isoformat() if self.end_date else None,
                "specialty": self.specialty, "consultant": self.consultant, "sex": self.sex,
                "age": self.age, "status": self.status, "note": self.note, "episode_id": self.episode_id,
                "query_by": self.query_by, "query_at": self.query_at}

    def details(self) -> dict[str, str]:
        """The episode form's fields, as a coding session holds them."""
        # The PAS's sex "U" (not known) is left for the coder: the form takes m or f only.
        return {k: v for k, v in {"patient": self.patient, "episode": self.episode,
                                  "date": self.start_date.isoformat(), "nhs": self.nhs_number or "",
                                  "specialty": self.specialty or "",
                                  "sex": {"M": "m", "F": "f"}.get(self.sex or "", ""),
                                  "age": "" if self.age is None else str(self.age)}.items() if v}


@dataclass(frozen=True)
class ImportReport:
    imported: int
    already: int                     # on the list or in the log already
    refused: list[RefusedRow]

    def as_dict(self) -> dict[str, Any]:
        return {"imported": self.imported, "already_listed": self.already,
                "refused": [{"line": r.line, "problem": r.problem} for r in self.refused]}


class Worklist:
    """The worklist of one :class:`EpisodeLog` (same connection, same thread)."""

    def __init__(self, log: Any):
        self.log = log
        self.conn: sqlite3.Connection = log.connection
        self.path: Path = log.path

    def _write(self, work: Any) -> Any:
        return storage.write(self.conn, self.path, work)

    def _read(self, work: Any) -> Any:
        try:
            return storage.retrying(lambda: work(self.conn), self.path)
        except sqlite3.Error as exc:
            raise storage.translate(exc, self.path) from None

    # ------------------------------------------------------------ import

    def import_file(self, path: Path, mapping: dict[str, str] | None = None) -> ImportReport:
        """Check every row, then add the good new ones in one transaction."""
        rows, refused = read_rows(path, mapping)
        refused = list(refused)

        def work(conn: sqlite3.Connection) -> tuple[int, int]:
            now = utc_now()
            added = already = 0
            seen: set[tuple[str, str]] = set()
            for row in rows:
                key = (row.patient, row.episode)
                if key in seen or _known(conn, *key):
                    already += 1
                    continue
                seen.add(key)
                conn.execute(
                    "INSERT INTO worklist_item (patient, nhs_number, episode_ref, start_date, end_date, "
                    "specialty, consultant, sex, age, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (row.patient, row.nhs_number, row.episode, row.start_date.isoformat(),
                     row.end_date.isoformat() if row.end_date else None, row.specialty, row.consultant,
                     row.sex, row.age, now))
                added += 1
            return added, already

        added, already = self._write(work)
        return ImportReport(added, already, refused)

    # ------------------------------------------------------------ reads

    def items(self, *, status: str | None = None, specialty: str | None = None,
              since: dt.date | None = None, until: dt.date | None = None,
              limit: int | None = None) -> list[WorklistItem]:
        """Items oldest first; ``status`` "todo" means open or query."""
        where, params = [], []
        if status == "todo":
            where.append("status IN ('open', 'query')")
        elif status:
            if status not in STATUSES:
                raise LogError(f"status: one of {', '.join(STATUSES)} or todo")
            where.append("status = ?")
            params.append(status)
        if specialty:
            where.append("lower(specialty) LIKE ?")
            params.append(f"%{specialty.lower()}%")
        if since:
            where.append("start_date >= ?")
            params.append(since.isoformat())
        if until:
            where.append("start_date <= ?")
            params.append(until.isoformat())
        sql = f"SELECT {_COLUMNS} FROM worklist_item"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY start_date, id"
        if limit:
            sql += f" LIMIT {int(limit)}"
        return [_item(r) for r in self._read(lambda c: c.execute(sql, params).fetchall())]

    def get(self, item_id: int) -> WorklistItem:
        row = self._read(lambda c: c.execute(f"SELECT {_COLUMNS} FROM worklist_item WHERE id = ?",
                                             (int(item_id),)).fetchone())
        if row is None:
            raise LogError(f"worklist item {item_id}: there is no such item")
        return _item(row)

    def open_count(self) -> int:
        return self._read(lambda c: c.execute(
            "SELECT count(*) FROM worklist_item WHERE status = 'open'").fetchone()[0])

    def next_open(self, after: int | None = None) -> WorklistItem | None:
        """The next open item in list order after ``after`` (or the first), wrapping round."""
        items = self.items(status=OPEN)
        if not items:
            return None
        if after is not None:
            try:
                current = self.get(after)
            except LogError:
                return items[0]
            key = (current.start_date, current.id)
            later = [i for i in items if (i.start_date, i.id) > key]
            if later:
                return later[0]
        return items[0]

    # ------------------------------------------------------------ changes

    def mark_query(self, item_id: int, note: str, coder: Any = None) -> WorklistItem:
        """The item waits on a clinician; ``coder`` (an OS login or a ``Coder``) raised the query."""
        from workbench.core.episodes.identity import coder_fields

        note = (note or "").strip()
        if not note:
            raise LogError("note: say what the query is about")
        login = coder_fields(coder)[0] if coder is not None else None
        self._change(item_id, "UPDATE worklist_item SET status = 'query', note = ?, query_by = ?, "
                              "query_at = ? WHERE id = ?", (note, login, utc_now(), item_id))
        return self.get(item_id)

    def reopen(self, item_id: int) -> WorklistItem:
        self._change(item_id, "UPDATE worklist_item SET status = 'open' WHERE id = ? AND status = 'query'",
                     (item_id,))
        return self.get(item_id)

    def link(self, item_id: int, episode_id: int) -> None:
        """An episode was saved from this item: it is coded."""
        self._change(item_id, "UPDATE worklist_item SET status = 'coded', episode_id = ? WHERE id = ?",
                     (episode_id, item_id))

    def _change(self, item_id: int, sql: str, params: tuple) -> None:
        self.get(item_id)   # a plain message for an unknown id
        self._write(lambda c: c.execute(sql, params))


def _known(conn: sqlite3.Connection, patient: str, episode: str) -> bool:
    for table in ("worklist_item", "episode"):
        if conn.execute(f"SELECT 1 FROM {table} WHERE patient = ? AND episode_ref = ? LIMIT 1",
                        (patient, episode)).fetchone():
            return True
    return False


def _item(row: tuple) -> WorklistItem:
    return WorklistItem(row[0], row[1], row[2], row[3], dt.date.fromisoformat(row[4]),
                        dt.date.fromisoformat(row[5]) if row[5] else None, row[6], row[7], row[8], row[9],
                        row[10], row[11], row[12], row[13], row[14])
