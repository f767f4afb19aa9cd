"""Drafts: the wizard state of an unfinished episode, per coder (part of :class:`EpisodeLog`).

Each change is one small durable transaction; a draft is consumed by exactly one save
(see :mod:`saving`), and its id is never handed out again.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from typing import Any

from workbench.core.episodes import saving
from workbench.core.episodes.identity import Coder, coder_fields
from workbench.core.episodes.model import Draft, LogError
from workbench.core.episodes.rows import to_json, utc_now


def required(value: str | None, field: str) -> str:
    if value is None or not str(value).strip():
        raise LogError(f"{field}: required")
    return str(value).strip()


class DraftStore:
    """The draft methods of :class:`EpisodeLog`, which provides ``_write`` and ``_read``."""

    _write: Any
    _read: Any

    def save_draft(self, coder: str | Coder, state: dict, draft_id: int | None = None) -> int:
        """Store the wizard state (one small durable transaction); returns the draft's id.
        Drafts belong to the coder's login."""
        coder = required(coder_fields(coder)[0], "coder")
        text = to_json(state)

        def work(conn: sqlite3.Connection) -> int:
            now = utc_now()
            if draft_id is not None:
                updated = conn.execute("UPDATE draft SET state = ?, updated_at = ? WHERE id = ?",
                                       (text, now, draft_id))
                if updated.rowcount:
                    return int(draft_id)
            saving.refuse_consumed_draft(conn, draft_id)
            new_id = saving.next_draft_id(conn)
            conn.execute("INSERT INTO draft (id, coder, state, created_at, updated_at) "
                         "VALUES (?, ?, ?, ?, ?)", (new_id, coder, text, now, now))
            return new_id

        return self._write(work)

    def drafts(self, coder: str | Coder) -> list[Draft]:
        """The coder's unfinished episodes, most recently touched first."""
        login = coder_fields(coder)[0]
        rows = self._read(lambda c: c.execute(
            "SELECT id, coder, state, updated_at, created_at FROM draft WHERE coder = ? "
            "ORDER BY updated_at DESC, id DESC", (login,)).fetchall())
        return [Draft(id=r[0], coder=r[1], state=json.loads(r[2]),
                      updated_at=dt.datetime.fromisoformat(r[3]),
                      created_at=dt.datetime.fromisoformat(r[4])) for r in rows]

    def discard_draft(self, draft_id: int) -> None:
        """Remove a draft; a draft already gone is not an error."""
        self._write(lambda c: c.execute("DELETE FROM draft WHERE id = ?", (draft_id,)))
