"""Opening a log file without ever dropping a lock, and checking it before the first write.

On POSIX, closing *any* descriptor of a file drops every lock this process holds on it,
SQLite's included; another process then thinks it is the last user, checkpoints and
deletes the WAL under us, and later saves vanish. So :func:`open_log_connection` keeps a
process-wide count of connections per file (device, inode) and lets
:func:`storage.prepare_file` read the header with ``open()`` only while that count is zero,
with the check and the connect under one lock.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from workbench.core.episodes.model import LogError
from workbench.core.episodes.storage import (
    check_mode_and_access,
    connect,
    hard_link_message,
    prepare_file,
    retrying,
)
from workbench.core.sharing import PRIVATE, Sharing


@dataclass
class _OpenFile:
    connections: int = 0
    quick_checked: bool = False


#: (st_dev, st_ino) -> how many connections of this process have that file open.
_open_files: dict[tuple[int, int], _OpenFile] = {}
_open_files_lock = threading.Lock()


def _file_key(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_dev, info.st_ino


def open_log_connection(path: Path, *, synchronous: str = "FULL", sharing: Sharing = PRIVATE,
                        ) -> tuple[sqlite3.Connection, tuple[int, int], list[str]]:
    """Check the file, connect and register the connection; returns (conn, file key, warnings).

    The header is read with ``open()`` only when no connection of this process has
    the file open; the whole sequence runs under one lock, so no other thread can
    connect between that read and our own connection. Pair with :func:`release`.
    """
    with _open_files_lock:
        key = _file_key(path)
        if key is not None and key in _open_files:
            warnings = check_mode_and_access(path, sharing)
        else:
            warnings = prepare_file(path, sharing)
            key = _file_key(path)
            if key is None:
                raise LogError(f"{path}: the episode log disappeared while it was being opened")
        conn = connect(path, synchronous=synchronous)
        _open_files.setdefault(key, _OpenFile()).connections += 1
    return conn, key, warnings


def release(conn: sqlite3.Connection, key: tuple[int, int]) -> None:
    """Close a connection from :func:`open_log_connection` (SQLite keeps its locks right)."""
    with _open_files_lock:
        conn.close()
        entry = _open_files.get(key)
        if entry is not None:
            entry.connections -= 1
            if entry.connections <= 0:
                del _open_files[key]


def refuse_another_file(path: Path, key: tuple[int, int]) -> None:
    """Before a write: ``path`` must still name the file this connection opened, by one name.

    A file moved over the log's name (or the log deleted) while a connection is open
    would take saves into an unlinked file; a hard link made since would split the
    journal. One ``stat``; never opens the file.
    """
    try:
        info = os.stat(path)
    except OSError:
        raise LogError(f"{path}: the log file is gone (deleted or moved while it was open); "
                       "nothing was saved") from None
    if (info.st_dev, info.st_ino) != key:
        raise LogError(f"{path} is no longer the file this log opened (it was replaced or moved "
                       "while open); nothing was saved. Close and open the log again")
    if info.st_nlink > 1:
        raise LogError(hard_link_message(path, info.st_nlink))


def quick_check_once(conn: sqlite3.Connection, key: tuple[int, int], path: Path) -> None:
    """``PRAGMA quick_check`` before this process first writes to the file; refuses a damaged log.

    Run outside the write transaction (a read snapshot), once per process and file,
    so a damaged log never receives new episodes while the start-up stays fast.
    """
    with _open_files_lock:
        entry = _open_files.get(key)
        if entry is None or entry.quick_checked:
            return
    try:
        found = retrying(lambda: _cheap_check(conn), path)
    except LogError:
        raise
    except sqlite3.DatabaseError as exc:
        found = [str(exc)]
    if found != ["ok"]:
        raise LogError(damaged_message(path))
    with _open_files_lock:
        if key in _open_files:
            _open_files[key].quick_checked = True


#: Logs up to this size get a full ``PRAGMA quick_check`` before the first write (at most
#: ~1.5 s on a loaded machine); a larger log only gets its schema and the right-hand edge
#: of its tables read, where new rows go. A 1,000,000-episode log (~900 MB) took 21 s to
#: quick_check on a loaded machine: that is ``log verify``'s job, not a save's.
QUICK_CHECK_MAX_BYTES = 64 * 1024 * 1024


def _cheap_check(conn: sqlite3.Connection) -> list[str]:
    pages, page_size = (conn.execute(f"PRAGMA {name}").fetchone()[0] for name in ("page_count", "page_size"))
    if pages * page_size <= QUICK_CHECK_MAX_BYTES:
        return [r[0] for r in conn.execute("PRAGMA quick_check(5)").fetchall()]
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    for table in ("episode", "version"):
        conn.execute(f"SELECT * FROM {table} ORDER BY id DESC LIMIT 1").fetchall()
    conn.execute("SELECT * FROM version_code ORDER BY version_id DESC LIMIT 5").fetchall()
    return ["ok"]


def damaged_message(path: Path) -> str:
    return (f"{path} is damaged (SQLite's quick check failed); nothing was written. Run "
            "'workbench log verify' to see which episodes are affected, then restore the "
            "latest backup, or rescue what is readable with sqlite3's '.recover' into a new file")
