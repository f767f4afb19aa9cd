"""The search lexicon: synonyms from fixtures/search/synonyms.tsv and the words of the titles.

Built into the reference database (``search_synonyms``, ``search_words``) when it is built, and
held in memory per database once read (a few milliseconds), so that each keystroke only looks
things up in dictionaries and one sorted list.

Typo correction uses RapidFuzz's optimal string alignment distance (Levenshtein plus adjacent
transpositions, so "ceasarean" is one edit from "caesarean") over the title words: about half
a millisecond for the whole dictionary, in C. RapidFuzz is imported only when a word is not in
the dictionary, which keeps it off the app's start path.
"""

from __future__ import annotations

import bisect
import contextlib
import csv
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

SYNONYMS_FILE = "search/synonyms.tsv"
SYNONYM_KINDS = ("abbreviation", "lay", "spelling", "synonym")
WORD = re.compile(r"[^\W_]+")
AMPERSAND = re.compile(r"&")
STAMP_KEY = "search_words_stamp"


class SynonymFileError(ValueError):
    """A line of the synonyms file is wrong; str() names the file and line."""


@dataclass(frozen=True)
class Synonym:
    term: str          # 'cabg', 'heart attack'
    means: str         # 'coronary artery bypass'
    kind: str          # abbreviation | lay | spelling | synonym
    source: str


@dataclass
class Lexicon:
    synonyms: dict[tuple[str, ...], list[Synonym]] = field(default_factory=dict)
    longest_term: int = 1
    uses: dict[str, int] = field(default_factory=dict)
    words: list[str] = field(default_factory=list)        # sorted, for prefix look-ups
    # Words of the vocabulary's own terms (index and synonym terms), and words of code titles:
    # a correction goes to these before a word found only in guidance text.
    vocabulary: frozenset[str] = frozenset()
    code_words: frozenset[str] = frozenset()
    usage_fy: int | None = None                           # the latest year of the national counts
    _corrections: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def knows(self, word: str) -> bool:
        return word in self.uses

    def starts_a_word(self, prefix: str) -> bool:
        i = bisect.bisect_left(self.words, prefix)
        return i < len(self.words) and self.words[i].startswith(prefix)

    def known_form(self, word: str) -> bool:
        """The word, or a plural or past form of a dictionary word (stemming finds those)."""
        if word in self.uses:
            return True
        for suffix in ("s", "es", "ed", "ing", "d"):
            if word.endswith(suffix) and word[: -len(suffix)] in self.uses:
                return True
        return word.endswith("ies") and word[:-3] + "y" in self.uses

    def corrections(self, word: str) -> tuple[str, ...]:
        """Dictionary words one edit away (two for words of eight letters or more), commonest first."""
        if len(word) < 4 or not word.isalpha() or not self.words:
            return ()
        known = self._corrections.get(word)
        if known is not None:
            return known
        from rapidfuzz import process
        from rapidfuzz.distance import OSA

        cutoff = 2 if len(word) >= 8 else 1
        found = process.extract(word, self.words, scorer=OSA.distance, score_cutoff=cutoff, limit=40)
        near: tuple[str, ...] = ()
        if found:
            # A word only guidance prose uses counts one edit further away than a word of the
            # vocabulary or of a code title; among the nearest, the vocabulary's words first.
            far = {w: d + (w not in self.vocabulary and w not in self.code_words) for w, d, _ in found}
            best = min(far.values())
            near = tuple(sorted((w for w, d in far.items() if d == best),
                                key=lambda w: (w not in self.vocabulary, -self.uses[w]))[:3])
        if len(self._corrections) > 5000:  # bounded: a coder's session, not a dictionary
            self._corrections.clear()
        self._corrections[word] = near     # searches run in worker threads: no read-back
        return near


def words_of(text: str) -> list[str]:
    """Lower-case words; "&" is the word "and" ("T&O" is "t and o", as a coder means it)."""
    return [w.lower() for w in WORD.findall(AMPERSAND.sub(" and ", text))]


# ---------------------------------------------------------------- reading at search time

_CACHE: dict[tuple, Lexicon] = {}


def lexicon(conn: sqlite3.Connection) -> Lexicon:
    """The lexicon of this reference database (cached; recounted after an import)."""
    stamp = _stamp(conn)
    found = _CACHE.get(stamp)
    if found is None:
        found = _load(conn, stamp)
        _CACHE.clear()  # one reference database per process in practice
        _CACHE[stamp] = found
    return found


def _stamp(conn: sqlite3.Connection) -> tuple:
    try:
        row = conn.execute(
            "SELECT (SELECT file FROM pragma_database_list WHERE name = 'main'),"
            " (SELECT value FROM meta WHERE key = 'built_at'),"
            " (SELECT coalesce(max(id), 0) FROM imports)").fetchone()
    except sqlite3.Error:
        return ("none",)
    return tuple(row)


def _import_stamp(stamp: tuple) -> str:
    return str(stamp[-1]) if len(stamp) == 3 else ""


def _load(conn: sqlite3.Connection, stamp: tuple) -> Lexicon:
    lex = Lexicon()
    try:
        rows = conn.execute("SELECT term, means, kind, source FROM search_synonyms ORDER BY position").fetchall()
        stored = conn.execute("SELECT value FROM meta WHERE key = ?", (STAMP_KEY,)).fetchone()
        if not stored or stored[0] != _import_stamp(stamp):
            _recount(conn)   # codes were imported since the build: count their words now (once)
        words = conn.execute("SELECT word, uses, opcs4 + icd10, vocabulary FROM search_words").fetchall()
        usage_fy = conn.execute("SELECT value FROM meta WHERE key = 'usage_latest_fy'").fetchone()
    except sqlite3.Error:
        return lex  # an older database without the lexicon: literal search still works
    lex.uses = {word: uses for word, uses, _, _ in words}
    lex.code_words = frozenset(word for word, _, in_codes, _ in words if in_codes)
    lex.vocabulary = frozenset(word for word, _, _, vocabulary in words if vocabulary)
    lex.usage_fy = int(usage_fy[0]) if usage_fy else None
    del words
    for term, means, kind, source in rows:
        key = tuple(term.split())
        lex.synonyms.setdefault(key, []).append(Synonym(term, means, kind, source))
        lex.longest_term = max(lex.longest_term, len(key))
    lex.words = sorted(lex.uses)
    return lex


def _recount(conn: sqlite3.Connection) -> None:
    """Count the words again and keep them, unless another process is writing (then the counts
    of the build serve until next time)."""
    uses = count_words(conn)
    try:
        conn.execute("PRAGMA busy_timeout = 0")
        conn.execute("BEGIN IMMEDIATE")
        try:
            _store_words(conn, uses)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    except sqlite3.Error:
        pass  # read-only or busy: the counts in memory serve this process
    finally:
        conn.execute("PRAGMA busy_timeout = 10000")


# ---------------------------------------------------------------- building (reference build time)

def read_synonyms(path: Path) -> list[Synonym]:
    """Rows of the synonyms file; raises SynonymFileError naming the file and line."""
    out: list[Synonym] = []
    with open(path, encoding="utf-8", newline="") as handle:
        for number, cells in enumerate(csv.reader(handle, delimiter="\t"), start=1):
            if not cells or not cells[0].strip() or cells[0].lstrip().startswith("#"):
                continue
            if cells[0].strip().lower() == "term":
                continue  # the header
            if len(cells) < 4:
                raise SynonymFileError(f"{path}:{number}: expected term, means, kind and source separated by tabs")
            term, means, kind, source = (c.strip() for c in cells[:4])
            if kind not in SYNONYM_KINDS:
                raise SynonymFileError(f"{path}:{number}: kind {kind!r} is not one of {', '.join(SYNONYM_KINDS)}")
            if not source:
                raise SynonymFileError(f"{path}:{number}: every entry needs its source")
            term_words = words_of(term)
            meanings = [m.strip() for m in means.split("|") if m.strip()]
            if not term_words or not meanings or any(not words_of(m) for m in meanings):
                raise SynonymFileError(f"{path}:{number}: the term and each meaning need at least one word")
            out += [Synonym(" ".join(term_words), " ".join(words_of(m)), kind, source) for m in meanings]
    return out


@dataclass
class WordCount:
    uses: int = 0          # titles, guidance texts and vocabulary terms using the word
    opcs4: int = 0         # OPCS-4 titles using it (a procedure word)
    icd10: int = 0         # ICD-10 titles using it (a diagnosis word)
    vocabulary: bool = False


def count_words(conn: sqlite3.Connection) -> dict[str, WordCount]:
    """How many titles (and guidance texts, and vocabulary terms) use each word."""
    counts: dict[str, WordCount] = {}

    def add(words: set[str], classification: str | None = None, vocabulary: bool = False) -> None:
        for word in words:
            count = counts.get(word)
            if count is None:
                count = counts[word] = WordCount()
            count.uses += 1
            if classification == "opcs4":
                count.opcs4 += 1
            elif classification == "icd10":
                count.icd10 += 1
            count.vocabulary = count.vocabulary or vocabulary

    for classification, title in conn.execute("SELECT classification, title FROM codes WHERE level IN ('category', 'code')"):
        add(set(words_of(title)), classification)
    for title, text in conn.execute("SELECT title, text FROM guidance"):
        add(set(words_of(title)) | set(words_of(text)))
    for (means,) in conn.execute("SELECT means FROM search_synonyms"):
        add(set(means.split()))
    terms = [term for (term,) in conn.execute("SELECT DISTINCT term FROM search_synonyms")]
    with contextlib.suppress(sqlite3.OperationalError):   # a database from before the index
        terms += [label for (label,) in conn.execute("SELECT DISTINCT label FROM search_index")]
    for term in terms:
        add(set(words_of(term)), vocabulary=True)
    return {w: n for w, n in counts.items() if w.isalpha()}


def build_lexicon(conn: sqlite3.Connection, fixtures: Path) -> list[str]:
    """Fill search_synonyms and search_words; returns problems (a broken synonyms file)."""
    problems: list[str] = []
    path = fixtures / SYNONYMS_FILE
    synonyms: list[Synonym] = []
    if path.exists():
        try:
            synonyms = read_synonyms(path)
        except (SynonymFileError, OSError, UnicodeDecodeError) as exc:
            problems.append(str(exc))  # search still works, literally
    conn.executemany("INSERT OR IGNORE INTO search_synonyms (term, means, kind, source, position)"
                     " VALUES (?, ?, ?, ?, ?)",
                     [(s.term, s.means, s.kind, s.source, i) for i, s in enumerate(synonyms)])
    from workbench.core.search.vocabulary import build_index

    problems += build_index(conn, fixtures)
    refresh_words(conn)
    return problems


def refresh_words(conn: sqlite3.Connection) -> None:
    _store_words(conn, count_words(conn))


def _store_words(conn: sqlite3.Connection, counts: dict[str, WordCount]) -> None:
    conn.execute("DELETE FROM search_words")
    conn.executemany("INSERT INTO search_words (word, uses, opcs4, icd10, vocabulary) VALUES (?, ?, ?, ?, ?)",
                     ((w, c.uses, c.opcs4, c.icd10, int(c.vocabulary)) for w, c in counts.items()))
    stamp = conn.execute("SELECT coalesce(max(id), 0) FROM imports").fetchone()[0]
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (STAMP_KEY, str(stamp)))
