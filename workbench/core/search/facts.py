"""What ranking needs to know about each candidate and about the words typed.

- ``Candidate``: a record word search found (index, title or guidance text), before it is placed.
- ``facts``: per candidate code, in one indexed query per classification, whether it is a
  category needing a 4th character, when the statistics last recorded it, and how often it is
  recorded nationally.
- ``home``: the classification the words belong to (procedure words to OPCS-4, diagnosis words
  to ICD-10), from how many titles of each use them.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass

from workbench.core.classifications.catalog import LATEST_FY, STALE_YEARS
from workbench.core.classifications.codes import ICD10, OPCS4
from workbench.core.search.query import Plan
from workbench.core.search.vocabulary import IndexHit

HOME_MAJORITY = 4           # a classification with 4x the other's matching titles is the words' home
TITLES = 22_000             # about how many code titles there are: the scale of the weights
UNKNOWN_WEIGHT = math.log(TITLES / 20)   # a word no title uses as such (being typed): a fairly specific word
LEAN = 4                   # a word is a procedure (diagnosis) word when OPCS-4 (ICD-10) titles use it 4x as often


@dataclass
class Candidate:
    kind: str
    ref: str
    title: str
    rank: float          # bm25: lower is better
    all_segments: bool   # from the query that needs every segment
    index: IndexHit | None = None   # the coders' index pointed at it


@dataclass(frozen=True)
class Facts:
    heading: bool = False            # a category needing a 4th character
    last_recorded: int | None = None # the last year recorded, for codes the statistics stopped recording
    uses: int = 0                    # national episodes in the latest year (a heading: its most used code)


NO_FACTS = Facts()


def facts(conn: sqlite3.Connection, found: dict[tuple[str, str], Candidate], usage_fy: int | None
           ) -> dict[tuple[str, str], Facts]:
    """Per candidate code, in one indexed query per classification: whether it is a category
    needing a 4th character, the last year it was recorded when the hospital statistics stopped
    recording it (retired, as I84 was in April 2016, or rare; a category counts from its newest
    code), and its national use in the latest year (a category: its most used code, so it sits
    beside that code rather than above every code as its sum would)."""
    out: dict[tuple[str, str], Facts] = {}
    for kind in (OPCS4, ICD10):
        refs = [ref for k, ref in found if k == kind]
        if not refs:
            continue
        marks = ",".join("?" * len(refs))
        rows = conn.execute(
            "SELECT code, has_children, COALESCE(last_fy, (SELECT max(c.last_fy) FROM codes AS c"
            " WHERE c.classification = codes.classification AND c.parent = codes.code)),"
            # Scalar look-ups by primary key, never a join the planner might drive from code_usage.
            " CASE WHEN has_children AND instr(code, '.') = 0 THEN"
            "  (SELECT max((SELECT u.episodes FROM code_usage AS u WHERE u.classification = c.classification"
            "   AND u.code = c.code AND u.fy = ?)) FROM codes AS c"
            "   WHERE c.classification = codes.classification AND c.parent = codes.code)"
            " ELSE (SELECT u.episodes FROM code_usage AS u WHERE u.classification = codes.classification"
            "   AND u.code = codes.code AND u.fy = ?) END"
            f" FROM codes WHERE classification = ? AND code IN ({marks})",
            (usage_fy or 0, usage_fy or 0, kind, *refs)).fetchall()
        for code, has_children, last_fy, uses in rows:
            stale = last_fy is not None and last_fy <= LATEST_FY - STALE_YEARS
            out[(kind, code)] = Facts(bool(has_children and "." not in code), last_fy if stale else None,
                                         uses or 0)
    return out


def word_counts(conn: sqlite3.Connection, the_plan: Plan) -> dict[str, tuple[int, int]]:
    """How many OPCS-4 and ICD-10 titles use each word of the plan (one indexed query; a word
    being typed counts as the whole word it may already be)."""
    words = {w for segment in the_plan.segments for a in segment.alternatives for w in a.words}
    if not words:
        return {}
    try:
        return {w: (o, i) for w, o, i in conn.execute(
            f"SELECT word, opcs4, icd10 FROM search_words WHERE word IN ({','.join('?' * len(words))})",
            sorted(words))}
    except sqlite3.OperationalError:
        return {}


def weights(the_plan: Plan, counts: dict[str, tuple[int, int]]) -> tuple[float, ...]:
    """How much each segment says (inverse title frequency): in "burr hole chronic subdural" a
    title holding "subdural" (a few titles) says more than one holding "chronic" (hundreds).
    An alternative counts by its rarest word; a segment by its broadest alternative."""
    out = []
    for segment in the_plan.segments:
        used = [min(sum(counts.get(w, (0, 0))) for w in a.words) for a in segment.alternatives]
        used = [n for n in used if n > 0]
        out.append(math.log((TITLES + 1) / (1 + max(used))) if used else UNKNOWN_WEIGHT)
    return tuple(out)


def leaning(the_plan: Plan, counts: dict[str, tuple[int, int]]) -> dict[int, str]:
    """Per segment, the classification its words belong to when they lean one way (4x)."""
    out = {}
    for i, segment in enumerate(the_plan.segments):
        opcs = icd = 0
        for alternative in segment.alternatives:
            for word in alternative.words[:-1] if alternative.prefix else alternative.words:
                o, c = counts.get(word, (0, 0))
                opcs, icd = opcs + o, icd + c
        if opcs >= 2 and opcs >= LEAN * icd:
            out[i] = OPCS4
        elif icd >= 2 and icd >= LEAN * opcs:
            out[i] = ICD10
    return out


def home(the_plan: Plan, found: dict[tuple[str, str], Candidate], counts: dict[str, tuple[int, int]]) -> set[str]:
    """The classification the words belong to: "resection" and "angioplasty" are procedure words
    (OPCS-4 titles use them far more than ICD-10 titles), "infarction" a diagnosis word. Each
    segment leans by its words' counts in the titles of each classification; when the segments
    lean one way only, that classification is home. Guidance is always home."""
    leans = set(leaning(the_plan, counts).values())
    if len(leans) == 1:
        return {"guidance"} | leans
    if leans:
        return {"guidance", OPCS4, ICD10}
    # Words no title uses as such (a prefix being typed): the classification most matching
    # titles belong to, when it is a clear majority.
    by_kind = {k: sum(1 for kind, _ in found if kind == k) for k in (OPCS4, ICD10)}
    best = max(by_kind.values())
    return {"guidance"} | {k for k, n in by_kind.items() if n * HOME_MAJORITY > best}
