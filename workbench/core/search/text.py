"""Word search over guidance and code titles, ranked the way a coder reads a list.

Candidates come from the FTS5 indexes (porter stemming, bm25; the guidance title weighs ten
times its text): first the records holding every segment of the plan (guidance titles before
guidance text), and, when none does, records holding any. Each candidate is then placed by:

1. whether its title holds every segment: a code titled "Total prosthetic replacement of hip
   joint" beats a guidance document that mentions "hip replacement" in its text;
2. then guidance that holds every segment in its text; then titles FTS5 matched that the check
   does not confirm (a stem, or the shortened prefix of a word being typed); then records
   holding some segments;
3. within a tier: the synonyms file's first meaning, the classification the words belong to,
   how much of the title the query covers (short titles that say just what was typed come
   first), codes before categories needing a 4th character, then bm25.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from workbench.core.classifications.codes import ICD10, OPCS4
from workbench.core.search.hits import Hit, HitList
from workbench.core.search.lexicon import Lexicon, words_of
from workbench.core.search.query import STOPWORDS, Plan, Segment, plan

TITLE_WEIGHT, BODY_WEIGHT = 10.0, 1.0
TABLES = {"guidance": "search_guidance", OPCS4: "search_opcs4", ICD10: "search_icd10"}
# Words that say nothing about what a code is: not counted when measuring title coverage.
# ("Other specified" and "Unspecified" do count: residual codes come after specific ones.)
FILLER = STOPWORDS | {"nec", "nos", "not", "elsewhere", "classified"}
MIN_POOL = 30
HOME_MAJORITY = 4           # a classification with 4x the other's matching titles is the words' home
POOL_EXTRA = 10
GUIDANCE_ROW = 2           # index of the row the best guidance title match is lifted to


@dataclass
class _Candidate:
    kind: str
    ref: str
    title: str
    rank: float          # bm25: lower is better
    all_segments: bool   # from the query that needs every segment


def text_hits(conn: sqlite3.Connection, text: str, kind: str | None, hits: HitList, lexicon: Lexicon) -> None:
    the_plan = plan(text, lexicon)
    if not the_plan.segments or hits.full():
        return
    kinds = [kind] if kind else ["guidance", OPCS4, ICD10]
    # bm25 already puts short titles holding the words first: re-ranking its best rows is enough.
    pool = max(hits.room() + POOL_EXTRA, MIN_POOL)
    found: dict[tuple[str, str], _Candidate] = {}
    ranked = not the_plan.barely_typed()
    every = the_plan.every()
    # Guidance whose title holds the words first; its text only when titles leave room: a
    # word in thousands of guidance texts ("approach") must not be ranked on every keystroke.
    order = [("guidance", f"{{title}} : ({every})")] if "guidance" in kinds else []
    order += [(k, every) for k in kinds if k != "guidance"]
    for k, expression in order:
        for row in _fts(conn, expression, k, pool, ranked=ranked):
            found.setdefault((k, row[0]), _Candidate(k, row[0], row[1], row[2], True))
    if "guidance" in kinds and len(found) < pool:
        for row in _fts(conn, every, "guidance", pool - len(found), ranked=ranked):
            found.setdefault(("guidance", row[0]), _Candidate("guidance", row[0], row[1], row[2], True))
    if not found and len(the_plan.segments) > 1:
        # No record holds every word: records holding some of them, still ranked.
        for k in kinds:
            for row in _fts(conn, the_plan.any(), k, pool):
                found.setdefault((k, row[0]), _Candidate(k, row[0], row[1], row[2], False))
    headings = _headings(conn, found)
    home = _home(found)
    placed = sorted((_place(c, the_plan, (c.kind, c.ref) in headings, c.kind in home) for c in found.values()),
                    key=lambda p: p[0])
    _lift_guidance(placed)
    for _, hit in placed:
        hits.add(hit)
        if hits.full():
            break


def _lift_guidance(placed: list[tuple[tuple, Hit]]) -> None:
    """The best guidance whose title holds every word shows by the third row: guidance is what
    a coder codes an episode with, and dozens of short code titles must not bury it."""
    first = next((i for i, (key, hit) in enumerate(placed) if hit.kind == "guidance" and key[0] == 0), None)
    if first is not None and first > GUIDANCE_ROW:
        placed.insert(GUIDANCE_ROW, placed.pop(first))


def _headings(conn: sqlite3.Connection, found: dict[tuple[str, str], _Candidate]) -> set[tuple[str, str]]:
    """Candidates that are categories needing a 4th character (not codable as they stand)."""
    out: set[tuple[str, str]] = set()
    for kind in (OPCS4, ICD10):
        refs = [ref for k, ref in found if k == kind and "." not in ref]
        if refs:
            marks = ",".join("?" * len(refs))
            rows = conn.execute(f"SELECT code FROM codes WHERE classification = ? AND has_children = 1"
                                f" AND code IN ({marks})", (kind, *refs)).fetchall()
            out |= {(kind, code) for (code,) in rows}
    return out


def _home(found: dict[tuple[str, str], _Candidate]) -> set[str]:
    """The classification the words belong to: the one with the most titles holding them
    ("angioplasty" is a procedure word, "infarction" a diagnosis word). Guidance is always home."""
    counts = {kind: sum(1 for k, _ in found if k == kind) for kind in (OPCS4, ICD10)}
    best = max(counts.values())
    # Only a clear majority decides; otherwise both classifications are at home.
    return {"guidance"} | {kind for kind, n in counts.items() if n * HOME_MAJORITY > best}


def _place(candidate: _Candidate, the_plan: Plan, heading: bool, at_home: bool) -> tuple[tuple, Hit]:
    title_words = words_of(candidate.title)
    spaced = " " + " ".join(title_words)
    matched = [segment.matched_by(spaced) for segment in the_plan.segments]
    n_matched = sum(1 for m in matched if m is not None)
    whole = n_matched == len(matched)
    if whole:
        tier = 0
    elif candidate.all_segments and candidate.kind == "guidance":
        tier = 1  # guidance holding every word in its text
    elif candidate.all_segments:
        tier = 2  # FTS5 found every word, through a stem or a shortened prefix the check above does not confirm
    else:
        tier = 3
    coverage = _coverage(title_words, [m for m in matched if m is not None])
    share = 1.0 if whole or (candidate.all_segments and candidate.kind != "guidance") else n_matched / len(matched)
    # The meaning the synonyms file lists first is the usual one: it ranks first.
    preference = sum(len(s.alternatives) if m is None else s.alternatives.index(m)
                     for s, m in zip(the_plan.segments, matched, strict=True)
                     if len(s.alternatives) > 1 and (m is None or not m.note.startswith("matched")))
    # A category needing a 4th character follows the codes that match as well as it does.
    key = (tier, -share, preference, not at_home, -round(coverage, 3), heading, candidate.rank)
    score = round((4 - tier) * 100 + share * 10 + coverage, 4)
    detail = "title" if tier == 0 else ("text" if candidate.kind == "guidance" else "stem")
    note = "; ".join(dict.fromkeys(m.note for m in matched if m is not None and m.note))
    if not note and tier == 1:
        note = _segment_notes(the_plan.segments)
    return key, Hit(candidate.kind, candidate.ref, candidate.title, score, detail, note)


def _coverage(title_words: list[str], alternatives: list) -> float:
    content = [w for w in title_words if w not in FILLER and not w.isdigit()]
    if not content:
        return 0.0
    starts = tuple(start for a in alternatives for start in a.starts)
    covered = sum(1 for w in content if w.startswith(starts))
    return covered / len(content)


def _segment_notes(segments: tuple[Segment, ...]) -> str:
    """For a hit found in guidance text: a corrected word or expansion, when there was one."""
    notes = [s.alternatives[1].note for s in segments
             if len(s.alternatives) > 1 and s.alternatives[0].note == "" and s.alternatives[1].note.startswith("matched")]
    return "; ".join(notes)


def _fts(conn: sqlite3.Connection, expression: str | None, kind: str, limit: int, *, ranked: bool = True) -> list[tuple]:
    """The best ``limit`` rows (bm25); unranked, the first rows found (two typed letters match
    thousands of titles, and ranking them all costs more than a keystroke may)."""
    if not expression or limit <= 0:
        return []
    table = TABLES[kind]
    weights = f"{TITLE_WEIGHT}, {BODY_WEIGHT}" if kind == "guidance" else f"{TITLE_WEIGHT}"
    order = " ORDER BY rank" if ranked else ""
    sql = (f"SELECT ref, title, bm25({table}, {weights}) AS rank FROM {table}"
           f" WHERE {table} MATCH ?{order} LIMIT ?")
    try:
        return conn.execute(sql, (expression, limit)).fetchall()
    except sqlite3.OperationalError as exc:
        # Only reachable through a bug in the plan's expressions; typing must never crash.
        if "fts5" in str(exc) or "syntax" in str(exc):
            return []
        raise
