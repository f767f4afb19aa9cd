"""A reference database built at install time, so a new user's first run need not build one.

Building the reference database from the fixtures takes a second or two (22,000 codes,
their search index, every guidance document and rule pack). ``make`` builds it once into
the package folder (``workbench/_prebuilt/``, never committed); a first run, or a rebuild
with no imported release to re-apply, copies it with SQLite's backup API instead of
building. The copy is used only when its schema and builder versions and its recorded
fixtures (stat fingerprint, else content hash) match the shipped fixtures exactly: a stale prebuilt database is ignored
and the normal build runs.

``python -m workbench.core.prebuilt`` (re)builds it when it is missing or stale.
"""

from __future__ import annotations

import shutil
import sqlite3
import sys
from pathlib import Path

PREBUILT_DIR = Path(__file__).resolve().parent.parent / "_prebuilt"
PREBUILT_DB = PREBUILT_DIR / "reference.db"


def _matches(path: Path) -> bool:
    """Whether the database at ``path`` was built from exactly the current fixtures and schema.

    As for the home database (``refdb``): the stat fingerprint (names, sizes, mtimes of every
    file the build reads) settles it in about a millisecond; only when it differs (a fresh
    checkout, new mtimes) is the content hashed (~20 ms).
    """
    from workbench.core import refdb

    if not path.is_file():
        return False
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
            version = conn.execute("PRAGMA user_version").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return False
    if version != refdb.schema_version() or meta.get("builder_version") != refdb.BUILDER_VERSION:
        return False
    if meta.get("stat_fingerprint") == refdb.stat_fingerprint():
        return True
    return meta.get("fixtures_hash") == refdb.content_hash()


def copy_if_current(target: Path) -> bool:
    """Copy the prebuilt database to ``target`` when it matches the fixtures; False otherwise.

    A plain file copy (the kernel's, a few ms for 8 MB, against ~25 ms for SQLite's page by
    page backup) is a complete snapshot: the prebuilt file is only ever replaced whole by
    :func:`ensure_prebuilt`, never written in place, and has no journal beside it.
    """
    if not _matches(PREBUILT_DB):
        return False
    shutil.copyfile(PREBUILT_DB, target)
    dest = sqlite3.connect(target, isolation_level=None)
    try:
        dest.execute("PRAGMA journal_mode = WAL")
    finally:
        dest.close()
    return True


def ensure_prebuilt() -> bool:
    """Build the prebuilt database when it is missing or stale; True when it was (re)built."""
    from workbench.core import refdb

    if _matches(PREBUILT_DB):
        return False
    PREBUILT_DIR.mkdir(parents=True, exist_ok=True)
    building = PREBUILT_DB.with_suffix(".building")
    refdb.build_reference_db(building)
    # Readers only ever open it read-only; a rollback journal keeps it a single file.
    conn = sqlite3.connect(building, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = DELETE")
    finally:
        conn.close()
    building.replace(PREBUILT_DB)
    return True


if __name__ == "__main__":
    try:
        built = ensure_prebuilt()
    except (OSError, sqlite3.Error) as exc:  # a read-only install: first runs will build instead
        print(f"workbench: no prebuilt reference database ({exc}); first runs will build one",
              file=sys.stderr)
        sys.exit(0)
    print("workbench: prebuilt reference database " + ("built" if built else "is current"))
