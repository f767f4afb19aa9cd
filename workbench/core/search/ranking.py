"""Where each word-search candidate goes in the list: the ranking rules, each with its reason.

Each candidate is matched against the query's segments (its title, and the coders' index entry
that named it), then placed by, in order:

1. the index naming the code for the whole query; then titles holding every segment;
2. a procedure code whose title holds the operation while the rest of the query names a method
   or site (chapter Y/Z of OPCS-4): "lap appendicectomy" lists H01 first, then Y75.2, because
   a Y or Z code is never the main code (the composition rule);
3. guidance holding every word in its text; titles FTS5 matched through a stem only; then
   records holding some segments;
4. within a tier: how many segments it holds; guidance or an operation whose title matches only
   after "for" (its indication: "fibroids" in "Uterine artery embolisation for fibroids") after
   the codes of the condition; codes qualified in a way the query did not ask (a newborn's, a
   pregnancy's, a traumatic, in situ, postoperative, personal history or sequelae code:
   ``qualifiers``) after the plain ones; which segments it holds, a rare word weighing more than
   a common one ("regurgitation" against "tricuspid" only once the newborn's P92.1 has gone
   below); codes the index names before titles alone; the synonyms file's first
   meaning; the classification the words belong to; codes still recorded; title coverage with
   national use (``POPULARITY``); codes before categories needing a 4th character; bm25.

A segment nothing matches ("fast" in "fast AF", "burr" in "burr hole"), and words that only say
a procedure is meant ("procedure", "operation", "surgery"), are left out of the count when other
segments match: they narrow nothing, so they must not push every record into the partial tier.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from workbench.core.classifications.catalog import financial_year
from workbench.core.classifications.codes import ICD10, OPCS4
from workbench.core.search.facts import NO_FACTS, Candidate, Facts
from workbench.core.search.hits import Hit
from workbench.core.search.lexicon import words_of
from workbench.core.search.qualifiers import asked_for, unasked
from workbench.core.search.query import STOPWORDS, Alternative, Plan, Segment

# Words that say nothing about what a code is: not counted when measuring title coverage.
# ("Other specified" and "Unspecified" do count: residual codes come after specific ones.)
FILLER = STOPWORDS | {"nec", "nos", "not", "elsewhere", "classified"}
GUIDANCE_ROW = 2           # index of the row the best guidance title match is lifted to
METHOD_ROW = 3             # ... and the method code that goes with the operations above it
# How much national use weighs against title coverage (0-1): a code recorded ten million times
# a year scores 1 * POPULARITY, one recorded ten times 1/7 of it. Guidance has no counts; it
# scores as a code recorded a few thousand times.
POPULARITY = 1.0
GUIDANCE_POPULARITY = 0.5
# Words that say a procedure is meant without naming one: "hartmanns procedure", "bunion operation".
INTENT = frozenset(["procedure", "procedures", "operation", "operations", "op", "ops", "surgery", "surgical"])
METHOD_CHAPTERS = ("Y", "Z")   # OPCS-4 methods, approaches and sites: never the main code




@dataclass
class _Match:
    """How one candidate holds the query's segments."""
    candidate: Candidate
    title_words: list[str]
    matched: list[Alternative | None]     # per segment: the alternative its title holds
    covered: frozenset[int]               # segments the index entry that named it holds

    def holds(self, i: int) -> bool:
        return self.matched[i] is not None or i in self.covered

    def is_method(self) -> bool:
        return self.candidate.kind == OPCS4 and self.candidate.ref.startswith(METHOD_CHAPTERS)

    def is_approach(self) -> bool:
        return self.candidate.kind == OPCS4 and self.candidate.ref.startswith("Y")


@dataclass(frozen=True)
class _Query:
    """What the whole query says, worked out once for every candidate."""
    counted: frozenset[int]      # segments that count (not noise, not intent words)
    methods: frozenset[int]      # counted segments a method or site code (OPCS-4 Y, Z) holds
    asked: frozenset[str]        # names of the qualifiers the query asks for
    weights: tuple[float, ...]   # per segment: how much it says


def place_all(found: dict[tuple[str, str], Candidate], the_plan: Plan, facts: dict[tuple[str, str], Facts],
              home: set[str], field_first: bool, weights: tuple[float, ...],
              leaning: frozenset[int] = frozenset()) -> list[Hit]:
    """The candidates as hits, in the order the list shows them. ``weights``: how much each
    segment says (a rare word more than a common one), for records holding some segments."""
    negates = tuple(_negates(segment) for segment in the_plan.segments)
    matches = [_match(c, the_plan, negates) for c in found.values()]
    query = _read_query(the_plan, matches, weights, leaning)
    placed = sorted((_place(m, the_plan, query, facts.get((m.candidate.kind, m.candidate.ref), NO_FACTS),
                            m.candidate.kind in home, field_first) for m in matches), key=lambda p: p[0])
    _lift(placed, lambda key, hit: key[1:3] == (1, 2), METHOD_ROW)   # the method code with its operation
    _lift(placed, lambda key, hit: hit.kind == "guidance" and hit.detail in ("title", "index"), GUIDANCE_ROW)
    return [hit for _, hit in placed]


_NEGATED = re.compile(r" (?:not using|not|without|no) \w+")
_NEGATIONS = frozenset(["not", "without", "no", "non"])


def _negates(segment: Segment) -> bool:
    return any(w in _NEGATIONS for a in segment.alternatives for w in a.words) or \
        any(w in _NEGATIONS for w in segment.typed.split())


def _match(candidate: Candidate, the_plan: Plan, negates: tuple[bool, ...]) -> _Match:
    title_words = words_of(candidate.title)
    spaced = " " + " ".join(title_words)
    # "cemented" is not a word of "... not using cement": a negated word matches only a query
    # that says so itself ("without cement", "uncemented" -> "not using cement").
    positive = _NEGATED.sub(" ", spaced) if _NEGATIONS.intersection(title_words) else spaced
    matched = [segment.matched_by(spaced if negated else positive)
               for segment, negated in zip(the_plan.segments, negates, strict=True)]
    covered = candidate.index.covered if candidate.index is not None else frozenset()
    return _Match(candidate, title_words, matched, covered)


def _read_query(the_plan: Plan, matches: list[_Match], weights: tuple[float, ...],
                leaning: frozenset[int]) -> _Query:
    """``leaning``: segments whose words are procedure words (OPCS-4 titles use them far more).
    A segment names a method or site when the index says so ("lap", "left", "us guided"), or
    when a Y code (a method) holds it and it is a procedure word ("laparoscopic"). A Z code's
    title alone does not: "peritoneal" names the site of "Peritoneal cavity", and of many
    operations that are not lavage of bone."""
    segments = range(len(the_plan.segments))
    held = {i for i in segments if any(m.holds(i) for m in matches)}
    optional = {i for i in segments if i not in held and not _typing(the_plan.segments[i])}
    optional |= {i for i in segments if set(the_plan.segments[i].typed.split()) <= INTENT}
    counted = frozenset(segments) - optional or frozenset(segments)
    methods = frozenset(i for i in counted if any(m.is_method() and i in m.covered for m in matches)
                        or (i in leaning and any(m.is_approach() and m.holds(i) for m in matches)))
    if not any(_composes(m, counted, methods) for m in matches):
        methods = frozenset()
    words = {w for s in the_plan.segments for a in s.alternatives for w in a.words}
    words |= {w for s in the_plan.segments for w in s.typed.split()}
    asked = asked_for(words)
    return _Query(counted, methods, asked, weights)


def _composes(m: _Match, counted: frozenset[int], methods: frozenset[int]) -> bool:
    """An operation code holding what the method or site codes leave of the query."""
    if m.candidate.kind != OPCS4 or m.is_method():
        return False
    held = {i for i in counted if m.holds(i)}
    return held != counted and bool(held - methods) and (held | methods) >= counted


def _typing(segment: Segment) -> bool:
    return any(a.prefix for a in segment.alternatives)


def _unasked(m: _Match, query: _Query) -> int:
    """How many qualifiers the code carries that the query did not ask for."""
    return unasked(m.candidate.kind, m.candidate.ref, m.title_words, query.asked)


def _indication_only(m: _Match, the_plan: Plan) -> bool:
    """Guidance, or an OPCS-4 operation, whose title holds the query only in its indication
    ("... for fibroids", "Endoscopic serial drainage of amniotic fluid for twin to twin
    transfusion syndrome"): a treatment of the condition typed, after what names it."""
    if m.candidate.kind == ICD10 or " for " not in m.candidate.title.lower():
        return False
    head = " " + " ".join(words_of(m.candidate.title.lower().split(" for ", 1)[0]))
    return not any(s.matched_by(head) for s in the_plan.segments)


def _weighed(m: _Match, query: _Query) -> float:
    """Between records holding as many segments: the part of the query each holds, a segment
    weighed by how much it says, in tenths: only a clear difference counts ("subdural" against
    "chronic", not "foot" against "site"); national use and the rest decide the others."""
    total = sum(query.weights[i] for i in query.counted)
    return round(sum(query.weights[i] for i in query.counted if m.holds(i)) / total, 1) if total else 0.0


def _popularity(uses: int) -> float:
    """0 for a code not recorded, 1 for ten million episodes a year (log scale)."""
    return min(1.0, math.log10(1 + uses) / 7) if uses > 0 else 0.0


def _place(m: _Match, the_plan: Plan, query: _Query, facts: Facts, at_home: bool,
           field_first: bool) -> tuple[tuple, Hit]:
    candidate, matched, covered = m.candidate, m.matched, m.covered
    counted = query.counted
    n_matched = sum(1 for i in counted if m.holds(i))
    whole = n_matched == len(counted)
    popularity = GUIDANCE_POPULARITY if candidate.kind == "guidance" else _popularity(facts.uses)
    retired = facts.last_recorded is not None
    # From a list, its classification first (guidance beside it), whatever the words.
    field = (not at_home) if field_first else False
    index = candidate.index
    unasked = _unasked(m, query)
    if index is not None and counted <= covered:
        # The coders' index names this code for the whole query: first, the most specific entry first.
        # The entries' first targets first (the commonest of them first), then their second ...
        key: tuple = (field, 0, unasked, -index.words, index.order[1], facts.heading, -round(popularity, 3),
                      index.order, retired)
        # Say how it matched: what the title itself shows ("abbreviation DVT"), else the entry.
        note = "; ".join(dict.fromkeys(m.note for m in matched if m is not None and m.note)) \
            if all(m is not None for m in matched) else ""
        note = note or f"index: {index.label}"
        score = round(700 + index.words, 4)
        detail = "index"
    else:
        procedure = {i for i in counted if m.holds(i)}
        if whole:
            tier = 0
        elif _composes(m, counted, query.methods):
            tier = 1  # the operation, with the method or site code the rest of the query names
        elif m.is_method() and procedure and procedure <= query.methods:
            tier = 2  # that method or site code, right after the operations it goes with
        elif candidate.all_segments and candidate.kind == "guidance":
            tier = 3  # guidance holding every word in its text
        elif candidate.all_segments and index is None:
            tier = 4  # FTS5 found every word, through a stem or a shortened prefix the check above does not confirm
        else:
            tier = 5
        coverage = _coverage(m.title_words, [a for a in matched if a is not None])
        share = 1.0 if whole or tier in (1, 4) else n_matched / len(counted)
        weighed = 1.0 if share == 1.0 else _weighed(m, query)
        # The meaning the synonyms file lists first is the usual one: it ranks first.
        preference = sum(len(s.alternatives) if a is None else s.alternatives.index(a)
                         for s, a in zip(the_plan.segments, matched, strict=True)
                         if len(s.alternatives) > 1 and (a is None or not a.note.startswith("matched")))
        # A category needing a 4th character follows the codes that match as well as it does.
        # A code no longer recorded follows the current codes that match as well (I84 after K64).
        # Coverage and national use together: the commonest of the codes that say what was typed.
        strength = coverage + POPULARITY * popularity
        key = (field, 1, tier, -share, _indication_only(m, the_plan), unasked, -weighed, index is None, preference,
               not at_home, retired, facts.heading, -round(strength, 3), candidate.rank)
        score = round((6 - tier) * 100 + share * 10 + strength, 4)
        detail = "title" if tier <= 2 else ("text" if candidate.kind == "guidance" else "stem")
        note = "; ".join(dict.fromkeys(a.note for a in matched if a is not None and a.note))
        if index is not None:
            note = "; ".join(filter(None, (f"index: {index.label}", note)))
        if tier == 1:
            words = " ".join(the_plan.segments[i].typed for i in sorted(query.methods - procedure))
            note = "; ".join(filter(None, (note, f"'{words}': a method or site code")))
        if not note and tier == 3:
            note = _segment_notes(the_plan.segments)
    if retired:
        note = "; ".join(filter(None, (note, f"not recorded since {financial_year(facts.last_recorded)}")))
    return key, Hit(candidate.kind, candidate.ref, candidate.title, score, detail, note)


def _coverage(title_words: list[str], alternatives: list[Alternative]) -> float:
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


def _lift(placed: list[tuple[tuple, Hit]], wanted, row: int) -> None:
    """The first hit ``wanted`` says shows by ``row``: the best guidance whose title holds every
    word (guidance is what a coder codes an episode with, and dozens of short code titles must
    not bury it); the method code that goes with the operations listed above it."""
    first = next((i for i, (key, hit) in enumerate(placed) if wanted(key, hit)), None)
    if first is not None and first > row:
        placed.insert(row, placed.pop(first))
