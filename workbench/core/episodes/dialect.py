"""What differs between the log's two stores, in one place: a SQLite file (the default) and a
PostgreSQL server (a department's log, :mod:`workbench.core.episodes.postgres`).

The log's SQL is written once, in what both understand: ``?`` placeholders (the PostgreSQL
connection turns them into ``%s``), ``INSERT ... ON CONFLICT DO NOTHING``, ``RETURNING``,
ids chosen by the writer (max + 1 under the write lock, so they never have gaps). The few
things that cannot be shared are asked of this module by name.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

SQLITE, POSTGRESQL = "sqlite", "postgresql"


def dialect_of(conn: Any) -> str:
    """``"postgresql"`` for the server's connection (it says so), ``"sqlite"`` otherwise."""
    return getattr(conn, "dialect", SQLITE)


def now_text(conn: Any) -> str:
    """The time a version is saved, UTC ISO 8601 with microseconds, read under the write lock.

    On a server every coder's machine has its own clock: the server's one clock is used, so
    ``saved_at`` never runs backwards along the chain because one client's clock is behind.
    """
    if dialect_of(conn) == POSTGRESQL:
        return conn.server_now().astimezone(dt.UTC).isoformat(timespec="microseconds")
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def stream(conn: Any, sql: str, params: Iterable[Any] = ()) -> Iterator[tuple]:
    """Rows of a query that may walk the whole log, without holding them all in memory:
    SQLite's cursor already steps through them; the server's needs a server-side cursor
    (call inside a transaction: verify and export read in one snapshot)."""
    if dialect_of(conn) == POSTGRESQL:
        return conn.stream(sql, list(params))
    return conn.execute(sql, list(params))


def joined(expression: str, separator: str, order: str, dialect: str) -> str:
    """An aggregate joining ``expression`` with ``separator`` in ``order``. SQLite's
    group_concat follows the index walk (the rows come in order); PostgreSQL is told."""
    if dialect == POSTGRESQL:
        return f"string_agg({expression}, '{separator}' ORDER BY {order})"
    return f"group_concat({expression}, '{separator}')"


def batched(conn: Any) -> contextlib.AbstractContextManager:
    """Statements whose results nobody reads, sent to a server together (a pipeline: one
    round trip while the write lock is held, instead of one each); a no-op for SQLite."""
    if dialect_of(conn) == POSTGRESQL:
        return conn.pipeline()
    return contextlib.nullcontext()


def has_table(conn: Any, name: str) -> bool:
    """Whether the log's database has table ``name`` (a log older than the table's migration
    may not: the server's log always has them, its schema is checked when it is opened)."""
    if dialect_of(conn) == POSTGRESQL:
        return conn.execute("SELECT to_regclass(?) IS NOT NULL", [f"workbench.{name}"]).fetchone()[0]
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                        [name]).fetchone() is not None
