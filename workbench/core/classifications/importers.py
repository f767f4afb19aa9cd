"""Importing a department's full OPCS-4 or ICD-10 release into the reference database.

An import replaces the codes of one classification in a single transaction: a bad
row raises :class:`ClassificationImportError` naming the file and line and nothing
changes. The imported rows are also kept in ``imported_codes`` so that a rebuild of
the reference database (new fixtures) re-applies them (:func:`reapply_imports`).
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from workbench.core.classifications.codes import ICD10, OPCS4, CodeError, parse_code

Row = tuple[str, str, str, "str | None", str]  # code, title, level, parent, chapter


class ClassificationImportError(Exception):
    """A file that cannot be imported; ``str(exc)`` is 'file:line: reason'."""

    def __init__(self, path: Path | str, line: int | None, message: str):
        self.path, self.line, self.message = str(path), line, message
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class ImportReport:
    classification: str
    file: str
    codes: int           # codes with a 4th character
    categories: int      # 3-character categories
    edition: str
    seconds: float


_CODE_HEADERS = ("code", "alt_code", "altcode", "icd10_code", "opcs_code", "opcs4_code")
_TITLE_HEADERS = ("title", "description", "desc", "long_description", "code_description", "name")


def read_release(path: Path, classification: str) -> list[tuple[str, str]]:
    """``(code, title)`` pairs from a tab-separated release file, validated and normalised."""
    path = Path(path)
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise ClassificationImportError(path, None, f"cannot read the file ({exc.strerror})") from None
    code_col, title_col = 0, 1
    pairs: dict[str, str] = {}
    with handle:
        try:
            for number, row in enumerate(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE), 1):
                if not row or not any(cell.strip() for cell in row):
                    continue
                cells = [cell.strip() for cell in row]
                if number == 1 and _looks_like_header(cells, classification):
                    code_col, title_col = _header_columns(path, cells)
                    continue
                if len(cells) <= max(code_col, title_col):
                    raise ClassificationImportError(path, number, "expected a code and a title separated by a tab")
                code = _normalise(path, number, cells[code_col], classification)
                title = cells[title_col]
                if not title:
                    raise ClassificationImportError(path, number, f"{code} has no title")
                if code in pairs and pairs[code] != title:
                    raise ClassificationImportError(path, number, f"{code} appears twice with different titles")
                pairs[code] = title
        except UnicodeDecodeError:
            raise ClassificationImportError(path, None, "the file is not UTF-8 text") from None
        except csv.Error as exc:
            raise ClassificationImportError(path, None, f"not a tab-separated file ({exc})") from None
    if not pairs:
        raise ClassificationImportError(path, None, "the file holds no codes")
    return list(pairs.items())


def _looks_like_header(cells: list[str], classification: str) -> bool:
    try:
        _clean_code(cells[0], classification)
        return False
    except CodeError:
        return True


def _header_columns(path: Path, cells: list[str]) -> tuple[int, int]:
    names = [c.lower().replace(" ", "_") for c in cells]
    code_col = next((names.index(n) for n in _CODE_HEADERS if n in names), None)
    title_col = next((names.index(n) for n in _TITLE_HEADERS if n in names), None)
    if code_col is None and title_col is None and len(names) >= 2:
        return 0, 1  # an unnamed header line: plain code + title
    if code_col is None or title_col is None:
        raise ClassificationImportError(path, 1, "the header must name a code column and a title/description column")
    return code_col, title_col


def _clean_code(text: str, classification: str) -> str:
    # UK release files mark dagger/asterisk codes and pad 3-character codes with "X".
    text = text.replace("†", "").replace("*", "").strip()
    if classification == ICD10 and len(text) == 4 and text.upper().endswith("X"):
        text = text[:3]
    return parse_code(text, classification).code


def _normalise(path: Path, number: int, text: str, classification: str) -> str:
    try:
        return _clean_code(text, classification)
    except CodeError as exc:
        raise ClassificationImportError(path, number, str(exc)) from None


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
    """Swap the categories and codes of a classification (ICD-10 chapters/blocks stay)."""
    conn.execute("DELETE FROM codes WHERE classification = ? AND level IN ('category', 'code')",
                 (classification,))
    insert_codes(conn, classification, rows)
    conn.execute(f"DELETE FROM {search_table(classification)}")
    index_codes(conn, classification)


def insert_codes(conn: sqlite3.Connection, classification: str, rows: list[Row]) -> None:
    conn.executemany(
        "INSERT OR REPLACE INTO codes (classification, code, title, level, parent, chapter)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [(classification, *row) for row in rows])
    conn.execute(
        "UPDATE codes SET has_children = EXISTS (SELECT 1 FROM codes AS c"
        " WHERE c.classification = codes.classification AND c.parent = codes.code)"
        " WHERE classification = ?", (classification,))


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


def import_release(conn: sqlite3.Connection, path: Path | str, classification: str) -> ImportReport:
    import time

    started = time.perf_counter()
    path = Path(path).expanduser().resolve()
    pairs = read_release(path, classification)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    edition = edition_label(classification, path, now)
    conn.execute("BEGIN IMMEDIATE")
    try:
        known = dict(conn.execute(
            "SELECT code, title FROM codes WHERE classification = ? AND level = 'category'",
            (classification,)).fetchall())
        rows = expand_rows(conn, classification, pairs, known)
        replace_codes(conn, classification, rows)
        conn.execute("DELETE FROM imported_codes WHERE classification = ?", (classification,))
        conn.executemany("INSERT INTO imported_codes (classification, code, title) VALUES (?, ?, ?)",
                         [(classification, code, title) for code, title in pairs])
        conn.execute("INSERT OR REPLACE INTO editions (classification, label, source) VALUES (?, ?, 'imported')",
                     (classification, edition))
        n_codes = sum(1 for r in rows if r[2] == "code")
        n_categories = len(rows) - n_codes
        conn.execute(
            "INSERT INTO imports (classification, file, imported_at, codes, categories, edition)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (classification, str(path), now.isoformat(), n_codes, n_categories, edition))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("ANALYZE codes")  # row counts changed: refresh the planner's statistics
    return ImportReport(classification, str(path), n_codes, n_categories, edition,
                        time.perf_counter() - started)


def import_opcs4(conn: sqlite3.Connection, path: Path | str) -> ImportReport:
    """Replace OPCS-4 with a tab-separated code/title file (NHS 'CodesAndTitles' shape)."""
    return import_release(conn, path, OPCS4)


def import_icd10(conn: sqlite3.Connection, path: Path | str) -> ImportReport:
    """Replace ICD-10 categories and codes with a tab-separated release file."""
    return import_release(conn, path, ICD10)


def reapply_imports(conn: sqlite3.Connection) -> None:
    """After a rebuild: put back the imported rows kept in ``imported_codes``."""
    for (classification,) in conn.execute("SELECT DISTINCT classification FROM imported_codes").fetchall():
        pairs = conn.execute("SELECT code, title FROM imported_codes WHERE classification = ?",
                             (classification,)).fetchall()
        known = dict(conn.execute(
            "SELECT code, title FROM codes WHERE classification = ? AND level = 'category'",
            (classification,)).fetchall())
        replace_codes(conn, classification, expand_rows(conn, classification, pairs, known))
