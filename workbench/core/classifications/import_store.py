"""The imported releases, kept in their own SQLite file beside the reference database.

The reference database is generated and may be deleted, rebuilt or found damaged at any
time; a department's imported release must survive all of that. So every successful
import is written here first (``reference.imports.db`` next to ``reference.db``), and
every build of the reference database re-applies what this file holds.

Only the latest import of each classification is active; the history of imports stays.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS imports (
    id             INTEGER PRIMARY KEY,
    classification TEXT NOT NULL,
    file           TEXT NOT NULL,
    imported_at    TEXT NOT NULL,
    codes          INTEGER NOT NULL,
    categories     INTEGER NOT NULL,
    edition        TEXT NOT NULL,
    active         INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS imported_codes (
    classification TEXT NOT NULL,
    code           TEXT NOT NULL,
    title          TEXT NOT NULL,
    PRIMARY KEY (classification, code)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS imported_metadata (
    classification TEXT NOT NULL,
    code           TEXT NOT NULL,
    usage          TEXT,
    usage_uk       TEXT,
    sex            TEXT,
    min_age        INTEGER,
    max_age        INTEGER,
    raw            TEXT NOT NULL,
    PRIMARY KEY (classification, code)
) WITHOUT ROWID;
"""


@dataclass(frozen=True)
class Metadata:
    """One code's metadata from a release file."""

    code: str
    usage: str | None = None          # ICD-10 USAGE: DEFAULT, DAGGER, ASTERISK ...
    usage_uk: str | None = None
    sex: str | None = None            # "male" | "female" | None
    min_age: int | None = None        # years, inclusive
    max_age: int | None = None
    raw: dict[str, str] | None = None

    def row(self, classification: str) -> tuple:
        return (classification, self.code, self.usage, self.usage_uk, self.sex, self.min_age, self.max_age,
                json.dumps(self.raw or {}, sort_keys=True))


@dataclass(frozen=True)
class ActiveImport:
    classification: str
    file: str
    imported_at: str
    codes: int
    categories: int
    edition: str
    pairs: list[tuple[str, str]]
    metadata: list[tuple]


def store_path(reference_path: Path) -> Path:
    """``reference.db`` -> ``reference.imports.db`` in the same folder."""
    return reference_path.with_name(reference_path.stem + ".imports.db")


class ImportStoreDamaged(Exception):
    """The store exists but is not one (empty, cut short, overwritten): its imports are unknown."""


def connect(path: Path) -> sqlite3.Connection:
    """The store for writing (an import); created 0600 whatever the umask, like every file we write."""
    import contextlib
    import os

    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600))
    conn = sqlite3.connect(path, timeout=10, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 10000")
    conn.execute("PRAGMA synchronous = FULL")   # an import is rare and must not be lost
    conn.executescript(_SCHEMA)
    return conn


def save(conn: sqlite3.Connection, classification: str, file: str, imported_at: str, codes: int,
         categories: int, edition: str, pairs: list[tuple[str, str]], metadata: list[Metadata]) -> None:
    """Make this import the active one of its classification (inside the caller's transaction)."""
    conn.execute("UPDATE imports SET active = 0 WHERE classification = ?", (classification,))
    conn.execute("INSERT INTO imports (classification, file, imported_at, codes, categories, edition)"
                 " VALUES (?, ?, ?, ?, ?, ?)", (classification, file, imported_at, codes, categories, edition))
    conn.execute("DELETE FROM imported_codes WHERE classification = ?", (classification,))
    conn.executemany("INSERT INTO imported_codes VALUES (?, ?, ?)", [(classification, c, t) for c, t in pairs])
    conn.execute("DELETE FROM imported_metadata WHERE classification = ?", (classification,))
    conn.executemany("INSERT INTO imported_metadata VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     [m.row(classification) for m in metadata])


def _reader(path: Path) -> sqlite3.Connection | None:
    """The store read-only (a rebuild never writes to it); None when there is none;
    :class:`ImportStoreDamaged` when the file is there but is not a store."""
    from urllib.request import pathname2url

    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return None
    if not size:
        raise ImportStoreDamaged(f"{path} is empty (cut short or overwritten)")
    try:
        conn = sqlite3.connect(f"file:{pathname2url(str(path))}?mode=ro", uri=True, timeout=10)
        conn.execute("PRAGMA busy_timeout = 10000")
        if conn.execute("SELECT count(*) FROM sqlite_master WHERE name IN ('imports', 'imported_codes', "
                        "'imported_metadata')").fetchone()[0] != 3:
            conn.close()
            raise ImportStoreDamaged(f"{path} is not an import store (its tables are missing)")
    except sqlite3.DatabaseError as exc:
        raise ImportStoreDamaged(f"{path} is damaged or not an import store ({exc})") from None
    return conn


def active_imports(path: Path) -> list[ActiveImport]:
    """The imports to re-apply, oldest classification first; [] when there is no store."""
    conn = _reader(path)
    if conn is None:
        return []
    try:
        out = []
        for classification, file, when, codes, categories, edition in conn.execute(
                "SELECT classification, file, imported_at, codes, categories, edition FROM imports"
                " WHERE active ORDER BY id").fetchall():
            pairs = conn.execute("SELECT code, title FROM imported_codes WHERE classification = ?",
                                 (classification,)).fetchall()
            metadata = conn.execute("SELECT * FROM imported_metadata WHERE classification = ?",
                                    (classification,)).fetchall()
            out.append(ActiveImport(classification, file, when, codes, categories, edition, pairs, metadata))
        return out
    finally:
        conn.close()


def history(path: Path) -> list[tuple]:
    """Every import ever made: (classification, file, imported_at, codes, categories, edition)."""
    conn = _reader(path)
    if conn is None:
        return []
    try:
        return conn.execute("SELECT classification, file, imported_at, codes, categories, edition"
                            " FROM imports ORDER BY id").fetchall()
    finally:
        conn.close()
