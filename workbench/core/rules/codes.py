"""Small code helpers the rules package needs: shape checks and a catalog protocol.

The classifications package owns full code parsing; rule packs only need to know
whether a string is an OPCS-4/ICD-10 code or a category ("Y53.-", "M02"), which
chapter it is in, and whether one code falls inside a category.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from workbench.core.classifications.catalog import CodeVerdict

OPCS4 = "opcs4"
ICD10 = "icd10"

# "L80.4", "l804", "L80.-", "L80"; ICD-10 may carry a 5th character ("S72.00", "H19.8A").
_CODE = re.compile(r"^([A-Z])(\d\d)(?:\.?(\d|-)([0-9A-Z]?))?$")


@runtime_checkable
class CodeCatalog(Protocol):
    """What the engine, edits and linter need from a classification catalog."""

    def exists(self, classification: str, code: str) -> bool: ...

    def title(self, classification: str, code: str) -> str | None: ...


def normalise_code(text: str) -> str | None:
    """'l804' -> 'L80.4', 'Y53.-' -> 'Y53.-', 'M02' -> 'M02.-'; None when it is not a code."""
    if not isinstance(text, str):
        return None
    cleaned = text.strip().upper().replace(" ", "")
    match = _CODE.match(cleaned)
    if not match:
        return None
    letter, digits, fourth, fifth = match.groups()
    if fourth is None or fourth == "-":
        if fifth:
            return None
        return f"{letter}{digits}.-"
    return f"{letter}{digits}.{fourth}{fifth or ''}"


def normalise_complete(text: str) -> str | None:
    """Like :func:`normalise_code`, but a bare three-character code stays a code candidate.

    'I10', 'I10X' and 'I10.X' -> 'I10' (complete or not: the loaded classification decides,
    see :func:`judge_code`); 'I50.-' stays the category placeholder 'I50.-'.
    """
    if not isinstance(text, str):
        return None
    cleaned = text.strip().upper().replace(" ", "")
    if re.fullmatch(r"[A-Z]\d\d\.?X?", cleaned):
        return cleaned[:3]
    return normalise_code(cleaned)


def judge_code(catalog: CodeCatalog | None, classification: str, text: str) -> CodeVerdict:
    """Whether a code may be coded as it stands: the loaded classification's ``judge``.

    Catalogs without ``judge`` (plain mappings in tests and tools) are asked what they can
    answer: whether the code exists, and for a bare category whether codes sit below it.
    With no catalog at all only the shape is known, so a bare category needs its 4th character.
    """
    from workbench.core.classifications.catalog import (
        CODABLE,
        MALFORMED,
        NEEDS_FOURTH,
        UNKNOWN,
        CodeVerdict,
    )

    judge = getattr(catalog, "judge", None)
    if judge is not None:
        return judge(classification, text)
    name = {OPCS4: "OPCS-4", ICD10: "ICD-10"}.get(classification, classification)
    code = normalise_complete(str(text))
    if code is None:
        return CodeVerdict(classification, str(text), None, MALFORMED, None, f"'{text}' is not an {name} code")
    bare = code[:3]
    fourth = f"{name} {bare} needs a 4th character"
    if is_category(code) or (len(code) == 3 and catalog is None):
        return CodeVerdict(classification, str(text), bare, NEEDS_FOURTH, None, fourth)
    if catalog is None or _exists(catalog, classification, code):
        return CodeVerdict(classification, str(text), code, CODABLE, None, "")
    if len(code) == 3:
        children = [f"{code}.{d}" for d in "0123456789" if _exists(catalog, classification, f"{code}.{d}")]
        if children:
            return CodeVerdict(classification, str(text), code, NEEDS_FOURTH, None,
                               f"{fourth}: {', '.join(children)}", children)
    return CodeVerdict(classification, str(text), code, UNKNOWN, None,
                       f"{name} {code} is not in the loaded {name} classification")


def _exists(catalog: CodeCatalog, classification: str, code: str) -> bool:
    try:
        return bool(catalog.exists(classification, code))
    except Exception:  # a catalog problem reads as "not known": the edit reports it
        return False


def is_category(code: str) -> bool:
    """True for a category placeholder such as 'Y53.-'."""
    return code.endswith(".-")


def category_of(code: str) -> str:
    """'Y53.4' -> 'Y53'."""
    return code[:3]


def chapter_of(code: str) -> str:
    """The OPCS-4 chapter letter: 'Y53.4' -> 'Y'."""
    return code[:1]


def in_scope(code: str, scope: list[str] | tuple[str, ...]) -> bool:
    """Whether a code falls in any scope entry: a chapter ('K'), category ('M02', 'Y53.-') or code."""
    for entry in scope:
        entry = entry.upper().rstrip("-").rstrip(".")
        if code.startswith(entry) or code.replace(".", "").startswith(entry.replace(".", "")):
            return True
    return False


def scope_entry(text: str) -> str | None:
    """A chapter, category or code as a scope entry: 'v' -> 'V', 'F34' -> 'F34.-', 'f341' -> 'F34.1'.

    None when it is none of those. Entries are matched with :func:`in_scope`.
    """
    if not isinstance(text, str):
        return None
    cleaned = text.strip().upper().replace(" ", "")
    if re.fullmatch(r"[A-Z]", cleaned):
        return cleaned
    code = normalise_code(cleaned)
    if code is None:
        return None
    return code


_OPCS4_CHAPTERS = "ABCDEFGHJKLMNOPQRSTUVWXYZ"   # OPCS-4 has no chapter I
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def describe_scope(scope: list[str] | tuple[str, ...], classification: str = OPCS4) -> str:
    """A code slot's scope for a placeholder: 'any chapter', 'chapters A-H, J-Z', 'K, M02.-'.

    A slot open to every chapter is said in two words instead of listing 25 letters.
    """
    entries = [e.upper() for e in scope]
    letters = sorted({e for e in entries if len(e) == 1 and e.isalpha()})
    others = [e for e in entries if not (len(e) == 1 and e.isalpha())]
    alphabet = _OPCS4_CHAPTERS if classification == OPCS4 else _ALPHABET
    if letters and set(alphabet) <= set(letters):
        return "any chapter" + (f", {', '.join(others)}" if others else "")
    runs: list[str] = []
    start = previous = None
    for letter in [*letters, None]:
        if letter is not None and previous is not None and ord(letter) == ord(previous) + 1:
            previous = letter
            continue
        if start is not None:
            runs.append(start if start == previous else f"{start}-{previous}")
        start = previous = letter
    chapters = (("chapter " if len(letters) == 1 else "chapters ") + ", ".join(runs)) if runs else ""
    return ", ".join(filter(None, [chapters, *others]))


def catalog_title(catalog: CodeCatalog | None, classification: str, code: str) -> str:
    if catalog is None or is_category(code):
        return ""
    try:
        return catalog.title(classification, code) or ""
    except Exception:  # a catalog problem must never stop coding; the edits report unknown codes
        return ""


class MappingCatalog:
    """A catalog over a plain ``{(classification, code): title}`` mapping.

    For tests and for tools that already hold a code list; the app uses the
    reference database's :class:`~workbench.core.classifications.Classifications`.
    """

    def __init__(self, titles: dict[tuple[str, str], str]):
        self._titles = dict(titles)

    def exists(self, classification: str, code: str) -> bool:
        return (classification, code) in self._titles

    def title(self, classification: str, code: str) -> str | None:
        return self._titles.get((classification, code))
