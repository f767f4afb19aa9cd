"""The worklist's domain objects and the row work shared by the worklist and the log.

The log calls :func:`link_in` (an episode saved from an item) and :func:`reopen_voided`
(its episode voided) inside its own write transaction, so the item and the episode
never disagree.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from workbench.core.episodes.rows import to_json, utc_now

OPEN, QUERY, CODED, REMOVED = "open", "query", "coded", "removed"
STATUSES = (OPEN, QUERY, CODED, REMOVED)
#: The details a refresh may change on an uncoded item (the identity never changes).
DETAIL_FIELDS = ("nhs_number", "start_date", "end_date", "specialty", "consultant", "admission_method",
                 "ward", "sex", "age", "extra")
ITEM_COLUMNS = ("w.id, w.patient, w.nhs_number, w.episode_ref, w.start_date, w.end_date, w.specialty, "
                "w.consultant, w.sex, w.age, w.status, w.episode_id, w.fce, w.admission_method, w.ward, "
                "w.extra, q.id, q.clinician, q.question, q.sent_on, q.raised_by, q.reply, q.replied_on, "
                "q.status, w.query_by, w.query_at")
#: The item's latest query (any status), joined to every item read.
LATEST_QUERY = ("LEFT JOIN worklist_query q ON q.id = "
                "(SELECT max(id) FROM worklist_query WHERE item_id = w.id)")


@dataclass(frozen=True)
class WorklistQuery:
    """A question to a clinician about an item: to whom, when sent, the reply, resolved or not."""

    id: int
    clinician: str
    question: str
    sent_on: dt.date
    raised_by: str
    reply: str | None
    replied_on: dt.date | None
    status: str                     # open | answered | resolved

    def waiting_days(self, today: dt.date | None = None) -> int:
        return ((today or dt.date.today()) - self.sent_on).days

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "to": self.clinician, "question": self.question,
                "sent_on": self.sent_on.isoformat(), "raised_by": self.raised_by, "reply": self.reply,
                "replied_on": self.replied_on.isoformat() if self.replied_on else None,
                "status": self.status, "waiting_days": self.waiting_days() if self.status != "resolved" else None}


@dataclass(frozen=True)
class WorklistItem:
    id: int
    patient: str
    nhs_number: str | None
    episode: str                    # spell number (or the episode reference)
    start_date: dt.date
    end_date: dt.date | None
    specialty: str | None
    consultant: str | None
    sex: str | None
    age: int | None
    status: str
    episode_id: int | None
    fce: str | None = None          # consultant episode number within the spell
    admission_method: str | None = None
    ward: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
    query: WorklistQuery | None = None
    query_by: str | None = None     # the OS login that raised the latest query (schema 7)
    query_at: str | None = None     # when (UTC, ISO 8601)

    @property
    def note(self) -> str | None:
        """The open query's question (what the list shows beside a query)."""
        return self.query.question if self.query is not None and self.status == QUERY else None

    @property
    def length_of_stay(self) -> int | None:
        """Days from admission to discharge (0 for a day case); None before discharge."""
        return (self.end_date - self.start_date).days if self.end_date else None

    @property
    def reference(self) -> str:
        """'SP001' or, for one consultant episode of a spell, 'SP001/2'."""
        return f"{self.episode}/{self.fce}" if self.fce else self.episode

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "patient": self.patient, "nhs_number": self.nhs_number,
                "episode": self.episode, "fce": self.fce, "start_date": self.start_date.isoformat(),
                "end_date": self.end_date.isoformat() if self.end_date else None,
                "length_of_stay": self.length_of_stay, "specialty": self.specialty,
                "consultant": self.consultant, "admission_method": self.admission_method, "ward": self.ward,
                "sex": self.sex, "age": self.age, "extra": dict(self.extra), "status": self.status,
                "note": self.note, "query": self.query.as_dict() if self.query else None,
                "query_by": self.query_by, "query_at": self.query_at, "episode_id": self.episode_id}

    def details(self) -> dict[str, str]:
        """The episode form's fields, as a coding session holds them (and what the PAS said
        beyond them, as one line the review shows)."""
        # The PAS's sex "U" (not known) is left for the coder: the form takes m or f only.
        return {k: v for k, v in {"patient": self.patient, "episode": self.episode,
                                  "date": self.start_date.isoformat(), "nhs": self.nhs_number or "",
                                  "specialty": self.specialty or "",
                                  "sex": {"M": "m", "F": "f"}.get(self.sex or "", ""),
                                  "age": "" if self.age is None else str(self.age),
                                  "fce": self.fce or "",
                                  "end_date": self.end_date.isoformat() if self.end_date else "",
                                  "consultant": self.consultant or "",
                                  "pas": self.pas_line()}.items() if v}

    def pas_line(self) -> str:
        """What the PAS sent beyond the form's fields, on one line (raw text: escape to show)."""
        from workbench.core.dates import show_date

        parts = []
        if self.fce:
            parts.append(f"FCE {self.fce}")
        if self.end_date:
            parts.append(f"discharged {show_date(self.end_date)} ({self.length_of_stay} d)")
        for label, value in (("cons", self.consultant), ("adm method", self.admission_method),
                             ("ward", self.ward)):
            if value:
                parts.append(f"{label} {value}")
        parts += [f"{name}: {value}" for name, value in self.extra.items()]
        return " · ".join(parts)


@dataclass(frozen=True)
class WorklistEvent:
    at: dt.datetime
    coder: str
    kind: str
    detail: dict[str, Any]

    def describe(self) -> str:
        d = self.detail
        what = {
            "updated": lambda: "details updated by an import: " + ", ".join(d.get("fields", [])),
            "removed": lambda: f"removed: {d.get('reason', '')}",
            "coded": lambda: f"coded as episode {d.get('episode')}",
            "reopened": lambda: f"reopened: episode {d.get('episode')} was voided",
            "query": lambda: f"query to {d.get('to') or 'a clinician'}: {d.get('question', '')}",
            "reply": lambda: f"reply: {d.get('reply', '')}",
            "resolved": lambda: "query resolved",
            "query-reopened": lambda: f"query reopened: {d.get('why', '')}",
        }.get(self.kind, lambda: self.kind)()
        return what

    def as_dict(self) -> dict[str, Any]:
        return {"at": self.at.isoformat(), "coder": self.coder, "kind": self.kind, **self.detail}


def item_from(row: tuple) -> WorklistItem:
    query = None
    if row[16] is not None:
        query = WorklistQuery(row[16], row[17], row[18], dt.date.fromisoformat(row[19]), row[20], row[21],
                              dt.date.fromisoformat(row[22]) if row[22] else None, row[23])
    return WorklistItem(row[0], row[1], row[2], row[3], dt.date.fromisoformat(row[4]),
                        dt.date.fromisoformat(row[5]) if row[5] else None, row[6], row[7], row[8], row[9],
                        row[10], row[11], row[12] or None, row[13], row[14],
                        json.loads(row[15]) if row[15] and row[15] != "{}" else {}, query, row[24], row[25])


def record_event(conn: sqlite3.Connection, item_id: int, coder: Any, kind: str, **detail: Any) -> None:
    """One row of the item's history; ``coder`` is a login or a ``Coder`` (its login is kept)."""
    from workbench.core.episodes.identity import coder_fields

    conn.execute("INSERT INTO worklist_event (item_id, at, coder, kind, detail) VALUES (?, ?, ?, ?, ?)",
                 (item_id, utc_now(), coder_fields(coder)[0], kind, to_json(detail)))


def link_in(conn: sqlite3.Connection, item_id: int, episode_id: int, coder: Any) -> None:
    """In the save's transaction: the item is coded, linked to the episode saved from it."""
    found = conn.execute("SELECT status FROM worklist_item WHERE id = ?", (item_id,)).fetchone()
    if found is None:
        return          # the item is gone from this log (another log's draft): the save stands
    if found[0] != CODED:
        conn.execute("UPDATE worklist_item SET status = 'coded', episode_id = ? WHERE id = ?",
                     (episode_id, item_id))
    # Coded: no one is coding it any more (workbench.core.episodes.allocation).
    conn.execute("UPDATE worklist_allocation SET claimed_by = NULL, claimed_at = NULL, claim_until = NULL "
                 "WHERE item_id = ?", (item_id,))
    record_event(conn, item_id, coder, "coded", episode=episode_id)


def reopen_voided(conn: sqlite3.Connection, episode_id: int, coder: Any) -> None:
    """In the void's transaction: the items coded as this episode are open again."""
    items = [r[0] for r in conn.execute(
        "SELECT id FROM worklist_item WHERE episode_id = ? AND status = 'coded'", (episode_id,))]
    for item_id in items:
        conn.execute("UPDATE worklist_item SET status = 'open', episode_id = NULL WHERE id = ?", (item_id,))
        record_event(conn, item_id, coder, "reopened", episode=episode_id)
