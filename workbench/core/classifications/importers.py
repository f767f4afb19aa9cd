"""Importing a department's full OPCS-4 or ICD-10 release into the reference database.

An import replaces the codes of one classification in a single transaction. It is
refused, with the reason and nothing changed, for a bad row (file and line named), for
a file that looks like the other classification, or when it would remove more than 5%
of the loaded codes (unless ``replace=True``). A successful import is written to the
import store (``import_store``, its own file) before the reference database commits,
under the reference database's build lock, and every rebuild re-applies it
(:func:`reapply_imports`).
"""

from __future__ import annotations

import bisect
import datetime as dt
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from workbench.core.classifications import import_store
from workbench.core.classifications.codes import DISPLAY_NAMES, ICD10, OPCS4
from workbench.core.classifications.import_store import Metadata
from workbench.core.classifications.release_files import (
    ClassificationImportError,
        read_opcs4_metadata,
    read_release,
)

#: An import may remove at most this share of the loaded codes unless asked to replace.
MAX_REMOVED = 0.05

Row = tuple[str, str, str, "str | None", str]  # code, title, level, parent, chapter


@dataclass(frozen=True)
class ImportReport:
    classification: str
    file: str
    codes: int           # codes with a 4th character
    categories: int      # 3-character categories
    edition: str
    seconds: float
    removed: int = 0     # loaded codes and categories the release does not hold
    metadata: int = 0    # codes with metadata (ICD-10 sex/age/usage, OPCS-4 metadata lines)


# ---------------------------------------------------------------- applying rows

def _blocks(conn: sqlite3.Connection) -> tuple[list[str], list[tuple[str, str, str]]]:
    """ICD-10 blocks sorted by first category: (starts, [(end, block code, chapter)])."""
    rows = conn.execute(
        "SELECT code, chapter FROM codes WHERE classification = 'icd10' AND level = 'block'").fetchall()
    spans = sorted((code.split("-")[0], code.split("-")[-1], code, chapter) for code, chapter in rows)
    # Nested blocks exist in WHO data; the most specific one (latest start) wins in bisect.
    return [s[0] for s in spans], [(s[1], s[2], s[3]) for s in spans]


def expand_rows(conn: sqlite3.Connection, classification: str, pairs: list[tuple[str, str]],
                known_titles: dict[str, str] | None = None) -> list[Row]:
    """Turn ``(code, title)`` pairs into full rows with levels, parents and chapters.

    Categories the file lacks but whose codes it has are added, titled from
    ``known_titles`` (the rows being replaced) when possible.
    """
    known_titles = known_titles or {}
    titles = dict(pairs)
    for code in list(titles):
        if len(code) > 3 and code[:3] not in titles:
            titles[code[:3]] = known_titles.get(code[:3], "")
    starts, spans = _blocks(conn) if classification == ICD10 else ([], [])
    rows: list[Row] = []
    for code in sorted(titles, key=lambda c: (c[:3], len(c), c)):
        if len(code) == 3:
            parent, chapter = None, code[0]
            if classification == ICD10:
                i = bisect.bisect_right(starts, code) - 1
                while i >= 0 and spans[i][0] < code:
                    i -= 1
                if i >= 0:
                    parent, chapter = spans[i][1], spans[i][2]
            rows.append((code, titles[code], "category", parent, chapter))
        else:
            parent = code[:5] if len(code) == 6 else code[:3]  # 5th characters sit under the 4-character code
            rows.append((code, titles[code], "code", parent, ""))
    # Codes take the chapter of their category.
    chapters = {r[0]: r[4] for r in rows if r[2] == "category"}
    return [(c, t, lvl, p, ch or chapters.get(c[:3], c[0])) for c, t, lvl, p, ch in rows]


def replace_codes(conn: sqlite3.Connection, classification: str, rows: list[Row]) -> None:
    """Swap the categories and codes of a classification (ICD-10 chapters/blocks stay).

    The HES years of codes that stay are kept, so a retired code is still shown as one.
    """
    years = {code: (first, last) for code, first, last in conn.execute(
        "SELECT code, first_fy, last_fy FROM codes WHERE classification = ? AND first_fy IS NOT NULL",
        (classification,))}
    conn.execute("DELETE FROM codes WHERE classification = ? AND level IN ('category', 'code')",
                 (classification,))
    insert_codes(conn, classification, rows)
    conn.executemany("UPDATE codes SET first_fy = ?, last_fy = ?, title_source = 'imported'"
                     " WHERE classification = ? AND code = ?",
                     [(*years[r[0]], classification, r[0]) for r in rows if r[0] in years])
    conn.execute("UPDATE codes SET title_source = 'imported' WHERE classification = ?"
                 " AND level IN ('category', 'code') AND first_fy IS NULL", (classification,))
    conn.execute("DELETE FROM code_metadata WHERE classification = ?", (classification,))
    conn.execute(f"DELETE FROM {search_table(classification)}")
    index_codes(conn, classification)


def insert_codes(conn: sqlite3.Connection, classification: str, rows: list[Row]) -> None:
    """Insert categories and codes (the rows replace all categories and codes of the classification)."""
    parents = {row[3] for row in rows if row[3]}
    conn.executemany(
        "INSERT OR REPLACE INTO codes (classification, code, title, level, parent, chapter, has_children)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(classification, *row, int(row[0] in parents)) for row in rows])


def index_codes(conn: sqlite3.Connection, classification: str) -> None:
    """Full-text rows for the categories and codes (not chapters or blocks) of a classification."""
    conn.execute(
        f"INSERT INTO {search_table(classification)} (title, ref) SELECT title, code"
        " FROM codes WHERE classification = ? AND level IN ('category', 'code') AND title != ''",
        (classification,))


def search_table(classification: str) -> str:
    """The FTS5 table of one classification (a fixed name: safe to format into SQL)."""
    return {OPCS4: "search_opcs4", ICD10: "search_icd10"}[classification]


def edition_label(classification: str, path: Path, when: dt.datetime) -> str:
    name = "OPCS-4" if classification == OPCS4 else "ICD-10"
    return f"{name} imported from {path.name} ({when:%Y-%m-%d})"


def import_release(conn: sqlite3.Connection, path: Path | str, classification: str, *,
                   replace: bool = False, metadata: Path | str | None = None) -> ImportReport:
    """Check a release file against the loaded data and make it the active import."""
    import time

    from workbench.core import refdb

    started = time.perf_counter()
    from workbench.core.paths import UnusableFile, expand_user

    try:
        path = expand_user(path, "release file's name").resolve()
    except UnusableFile:
        raise ClassificationImportError(str(path), None, "no such user, so the ~ cannot be expanded") from None
    release = read_release(path, classification)
    if metadata is not None:
        known = {code for code, _ in release.pairs}
        release.metadata = read_opcs4_metadata(Path(metadata), known)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    edition = edition_label(classification, path, now)
    reference_path = Path(conn.execute("PRAGMA database_list").fetchone()[2])
    # One lock for imports and rebuilds: a rebuild must never replace the file mid-import.
    with refdb.build_lock(reference_path):
        work = sqlite3.connect(reference_path, timeout=10, isolation_level=None)
        try:
            work.execute("PRAGMA busy_timeout = 10000")
            work.execute("BEGIN IMMEDIATE")
            try:
                _refuse_wrong_classification(work, path, classification, release.pairs)
                known_titles = dict(work.execute(
                    "SELECT code, title FROM codes WHERE classification = ? AND level = 'category'",
                    (classification,)).fetchall())
                rows = expand_rows(work, classification, release.pairs, known_titles)
                removed = _refuse_removal(work, path, classification, rows, replace)
                n_codes = sum(1 for r in rows if r[2] == "code")
                n_categories = len(rows) - n_codes
                _apply(work, classification, rows, release.metadata, edition,
                       (str(path), now.isoformat(), n_codes, n_categories))
                store = import_store.connect(import_store.store_path(reference_path))
                try:
                    store.execute("BEGIN IMMEDIATE")
                    import_store.save(store, classification, str(path), now.isoformat(), n_codes,
                                      n_categories, edition, release.pairs, release.metadata)
                    store.execute("COMMIT")
                finally:
                    store.close()
                work.execute("COMMIT")
            except BaseException:
                if work.in_transaction:
                    work.execute("ROLLBACK")
                raise
            work.execute("ANALYZE codes")  # row counts changed: refresh the planner's statistics
        finally:
            work.close()
    return ImportReport(classification, str(path), n_codes, n_categories, edition,
                        time.perf_counter() - started, len(removed), len(release.metadata))


def _apply(conn: sqlite3.Connection, classification: str, rows: list[Row], metadata: list,
           edition: str, history: tuple) -> None:
    replace_codes(conn, classification, rows)
    conn.executemany("INSERT OR REPLACE INTO code_metadata VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     [m.row(classification) if isinstance(m, Metadata) else tuple(m) for m in metadata])
    conn.execute("INSERT OR REPLACE INTO editions (classification, label, source) VALUES (?, ?, 'imported')",
                 (classification, edition))
    if history:   # a rebuild copies the whole history from the store instead
        conn.execute("INSERT INTO imports (classification, file, imported_at, codes, categories, edition)"
                     " VALUES (?, ?, ?, ?, ?, ?)", (classification, *history, edition))


def _refuse_wrong_classification(conn: sqlite3.Connection, path: Path, classification: str,
                                 pairs: list[tuple[str, str]]) -> None:
    """Refuse a file whose codes carry the other classification's titles (an OPCS-4 file as ICD-10)."""
    other = ICD10 if classification == OPCS4 else OPCS4
    titles = {cls: dict(conn.execute(
        "SELECT code, lower(title) FROM codes WHERE classification = ? AND level IN ('category', 'code')",
        (cls,)).fetchall()) for cls in (classification, other)}
    same = sum(1 for code, title in pairs if titles[classification].get(code) == title.lower())
    crossed = sum(1 for code, title in pairs if titles[other].get(code) == title.lower())
    if crossed * 2 > len(pairs) and crossed > same:
        raise ClassificationImportError(
            path, None, f"this looks like an {DISPLAY_NAMES[other]} file: {crossed} of its {len(pairs)} codes "
            f"have the {DISPLAY_NAMES[other]} title (use 'workbench import {other}')")


def _refuse_removal(conn: sqlite3.Connection, path: Path, classification: str, rows: list[Row],
                    replace: bool) -> list[str]:
    loaded = [code for (code,) in conn.execute(
        "SELECT code FROM codes WHERE classification = ? AND level IN ('category', 'code') ORDER BY id",
        (classification,))]
    kept = {r[0] for r in rows}
    removed = [code for code in loaded if code not in kept]
    if not replace and loaded and len(removed) > MAX_REMOVED * len(loaded):
        sample = ", ".join(removed[:5])
        raise ClassificationImportError(
            path, None, f"it would remove {len(removed)} of the {len(loaded)} loaded {DISPLAY_NAMES[classification]} "
            f"codes and categories (e.g. {sample}); if that is meant, import again with --replace")
    return removed


def import_opcs4(conn: sqlite3.Connection, path: Path | str, *, replace: bool = False,
                 metadata: Path | str | None = None) -> ImportReport:
    """Replace OPCS-4 with a release ``CodesAndTitles`` file (and its metadata file, if given)."""
    return import_release(conn, path, OPCS4, replace=replace, metadata=metadata)


def import_icd10(conn: sqlite3.Connection, path: Path | str, *, replace: bool = False) -> ImportReport:
    """Replace ICD-10 categories and codes with a release file (metadata columns kept)."""
    return import_release(conn, path, ICD10, replace=replace)


def reapply_imports(conn: sqlite3.Connection, store: Path) -> list[str]:
    """During a build: apply the active imports held in the import store; describes each one."""
    applied = []
    for item in import_store.active_imports(store):
        known = dict(conn.execute(
            "SELECT code, title FROM codes WHERE classification = ? AND level = 'category'",
            (item.classification,)).fetchall())
        rows = expand_rows(conn, item.classification, item.pairs, known)
        _apply(conn, item.classification, rows, item.metadata, item.edition, ())
        applied.append(f"{DISPLAY_NAMES[item.classification]} from {Path(item.file).name} "
                       f"({item.codes} codes, imported {item.imported_at[:10]})")
    conn.execute("DELETE FROM imports")
    conn.executemany("INSERT INTO imports (classification, file, imported_at, codes, categories, edition)"
                     " VALUES (?, ?, ?, ?, ?, ?)", import_store.history(store))
    return applied
