"""Word search over guidance and code titles: which records are candidates.

Candidates come from the coders' index (``vocabulary``: the codes an entry names for the words
typed) and the FTS5 indexes (porter stemming, bm25; the guidance title weighs ten times its
text): first the records holding every segment of the plan (guidance titles before guidance
text), and, when none does, records holding any. ``ranking`` then places them; ``facts`` says
what the database knows about each (national use, headings, retired codes) and which
classification the words belong to.
"""

from __future__ import annotations

import sqlite3

from workbench.core.classifications.codes import ICD10, OPCS4
from workbench.core.search.facts import Candidate, facts, home, leaning, weights, word_counts
from workbench.core.search.hits import HitList
from workbench.core.search.lexicon import Lexicon
from workbench.core.search.plain import plain_word
from workbench.core.search.query import STOPWORDS, Plan, plan, stem
from workbench.core.search.ranking import place_all
from workbench.core.search.vocabulary import IndexHit, matches

TITLE_WEIGHT, BODY_WEIGHT = 10.0, 1.0
TABLES = {"guidance": "search_guidance", OPCS4: "search_opcs4", ICD10: "search_icd10"}
MIN_POOL = 30
POOL_EXTRA = 10


def text_hits(conn: sqlite3.Connection, text: str, kind: str | None, hits: HitList, lexicon: Lexicon,
              prefer: str | None = None) -> None:
    the_plan = plan(text, lexicon, plain=lambda word: plain_word(conn, word))
    if not the_plan.segments or hits.full():
        return
    kinds = [kind] if kind else ["guidance", OPCS4, ICD10]
    # bm25 already puts short titles holding the words first: re-ranking its best rows is enough.
    pool = max(hits.room() + POOL_EXTRA, MIN_POOL)
    found: dict[tuple[str, str], Candidate] = {}
    ranked = not the_plan.barely_typed()
    # Two letters are too few to rank titles by, but may be a whole index term ("ga", "af").
    for hit in _index_hits(conn, the_plan, lexicon, whole_words_only=not ranked):
        if hit.kind in kinds:
            key = (hit.kind, hit.code)
            known = found.get(key)
            if known is None or _index_better(hit, known.index):
                found[key] = Candidate(hit.kind, hit.code, hit.title, 0.0, True, hit)
    every = the_plan.every()
    # Guidance whose title holds the words first; its text only when titles leave room: a
    # word in thousands of guidance texts ("approach") must not be ranked on every keystroke.
    order = [("guidance", f"{{title}} : ({every})")] if "guidance" in kinds else []
    order += [(k, every) for k in kinds if k != "guidance"]
    for k, expression in order:
        for row in _fts(conn, expression, k, pool, ranked=ranked):
            found.setdefault((k, row[0]), Candidate(k, row[0], row[1], row[2], True))
    if "guidance" in kinds and len(found) < pool:
        for row in _fts(conn, every, "guidance", pool - len(found), ranked=ranked):
            found.setdefault(("guidance", row[0]), Candidate("guidance", row[0], row[1], row[2], True))
    if len(the_plan.segments) > 1 and not any(c.all_segments and c.index is None for c in found.values()):
        # No record holds every word: records holding some of them, still ranked.
        for k in kinds:
            for row in _fts(conn, the_plan.any(), k, pool):
                found.setdefault((k, row[0]), Candidate(k, row[0], row[1], row[2], False))
    known = facts(conn, found, lexicon.usage_fy)
    counts = word_counts(conn, the_plan)
    classes = {"guidance", prefer} if prefer in (OPCS4, ICD10) else home(the_plan, found, counts)
    procedure_words = frozenset(i for i, k in leaning(the_plan, counts).items() if k == OPCS4)
    for hit in place_all(found, the_plan, known, classes, prefer is not None, weights(the_plan, counts), procedure_words):
        hits.add(hit)
        if hits.full():
            break


def _index_hits(conn: sqlite3.Connection, the_plan: Plan, lexicon: Lexicon, *,
                whole_words_only: bool = False) -> list[IndexHit]:
    """What the coders' index points at for the words typed (their corrections and spellings).

    Each word is a place (segment, position) the entry's stems must fill: a segment counts as
    covered when every word of it is, so "mini stroke" (a term of its own) is not the entry
    "stroke". A word being typed, or half a word typed before the next ("cholecystec lap"), is
    a prefix of the entry's stems."""
    stems: dict[str, set[tuple[int, int]]] = {}
    prefixes: list[tuple[str, tuple[int, int]]] = []
    needs: dict[int, int] = {}
    for i, segment in enumerate(the_plan.segments):
        typed = [w for w in segment.typed.split() if w not in STOPWORDS] or segment.typed.split()
        needs[i] = len(typed)
        literal = next((a for a in segment.alternatives if not a.note), None)
        partial = next((a for a in segment.alternatives if a.note.startswith("partial")), None)
        for position, word in enumerate(typed):
            place = (i, position)
            last = position == len(typed) - 1
            if last and literal is not None and literal.prefix and not whole_words_only:
                prefixes.append((word, place))
                if not (lexicon.known_form(word) or len(word) < 3 or word.isdigit()):
                    continue
            elif last and partial is not None:
                prefixes.append((word, place))
            stems.setdefault(stem(word), set()).add(place)   # a whole word, maybe more to come
        for alternative in segment.alternatives:
            if alternative.note.startswith(("matched", "spelled")):   # a corrected word, another spelling
                for word in alternative.words:
                    stems.setdefault(stem(word), set()).add((i, 0))
    if the_plan.held and the_plan.segments:   # "anti d", "ckd 3": helps an entry match, needed by none
        stems.setdefault(the_plan.held, set()).add((len(the_plan.segments) - 1, -1))
    return matches(conn, stems, prefixes, needs, lexicon.usage_fy)


def _index_better(hit: IndexHit, than: IndexHit | None) -> bool:
    return than is None or (-len(hit.covered), -hit.words, hit.order) < (-len(than.covered), -than.words, than.order)


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
