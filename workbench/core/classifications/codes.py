"""Parsing and normalising OPCS-4 and ICD-10 codes typed by a coder.

Pure string work (no database), so the app can validate what is typed without
touching the reference database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from workbench.core.safetext import fold_digits

OPCS4 = "opcs4"
ICD10 = "icd10"
CLASSIFICATIONS = (OPCS4, ICD10)

DISPLAY_NAMES = {OPCS4: "OPCS-4", ICD10: "ICD-10"}

# OPCS-4 chapters run A to Z but skip I (O is the overflow chapter); ICD-10 uses every letter.
OPCS4_CHAPTERS = frozenset("ABCDEFGHJKLMNOPQRSTUVWXYZ")

# After upper-casing and removing spaces: letter, two digits, then an optional
# 4th character (digit, or "-" for "any code in the category") and, for ICD-10
# only, an optional 5th character.
_SHAPE = re.compile(r"^([A-Z])(\d\d)(?:\.?(-|\d)([0-9A-Z])?|\.)?$")


class CodeError(ValueError):
    """A string that is not a code; ``str(exc)`` is a reason a coder can act on."""


@dataclass(frozen=True)
class CodeRef:
    """A code together with the classification it belongs to."""

    classification: str
    code: str
    is_category: bool

    def display(self) -> str:
        return f"{DISPLAY_NAMES.get(self.classification, self.classification)} {self.code}"

    def __str__(self) -> str:
        return self.display()


def normalise_classification(name: str) -> str:
    """'OPCS-4', 'opcs', 'ICD10' ... -> 'opcs4' / 'icd10'."""
    key = re.sub(r"[^a-z0-9]", "", str(name).lower())
    if key in ("opcs4", "opcs"):
        return OPCS4
    if key in ("icd10", "icd"):
        return ICD10
    raise CodeError(f"unknown classification {name!r}: use opcs4 or icd10")


def parse_code(text: str, classification: str | None = None) -> CodeRef:
    """Parse a typed code into a :class:`CodeRef` or raise :class:`CodeError`.

    Without ``classification`` the shape decides: a 5th character, or the letters
    I (no OPCS-4 chapter), mean ICD-10; anything else is read as OPCS-4.
    """
    if classification is not None:
        classification = normalise_classification(classification)
    if not isinstance(text, str):
        raise CodeError("a code must be text")
    # Digits of any script (full-width, Arabic-Indic) are read as ASCII; see core.safetext.
    cleaned = fold_digits(re.sub(r"\s+", "", text)).upper()
    if not cleaned:
        raise CodeError("no code given")
    if len(cleaned) > 8:
        raise CodeError(f"{text.strip()[:20]!r} is too long to be a code")
    match = _SHAPE.match(cleaned)
    if not match:
        raise CodeError(_why_not(cleaned))
    letter, digits, fourth, fifth = match.groups()
    if fourth == "-" and fifth:
        raise CodeError(f"{cleaned!r}: nothing may follow '-' in a category")
    if classification is None:
        classification = ICD10 if (fifth or letter not in OPCS4_CHAPTERS) else OPCS4
    if classification == OPCS4:
        if letter not in OPCS4_CHAPTERS:
            raise CodeError(f"{cleaned!r}: OPCS-4 has no chapter {letter}")
        if fifth:
            raise CodeError(f"{cleaned!r}: OPCS-4 codes have four characters (like L80.4)")
    category = f"{letter}{digits}"
    if fourth is None or fourth == "-":
        return CodeRef(classification, category, True)
    return CodeRef(classification, f"{category}.{fourth}{fifth or ''}", False)


def try_parse_code(text: str, classification: str | None = None) -> CodeRef | None:
    """:func:`parse_code`, returning None instead of raising."""
    try:
        return parse_code(text, classification)
    except CodeError:
        return None


def _why_not(cleaned: str) -> str:
    if not cleaned[0].isalpha() or not cleaned[0].isascii():
        return f"{cleaned[:20]!r}: a code starts with a letter (like L80.4 or I50.9)"
    if not re.match(r"^[A-Z]\d\d", cleaned):
        return f"{cleaned[:20]!r}: a code is a letter and two digits, then the 4th character (like L80.4)"
    return f"{cleaned[:20]!r} is not a code (expected e.g. L80.4, L80, L80.- or I50.9)"


def category_of(code: str) -> str:
    """'L80.4' -> 'L80'."""
    return code[:3]
