"""The coders' index: lead terms and modifiers pointing at codes, as a coder's alphabetical index works.

``fixtures/search/index.tsv`` says, one entry a line, what the words coders use for an operation
or a condition point at: "adhesions, freeing of" -> OPCS-4 T42, T41; "resection, small bowel"
-> G69, G58; "tavi" -> K26.2 and IPG421. Titles never say "adhesiolysis" or "polypectomy";
the index does. An entry matches a query that holds every one of its words, in any order
(stems, so "polyps" finds "polyp"; the word being typed as a prefix); the entry holding most
of the query's words is the most specific. A category target lists its codes by how often
they are recorded nationally, most used first.

Everything stays in SQLite (``search_index``, ``search_index_words``): a keystroke costs two
indexed look-ups and the process holds nothing of the index in memory.
"""

from __future__ import annotations

import csv
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from workbench.core.classifications.codes import ICD10, OPCS4, try_parse_code

INDEX_FILE = "search/index.tsv"
CLASSIFICATIONS = (OPCS4, ICD10)
# Words an index line uses to read well that a query need not hold ("freeing of adhesions").
LINKING = frozenset(["of", "and", "the", "a", "an", "for", "with", "to", "in", "by", "on", "or"])
TARGET = re.compile(r"^(IPG\d+|[A-Z]\d\d(\.\d)?)$")
CODES_PER_CATEGORY = 3      # a category target shows its most used codes, then itself
MAX_ENTRY_ROWS = 400        # bounds a prefix that starts many stems ("car")


class IndexFileError(ValueError):
    """A line of the index file is wrong; str() names the file and line."""


@dataclass(frozen=True)
class IndexEntry:
    line: int
    label: str                      # 'adhesions, freeing of'
    classification: str             # the codes' classification
    targets: tuple[str, ...]        # 'T42', 'L80.4', 'IPG75'
    source: str


def entry_stems(label: str) -> tuple[str, ...]:
    """The stems a query must hold for the entry: its words less the linking words."""
    from workbench.core.search.lexicon import words_of
    from workbench.core.search.query import stem

    words = words_of(label)
    content = [w for w in words if w not in LINKING] or words
    return tuple(dict.fromkeys(stem(w) for w in content))


def read_index(path: Path) -> list[IndexEntry]:
    """Entries of the index file; raises IndexFileError naming the file and line."""
    out: list[IndexEntry] = []
    with open(path, encoding="utf-8", newline="") as handle:
        for number, cells in enumerate(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE), start=1):
            if not cells or not cells[0].strip() or cells[0].lstrip().startswith("#"):
                continue
            if cells[0].strip().lower() == "term":
                continue  # the header
            if len(cells) < 4:
                raise IndexFileError(f"{path}:{number}: expected term, classification, targets and source "
                                     "separated by tabs")
            label, classification, targets, source = (c.strip() for c in cells[:4])
            if classification not in CLASSIFICATIONS:
                raise IndexFileError(f"{path}:{number}: classification {classification!r} is not opcs4 or icd10")
            codes = tuple(targets.upper().split())
            bad = [t for t in codes if not TARGET.match(t)]
            if not codes or bad:
                raise IndexFileError(f"{path}:{number}: targets must be codes, categories or IPG numbers"
                                     + (f", not {bad[0]!r}" if bad else ""))
            if not source:
                raise IndexFileError(f"{path}:{number}: every entry needs its source")
            if not entry_stems(label):
                raise IndexFileError(f"{path}:{number}: the term needs at least one word")
            out.append(IndexEntry(number, label.lower(), classification, codes, source))
    return out


def build_index(conn: sqlite3.Connection, fixtures: Path) -> list[str]:
    """Fill search_index and search_index_words at build time; returns problems (a broken file)."""
    path = fixtures / INDEX_FILE
    if not path.exists():
        return []
    try:
        entries = read_index(path)
    except (IndexFileError, OSError, UnicodeDecodeError) as exc:
        return [str(exc)]   # search still works without the index
    rows, words = [], []
    for number, entry in enumerate(entries):
        stems = entry_stems(entry.label)
        for order, target in enumerate(entry.targets):
            kind = "guidance" if target.startswith("IPG") else entry.classification
            ref = try_parse_code(target, kind) if kind != "guidance" else None
            rows.append((number, order, entry.label, len(stems), kind, ref.code if ref else target, entry.source))
        words += [(s, number) for s in stems]
    conn.executemany("INSERT INTO search_index (entry, target_order, label, words, classification, target, source)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    conn.executemany("INSERT OR IGNORE INTO search_index_words (stem, entry) VALUES (?, ?)", words)
    return []


# ---------------------------------------------------------------- search time

@dataclass(frozen=True)
class IndexHit:
    kind: str                       # "opcs4" | "icd10" | "guidance"
    code: str
    title: str
    label: str                      # the entry that found it
    covered: frozenset[int]         # the query segments the entry's words come from
    words: int                      # how many words the entry has: more is more specific
    order: tuple[int, int, int]     # entry line, target order, place within a category


def matches(conn: sqlite3.Connection, stems: dict[str, set[int]], typing: tuple[str, int] | None,
            usage_fy: int | None) -> list[IndexHit]:
    """Index hits for a query. ``stems``: each whole word's stem -> the segments it came from;
    ``typing``: the word being typed and its segment (a prefix of entry words)."""
    look = dict(stems)
    args: list[object] = list(look)
    where = [f"stem IN ({','.join('?' * len(look))})"] if look else []
    prefix = ""
    if typing is not None and len(typing[0]) >= 3:
        prefix = typing[0]
        # Entry stems the typed prefix starts, and stems that start it (a stem is at most a few
        # letters shorter than its word: "colonosco" for "colonoscopy", never "colon").
        for size in range(max(4, len(prefix) - 4), len(prefix) + 1):
            look.setdefault(prefix[:size], set()).add(typing[1])
        args = list(look) + [prefix, prefix + "\uffff"]
        where = [f"stem IN ({','.join('?' * len(look))})", "(stem >= ? AND stem < ?)"]
    if not where:
        return []
    try:
        rows = conn.execute(f"SELECT stem, entry FROM search_index_words WHERE {' OR '.join(where)}"
                            f" LIMIT {MAX_ENTRY_ROWS * 4}", args).fetchall()
    except sqlite3.OperationalError:
        return []   # a database from before the index
    found: dict[int, dict[str, set[int]]] = {}
    for stem_, entry in rows:
        segments = look.get(stem_) or ({typing[1]} if typing is not None and stem_.startswith(prefix) else set())
        found.setdefault(entry, {})[stem_] = segments
    if not found:
        return []
    entries = sorted(found)[:MAX_ENTRY_ROWS]
    targets = conn.execute(
        f"SELECT entry, target_order, label, words, classification, target FROM search_index"
        f" WHERE entry IN ({','.join('?' * len(entries))}) ORDER BY entry, target_order", entries).fetchall()
    hits: list[IndexHit] = []
    for entry, order, label, words, kind, target in targets:
        matched = found[entry]
        if len(matched) < words:
            continue   # the query lacks a word of the entry
        covered = frozenset(s for segments in matched.values() for s in segments)
        hits += _expand(conn, kind, target, label, covered, words, (entry, order), usage_fy)
    return hits


def _expand(conn: sqlite3.Connection, kind: str, target: str, label: str, covered: frozenset[int],
            words: int, order: tuple[int, int], usage_fy: int | None) -> list[IndexHit]:
    if kind == "guidance":
        row = conn.execute("SELECT title FROM guidance WHERE id = ?", (target,)).fetchone()
        return [IndexHit(kind, target, row[0], label, covered, words, (*order, 0))] if row else []
    row = conn.execute("SELECT title, has_children FROM codes WHERE classification = ? AND code = ?",
                       (kind, target)).fetchone()
    if row is None:
        return []
    title, has_children = row
    hits = []
    if has_children and "." not in target:
        from workbench.core.search.codes import category_codes

        children = category_codes(conn, kind, target, CODES_PER_CATEGORY)
        hits = [IndexHit(kind, code, child_title, label, covered, words, (*order, i))
                for i, (code, child_title) in enumerate(children)]
    return hits + [IndexHit(kind, target, title, label, covered, words, (*order, len(hits)))]
