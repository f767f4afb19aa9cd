"""The episode log on a PostgreSQL server: :class:`PostgresLog`.

Everything a log does (save, amend, void, drafts, lists, history, verify, export,
checkpoints, the worklist) is :class:`~workbench.core.episodes.EpisodeLog`'s own code and
SQL; this subclass changes how the store is reached:

- **One writer at a time, one chain.** Every write is one transaction that first takes a
  transaction-scoped advisory lock (``pg_advisory_xact_lock``), so coders on any number of
  machines append to the hash chain in a single serial order: the head is read under the
  lock, the next version id is head + 1 (never a sequence, so no gaps), and the primary key
  refuses a second row with that id (no forks). The lock goes with the commit or rollback,
  also when a client dies. Waiting is told after 1 s (``on_wait``) and gives up after
  ``storage.WRITE_PATIENCE_S`` changing nothing.
- **One clock.** ``saved_at`` is the server's clock, read under the lock.
- **A lost connection** rolls the transaction back on the server: nothing is half-saved,
  the draft (deleted in the same transaction) is kept, and the coder is told; the next call
  connects again. A connection lost during COMMIT is reported as "may have been saved":
  the app's save id makes saving again safe.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from workbench.core.episodes import checkpoints, storage
from workbench.core.episodes.log import EpisodeLog
from workbench.core.episodes.model import LogError
from workbench.core.episodes.postgres import schema
from workbench.core.episodes.postgres.connection import (
    ServerConnection,
    connect,
    driver,
    plain_error,
)
from workbench.core.episodes.trust import LogTrust
from workbench.core.paths import redacted_url

#: The advisory lock every writer takes first ("NCEW", the SQLite log's application id).
WRITE_LOCK = 0x4E434557


class PostgresLog(EpisodeLog):
    def __init__(self, url: str, *, synchronous: str | None = None,
                 checkpoint_file: str | Path | None = None, create: bool = True,
                 key_file: str | Path | None = None):
        """Connect to the log at ``url`` (made by ``workbench db init --postgres URL``).

        Raises LogError when the driver is missing, the server cannot be reached, or it holds
        no log or another version of it. ``synchronous`` is the SQLite log's and is ignored:
        the server's commit is durable (synchronous_commit, as its administrator set it).
        """
        self.url = url.strip()
        self._psycopg = driver()
        #: A server log has no file; what is shown instead is :attr:`location`.
        self.path = None  # type: ignore[assignment]
        name = self._database_name()
        self.checkpoint_file = checkpoints.checkpoint_path(
            Path(f"postgresql-{name}"), checkpoint_file, identity=redacted_url(self.url))
        # Checkpoint lines are appended after the commit, when the server's lock is already
        # given up: from several machines they need not come in order (``ordered=False``).
        self.trust = LogTrust(self.location, self.checkpoint_file, key_file, ordered=False)
        self.on_wait: Callable[[float], None] | None = None
        self._closed = False
        self._conn: ServerConnection = connect(self.url)     # type: ignore[assignment]
        try:
            schema.check_ready(self._conn, self.location)
            self.warnings: list[str] = self._link_warnings()
            self.trust.attach(self._conn)
        except self._psycopg.Error as exc:
            self._conn.close()
            raise plain_error(exc, self.url) from None
        except BaseException:
            self._conn.close()
            raise

    def _database_name(self) -> str:
        from psycopg.conninfo import conninfo_to_dict

        try:
            return str(conninfo_to_dict(self.url).get("dbname") or "log")
        except self._psycopg.Error:
            raise LogError(f"{redacted_url(self.url)} is not a PostgreSQL connection URL "
                           "(postgresql://[user@]host[:port]/database)") from None

    def _link_warnings(self) -> list[str]:
        """A coder's link to the server that crosses a network in clear text is worth a word."""
        info = self._conn.raw.info
        host = info.host or ""
        local = host.startswith("/") or host in ("localhost", "127.0.0.1", "::1")
        if local or self._conn.raw.pgconn.ssl_in_use:
            return []
        return [f"the connection to the episode log server {self.location} is not encrypted; "
                "patient identifiers cross the network in clear text (add sslmode=require)"]

    # ------------------------------------------------------------ life cycle

    @property
    def location(self) -> str:
        return redacted_url(self.url)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._conn.close()

    def __del__(self) -> None:
        conn = getattr(self, "_conn", None)
        if conn is not None:
            conn.close()

    @property
    def connection(self) -> ServerConnection:  # type: ignore[override]
        return self._live()

    def _live(self) -> ServerConnection:
        """The connection, opened again when the last one was lost."""
        if self._closed:
            raise LogError("the episode log was closed")
        if self._conn.closed or self._conn.raw.broken:
            self._conn.close()
            self._conn = connect(self.url)
        return self._conn

    # ------------------------------------------------------------ transactions

    def _write(self, work: Any, *, chained: bool = False, durable_checkpoint: bool = False) -> Any:
        """One transaction under the server's write lock; ``chained``: checked against and
        recorded in the checkpoint file, as :meth:`EpisodeLog._write` does."""
        if not chained:
            return self._server_write(work)
        heads: list[checkpoints.Checkpoint] = []

        def checked(conn: Any) -> Any:
            self.trust.before(conn)
            result = work(conn)
            heads[:] = [self.trust.head(conn)]
            return result

        result = self._server_write(checked)
        self.trust.after(heads[0], durable=durable_checkpoint)
        return result

    def checkpoint(self) -> checkpoints.Checkpoint:
        key = self.trust.key
        head = self._read(self.trust.checked_head)
        checkpoints.append_checkpoint(self.checkpoint_file, head, key)
        return head

    def _server_write(self, work: Any) -> Any:
        conn = self._live()
        raw = conn.raw
        committing = False
        conn.turn_clock = None
        try:
            # Read committed: each statement sees the newest head. The patience is the lock
            # timeout; nothing is held while waiting for the turn.
            patience_ms = int(storage.WRITE_PATIENCE_S * 1000)
            raw.execute(f"BEGIN; SET LOCAL lock_timeout = {patience_ms}")
            self._take_turn(raw)
            result = work(conn)
            committing = True
            raw.execute("COMMIT")
            return result
        except self._psycopg.Error as exc:
            conn.rollback_quietly()
            raise plain_error(exc, self.url, committing=committing) from None
        except BaseException:
            conn.rollback_quietly()
            raise
        finally:
            conn.turn_clock = None

    def _take_turn(self, raw: Any) -> None:
        """The write lock: at once when free (one round trip), else queued in the server,
        telling ``on_wait`` once after WAIT_NOTICE_S; busy (LogError) after the patience."""
        # The server's clock is read as the lock is granted (the outer select runs after the
        # inner one has its row: OFFSET 0 keeps them apart), so saved_at needs no round trip of
        # its own while the turn is held, and still never runs backwards along the chain.
        got, clock = raw.execute("SELECT got, clock_timestamp() FROM (SELECT pg_try_advisory_xact_lock(%s) "
                                 "AS got OFFSET 0) AS turn", [WRITE_LOCK]).fetchone()
        if got:
            self._conn.turn_clock = clock
            return
        notice = None
        if self.on_wait is not None:
            notice = threading.Timer(storage.WAIT_NOTICE_S, self.on_wait, [storage.WAIT_NOTICE_S])
            notice.daemon = True
            notice.start()
        try:
            self._conn.turn_clock = raw.execute(
                "SELECT clock_timestamp() FROM (SELECT pg_advisory_xact_lock(%s) OFFSET 0) AS turn",
                [WRITE_LOCK]).fetchone()[0]
        finally:
            if notice is not None:
                notice.cancel()

    def _read(self, work: Any) -> Any:
        conn = self._live()
        try:
            return work(conn)
        except self._psycopg.Error as exc:
            conn.rollback_quietly()
            raise plain_error(exc, self.url) from None

    @contextlib.contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except self._psycopg.Error as exc:
            self._conn.rollback_quietly()
            raise plain_error(exc, self.url) from None

    def _protected_files(self) -> list[Path]:
        from workbench.core.episodes.export_file import protected_files

        # No log file to protect; the checkpoint file and the reference database still are.
        return protected_files(self.checkpoint_file)

    def listing(self, *, on_damaged: Callable[[int], None] | None = None, **filters: Any) -> Iterator[Any]:
        self._live()
        yield from super().listing(on_damaged=on_damaged, **filters)
