"""Append-only tables with hash chains of their own: the versions, the audit store, and any a
later module registers. Each is checked row by row by ``log verify`` and has its head written
into every checkpoint line (see :mod:`verify`, :mod:`checkpoints`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from workbench.core.episodes import checkpoints, dialect
from workbench.core.episodes.chain import GENESIS, ChainResult, Start, check_versions, version_start
from workbench.core.episodes.checkpoint_stream import LineStream
from workbench.core.episodes.keys import DepartmentKey
from workbench.core.episodes.model import BrokenEpisode


@dataclass(frozen=True)
class AppendOnlyTable:
    """An append-only table with its own hash chain (rows 1..N, each hashing the one before)."""

    name: str                                                       # its key in checkpoint lines
    head: Callable[[sqlite3.Connection], tuple[int, str, str | None]]          # (rows, last hash, its mac)
    row: Callable[[sqlite3.Connection, int], Start | None]          # row N as a place to start from
    check: Callable[..., ChainResult]       # (conn, *, start: Start, key, stream) -> ChainResult


def _version_head(conn: sqlite3.Connection) -> tuple[int, str, str | None]:
    row = conn.execute("SELECT id, hash, mac FROM version ORDER BY id DESC LIMIT 1").fetchone()
    return (row[0], row[1], row[2]) if row else (0, GENESIS, None)


VERSIONS = AppendOnlyTable(checkpoints.VERSIONS, _version_head, version_start, check_versions)


# The audit store (workbench.core.audit, log schema 8): records in a hash chain of their own.
def _has_audit(conn: sqlite3.Connection) -> bool:
    return dialect.has_table(conn, "audit_record")


def _audit_head(conn: sqlite3.Connection) -> tuple[int, str, str | None]:
    row = conn.execute("SELECT id, hash FROM audit_record ORDER BY id DESC LIMIT 1").fetchone() \
        if _has_audit(conn) else None
    return (row[0], row[1], None) if row else (0, GENESIS, None)


def _audit_row(conn: sqlite3.Connection, row_id: int) -> Start | None:
    row = conn.execute("SELECT hash, at FROM audit_record WHERE id = ?", (row_id,)).fetchone() \
        if _has_audit(conn) else None
    return Start(row_id, row[0], None, row[1] if isinstance(row[1], str) else "") if row else None


def _audit_check(conn: sqlite3.Connection, *, start: Start, key: DepartmentKey | None,
                 stream: LineStream) -> ChainResult:
    """The audit store's own check of its whole chain (it is small), and the checkpoint lines."""
    result = ChainResult()
    if not _has_audit(conn):
        return result
    from workbench.core.audit.store import verify_records

    result.problems = [BrokenEpisode(None, p) for p in verify_records(conn)]
    last = conn.execute("SELECT coalesce(max(id), 0) FROM audit_record").fetchone()[0]
    result.problems += match_lines(conn, stream, 0, last, table="audit_record")
    result.rows = last
    head = _audit_head(conn)
    result.head = (head[0], head[1])
    return result


#: Further append-only tables: the audit store's, and any a later module registers.
OTHER_TABLES: list[AppendOnlyTable] = [AppendOnlyTable("audit", _audit_head, _audit_row, _audit_check)]
checkpoints.ROW_NAMES["audit"] = "audit record"


def register_table(table: AppendOnlyTable, row_name: str | None = None) -> None:
    """Make another append-only table part of every checkpoint line and every verify."""
    OTHER_TABLES[:] = [t for t in OTHER_TABLES if t.name != table.name] + [table]
    if row_name:
        checkpoints.ROW_NAMES[table.name] = row_name


def other_heads(conn: sqlite3.Connection) -> dict[str, list]:
    """The heads of the other append-only tables that have rows, for a checkpoint line."""
    heads = {}
    for table in OTHER_TABLES:
        rows, digest, mac = table.head(conn)
        if rows:
            heads[table.name] = [rows, digest, *([mac] if mac else [])]
    return heads


def match_lines(conn: sqlite3.Connection, stream: LineStream, after: int, until: int, *,
                 table: str = "version") -> list[BrokenEpisode]:
    """Each checkpoint line against the hash and key hash of the row it names (when the chain
    pass ran elsewhere): one walk of the table's ids, merged with the lines in order."""
    problems: list[str] = []
    want = stream.next_rows()
    mac_column = "mac" if table == "version" else "NULL"
    if want is not None:
        for vid, digest, mac in conn.execute(f"SELECT id, hash, {mac_column} FROM {table} WHERE id > ? AND id <= ? "
                                             "ORDER BY id", (after, until)):
            while want is not None and want <= vid:
                if want == vid:
                    problems += stream.match(vid, digest, mac)
                want = stream.next_rows()
            if want is None:
                break
    return [BrokenEpisode(None, p) for p in problems]
