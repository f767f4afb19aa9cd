"""Reading a department's release files: OPCS-4 and ICD-10 code lists with their metadata.

Shapes read (all tab-separated, UTF-8, LF or CRLF):

- OPCS-4.10 ``CodesAndTitles``: no header, ``code<TAB>title``, dotted codes (the dot is
  optional), three-character category rows included; extra columns ignored. The optional
  fixed-width metadata file is read line by line: the code first, the rest kept as it is.
- ICD-10 5th edition ``CodesAndTitlesAndMetadata``: a header of 12 columns, ``CODE``,
  ``ALT_CODE``, ``USAGE``, ``USAGE_UK``, ``DESCRIPTION``, ``MODIFIER_4``, ``MODIFIER_5``,
  ``QUALIFIERS``, ``GENDER_MASK``, ``MIN_AGE``, ``MAX_AGE``, ``TREE_DESCRIPTION``; the
  metadata columns are kept per code. A plain ``code<TAB>title`` file is read too.

Nothing here touches a database: the result is checked and applied by ``importers``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from workbench.core.classifications.codes import DISPLAY_NAMES, ICD10, CodeError, parse_code
from workbench.core.classifications.import_store import Metadata


class ClassificationImportError(Exception):
    """A file that cannot be imported; ``str(exc)`` is 'file:line: reason'."""

    def __init__(self, path: Path | str, line: int | None, message: str):
        self.path, self.line, self.message = str(path), line, message
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {message}")


@dataclass
class Release:
    pairs: list[tuple[str, str]]                       # (canonical code, title), file order
    metadata: list[Metadata] = field(default_factory=list)


_CODE_HEADERS = ("code", "alt_code", "altcode", "icd10_code", "opcs_code", "opcs4_code")
_TITLE_HEADERS = ("description", "title", "desc", "long_description", "code_description", "name")
_STRUCTURE = re.compile(r"^([A-Z]\d\d-[A-Z]\d\d|[IVXL]+)$")   # ICD-10 block or chapter rows
_SEX = {"1": "male", "m": "male", "male": "male", "2": "female", "f": "female", "female": "female"}


_ASCII_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def unsafe_character(text: str) -> str | None:
    """A description of the first control character or non-ASCII digit in ``text``."""
    if text.isascii():   # the usual case, checked without a Python loop
        found = _ASCII_CONTROL.search(text)
        return f"a control character (U+{ord(found.group()):04X})" if found else None
    for ch in text:
        category = unicodedata.category(ch)   # Nd: decimal digits of any script (B₁'s subscript is No)
        if category in ("Cc", "Zl", "Zp") or (category == "Nd" and not ch.isascii()):
            kind = "a non-ASCII digit" if category == "Nd" else "a control character"
            return f"{kind} (U+{ord(ch):04X})"
    return None


def read_lines(path: Path) -> list[str]:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ClassificationImportError(path, None, f"cannot read the file ({exc.strerror})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ClassificationImportError(path, None, "the file is not UTF-8 text") from None
    # splitlines() would also split on U+2028 and friends; those must be refused, not hidden.
    return [line.removesuffix("\r") for line in text.split("\n")]


def clean_code(text: str, classification: str) -> tuple[str, str | None]:
    """(canonical code, mark): UK files mark dagger/asterisk codes and pad I10 as I10X."""
    mark = "dagger" if "\u2020" in text else "asterisk" if "*" in text else None
    text = text.replace("\u2020", "").replace("*", "").strip()
    if classification == ICD10 and re.fullmatch(r"[A-Za-z]\d\d\.?[Xx]", text):
        text = text[:3]
    return parse_code(text, classification).code, mark


def read_release(path: Path, classification: str) -> Release:
    """Every code and title of a release file, validated; raises ClassificationImportError."""
    path = Path(path)
    lines = read_lines(path)
    code_col, title_col, names = 0, 1, None
    rows: list[tuple[int, list[str]]] = []
    for number, line in enumerate(lines, 1):
        cells = [cell.strip() for cell in line.split("\t")]
        if not any(cells):
            continue
        problem = unsafe_character(line.replace("\t", ""))
        if problem:
            raise ClassificationImportError(path, number, f"{problem}: release files hold plain text only")
        if not rows and names is None and _looks_like_header(cells, classification):
            names = [c.lower().replace(" ", "_") for c in cells]
            code_col, title_col = _header_columns(path, names)
            continue
        rows.append((number, cells))
    if not rows:
        raise ClassificationImportError(path, None, "the file holds no codes")
    rows = [(n, c) for n, c in rows if not (names and len(c) > code_col and _STRUCTURE.match(c[code_col]))]
    parsed = [_parsed(c[code_col], classification) if len(c) > code_col else None for _, c in rows]
    misshapen = sum(1 for p in parsed if isinstance(p, CodeError))
    if misshapen * 2 > len(rows):
        raise ClassificationImportError(
            path, None, f"most codes ({misshapen} of {len(rows)}) do not have the shape of "
            f"{DISPLAY_NAMES[classification]} codes: is this the right file for "
            f"'workbench import {classification}'?")
    pairs: dict[str, str] = {}
    metadata: list[Metadata] = []
    for (number, cells), result in zip(rows, parsed, strict=True):
        if len(cells) <= max(code_col, title_col):
            raise ClassificationImportError(path, number, "expected a code and a title separated by a tab")
        if isinstance(result, CodeError):
            raise ClassificationImportError(path, number, str(result))
        code, mark = result  # type: ignore[misc]
        title = cells[title_col]
        if not title:
            raise ClassificationImportError(path, number, f"{code} has no title")
        if code in pairs and pairs[code] != title:
            raise ClassificationImportError(path, number, f"{code} appears twice with different titles")
        pairs[code] = title
        if names or mark:
            metadata.append(_metadata(path, number, code, mark, names, cells, {code_col, title_col}))
    return Release(list(pairs.items()), metadata)


def _parsed(text: str, classification: str) -> tuple[str, str | None] | CodeError:
    try:
        return clean_code(text, classification)
    except CodeError as exc:
        return exc


def _looks_like_header(cells: list[str], classification: str) -> bool:
    return isinstance(_parsed(cells[0], classification), CodeError)


def _header_columns(path: Path, names: list[str]) -> tuple[int, int]:
    code_col = next((names.index(n) for n in _CODE_HEADERS if n in names), None)
    title_col = next((names.index(n) for n in _TITLE_HEADERS if n in names), None)
    if code_col is None and title_col is None and len(names) >= 2:
        return 0, 1  # an unnamed header line: plain code + title
    if code_col is None or title_col is None:
        raise ClassificationImportError(path, 1, "the header must name a code column and a title/description column")
    return code_col, title_col


def _metadata(path: Path, number: int, code: str, mark: str | None, names: list[str] | None,
              cells: list[str], skip: set[int]) -> Metadata:
    raw = {names[i]: cells[i] for i in range(min(len(names), len(cells))) if i not in skip} if names else {}
    usage = raw.get("usage") or ({"dagger": "DAGGER", "asterisk": "ASTERISK"}.get(mark or "") or None)
    return Metadata(code=code, usage=usage or None, usage_uk=raw.get("usage_uk") or None,
                    sex=_SEX.get(raw.get("gender_mask", "").strip().lower()),
                    min_age=_age(path, number, raw.get("min_age", "")),
                    max_age=_age(path, number, raw.get("max_age", "")), raw=raw or None)


def _age(path: Path, number: int, text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isascii() or not text.isdigit():
        raise ClassificationImportError(path, number, f"age limit {text!r} is not a whole number of years")
    return int(text)


def read_opcs4_metadata(path: Path, codes: set[str]) -> list[Metadata]:
    """The OPCS-4 fixed-width metadata file: the code first on each line, the rest kept as it is."""
    out = []
    for number, line in enumerate(read_lines(path), 1):
        if not line.strip():
            continue
        problem = unsafe_character(line)
        if problem:
            raise ClassificationImportError(path, number, f"{problem}: release files hold plain text only")
        head, _, rest = line.strip().partition(" ")
        try:
            code, _ = clean_code(head, "opcs4")
        except CodeError:
            if number == 1:
                continue  # a title line
            raise ClassificationImportError(path, number, f"{head!r} does not start with an OPCS-4 code") from None
        if code not in codes:
            raise ClassificationImportError(path, number, f"{code} is not in the codes file")
        out.append(Metadata(code=code, raw={"line": rest.strip()}))
    return out
