"""The audit store: append-only records in the log's database, in a hash chain of their own.

A small API over one table (``audit_record``, db/log/008_audit.sql) so the audit's logic
stays in Python and the store can move with the log (to PostgreSQL, issue 27): append a
record, read a sample's records, read the samples, and verify the chain. A record is a
JSON body with who wrote it (the OS login) and when; nothing is ever updated or deleted:
a later record supersedes an earlier one.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from workbench.core.episodes import dialect
from workbench.core.episodes.model import LogError

GENESIS = "0" * 64
SAMPLE, CODING, REVIEW = "sample", "coding", "review"
KINDS = (SAMPLE, CODING, REVIEW)
_COLUMNS = "id, sample_id, kind, episode_id, body, actor, at, prev_hash, hash"


class AuditError(LogError):
    """The audit cannot do what was asked; ``str(exc)`` is a plain sentence."""


@dataclass(frozen=True)
class AuditRecord:
    id: int
    sample_id: int
    kind: str
    episode_id: int | None
    body: dict[str, Any]
    actor: str
    at: str


def canonical(record_id: int, sample_id: int, kind: str, episode_id: int | None, body: str,
              actor: str, at: str) -> bytes:
    content = {"id": record_id, "sample_id": sample_id, "kind": kind, "episode_id": episode_id,
               "body": body, "actor": actor, "at": at}
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def record_hash(content: bytes, prev_hash: str) -> str:
    return hashlib.sha256(content + b"\n" + prev_hash.encode("ascii")).hexdigest()


def body_text(body: dict[str, Any]) -> str:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class AuditStore:
    """The audit records of one :class:`EpisodeLog` (same connection, same thread)."""

    def __init__(self, log: Any):
        self.log = log

    def _read(self, work: Any) -> Any:
        return self.log.read(work)      # a file's or a server's log: its errors in words

    def write(self, work: Any) -> Any:
        """Run ``work(conn, append)`` in one write transaction of the log; ``append(sample_id,
        kind, episode_id, body, actor)`` adds a record to the chain and returns it."""

        def transaction(conn: sqlite3.Connection) -> Any:
            return work(conn, lambda *args: append(conn, *args))

        return self.log.transaction(transaction, chained=True)   # its own hash chain: checkpointed

    def records(self, sample_id: int, kind: str | None = None) -> list[AuditRecord]:
        sql = f"SELECT {_COLUMNS} FROM audit_record WHERE sample_id = ?"
        params: list[Any] = [int(sample_id)]
        if kind:
            sql += " AND kind = ?"
            params.append(kind)
        return [_record(r) for r in self._read(lambda c: c.execute(sql + " ORDER BY id", params).fetchall())]

    def samples(self) -> list[AuditRecord]:
        return [_record(r) for r in self._read(lambda c: c.execute(
            f"SELECT {_COLUMNS} FROM audit_record WHERE kind = 'sample' ORDER BY sample_id").fetchall())]

    def count(self) -> int:
        return self._read(lambda c: c.execute("SELECT count(*) FROM audit_record").fetchone()[0])


def append(conn: sqlite3.Connection, sample_id: int, kind: str, episode_id: int | None,
           body: dict[str, Any], actor: str) -> AuditRecord:
    """Insert one record at the head of the chain (inside a write transaction)."""
    if kind not in KINDS:
        raise AuditError(f"audit record kind must be one of {', '.join(KINDS)}")
    row = conn.execute("SELECT id, hash, at FROM audit_record ORDER BY id DESC LIMIT 1").fetchone()
    last_id, prev_hash, last_at = row if row else (0, GENESIS, "")
    # Taken under the write lock (a server's clock on a server); never earlier than the record before it.
    at = max(dialect.now_text(conn), last_at)
    text = body_text(body)
    record_id = last_id + 1
    digest = record_hash(canonical(record_id, sample_id, kind, episode_id, text, actor, at), prev_hash)
    conn.execute(f"INSERT INTO audit_record ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 (record_id, sample_id, kind, episode_id, text, actor, at, prev_hash, digest))
    return AuditRecord(record_id, sample_id, kind, episode_id, body, actor, at)


def next_sample_id(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT coalesce(max(sample_id), 0) + 1 FROM audit_record").fetchone()[0])


def _record(row: tuple) -> AuditRecord:
    return AuditRecord(row[0], row[1], row[2], row[3], json.loads(row[4]), row[5], row[6])


def head(conn: sqlite3.Connection) -> tuple[int, str]:
    """(record count, head hash) of the audit chain: what a checkpoint keeps."""
    row = conn.execute("SELECT count(*), (SELECT hash FROM audit_record ORDER BY id DESC LIMIT 1) "
                       "FROM audit_record").fetchone()
    return int(row[0]), str(row[1] or GENESIS)


def verify_records(conn: sqlite3.Connection) -> list[str]:
    """Every audit record in id order: contiguous ids, the chain, the hashes, times that
    never run backwards, bodies that parse, and references that hold (each coding or review
    names a sampled episode of a sample drawn before it; each sampled version exists).
    Returns one line per problem; never raises on bad content."""
    problems: list[str] = []
    previous, previous_id, previous_at = GENESIS, 0, ""
    sampled: dict[int, set[int]] = {}
    for row in conn.execute(f"SELECT {_COLUMNS} FROM audit_record ORDER BY id"):
        rid, sample_id, kind, episode_id, body, actor, at, prev_hash, stored = row
        where = f"audit record {rid}"
        if rid != previous_id + 1:
            problems.append(f"audit records {previous_id + 1}-{rid - 1} are missing (deleted)")
        if prev_hash != previous:
            problems.append(f"the audit chain is broken before {where} (a record was removed or inserted)")
        try:
            same = record_hash(canonical(rid, sample_id, kind, episode_id, body, actor, at),
                               str(prev_hash)) == stored
        except (TypeError, ValueError, UnicodeError):
            same = False
        if not same:
            problems.append(f"{where} (sample {sample_id}) was changed outside the app")
        if isinstance(at, str):
            if at < previous_at:
                problems.append(f"{where} is dated before the record ahead of it (backdated or forged)")
            previous_at = at
        try:
            parsed = json.loads(body)
            if not isinstance(parsed, dict):
                raise ValueError
        except (TypeError, ValueError):
            problems.append(f"{where}: its body is not a JSON object")
            parsed = {}
        problems += _reference_problems(conn, where, sample_id, kind, episode_id, parsed, sampled)
        previous, previous_id = stored, rid
    return problems


def _reference_problems(conn: sqlite3.Connection, where: str, sample_id: object, kind: object,
                        episode_id: object, body: dict, sampled: dict[int, set[int]]) -> list[str]:
    if kind == SAMPLE:
        if sample_id in sampled:
            return [f"{where}: sample {sample_id} is drawn twice"]
        episodes = body.get("episodes")
        if not isinstance(episodes, list):
            return [f"{where}: sample {sample_id} lists no episodes"]
        found: set[int] = set()
        problems = []
        for item in episodes:
            try:
                eid, vid = int(item[0]), int(item[1])
            except (TypeError, ValueError, IndexError):
                problems.append(f"{where}: sample {sample_id} lists a malformed episode")
                continue
            found.add(eid)
            if conn.execute("SELECT 1 FROM version WHERE id = ? AND episode_id = ?", (vid, eid)).fetchone() is None:
                problems.append(f"{where}: sample {sample_id} names episode {eid} version row {vid}, "
                                "which the log does not hold")
        sampled[int(sample_id)] = found  # type: ignore[arg-type]
        return problems
    if kind not in (CODING, REVIEW):
        return [f"{where}: unknown kind"]
    if sample_id not in sampled:
        return [f"{where}: belongs to sample {sample_id}, which was not drawn before it"]
    if episode_id not in sampled[sample_id]:  # type: ignore[index]
        return [f"{where}: episode {episode_id} is not in sample {sample_id}"]
    return []
