"""The linter's results remembered between runs: a pack that has not changed is not linted again.

`workbench rules check` lints every pack (all their answer paths through the validation
edits), which takes most of a second for 137 packs. A pack's messages depend only on its file,
the linter's own code and the loaded classifications, so they are kept in a cache file in the
user's data folder (never in git), keyed on:

- each file's content (SHA-256), looked at only when its size or modification time changed;
- the rules code (sizes and modification times of the modules the linter runs);
- the classifications loaded (their editions, code counts and the fixtures' content hash).

Anything else (a broken cache file, a different version of the cache) means linting again.
The cache never decides a result: it only replays what the linter said about the same inputs.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workbench.core.rules.codes import CodeCatalog

CACHE_VERSION = 1
CACHE_NAME = "rules-check-cache.json"
_CORE = Path(__file__).resolve().parent.parent          # workbench/core


@dataclass(frozen=True)
class LintMessage:
    path: str
    line: int
    severity: str                        # "error" | "warning"
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.severity}: {self.message}"


def expand(paths: list[Path] | None) -> list[Path]:
    """The pack files to check: folders expanded to their *.yaml packs, none given = the shipped packs."""
    from workbench.core.rules.files import pack_files

    files: list[Path] = []
    for path in paths or [None]:  # None: the shipped packs
        if path is None or Path(path).is_dir():
            files.extend(pack_files(Path(path) if path else None))
        else:
            files.append(Path(path))
    return files


def cache_path() -> Path:
    from workbench.core.paths import state_dirs

    return state_dirs().data / CACHE_NAME


def code_fingerprint() -> str:
    """The linter's code: what it runs, as sizes and modification times (a changed module misses)."""
    files = sorted([*(_CORE / "rules").glob("*.py"), *(_CORE / "classifications").glob("*.py"),
                    _CORE / "option_keys.py", _CORE / "lifecycle.py"])
    parts = []
    for file in files:
        try:
            stat = file.stat()
        except OSError:
            continue
        parts.append(f"{file.name}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def catalog_fingerprint(catalog: CodeCatalog | None) -> str:
    """The classifications the codes were checked against ('none' without a catalog)."""
    conn = getattr(catalog, "conn", None)
    if catalog is None:
        return "none"
    if conn is None:
        return f"catalog:{type(catalog).__name__}:{id(catalog)}"   # not comparable across runs: a miss
    try:
        editions = conn.execute("SELECT * FROM editions ORDER BY 1").fetchall()
        counts = conn.execute("SELECT classification, count(*) FROM codes GROUP BY 1 ORDER BY 1").fetchall()
        meta = conn.execute("SELECT value FROM meta WHERE key = 'fixtures_hash'").fetchall()
    except Exception:     # an unusual catalog: never trust a cache for it
        return f"catalog:{id(catalog)}"
    return hashlib.sha256(json.dumps([editions, counts, meta], default=str).encode()).hexdigest()


#: A file larger than this is no pack (the loader refuses it): never read it whole for a digest.
_MAX_DIGESTED = 256_000


def _cacheable(stat: os.stat_result | None) -> bool:
    """Only regular files of a pack's size: a FIFO or /dev/zero is never opened here (the loader
    refuses them with its own message)."""
    import stat as kinds

    return stat is not None and kinds.S_ISREG(stat.st_mode) and stat.st_size <= _MAX_DIGESTED


def _digest(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read(_MAX_DIGESTED + 1)).hexdigest()


class LintCache:
    """The cache file: loaded once, looked up per pack, written back when anything changed."""

    def __init__(self, path: Path, key: str):
        self.path = path
        self.key = key
        self.entries: dict[str, dict] = {}
        self.changed = False
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if isinstance(data, dict) and data.get("version") == CACHE_VERSION and data.get("key") == key:
            entries = data.get("packs")
            self.entries = entries if isinstance(entries, dict) else {}

    def lookup(self, file: Path) -> tuple[list[LintMessage] | None, os.stat_result | None, str]:
        """(messages, stat, digest): messages when the file is the one linted before, else None."""
        try:
            stat = file.stat()
        except OSError:
            return None, None, ""
        if not _cacheable(stat):
            return None, None, ""
        entry = self.entries.get(str(file))
        if not isinstance(entry, dict):
            return None, stat, ""
        digest = ""
        if (entry.get("size"), entry.get("mtime_ns")) != (stat.st_size, stat.st_mtime_ns):
            try:
                digest = _digest(file)
            except OSError:
                return None, stat, ""
            if digest != entry.get("sha256"):
                return None, stat, digest
            entry.update(size=stat.st_size, mtime_ns=stat.st_mtime_ns)   # same content, touched
            self.changed = True
        try:
            return [LintMessage(str(file), int(line), str(sev), str(text)) for line, sev, text in entry["messages"]], \
                stat, digest
        except (KeyError, TypeError, ValueError):
            return None, stat, digest

    def store(self, file: Path, stat: os.stat_result | None, digest: str, messages: list[LintMessage]) -> None:
        if not _cacheable(stat):
            return
        try:
            digest = digest or _digest(file)
        except OSError:
            return
        self.entries[str(file)] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": digest,
                                   "messages": [[m.line, m.severity, m.message] for m in messages]}
        self.changed = True

    def save(self) -> None:
        """Written beside, then renamed into place: a reader never sees half a file. Best effort."""
        if not self.changed:
            return
        from workbench.core.paths import ensure_private_dir

        try:
            ensure_private_dir(self.path.parent)
            temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"version": CACHE_VERSION, "key": self.key, "packs": self.entries}, handle)
            os.replace(temporary, self.path)
        except OSError:
            pass          # a read-only or full data folder: the next run lints again, nothing is lost


def lint_files_cached(paths: list[Path] | None, catalog: CodeCatalog | None,
                      cache_file: Path | None = None) -> tuple[int, list[LintMessage], int]:
    """:func:`lint_files`, replaying the messages of packs unchanged since the last run.

    Returns (files checked, messages, files replayed from the cache)."""
    files = expand(paths)
    cache = LintCache(cache_file or cache_path(), f"{code_fingerprint()}:{catalog_fingerprint(catalog)}")
    found = {file: cache.lookup(file) for file in files}
    misses = [file for file in files if found[file][0] is None]
    linted = lint_all(misses, catalog)
    messages: list[LintMessage] = []
    for file in files:
        replay, stat, digest = found[file]
        if replay is None:
            cache.store(file, stat, digest, linted[file])
        messages.extend(replay if replay is not None else linted[file])
    cache.save()
    return len(files), messages, len(files) - len(misses)


#: Fewer packs than this are linted in this process: starting workers would cost more than it saves.
PARALLEL_FROM = 24


def lint_all(files: list[Path], catalog: CodeCatalog | None) -> dict[Path, list[LintMessage]]:
    """Every file's messages; on a machine with several cores, shared among worker processes.

    Each worker opens its own read-only connection to the classifications' database file (a
    connection is never carried across ``fork``); a catalog that is not such a file (a test's
    mapping), or one core, means linting here, one pack after another."""
    if not files:
        return {}
    from workbench.core.rules.lint import (
        lint_file,  # the engine is imported only when there is work
    )

    workers = min(os.cpu_count() or 1, 4)
    database = _database_file(catalog) if catalog is not None else None
    if workers > 1 and len(files) >= PARALLEL_FROM and (catalog is None or database):
        try:
            return _lint_in_workers(files, database, workers)
        except (OSError, ImportError, ValueError):
            pass          # no fork on this platform, or no processes left: lint here instead
    return {file: lint_file(file, catalog) for file in files}


def _database_file(catalog: CodeCatalog) -> str | None:
    """The file a Classifications catalog reads, when it reads one."""
    conn = getattr(catalog, "conn", None)
    if conn is None or type(catalog).__name__ != "Classifications":
        return None
    try:
        row = conn.execute("PRAGMA database_list").fetchone()
    except Exception:
        return None
    return row[2] if row and row[2] else None


_WORKER_CATALOG: object | None = None


def _start_worker(database: str | None) -> None:
    global _WORKER_CATALOG
    if database is None:
        _WORKER_CATALOG = None
        return
    import sqlite3

    from workbench.core.classifications import Classifications

    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10)
    _WORKER_CATALOG = Classifications(conn)


def _lint_in_worker(file: str) -> list[LintMessage]:
    from workbench.core.rules.lint import lint_file

    return lint_file(Path(file), _WORKER_CATALOG)


def _lint_in_workers(files: list[Path], database: str | None, workers: int) -> dict[Path, list[LintMessage]]:
    import multiprocessing

    context = multiprocessing.get_context("fork")
    with context.Pool(workers, initializer=_start_worker, initargs=(database,)) as pool:
        # Small chunks: one pack (IPG75) is a tenth of the work, and chunks are handed out as asked.
        results = pool.map(_lint_in_worker, [str(f) for f in files], chunksize=2)
    return dict(zip(files, results, strict=True))
