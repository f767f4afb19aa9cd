"""Fast loading of many episodes, for benchmarks and imports.

Builds exactly the rows :meth:`EpisodeLog.save` would (same hash chain, so
``verify()`` passes) but with executemany in large transactions.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable
from itertools import islice
from typing import TYPE_CHECKING

from workbench.core.episodes import chain, saving
from workbench.core.episodes.identity import coder_fields
from workbench.core.episodes.model import FINAL, Coding, EpisodeDetails
from workbench.core.episodes.rows import code_rows
from workbench.core.episodes.validate import checked_details
from workbench.core.episodes.writer import (
    chain_tail,
    check_coding,
    episode_dict,
    identity,
    refuse_key_mismatch,
    version_record,
)

if TYPE_CHECKING:
    from workbench.core.episodes.keys import DepartmentKey


def bulk_load(log, episodes: Iterable[tuple[EpisodeDetails, Coding, str]], *,
              batch_size: int = 50_000, saved_at: dt.datetime | None = None) -> int:
    """Append ``(details, coding, coder)`` triples as new episodes (version 1, final).

    Each batch is one write of the log (in the writer turn, checked against and recorded in
    the checkpoint file like a save), so other processes can still write between batches and
    the chain stays valid. Returns how many were added.
    ``saved_at`` fixes the timestamp (reproducible benchmark logs); default now.
    An item may also be ``(details, coding, coder, saved_at, started_at)``: its own save
    time (never earlier than the item before it) and when its coding started (recorded
    as a consumed draft, as the app's saves are), for productivity figures at scale.
    """
    stamp = (saved_at or dt.datetime.now(dt.UTC)).isoformat(timespec="microseconds")
    items = iter(episodes)
    added = 0
    while True:
        chunk = list(islice(items, batch_size))
        if not chunk:
            return added
        prepared = [(checked_details(item[0]), *item[1:]) for item in chunk]
        for item in prepared:
            check_coding(item[1])
        log._write(lambda conn, p=prepared, k=log.trust.key: _insert(conn, p, stamp, k), chained=True)
        added += len(chunk)


def _insert(conn: sqlite3.Connection, prepared: list, stamp: str, key: DepartmentKey | None) -> None:
    tail = chain_tail(conn)
    refuse_key_mismatch(tail, key)
    last_id, prev_hash, latest = tail.id, tail.hash, tail.saved_at
    next_episode = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM episode").fetchone()[0]
    next_draft = saving.next_draft_id(conn)   # draft ids are never reused
    episodes, versions, codes, index, dated, consumed, keys = [], [], [], [], [], [], []
    for offset, (details, coding, coder, *times) in enumerate(prepared):
        episode_id, version_id = next_episode + offset, last_id + 1 + offset
        saved = times[0].isoformat(timespec="microseconds") if times and times[0] else stamp
        saved = latest = max(saved, latest)          # never before the row it follows
        if len(times) > 1 and times[1] is not None:
            consumed.append((next_draft + len(consumed), episode_id, saved,
                             times[1].isoformat(timespec="microseconds")))
        episode = episode_dict(episode_id, details)
        login, coder_name, coder_id = coder_fields(coder)
        record = version_record(version_id, 1, FINAL, coding, coder=login, saved_at=saved,
                                note=None, reason=None, coder_name=coder_name, coder_id=coder_id)
        rows = code_rows(coding)
        prev_hash, previous = chain.version_hash(chain.canonical(episode, record, rows), prev_hash), prev_hash
        episodes.append((episode_id, details.patient, details.nhs_number, details.episode,
                         details.date.isoformat(), details.specialty, details.sex, details.age, details.fce,
                         details.end_date.isoformat() if details.end_date else None, details.consultant))
        keys.append((identity(details.patient, details.episode), episode["date"], episode_id))
        versions.append((version_id, episode_id, record["guidance_id"], record["pack_id"],
                         record["pack_version"], record["answers"], record["overrides"], login,
                         saved, previous, prev_hash, coder_name, coder_id,
                         key.mac(prev_hash) if key is not None else None))
        codes.extend((version_id, *r) for r in rows)
        index.extend({(r[2], episode_id, version_id) for r in rows})
        dated.extend({(r[2], episode["date"], episode_id, version_id) for r in rows})
    conn.executemany("INSERT INTO episode (id, patient, nhs_number, episode_ref, start_date, specialty, sex, "
                     "age_years, fce, end_date, consultant) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", episodes)
    conn.executemany("INSERT INTO version (id, episode_id, version, status, guidance_id, pack_id, "
                     "pack_version, answers, overrides, coder, saved_at, note, reason, prev_hash, hash, "
                     f"coder_name, coder_id, mac) VALUES (?, ?, 1, '{FINAL}', ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, "
                     "?, ?, ?)", versions)
    conn.executemany("INSERT INTO version_code (version_id, kind, position, code, classification, "
                     "edition, mark) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     [(*c[:6], c[6] if len(c) > 6 else None) for c in codes])
    conn.executemany("INSERT INTO code_index (code, episode_id, version_id) VALUES (?, ?, ?) "
                     "ON CONFLICT DO NOTHING", index)
    conn.executemany("INSERT INTO draft_consumed (draft_id, episode_id, consumed_at, started_at) "
                     "VALUES (?, ?, ?, ?)", consumed)
    conn.executemany("INSERT INTO code_date (code, start_date, episode_id, version_id) "
                     "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING", dated)
    conn.executemany("INSERT INTO episode_key (identity, start_date, episode_id) VALUES (?, ?, ?)", keys)
