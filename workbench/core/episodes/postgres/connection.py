"""The connection the log's shared SQL runs on when the log is a PostgreSQL server.

:class:`ServerConnection` offers what the shared code uses of a ``sqlite3.Connection``
(``execute``, ``executemany``, ``in_transaction``), turning its ``?`` placeholders into
psycopg's ``%s``, plus what only a server has: ``stream`` (a server-side cursor, so verify
and export walk a large log in constant memory) and ``server_now`` (the one clock every
coder's save is stamped with). :func:`plain_error` turns psycopg's errors into sentences
that never hold a password or a patient identifier.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import re
from collections.abc import Iterator, Sequence
from typing import Any

from workbench.core.episodes.dialect import POSTGRESQL
from workbench.core.episodes.model import LogError
from workbench.core.paths import redacted_url

#: Every table of the log lives in this schema (``db/postgres``); the search path points at it.
SCHEMA = "workbench"
CONNECT_TIMEOUT_S = 10
#: Rows a server-side cursor fetches per round trip.
STREAM_BATCH = 2000

INSTALL_HINT = ("the PostgreSQL driver is not installed: install the workbench with its "
                "postgres extra (pip install 'workbench[postgres]', or make installs it with dev)")


def driver() -> Any:
    """psycopg, imported only when a server log is used."""
    try:
        import psycopg
    except ImportError:
        raise LogError(INSTALL_HINT) from None
    return psycopg


@functools.lru_cache(maxsize=512)
def translated(sql: str) -> str:
    """The shared SQL in psycopg's terms: ``%`` doubled, ``?`` as ``%s``; a plain BEGIN
    (verify, export, checkpoints: a read snapshot) as a repeatable-read transaction."""
    if sql.strip().upper() == "BEGIN":
        return "BEGIN ISOLATION LEVEL REPEATABLE READ"
    # SQLite's index hints (INDEXED BY name): the server's planner chooses for itself. Its
    # schema of temporary tables, "temp.", is the server's "pg_temp.".
    sql = _TEMP_SCHEMA.sub("pg_temp.", _INDEX_HINT.sub("", sql))
    return sql.replace("%", "%%").replace("?", "%s")


_INDEX_HINT = re.compile(r"\s+INDEXED\s+BY\s+\w+", re.IGNORECASE)
_TEMP_SCHEMA = re.compile(r"\btemp\.(?=[a-z_])")


class ServerConnection:
    dialect = POSTGRESQL

    def __init__(self, raw: Any, url: str):
        self.raw = raw
        self.url = url
        self._names = itertools.count(1)
        #: The server's clock when this write's turn was granted (None outside a write).
        self.turn_clock: Any = None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.raw.execute(translated(sql), list(params))

    def executemany(self, sql: str, rows: Any) -> Any:
        cursor = self.raw.cursor()
        cursor.executemany(translated(sql), rows)     # streamed from the iterable as given
        return cursor

    def stream(self, sql: str, params: Sequence[Any] = ()) -> Iterator[tuple]:
        if not self.in_transaction:      # a server-side cursor lives in a transaction
            yield from self.execute(sql, params)
            return
        cursor = self.raw.cursor(name=f"workbench_stream_{next(self._names)}")
        cursor.itersize = STREAM_BATCH
        try:
            cursor.execute(translated(sql), list(params))
            yield from cursor
        finally:
            if not self.raw.closed and self.in_transaction:
                cursor.close()

    def pipeline(self) -> Any:
        return self.raw.pipeline()

    def server_now(self) -> Any:
        if self.turn_clock is not None:
            return self.turn_clock
        return self.raw.execute("SELECT clock_timestamp()").fetchone()[0]

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        return self.raw.info.transaction_status in (TransactionStatus.INTRANS, TransactionStatus.INERROR)

    @property
    def closed(self) -> bool:
        return bool(self.raw.closed)

    def rollback_quietly(self) -> None:
        """End a failed transaction; a dead connection is simply left to be replaced."""
        if self.raw.closed:
            return
        try:
            if self.in_transaction:
                self.raw.execute("ROLLBACK")
        except Exception:   # noqa: BLE001 - the connection is broken: it will be reopened
            self.close()

    def close(self) -> None:
        with contextlib.suppress(Exception):   # closing a broken connection may itself fail
            self.raw.close()


def connect(url: str, *, application: str = "workbench", search_path: bool = True) -> ServerConnection:
    """An autocommit connection (the log issues its own BEGIN) with the log's schema first on
    the search path; LogError naming the server (never its password) when it cannot be had."""
    psycopg = driver()
    options = f"-c search_path={SCHEMA}" if search_path else ""
    try:
        raw = psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S,
                              application_name=application, options=options,
                              # a dead link is noticed in about a minute, not hours
                              keepalives=1, keepalives_idle=30, keepalives_interval=10,
                              keepalives_count=3)
    except psycopg.Error as exc:
        raise plain_error(exc, url, connecting=True) from None
    return ServerConnection(raw, url)


#: SQLSTATE the append-only trigger raises (db/postgres/001_log.sql).
APPEND_ONLY = "WB001"


def plain_error(exc: BaseException, url: str, *, connecting: bool = False,
                committing: bool = False) -> LogError:
    """A sentence for a server failure. Lost connections say that nothing was saved (or, when
    it happened at the commit, that the save may have landed and saving again is safe)."""
    import psycopg

    where = redacted_url(url)
    state = getattr(exc, "sqlstate", None) or ""
    if connecting:
        reason = _first_line(exc)
        if "password" in reason.lower() or state == "28P01":
            reason = "the server refused the password"
        return LogError(f"cannot connect to the episode log server {where}: {reason}")
    if state in ("55P03", "57014"):      # lock or statement timeout: the server is there, and busy
        return LogError(f"the episode log server {where} is busy: other coders were saving for "
                        "too long; nothing was changed, try again")
    if isinstance(exc, psycopg.OperationalError) and (state.startswith(("08", "57")) or not state):
        if committing:
            return LogError(f"the connection to the episode log server {where} was lost while the "
                            "save was being committed: it may or may not have been saved. Your draft "
                            "is kept; saving again is safe (the same save is never stored twice)")
        return LogError(f"the connection to the episode log server {where} was lost; nothing was "
                        "saved and your draft is kept. Try again when the server is back")
    if state == APPEND_ONLY:
        return LogError(f"the episode log on {where} is append-only: {_first_line(exc)}")
    if state == "42501":
        return LogError(f"the episode log server {where} refused: your database role lacks a "
                        "privilege (ask the administrator to grant it workbench_coder: "
                        "workbench db init --postgres URL --grant ROLE)")
    if state in ("3F000", "42P01"):
        return LogError(f"{where} has no workbench episode log yet: an administrator runs "
                        "'workbench db init --postgres URL' first")
    if state == "53100":
        return LogError(f"the episode log server {where}: its disk is full; nothing was saved")
    return LogError(f"the episode log server {where} failed ({type(exc).__name__}"
                    + (f", SQLSTATE {state}" if state else "") + "); nothing was changed")


def _first_line(exc: BaseException) -> str:
    """The server's own first line, which names no values (ours never contain identifiers)."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
