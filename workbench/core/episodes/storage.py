"""Opening the log file safely, and running writes that survive other writers.

The order of checks matters: everything that could lead to a refusal (not SQLite,
too new, not writable) is decided from the file's header bytes and permissions
before SQLite opens it, so a refused file is never written to.

Locks: on POSIX, closing *any* descriptor of a file drops every lock this process
holds on it, SQLite's included; another process then thinks it is the last user,
checkpoints and deletes the WAL under us, and later saves vanish. So the header is
read with a plain ``open()`` only while no connection of this process has the file
open (:func:`workbench.core.episodes.opening.open_log_connection` keeps that count).
Everything else about the file is learnt from ``stat()`` or through SQLite.
"""

from __future__ import annotations

import errno
import os
import random
import re
import sqlite3
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from workbench.core.episodes.model import LogError
from workbench.core.sharing import PRIVATE, Sharing, fix_new_file, make_dir

T = TypeVar("T")

SQLITE_HEADER = b"SQLite format 3\x00"
#: Written to the header's application_id field so another SQLite file is not mistaken for a log.
APPLICATION_ID = 0x4E434557  # "NCEW"
BUSY_TIMEOUT_MS = 2000
WRITE_ATTEMPTS = 8

_BUSY, _LOCKED, _READONLY, _FULL, _NOTADB, _CORRUPT, _CANTOPEN, _IOERR, _PERM = 5, 6, 8, 13, 26, 11, 14, 10, 3


def schema_dir() -> Path:
    from workbench.core.paths import SCHEMA_DIR

    return SCHEMA_DIR / "log"


def migrations() -> list[tuple[int, Path]]:
    """(version, file) for db/log/NNN_*.sql, in order."""
    found = []
    for path in schema_dir().glob("[0-9][0-9][0-9]_*.sql"):
        found.append((int(path.name[:3]), path))
    return sorted(found)


def latest_schema_version() -> int:
    known = migrations()
    return known[-1][0] if known else 0


def check_mode_and_access(path: Path, sharing: Sharing = PRIVATE) -> list[str]:
    """Warnings about who else can read the log, its companions and its folder (stat only).

    Private (the default): anything beyond the owner is reported. Shared with a group
    (:mod:`workbench.core.sharing`): the group's bits are expected, anything for others is not.
    """
    warnings: list[str] = []
    try:
        info = path.stat()
        folder = path.parent.stat()
    except OSError as exc:
        raise _os_refusal(path, exc) from None
    if info.st_nlink > 1:
        raise LogError(hard_link_message(path, info.st_nlink))
    if sharing.exposed(info.st_mode):
        department = "" if sharing.shared else " (or, for a department's log, set [log] group in the config)"
        warnings.append(f"{path} can be read by {sharing.who()} (mode {stat.S_IMODE(info.st_mode):o}); "
                        f"it holds patient identifiers: run chmod {sharing.file_mode:o} on it{department}")
    folder_open = folder.st_mode & (stat.S_IWOTH | (0 if sharing.shared else stat.S_IWGRP))
    if folder_open:
        warnings.append(f"{path.parent} (the log's folder) can be written by {sharing.who()} (mode "
                        f"{stat.S_IMODE(folder.st_mode):o}); they could replace or delete the "
                        f"log's files: run chmod {sharing.dir_mode & 0o777:o} on it")
    for suffix in ("-wal", "-shm", "-journal"):
        companion = path.with_name(path.name + suffix)
        try:
            mode = companion.lstat().st_mode
        except OSError:
            continue
        # Only what the log itself does not allow: SQLite needs the same access to the
        # companions as to the log, so a department's log is never locked out by one coder
        # whose config lacks the group (the log's own mode is warned about above).
        extra = sharing.exposed(mode) & ~stat.S_IMODE(info.st_mode)
        if stat.S_ISREG(mode) and extra:
            # chmod never opens the file, so no lock is disturbed.
            try:
                os.chmod(companion, stat.S_IMODE(mode) & ~extra)
            except OSError:
                warnings.append(f"{companion} can be read by {sharing.who()}; run chmod "
                                f"{sharing.file_mode:o} on it")
    # WAL needs the file and its folder writable (for the -wal and -shm files).
    if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
        raise LogError(f"{path} is on a read-only path: the log needs to be writable (file and folder)")
    return warnings


def prepare_file(path: Path, sharing: Sharing = PRIVATE) -> list[str]:
    """Check (or create, mode 0600, or 0660 for a group) the log file before SQLite touches
    it; returns warnings.

    Reads the header with ``open()``: only call it while this process has no
    connection to the file (see :func:`opening.open_log_connection`).
    """
    warnings: list[str] = []
    if path.is_dir():
        raise LogError(f"{path} is a folder, not an episode log")
    if not path.exists():
        try:
            make_dir(path.parent, sharing)
            # O_EXCL: if another process creates it first we simply use theirs.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                fix_new_file(fd, sharing)
            finally:
                os.close(fd)
        except FileExistsError:
            pass
        except OSError as exc:
            raise _os_refusal(path, exc) from None
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise LogError(f"{path} is not a regular file; the episode log must be one")
        # Safe: no connection of this process has the file open (see the module notes).
        with open(path, "rb") as handle:
            header = handle.read(100)
    except OSError as exc:
        raise _os_refusal(path, exc) from None
    if header:
        if len(header) < 100 or not header.startswith(SQLITE_HEADER):
            raise LogError(f"{path} is not an episode log (it is not an SQLite database); "
                           "it was left untouched")
        user_version = int.from_bytes(header[60:64], "big")
        app_id = int.from_bytes(header[68:72], "big")
        if user_version > latest_schema_version():
            raise LogError(too_new_message(path, user_version))
        # Ours carry our application id. A file of one page has no tables yet: a log
        # whose first migration is still in the WAL, or an empty database to start from.
        page_size = int.from_bytes(header[16:18], "big")
        page_size = 65536 if page_size == 1 else page_size
        if app_id != APPLICATION_ID and (user_version or info.st_size > page_size):
            raise LogError(f"{path} is an SQLite database but not an episode log; it was left untouched")
    return warnings + check_mode_and_access(path, sharing)


def hard_link_message(path: Path, names: int) -> str:
    # SQLite names the WAL after the path it was given: two names, two journals, lost saves.
    return (f"{path} is one file with {names} names (hard links); SQLite keeps a log's journal "
            "beside the name it is opened by, so saves made through one name are lost to the "
            "other. Nothing was read or saved. Keep one name: find the others with "
            f"'find / -xdev -samefile {path}' and remove them")


def too_new_message(path: Path, version: int) -> str:
    return (f"{path} was written by a newer workbench (log schema {version}, this one knows up to "
            f"{latest_schema_version()}); upgrade the workbench. The log was left untouched")


def connect(path: Path, *, synchronous: str = "FULL") -> sqlite3.Connection:
    """A connection in WAL mode, autocommit (we issue BEGIN IMMEDIATE ourselves)."""
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    except sqlite3.Error as exc:
        raise translate(exc, path) from None
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        retrying(lambda: _enable_wal(conn), path)
        conn.execute(f"PRAGMA synchronous = {synchronous}")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.Error as exc:
        conn.close()
        raise translate(exc, path) from None
    except LogError:
        conn.close()
        raise
    return conn


def _enable_wal(conn: sqlite3.Connection) -> None:
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise LogError("the episode log could not be switched to WAL mode (is it on a network drive?)")


def migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Bring the schema up to date; concurrent openers serialise on BEGIN IMMEDIATE."""
    target = latest_schema_version()
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    if current > target:
        raise LogError(too_new_message(path, current))
    if current == target and not _skipped(conn, current, path):
        return

    def apply(c: sqlite3.Connection) -> None:
        from workbench.core.episodes.writer import identity

        # Migrations fill derived tables with values only Python computes (the same on any backend).
        c.create_function("workbench_identity", 2, identity, deterministic=True)
        have = c.execute("PRAGMA user_version").fetchone()[0]  # re-read under the lock
        if have == 0 and c.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            raise LogError(f"{path} is an SQLite database but not an episode log; it was left untouched")
        late = {version for version, _ in _skipped(c, have, path, recheck=True)}
        for version, script in migrations():
            if version > have or version in late:
                for statement in split_statements(script.read_text(encoding="utf-8")):
                    c.execute(statement)
                c.execute(f"PRAGMA user_version = {max(version, have)}")
        c.execute(f"PRAGMA application_id = {APPLICATION_ID}")

    write(conn, path, apply)


#: Files (device, inode) already checked for migrations that landed out of order.
_checked_for_skips: set[tuple[int, int]] = set()
_CREATES = re.compile(r"CREATE TABLE (\w+)", re.IGNORECASE)


def _skipped(conn: sqlite3.Connection, have: int, path: Path, *, recheck: bool = False) -> list[tuple[int, Path]]:
    """Migrations numbered at or below the log's version whose tables are missing: one that
    landed after a later-numbered one had already been applied (numbers are handed out to
    work done in parallel). Checked once per file and process; cheap (sqlite_master)."""
    try:
        info = os.stat(path)
        key = (info.st_dev, info.st_ino)
    except OSError:
        key = None
    if not recheck and key in _checked_for_skips:
        return []
    tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    found = [(version, script) for version, script in migrations() if version <= have and
             (made := _CREATES.findall(script.read_text(encoding="utf-8"))) and not set(made) <= tables]
    if not found and key is not None:
        _checked_for_skips.add(key)
    return found


def split_statements(script: str) -> list[str]:
    """A .sql file as single statements, so a migration runs inside our own transaction."""
    statements, pending = [], ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            if pending.strip():
                statements.append(pending.strip())
            pending = ""
    if pending.strip() and not all(ln.strip().startswith("--") or not ln.strip()
                                   for ln in pending.splitlines()):
        raise LogError("a log migration file ends with an incomplete statement")
    return statements


#: How long a save keeps trying while other writers hold the log, before it gives up.
WRITE_PATIENCE_S = 120.0
#: After this long waiting, ``on_wait`` is told once (the coder sees "another coder is saving").
WAIT_NOTICE_S = 1.0
Waiting = Callable[[float], None]


def write(conn: sqlite3.Connection, path: Path, work: Callable[[sqlite3.Connection], T],
          on_wait: Waiting | None = None) -> T:
    """Run ``work`` in one BEGIN IMMEDIATE transaction, retrying while the log is busy.

    Workbench writers queue on the writer lock first (:mod:`turns`), so here the wait
    is only for other programs (sqlite3, bulk loads): SQLite's busy handler sleeps, and
    the attempt is repeated until WRITE_PATIENCE_S has passed. ``on_wait`` hears once
    when the wait passes WAIT_NOTICE_S.
    """
    started = time.monotonic()
    told = False
    delay = 0.01
    while True:
        try:
            return _attempt(conn, work)
        except sqlite3.OperationalError as exc:
            waited = time.monotonic() - started
            if not is_busy(exc) or waited > WRITE_PATIENCE_S:
                raise translate(exc, path) from None
            if on_wait is not None and not told and waited > WAIT_NOTICE_S:
                told = True
                on_wait(waited)
        time.sleep(delay * (0.5 + random.random()))
        delay = min(delay * 2, 0.5)


def _attempt(conn: sqlite3.Connection, work: Callable[[sqlite3.Connection], T]) -> T:
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = work(conn)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return result


def retrying(action: Callable[[], T], path: Path) -> T:
    """Bounded retry with jittered exponential backoff on SQLITE_BUSY / SQLITE_LOCKED."""
    delay = 0.01
    for attempt in range(WRITE_ATTEMPTS):
        try:
            return action()
        except sqlite3.OperationalError as exc:
            if not is_busy(exc) or attempt == WRITE_ATTEMPTS - 1:
                raise translate(exc, path) from None
        time.sleep(delay * (0.5 + random.random()))
        delay = min(delay * 2, 0.5)
    raise AssertionError("unreachable")


def is_busy(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (_BUSY, _LOCKED)
    return "locked" in str(exc) or "busy" in str(exc)


def translate(exc: sqlite3.Error, path: Path) -> LogError:
    """A plain sentence for an SQLite failure; the raw message could be confusing."""
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    if code in (_BUSY, _LOCKED):
        return LogError(f"{path} is busy: other programs were writing to it for too long; "
                        "nothing was changed, try again")
    if code == _FULL:
        return LogError(f"{path}: the disk is full; nothing was saved. Free some space and try again")
    if code in (_READONLY, _PERM, _CANTOPEN):
        return LogError(f"{path} is on a read-only path or cannot be opened for writing; nothing was saved")
    if code in (_NOTADB, _CORRUPT):
        return LogError(f"{path} is damaged or not an episode log; run 'workbench log verify'")
    if code == _IOERR:
        return LogError(f"{path}: the disk reported an input/output error; nothing was saved")
    return LogError(f"{path}: the episode log failed ({getattr(exc, 'sqlite_errorname', 'error')})")


def _os_refusal(path: Path, exc: OSError) -> LogError:
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return LogError(f"{path} is on a read-only path: the log cannot be created or opened there")
    if exc.errno == errno.ENOSPC:
        return LogError(f"{path}: the disk is full; the log cannot be created")
    return LogError(f"{path}: cannot open the episode log ({exc.strerror})")
