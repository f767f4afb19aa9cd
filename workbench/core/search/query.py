"""What the coder typed, read as a search plan: each word or known phrase with its alternatives.

"cabg" becomes (cabg OR coronary artery bypass ...), "angiplasty" becomes (angiplasty OR
angioplasty), "heart attack" becomes (heart attack OR myocardial infarction). The plan gives
the FTS5 expressions (every segment, or any segment) and tells, for a title, which segments it
satisfies and through which alternative, so a hit can say how it matched.

User text never reaches FTS5 syntax: words are cut out with a regular expression and each is
quoted, so quotes, AND/OR/NEAR, ``*``, ``-``, ``(`` or ``:`` are only ever words or separators.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from workbench.core.search.lexicon import AMPERSAND, Lexicon, Synonym, words_of

MAX_TOKENS = 12
MAX_TOKEN_CHARS = 40
# Words so common in titles that matching them ranks thousands of rows for nothing: dropped
# when the query has other words (a query of only these still searches them).
STOPWORDS = frozenset(["a", "an", "and", "as", "at", "by", "for", "from", "in", "into", "of", "on", "or",
                       "the", "to", "with", "without"])
_TOKEN = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Alternative:
    words: tuple[str, ...]     # all must be in the record
    prefix: bool = False       # the last word is still being typed
    note: str = ""             # "" when literal; else how it matches: "abbreviation CABG"

    def expression(self) -> str:
        parts = ['"' + w.replace('"', '""') + '"' for w in self.words]
        last = self.words[-1]
        if self.prefix and len(last) > 4:
            # The index holds porter stems ("operation" -> "oper"): a typed prefix longer than
            # the stem ("operatio") matches none of them. So: the word as typed, in case it is
            # whole, or a shorter prefix; ranking then checks the whole prefix against titles.
            cut = last[: max(4, len(last) - 5)].replace('"', '""')
            parts[-1] = f'({parts[-1]} OR "{cut}"*)'
        elif self.prefix and len(last) > 1:
            parts[-1] += "*"
        return " AND ".join(parts)

    @functools.cached_property
    def starts(self) -> tuple[str, ...]:
        """How each word must start a title word: its stem, or itself while being typed (worked
        out once: ranking asks it for every candidate title)."""
        last = len(self.words) - 1
        # A word being typed may already be whole with an ending ("cemented"): "cement" starts it.
        return tuple(_unended(w) if self.prefix and i == last else stem(w) for i, w in enumerate(self.words))

    def in_title(self, spaced_title: str) -> bool:
        """``spaced_title``: the title's words, lower case, each preceded by a space."""
        return all(" " + start in spaced_title for start in self.starts)


@dataclass(frozen=True)
class Segment:
    typed: str
    alternatives: tuple[Alternative, ...]

    def expression(self) -> str:
        exprs = [a.expression() for a in self.alternatives]
        return exprs[0] if len(exprs) == 1 else "(" + " OR ".join(f"({e})" for e in exprs) + ")"

    def matched_by(self, spaced_title: str) -> Alternative | None:
        return next((a for a in self.alternatives if a.in_title(spaced_title)), None)


@dataclass(frozen=True)
class Plan:
    segments: tuple[Segment, ...]
    held: str = ""             # a last single letter left out of the words ("anti d"): the index may know it

    def every(self) -> str | None:
        return " AND ".join(s.expression() for s in self.segments) or None

    def barely_typed(self) -> bool:
        """One word of one or two letters, still being typed: too little to rank by."""
        if len(self.segments) != 1 or len(self.segments[0].alternatives) != 1:
            return False
        only = self.segments[0].alternatives[0]
        return only.prefix and len(only.words) == 1 and len(only.words[0]) <= 2

    def any(self) -> str | None:
        return " OR ".join(s.expression() for s in self.segments) or None


def _unended(word: str) -> str:
    for ending in ("ing", "ed", "es", "s"):
        if len(word) - len(ending) >= 5 and word.endswith(ending):
            return word[: -len(ending)]
    return word


def stem(word: str) -> str:
    """A crude stem for comparing with titles ("stents" ~ "stent", "fractures" ~ "fracture")."""
    if len(word) > 3 and word.endswith("s"):
        word = word[:-1]
    if len(word) > 4 and word.endswith(("y", "ie")):  # artery ~ arteries
        word = word[:-1] if word.endswith("y") else word[:-2]
    return word[: max(4, len(word) - 2)] if len(word) > 6 else word


def plan(text: str, lexicon: Lexicon, *, prefix_last: bool = True) -> Plan:
    text = AMPERSAND.sub(" and ", text)   # "T&O", "A&E", "D&C": the words, as the synonyms file writes them
    tokens = [t[:MAX_TOKEN_CHARS].lower() for t in _TOKEN.findall(text)][:MAX_TOKENS]
    held = ""
    typing = prefix_last and bool(tokens) and not text[-1:].isspace()
    if (typing and len(tokens) > 1 and len(tokens[-1]) == 1 and not tokens[-1].isdigit()
            and not _ends_a_phrase(tokens, lexicon)):
        held = tokens.pop()  # one letter of a new word narrows nothing yet ("d and c" is a term, though)
        typing = False
    drop_stopwords = any(t not in STOPWORDS for t in tokens)
    segments: list[Segment] = []
    i = 0
    while i < len(tokens):
        size, found = _phrase_at(tokens, i, lexicon)
        words = tokens[i:i + size]
        last = typing and i + size == len(tokens)
        content = [w for w in words if w not in STOPWORDS] if drop_stopwords else words
        alternatives: list[Alternative] = []
        if found:
            # Single letters of a term ("t and o", "d and c") would start half the words of
            # every title: the term is read through its meanings, and its longer words.
            content = [w for w in content if len(w) > 1]
        if content:
            # A whole abbreviation or term is read as typed, not as the start of a longer word.
            alternatives.append(Alternative(tuple(content), prefix=last and not found and content[-1] == words[-1]))
        if found:
            alternatives += [Alternative(tuple(_content(s.means)), note=_note(s)) for s in found]
        elif content and len(content) == 1:
            alternatives += _corrections(content[0], last, lexicon)
        alternatives = [a for a in alternatives if a.words]
        if alternatives:
            segments.append(Segment(" ".join(words), tuple(dict.fromkeys(alternatives))))
        i += size
    return Plan(tuple(segments), held)


def _ends_a_phrase(tokens: list[str], lexicon: Lexicon) -> bool:
    return any(tuple(tokens[-size:]) in lexicon.synonyms for size in range(2, min(lexicon.longest_term, len(tokens)) + 1))


def _phrase_at(tokens: list[str], start: int, lexicon: Lexicon) -> tuple[int, list[Synonym]]:
    """The longest synonym term starting at ``start`` (size 1 and [] when there is none)."""
    for size in range(min(lexicon.longest_term, len(tokens) - start), 0, -1):
        found = lexicon.synonyms.get(tuple(tokens[start:start + size]))
        if found:
            return size, found
    return 1, []


def _content(text: str) -> list[str]:
    words = words_of(text)
    return [w for w in words if w not in STOPWORDS] or words


def _corrections(word: str, typing: bool, lexicon: Lexicon) -> list[Alternative]:
    if lexicon.known_form(word) or (typing and lexicon.starts_a_word(word)):
        return []
    return [Alternative((c,), prefix=typing, note=f"matched '{c}'") for c in lexicon.corrections(word)]


def _note(synonym: Synonym) -> str:
    if synonym.kind == "abbreviation":
        letters = synonym.term.split(" and ")
        term = "&".join(letters) if len(letters) > 1 and all(len(w) <= 3 for w in letters) else synonym.term
        return f"abbreviation {term.upper()}"
    if synonym.kind == "spelling":
        return f"spelled '{synonym.means}'"
    if synonym.kind == "lay":
        return f"lay term '{synonym.term}'"
    return f"synonym '{synonym.means}'"


def fts_expression(text: str, *, prefix_last: bool = True, operator: str = " ") -> str | None:
    """The literal FTS5 query for ``text`` (every word; the last a prefix while it is typed)."""
    literal = plan(text, Lexicon(), prefix_last=prefix_last)
    exprs = [s.expression() for s in literal.segments]
    return (" OR " if operator.strip() == "OR" else " ").join(exprs) or None
