"""What the convention edits learn from the loaded OPCS-4 titles, not from hand lists.

The edits need to know which codes insert a stent, which codes are the stent
supplementary codes of each type, and which angioplasty codes are implicit in a
stent code of the same vessel category. All of it is read from the titles of the
loaded classification, so importing the full OPCS-4 release covers every vessel
without a change here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from workbench.core.rules.codes import OPCS4, category_of

# OPCS-4 Tabular List: L76 "Endovascular placement of stent" and L89 "Other endovascular
# placement of stent" are supplementary codes for the type and number of stents placed.
STENT_SUPPLEMENTARY = ("L76", "L89")
IMAGE_CONTROL = ("Y53", "Y68")        # OPCS-4 Y53 / Y68: approach to organ under image control

_STENT = re.compile(r"\bstents?\b", re.I)
_INSERTS = re.compile(r"\b(insertion|placement|implantation|renewal)\b", re.I)
_NOT_INSERTION = re.compile(r"\b(removal|attention|maintenance|grafts?|assisted)\b", re.I)
_ANGIOPLASTY = re.compile(r"\bangioplasty\b", re.I)
_COUNT = re.compile(r"\b(one|two|three or more|1-2|3 or more)\b\s*", re.I)


@dataclass
class Vocabulary:
    stent_insertions: set[str] = field(default_factory=set)
    stent_type: dict[str, str] = field(default_factory=dict)     # L76.1 -> "metallic stent"
    angioplasty_in: dict[str, set[str]] = field(default_factory=dict)   # stent code -> angioplasty codes


_CACHE: dict[int, tuple[object, Vocabulary]] = {}


def opcs4_titles(catalog: object) -> dict[str, str]:
    """Every titled OPCS-4 code of the loaded catalog (empty when it cannot list them)."""
    conn = getattr(catalog, "conn", None)
    if conn is not None:
        try:
            rows = conn.execute("SELECT code, title FROM codes WHERE classification = ? AND level = 'code'",
                                (OPCS4,)).fetchall()
            return {code: title or "" for code, title in rows}
        except Exception:
            return {}
    titles = getattr(catalog, "_titles", None)
    if isinstance(titles, dict):
        return {code: title or "" for (kind, code), title in titles.items() if kind == OPCS4 and "." in code}
    return {}


#: How long a vocabulary is used before the catalog's edition is asked again: the linter runs the
#: edits thousands of times a second, and an import elsewhere is seen within this.
FRESH_SECONDS = 0.25
_ASKED: dict[int, float] = {}


def vocabulary(catalog: object | None) -> Vocabulary:
    """The stent and angioplasty vocabulary of ``catalog``, cached while its size is unchanged."""
    if catalog is None:
        return Vocabulary()
    import time

    cached = _CACHE.get(id(catalog))
    now = time.monotonic()
    if cached and now - _ASKED.get(id(catalog), float("-inf")) < FRESH_SECONDS:
        return cached[1]
    size = _size(catalog)
    _ASKED[id(catalog)] = now
    if cached and size is not None and cached[0] == size:
        return cached[1]
    titles = opcs4_titles(catalog)
    result = build_vocabulary(titles)
    _CACHE[id(catalog)] = (size, result)
    return result


def _size(catalog: object) -> object | None:
    """A cheap fingerprint of the loaded OPCS-4: its edition label, which an import changes."""
    edition = getattr(catalog, "edition", None)
    if callable(edition):
        try:
            return str(edition(OPCS4))
        except Exception:
            return None
    titles = getattr(catalog, "_titles", None)
    return len(titles) if isinstance(titles, dict) else None


def build_vocabulary(titles: dict[str, str]) -> Vocabulary:
    result = Vocabulary()
    by_category: dict[str, list[str]] = {}
    for code, title in titles.items():
        by_category.setdefault(category_of(code), []).append(code)
        if category_of(code) in STENT_SUPPLEMENTARY:
            # "Endovascular placement of two metallic stents" -> "metallic stent": the type, not the count.
            result.stent_type[code] = _COUNT.sub("", title.lower()).replace("stents", "stent").strip()
        elif _STENT.search(title) and _INSERTS.search(title) and not _NOT_INSERTION.search(title):
            result.stent_insertions.add(code)
    # OPCS-4 convention (and IPG75): the angioplasty is implicit in the stent code of the same vessel.
    for codes in by_category.values():
        stents = [c for c in codes if c in result.stent_insertions and not _ANGIOPLASTY.search(titles[c])]
        plasties = [c for c in codes if _ANGIOPLASTY.search(titles[c]) and not _STENT.search(titles[c])]
        for stent in stents:
            if plasties:
                result.angioplasty_in[stent] = set(plasties)
    return result
