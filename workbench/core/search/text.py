"""Word search over guidance and code titles, ranked the way a coder reads a list.

Candidates come from the FTS5 indexes (porter stemming, bm25; the guidance title weighs ten
times its text): first the records holding every segment of the plan (guidance titles before
guidance text), and, when none does, records holding any. Each candidate is then placed by:

1. whether its title holds every segment: a code titled "Total prosthetic replacement of hip
   joint" beats a guidance document that mentions "hip replacement" in its text;
2. then guidance that holds every segment in its text; then titles FTS5 matched that the check
   does not confirm (a stem, or the shortened prefix of a word being typed); then records
   holding some segments;
3. within a tier: the synonyms file's first meaning, the classification the words belong to
   (procedure words such as "resection" to OPCS-4, diagnosis words to ICD-10, or the list the
   coder is adding to), codes still recorded before codes the hospital statistics stopped
   recording, then how much of the title the query covers together with how often the code is
   recorded nationally (``POPULARITY``: "htn" gives I10, 6.4 million episodes a year, before
   renovascular hypertension), codes before categories needing a 4th character, then bm25.

Before all of them come the codes the coders' index (``vocabulary``) points at for the whole
query: "adhesiolysis" -> T42, T41; "colonoscopy polypectomy" -> H20 (the entry holding more of
the query's words first; a category's codes most used first).
"""

from __future__ import annotations

import math
import re
import sqlite3
from dataclasses import dataclass

from workbench.core.classifications.catalog import LATEST_FY, STALE_YEARS, financial_year
from workbench.core.classifications.codes import ICD10, OPCS4
from workbench.core.search.hits import Hit, HitList
from workbench.core.search.lexicon import Lexicon, words_of
from workbench.core.search.query import STOPWORDS, Plan, Segment, plan, stem
from workbench.core.search.vocabulary import IndexHit, matches

TITLE_WEIGHT, BODY_WEIGHT = 10.0, 1.0
TABLES = {"guidance": "search_guidance", OPCS4: "search_opcs4", ICD10: "search_icd10"}
# Words that say nothing about what a code is: not counted when measuring title coverage.
# ("Other specified" and "Unspecified" do count: residual codes come after specific ones.)
FILLER = STOPWORDS | {"nec", "nos", "not", "elsewhere", "classified"}
MIN_POOL = 30
HOME_MAJORITY = 4           # a classification with 4x the other's matching titles is the words' home
POOL_EXTRA = 10
GUIDANCE_ROW = 2           # index of the row the best guidance title match is lifted to
# How much national use weighs against title coverage (0-1): a code recorded ten million times
# a year scores 1 * POPULARITY, one recorded ten times 1/7 of it. Guidance has no counts; it
# scores as a code recorded a few thousand times.
POPULARITY = 1.0
GUIDANCE_POPULARITY = 0.5
LEAN = 4                   # a word is a procedure (diagnosis) word when OPCS-4 (ICD-10) titles use it 4x as often


@dataclass
class _Candidate:
    kind: str
    ref: str
    title: str
    rank: float          # bm25: lower is better
    all_segments: bool   # from the query that needs every segment
    index: IndexHit | None = None   # the coders' index pointed at it


def text_hits(conn: sqlite3.Connection, text: str, kind: str | None, hits: HitList, lexicon: Lexicon,
              prefer: str | None = None) -> None:
    the_plan = plan(text, lexicon)
    if not the_plan.segments or hits.full():
        return
    kinds = [kind] if kind else ["guidance", OPCS4, ICD10]
    # bm25 already puts short titles holding the words first: re-ranking its best rows is enough.
    pool = max(hits.room() + POOL_EXTRA, MIN_POOL)
    found: dict[tuple[str, str], _Candidate] = {}
    ranked = not the_plan.barely_typed()
    # Two letters are too few to rank titles by, but may be a whole index term ("ga", "af").
    for hit in _index_hits(conn, the_plan, lexicon, whole_words_only=not ranked):
        if hit.kind in kinds:
            key = (hit.kind, hit.code)
            known = found.get(key)
            if known is None or _index_better(hit, known.index):
                found[key] = _Candidate(hit.kind, hit.code, hit.title, 0.0, True, hit)
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
    if len(the_plan.segments) > 1 and not any(c.all_segments and c.index is None for c in found.values()):
        # No record holds every word: records holding some of them, still ranked.
        for k in kinds:
            for row in _fts(conn, the_plan.any(), k, pool):
                found.setdefault((k, row[0]), _Candidate(k, row[0], row[1], row[2], False))
    facts = _facts(conn, found, lexicon.usage_fy)
    home = {"guidance", prefer} if prefer in (OPCS4, ICD10) else _home(conn, the_plan, found)
    negates = tuple(_negates(segment) for segment in the_plan.segments)
    placed = sorted((_place(c, the_plan, facts.get((c.kind, c.ref), _NO_FACTS), c.kind in home,
                            prefer is not None, negates) for c in found.values()), key=lambda p: p[0])
    _lift_guidance(placed)
    for _, hit in placed:
        hits.add(hit)
        if hits.full():
            break


def _index_hits(conn: sqlite3.Connection, the_plan: Plan, lexicon: Lexicon, *,
                whole_words_only: bool = False) -> list[IndexHit]:
    """What the coders' index points at for the words typed (their corrections and spellings)."""
    stems: dict[str, set[int]] = {}
    typing: tuple[str, int] | None = None
    for i, segment in enumerate(the_plan.segments):
        typed = [w for w in segment.typed.split() if w not in STOPWORDS] or segment.typed.split()
        literal = next((a for a in segment.alternatives if not a.note), None)
        if literal is not None and literal.prefix and not whole_words_only:
            *typed, last = typed
            typing = (last, i)
            if lexicon.known_form(last) or len(last) < 3 or last.isdigit():
                stems.setdefault(stem(last), set()).add(i)   # a whole word, maybe more to come
        for word in typed:
            stems.setdefault(stem(word), set()).add(i)
        for alternative in segment.alternatives:
            if alternative.note.startswith(("matched", "spelled")):   # a corrected word, another spelling
                for word in alternative.words:
                    stems.setdefault(stem(word), set()).add(i)
    if the_plan.held and the_plan.segments:
        stems.setdefault(the_plan.held, set()).add(len(the_plan.segments) - 1)   # "anti d", "ckd 3"
    return matches(conn, stems, typing, lexicon.usage_fy)


def _index_better(hit: IndexHit, than: IndexHit | None) -> bool:
    return than is None or (-len(hit.covered), -hit.words, hit.order) < (-len(than.covered), -than.words, than.order)


@dataclass(frozen=True)
class _Facts:
    heading: bool = False            # a category needing a 4th character
    last_recorded: int | None = None # the last year recorded, for codes the statistics stopped recording
    uses: int = 0                    # national episodes in the latest year (a heading: its most used code)


_NO_FACTS = _Facts()


def _lift_guidance(placed: list[tuple[tuple, Hit]]) -> None:
    """The best guidance whose title holds every word shows by the third row: guidance is what
    a coder codes an episode with, and dozens of short code titles must not bury it."""
    first = next((i for i, (_, hit) in enumerate(placed) if hit.kind == "guidance" and hit.detail in ("title", "index")),
                 None)
    if first is not None and first > GUIDANCE_ROW:
        placed.insert(GUIDANCE_ROW, placed.pop(first))


def _facts(conn: sqlite3.Connection, found: dict[tuple[str, str], _Candidate], usage_fy: int | None
           ) -> dict[tuple[str, str], _Facts]:
    """Per candidate code, in one indexed query per classification: whether it is a category
    needing a 4th character, the last year it was recorded when the hospital statistics stopped
    recording it (retired, as I84 was in April 2016, or rare; a category counts from its newest
    code), and its national use in the latest year (a category: its most used code, so it sits
    beside that code rather than above every code as its sum would)."""
    facts: dict[tuple[str, str], _Facts] = {}
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
            facts[(kind, code)] = _Facts(bool(has_children and "." not in code), last_fy if stale else None,
                                         uses or 0)
    return facts


def _home(conn: sqlite3.Connection, the_plan: Plan, found: dict[tuple[str, str], _Candidate]) -> set[str]:
    """The classification the words belong to: "resection" and "angioplasty" are procedure words
    (OPCS-4 titles use them far more than ICD-10 titles), "infarction" a diagnosis word. Each
    segment leans by its words' counts in the titles of each classification; when the segments
    lean one way only, that classification is home. Guidance is always home."""
    leans: set[str] = set()
    words = {w for segment in the_plan.segments for a in segment.alternatives for w in a.words
             if not (a.prefix and w == a.words[-1])}
    counts = {}
    if words:
        try:
            counts = {w: (o, i) for w, o, i in conn.execute(
                f"SELECT word, opcs4, icd10 FROM search_words WHERE word IN ({','.join('?' * len(words))})",
                sorted(words))}
        except sqlite3.OperationalError:
            counts = {}
    for segment in the_plan.segments:
        opcs = icd = 0
        for alternative in segment.alternatives:
            for word in alternative.words:
                o, i = counts.get(word, (0, 0))
                opcs, icd = opcs + o, icd + i
        if opcs >= 2 and opcs >= LEAN * icd:
            leans.add(OPCS4)
        elif icd >= 2 and icd >= LEAN * opcs:
            leans.add(ICD10)
    if len(leans) == 1:
        return {"guidance"} | leans
    if leans:
        return {"guidance", OPCS4, ICD10}
    # Words no title uses as such (a prefix being typed): the classification most matching
    # titles belong to, when it is a clear majority.
    by_kind = {k: sum(1 for kind, _ in found if kind == k) for k in (OPCS4, ICD10)}
    best = max(by_kind.values())
    return {"guidance"} | {k for k, n in by_kind.items() if n * HOME_MAJORITY > best}


_NEGATED = re.compile(r" (?:not using|not|without|no) \w+")
_NEGATIONS = frozenset(["not", "without", "no", "non"])


def _negates(segment: Segment) -> bool:
    return any(w in _NEGATIONS for a in segment.alternatives for w in a.words) or \
        any(w in _NEGATIONS for w in segment.typed.split())


def _popularity(uses: int) -> float:
    """0 for a code not recorded, 1 for ten million episodes a year (log scale)."""
    return min(1.0, math.log10(1 + uses) / 7) if uses > 0 else 0.0


def _place(candidate: _Candidate, the_plan: Plan, facts: _Facts, at_home: bool,
           field_first: bool, negates: tuple[bool, ...]) -> tuple[tuple, Hit]:
    title_words = words_of(candidate.title)
    spaced = " " + " ".join(title_words)
    # "cemented" is not a word of "... not using cement": a negated word matches only a query
    # that says so itself ("without cement", "uncemented" -> "not using cement").
    positive = _NEGATED.sub(" ", spaced) if _NEGATIONS.intersection(title_words) else spaced
    matched = [segment.matched_by(spaced if negated else positive)
               for segment, negated in zip(the_plan.segments, negates, strict=True)]
    index = candidate.index
    covered = index.covered if index is not None else frozenset()
    n_matched = sum(1 for i, m in enumerate(matched) if m is not None or i in covered)
    whole = n_matched == len(matched)
    popularity = GUIDANCE_POPULARITY if candidate.kind == "guidance" else _popularity(facts.uses)
    retired = facts.last_recorded is not None
    # From a list, its classification first (guidance beside it), whatever the words.
    field = (not at_home) if field_first else False
    if index is not None and len(covered) == len(matched):
        # The coders' index names this code for the whole query: first, the most specific entry first.
        # The entries' first targets first (the commonest of them first), then their second ...
        key: tuple = (field, 0, -index.words, index.order[1], facts.heading, -round(popularity, 3),
                      index.order, retired)
        # Say how it matched: what the title itself shows ("abbreviation DVT"), else the entry.
        note = "; ".join(dict.fromkeys(m.note for m in matched if m is not None and m.note)) \
            if all(m is not None for m in matched) else ""
        note = note or f"index: {index.label}"
        score = round(500 + index.words, 4)
        detail = "index"
    else:
        if whole:
            tier = 0
        elif candidate.all_segments and candidate.kind == "guidance":
            tier = 1  # guidance holding every word in its text
        elif candidate.all_segments and index is None:
            tier = 2  # FTS5 found every word, through a stem or a shortened prefix the check above does not confirm
        else:
            tier = 3
        coverage = _coverage(title_words, [m for m in matched if m is not None])
        share = 1.0 if whole or (candidate.all_segments and candidate.kind != "guidance" and index is None) \
            else n_matched / len(matched)
        # The meaning the synonyms file lists first is the usual one: it ranks first.
        preference = sum(len(s.alternatives) if m is None else s.alternatives.index(m)
                         for s, m in zip(the_plan.segments, matched, strict=True)
                         if len(s.alternatives) > 1 and (m is None or not m.note.startswith("matched")))
        # A category needing a 4th character follows the codes that match as well as it does.
        # A code no longer recorded follows the current codes that match as well (I84 after K64).
        # Coverage and national use together: the commonest of the codes that say what was typed.
        strength = coverage + POPULARITY * popularity
        key = (field, 1, tier, -share, preference, not at_home, retired, facts.heading, -round(strength, 3),
               candidate.rank)
        score = round((4 - tier) * 100 + share * 10 + strength, 4)
        detail = "title" if tier == 0 else ("text" if candidate.kind == "guidance" else "stem")
        note = "; ".join(dict.fromkeys(m.note for m in matched if m is not None and m.note))
        if index is not None:
            note = "; ".join(filter(None, (f"index: {index.label}", note)))
        if not note and tier == 1:
            note = _segment_notes(the_plan.segments)
    if retired:
        note = "; ".join(filter(None, (note, f"not recorded since {financial_year(facts.last_recorded)}")))
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
