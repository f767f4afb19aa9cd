"""The checks a new save passes inside its write transaction (schema version 2).

- a save id seen before returns the episode it saved (a retry after a crash);
- a draft is consumed by exactly one save;
- a live episode with the same patient, episode reference and start date refuses the
  save unless the coder states why a second one is right.
Messages name episode ids, never the identifiers themselves.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3

from workbench.core.episodes.model import (
    VOIDED,
    Coding,
    DraftAlreadySaved,
    DuplicateEpisode,
    EpisodeDetails,
    LogError,
)
from workbench.core.episodes.rows import utc_now

MAX_SAVE_ID = 200


def check_save_id(save_id: str | None) -> str | None:
    if save_id is None:
        return None
    text = str(save_id).strip()
    if not text or len(text) > MAX_SAVE_ID or not text.isprintable():
        raise LogError(f"save id: must be 1 to {MAX_SAVE_ID} printable characters")
    return text


def request_digest(details: EpisodeDetails, coding: Coding) -> str:
    content = json.dumps({"details": details.as_dict(), "coding": coding.as_dict()},
                         sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(content.encode("utf-8", "surrogatepass")).hexdigest()


def replayed(conn: sqlite3.Connection, save_id: str | None, digest: str) -> int | None:
    """The episode an earlier save with this id wrote; None when the id is new."""
    if save_id is None:
        return None
    row = conn.execute("SELECT episode_id, request FROM save_receipt WHERE save_id = ?",
                       (save_id,)).fetchone()
    if row is None:
        return None
    if row[1] != digest:
        raise LogError(f"save id already used for a different episode (episode {row[0]}); "
                       "nothing was saved. Choose a new save id")
    return int(row[0])


def refuse_consumed_draft(conn: sqlite3.Connection, draft_id: int | None) -> None:
    if draft_id is None:
        return
    row = conn.execute("SELECT episode_id FROM draft_consumed WHERE draft_id = ?", (draft_id,)).fetchone()
    if row is not None:
        raise DraftAlreadySaved(f"this draft was already saved as episode {row[0]} (in another window "
                                "or an earlier attempt); nothing was saved again. Amend episode "
                                f"{row[0]} if its codes need to change", int(row[0]))


def duplicate_of(conn: sqlite3.Connection, details: EpisodeDetails) -> tuple[int, bool] | None:
    """(id, exactly the same?) of the oldest live episode with the same start date and the same
    patient and episode reference, compared after folding case, spaces, zero-width and
    full-width characters (``D1``, ``d 1``, ``D\u200b1``, ``Ｄ１`` are one reference), and the
    same FCE number: two consultant episodes of one spell are two episodes, but an episode
    saved without its FCE number may be either, so it counts as a twin of both."""
    from workbench.core.episodes.writer import identity

    row = conn.execute(
        "SELECT e.id, e.patient = ? AND e.episode_ref = ? FROM episode_key k JOIN episode e ON e.id = k.episode_id "
        "WHERE k.identity = ? AND k.start_date = ? "
        "AND (e.fce IS NULL OR CAST(? AS TEXT) IS NULL OR e.fce = ?) "
        "AND coalesce((SELECT v.status FROM version v WHERE v.episode_id = e.id ORDER BY v.id DESC "
        f"LIMIT 1), '') <> '{VOIDED}' ORDER BY e.patient = ? AND e.episode_ref = ? DESC, e.id LIMIT 1",
        (details.patient, details.episode, identity(details.patient, details.episode),
         details.date.isoformat(), details.fce, details.fce, details.patient, details.episode)).fetchone()
    return (int(row[0]), bool(row[1])) if row else None


def duplicate_reason(conn: sqlite3.Connection, details: EpisodeDetails, reason: str | None) -> str | None:
    """None when there is no live twin; the text recorded with the save when the coder gave
    a reason; otherwise :class:`DuplicateEpisode` (``near`` when the two differ in how the
    identifiers were typed)."""
    found = duplicate_of(conn, details)
    if found is None:
        return None
    existing, exact = found
    if not reason or not reason.strip():
        same = ("already has this patient, episode reference and start date" if exact else
                "has nearly the same patient and episode reference (they differ only in case, spaces "
                "or look-alike characters) and the same start date")
        raise DuplicateEpisode(f"episode {existing} {same}; nothing was saved. Amend episode {existing}, "
                               "or save anyway with a reason (--duplicate-reason)", existing, near=not exact)
    return f"saved alongside episode {existing}: {reason.strip()}"


def record(conn: sqlite3.Connection, episode_id: int, save_id: str | None, digest: str,
           draft_id: int | None) -> None:
    if save_id is not None:
        conn.execute("INSERT INTO save_receipt (save_id, episode_id, request) VALUES (?, ?, ?)",
                     (save_id, episode_id, digest))
    if draft_id is not None:
        # When the coding started (the draft's creation): stats time an episode from it to the save.
        started = conn.execute("SELECT created_at FROM draft WHERE id = ?", (draft_id,)).fetchone()
        conn.execute("DELETE FROM draft WHERE id = ?", (draft_id,))
        conn.execute("INSERT INTO draft_consumed (draft_id, episode_id, consumed_at, started_at) "
                     "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                     (draft_id, episode_id, utc_now(), started[0] if started else None))


def next_draft_id(conn: sqlite3.Connection) -> int:
    """Draft ids are never reused, so a consumed draft's id always means that draft."""
    # Two indexed max() reads: both stores answer each from the end of an index.
    live = conn.execute("SELECT coalesce(max(id), 0) FROM draft").fetchone()[0]
    used = conn.execute("SELECT coalesce(max(draft_id), 0) FROM draft_consumed").fetchone()[0]
    return max(int(live), int(used)) + 1
