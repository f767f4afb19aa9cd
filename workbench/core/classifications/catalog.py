"""Read-only lookups over the ``codes`` table of the reference database.

Every lookup takes the classification explicitly: OPCS-4 Z94.2 (laterality) and
ICD-10 Z94.2 (transplant status) are different codes and must never be confused.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from workbench.core.classifications.codes import (
    CodeError,
    CodeRef,
    normalise_classification,
    parse_code,
)

_FALLBACK_EDITIONS = {"opcs4": "OPCS-4 (not loaded)", "icd10": "ICD-10 (not loaded)"}


@dataclass(frozen=True)
class CodeInfo:
    classification: str
    code: str
    title: str
    edition: str
    parent: str | None
    chapter: str
    is_category: bool
    needs_fourth_character: bool

    def display(self) -> str:
        return CodeRef(self.classification, self.code, self.is_category).display()


class Classifications:
    """Lookups by (classification, code); codes may be typed loosely ("l804", "L80.-")."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    # The rules package calls these with codes such as "Y53.-" as well as "Y53.4".
    def _key(self, classification: str, code: str) -> tuple[str, str] | None:
        try:
            classification = normalise_classification(classification)
        except CodeError:
            return None
        text = str(code).strip()
        if "-" in text[:3] or (len(text) > 4 and "-" in text and not text.endswith("-")):
            # ICD-10 blocks such as "I30-I52" and roman-numeral chapters are stored as they are.
            return classification, text.upper()
        try:
            ref = parse_code(text, classification)
        except CodeError:
            return classification, text.upper()  # chapter numerals, odd keys: exact match only
        return ref.classification, ref.code

    def _row(self, classification: str, code: str) -> tuple | None:
        key = self._key(classification, code)
        if key is None:
            return None
        return self.conn.execute(
            "SELECT classification, code, title, level, parent, chapter, has_children"
            " FROM codes WHERE classification = ? AND code = ?", key).fetchone()

    def _info(self, row: tuple) -> CodeInfo:
        classification, code, title, level, parent, chapter, has_children = row
        is_category = level != "code"
        return CodeInfo(
            classification=classification, code=code, title=title,
            edition=self.edition(classification), parent=parent, chapter=chapter,
            is_category=is_category,
            needs_fourth_character=bool(level == "category" and has_children),
        )

    def lookup(self, classification: str, code: str) -> CodeInfo | None:
        row = self._row(classification, code)
        return self._info(row) if row else None

    def title(self, classification: str, code: str) -> str | None:
        row = self._row(classification, code)
        return row[2] if row else None

    def exists(self, classification: str, code: str) -> bool:
        return self._row(classification, code) is not None

    def children(self, classification: str, code: str) -> list[CodeInfo]:
        key = self._key(classification, code)
        if key is None:
            return []
        rows = self.conn.execute(
            "SELECT classification, code, title, level, parent, chapter, has_children"
            " FROM codes WHERE classification = ? AND parent = ? ORDER BY id", key).fetchall()
        return [self._info(row) for row in rows]

    def edition(self, classification: str) -> str:
        try:
            classification = normalise_classification(classification)
        except CodeError:
            return ""
        # Not cached: an import in another process changes the label.
        row = self.conn.execute(
            "SELECT label FROM editions WHERE classification = ?", (classification,)).fetchone()
        return row[0] if row else _FALLBACK_EDITIONS[classification]

    def count(self, classification: str, *, codes_only: bool = True) -> int:
        """How many codes (or all rows) a classification holds."""
        sql = "SELECT count(*) FROM codes WHERE classification = ?"
        if codes_only:
            sql += " AND level = 'code'"
        return self.conn.execute(sql, (normalise_classification(classification),)).fetchone()[0]
