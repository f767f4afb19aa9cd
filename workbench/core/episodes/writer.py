"""Appending versions to the chain. Runs inside a BEGIN IMMEDIATE transaction."""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING

from workbench.core.episodes import chain, dialect
from workbench.core.episodes.chain import optional_details
from workbench.core.episodes.identity import Coder, coder_fields
from workbench.core.episodes.model import Coding, EpisodeDetails, LogError
from workbench.core.episodes.rows import code_rows, to_json

if TYPE_CHECKING:
    from workbench.core.episodes.keys import DepartmentKey


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


@dataclass(frozen=True)
class Tail:
    """The newest version row: what the next one chains to, and is timed after."""

    id: int
    hash: str
    mac: str | None = None
    saved_at: str = ""
    clock_at: str | None = None


def chain_tail(conn: sqlite3.Connection) -> Tail:
    row = conn.execute("SELECT id, hash, mac, saved_at, clock_at FROM version ORDER BY id DESC LIMIT 1").fetchone()
    if row is None:
        return Tail(0, chain.GENESIS)
    return Tail(row[0], row[1], row[2], row[3] if isinstance(row[3], str) else "", row[4])


def chain_head(conn: sqlite3.Connection) -> tuple[int, str]:
    """(last version row id, its hash), or (0, genesis) for an empty log."""
    tail = chain_tail(conn)
    return tail.id, tail.hash


def refuse_key_mismatch(tail: Tail, key: DepartmentKey | None) -> None:
    """Keyed and unkeyed versions never mix after the first keyed one: a save without the key
    (or with another key) would look like a forgery to every later verify."""
    if tail.mac is None:
        return
    if key is None:
        raise LogError("this log's versions carry the department key's hash, and no key is configured "
                       "here ([log] key_file in the config, or $WORKBENCH_LOG_KEY_FILE); a save without "
                       "it would fail verify as a forgery. Nothing was saved")
    if not key.checks(tail.hash, tail.mac):
        raise LogError("the department key configured here is not the one this log's versions were "
                       "saved with (or the newest version was changed); nothing was saved")


@dataclass(frozen=True)
class Timing:
    saved_at: str
    clock_at: str | None = None          # the clock's reading, when it was behind the tail
    behind_seconds: float = 0.0
    first_step: bool = False             # the tail was timed by its own clock: a new step back


def timing(tail: Tail, now: dt.datetime | None = None) -> Timing:
    """The new version's time. A clock behind the newest version (stepped back, or another
    computer's clock ahead) must not make the log run backwards, which verify would call
    backdating: the version is timed a microsecond after the tail and keeps the clock's reading."""
    now = now or dt.datetime.now(dt.UTC)
    stamp = now.isoformat(timespec="microseconds")
    try:
        before = dt.datetime.fromisoformat(tail.saved_at) if tail.saved_at else None
    except ValueError:
        before = None     # a damaged time; verify names it
    if before is None or before.tzinfo is None or now >= before:
        return Timing(stamp)
    after = (before + dt.timedelta(microseconds=1)).isoformat(timespec="microseconds")
    return Timing(after, stamp, (before - now).total_seconds(), tail.clock_at is None)


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
    episode_id = int(cursor.fetchone()[0])
    conn.execute("INSERT INTO episode_key (identity, start_date, episode_id) VALUES (?, ?, ?)",
                 (identity(details.patient, details.episode), details.date.isoformat(), episode_id))
    return episode_id


def identity(patient: object, episode_ref: object) -> str:
    """The near-duplicate key of an episode (see db/log/006 and safetext.identity_key)."""
    from workbench.core.safetext import identity_key

    return identity_key(patient) + "\x1f" + identity_key(episode_ref)


def episode_dict(episode_id: int, details: EpisodeDetails) -> dict:
    return {"id": episode_id, "patient": details.patient, "nhs_number": details.nhs_number,
            "episode": details.episode, "date": details.date.isoformat(),
            "specialty": details.specialty,
            **optional_details(details.sex, details.age, details.fce,
                               details.end_date.isoformat() if details.end_date else None, details.consultant)}



def version_record(version_id: int, number: int, status: str, coding: Coding, *, coder: str,
                   saved_at: str, note: str | None, reason: str | None, clock_at: str | None = None,
                   coder_name: str | None = None, coder_id: str | None = None) -> dict:
    """The version's stored fields, exactly as hashed (``clock_at`` and the coder's labels only
    when set, so versions saved before schemas 6 and 7 hash as they did)."""
    return {"id": version_id, "version": number, "status": status,
            "guidance_id": coding.guidance_id, "pack_id": coding.pack_id,
            "pack_version": coding.pack_version, "answers": to_json(coding.answers),
            "overrides": to_json([[o.edit_id, o.reason] for o in coding.overrides]),
            "coder": coder, "saved_at": saved_at, "note": note, "reason": reason,
            **({"clock_at": clock_at} if clock_at is not None else {}), **coder_labels(coder_name, coder_id)}


def coder_labels(name: str | None, coder_id: str | None) -> dict:
    return {**({"coder_name": name} if name is not None else {}),
            **({"coder_id": coder_id} if coder_id is not None else {})}


@dataclass(frozen=True)
class Appended:
    id: int
    hash: str
    mac: str | None
    timing: Timing


def append_version(conn: sqlite3.Connection, episode: dict, number: int, status: str,
                   coding: Coding, *, coder: str | Coder, note: str | None = None,
                   reason: str | None = None, key: DepartmentKey | None = None) -> Appended:
    """Insert one version (+ its codes and index rows), chained to the tail, timed after it,
    with the department key's hash when there is a key. ``coder`` is an OS login, or a
    :class:`Coder` carrying the config's labels too."""
    coder, coder_name, coder_id = coder_fields(coder)
    tail = chain_tail(conn)
    refuse_key_mismatch(tail, key)
    version_id = tail.id + 1
    # Taken under the write lock (on a server, the server's one clock), never before the tail.
    when = timing(tail, dt.datetime.fromisoformat(dialect.now_text(conn)))
    record = version_record(version_id, number, status, coding, coder=coder, saved_at=when.saved_at,
                            note=note, reason=reason, clock_at=when.clock_at, coder_name=coder_name,
                            coder_id=coder_id)
    codes = code_rows(coding)
    digest = chain.version_hash(chain.canonical(episode, record, codes), tail.hash)
    mac = key.mac(digest) if key is not None else None
    with dialect.batched(conn):      # one round trip to a server, not four
        conn.execute(
            "INSERT INTO version (id, episode_id, version, status, guidance_id, pack_id, pack_version, "
            "answers, overrides, coder, saved_at, note, reason, prev_hash, hash, coder_name, coder_id, "
            "mac, clock_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (version_id, episode["id"], number, status, record["guidance_id"], record["pack_id"],
             record["pack_version"], record["answers"], record["overrides"], coder, when.saved_at, note,
             reason, tail.hash, digest, coder_name, coder_id, mac, when.clock_at))
        conn.executemany("INSERT INTO version_code (version_id, kind, position, code, classification, "
                         "edition, mark) VALUES (?, ?, ?, ?, ?, ?, ?)",
                         [(version_id, *c[:5], c[5] if len(c) > 5 else None) for c in codes])
        conn.executemany("INSERT INTO code_index (code, episode_id, version_id) VALUES (?, ?, ?) "
                         "ON CONFLICT DO NOTHING", [(c[2], episode["id"], version_id) for c in codes])
        conn.executemany("INSERT INTO code_date (code, start_date, episode_id, version_id) "
                         "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                         [(c[2], episode["date"], episode["id"], version_id) for c in codes])
    return Appended(version_id, digest, mac, when)
