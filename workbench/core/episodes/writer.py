"""Appending versions to the chain. Runs inside a BEGIN IMMEDIATE transaction."""

from __future__ import annotations

import sqlite3

from workbench.core.episodes import chain, dialect
from workbench.core.episodes.chain import optional_details
from workbench.core.episodes.identity import Coder, coder_fields
from workbench.core.episodes.model import Coding, EpisodeDetails, LogError
from workbench.core.episodes.rows import code_rows, to_json


def check_coding(coding: Coding) -> None:
    if not coding.procedures and not coding.diagnoses:
        raise LogError("codes: an episode needs at least one procedure or diagnosis code")
    for entry in (*coding.procedures, *coding.diagnoses):
        if not entry.code or not entry.code.strip():
            raise LogError("codes: an empty code cannot be saved")
        if not entry.classification:
            raise LogError("codes: every code needs its classification")
    for override in coding.overrides:
        if not override.reason or not override.reason.strip():
            raise LogError("override: every overridden check needs a reason")


def chain_head(conn: sqlite3.Connection) -> tuple[int, str]:
    """(last version row id, its hash), or (0, genesis) for an empty log."""
    row = conn.execute("SELECT id, hash FROM version ORDER BY id DESC LIMIT 1").fetchone()
    return (row[0], row[1]) if row else (0, chain.GENESIS)


def insert_episode(conn: sqlite3.Connection, details: EpisodeDetails) -> int:
    # The id is max + 1 under the write lock, never a sequence: a save rolled back on a
    # server would otherwise leave a gap that verify reports as a deleted episode.
    cursor = conn.execute(
        "INSERT INTO episode (id, patient, nhs_number, episode_ref, start_date, specialty, sex, age_years, "
        "fce, end_date, consultant) VALUES ((SELECT coalesce(max(id), 0) + 1 FROM episode), "
        "?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (details.patient, details.nhs_number, details.episode, details.date.isoformat(),
         details.specialty, details.sex, details.age, details.fce,
         details.end_date.isoformat() if details.end_date else None, details.consultant))
    return int(cursor.fetchone()[0])


def episode_dict(episode_id: int, details: EpisodeDetails) -> dict:
    return {"id": episode_id, "patient": details.patient, "nhs_number": details.nhs_number,
            "episode": details.episode, "date": details.date.isoformat(),
            "specialty": details.specialty,
            **optional_details(details.sex, details.age, details.fce,
                               details.end_date.isoformat() if details.end_date else None, details.consultant)}



def version_record(version_id: int, number: int, status: str, coding: Coding, *, coder: str,
                   saved_at: str, note: str | None, reason: str | None,
                   coder_name: str | None = None, coder_id: str | None = None) -> dict:
    """The version's stored fields, exactly as hashed (the coder's labels only when set,
    so versions saved before schema 7 hash as they did)."""
    return {"id": version_id, "version": number, "status": status,
            "guidance_id": coding.guidance_id, "pack_id": coding.pack_id,
            "pack_version": coding.pack_version, "answers": to_json(coding.answers),
            "overrides": to_json([[o.edit_id, o.reason] for o in coding.overrides]),
            "coder": coder, "saved_at": saved_at, "note": note, "reason": reason,
            **coder_labels(coder_name, coder_id)}


def coder_labels(name: str | None, coder_id: str | None) -> dict:
    return {**({"coder_name": name} if name is not None else {}),
            **({"coder_id": coder_id} if coder_id is not None else {})}


def append_version(conn: sqlite3.Connection, episode: dict, number: int, status: str,
                   coding: Coding, *, coder: str | Coder, note: str | None = None,
                   reason: str | None = None, head: tuple[int, str] | None = None,
                   saved_at: str | None = None) -> tuple[int, str]:
    """Insert one version (+ its codes and index rows); returns the new chain head.
    ``coder`` is an OS login, or a :class:`Coder` carrying the config's labels too."""
    coder, coder_name, coder_id = coder_fields(coder)
    last_id, prev_hash = head or chain_head(conn)
    version_id = last_id + 1
    # Taken under the write lock, so saved_at never runs backwards along the chain.
    saved_at = saved_at or dialect.now_text(conn)
    record = version_record(version_id, number, status, coding, coder=coder, saved_at=saved_at,
                            note=note, reason=reason, coder_name=coder_name, coder_id=coder_id)
    codes = code_rows(coding)
    digest = chain.version_hash(chain.canonical(episode, record, codes), prev_hash)
    with dialect.batched(conn):      # one round trip to a server, not four
        conn.execute(
            "INSERT INTO version (id, episode_id, version, status, guidance_id, pack_id, pack_version, "
            "answers, overrides, coder, saved_at, note, reason, prev_hash, hash, coder_name, coder_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (version_id, episode["id"], number, status, record["guidance_id"], record["pack_id"],
             record["pack_version"], record["answers"], record["overrides"], coder, saved_at, note,
             reason, prev_hash, digest, coder_name, coder_id))
        conn.executemany("INSERT INTO version_code (version_id, kind, position, code, classification, "
                         "edition, mark) VALUES (?, ?, ?, ?, ?, ?, ?)",
                         [(version_id, *c[:5], c[5] if len(c) > 5 else None) for c in codes])
        conn.executemany("INSERT INTO code_index (code, episode_id, version_id) VALUES (?, ?, ?) "
                         "ON CONFLICT DO NOTHING", [(c[2], episode["id"], version_id) for c in codes])
        conn.executemany("INSERT INTO code_date (code, start_date, episode_id, version_id) "
                         "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                         [(c[2], episode["date"], episode["id"], version_id) for c in codes])
    return version_id, digest
