"""One search over guidance and both classifications, called on every keystroke.

Order of results:
1. an exact guidance number ("ipg 655", "IPG75", "75") or code/category ("l804", "Y53", "L80.-");
2. the guidance that mentions that code, then a category's codes;
3. codes whose code starts with what was typed ("L8", "Y5") for partial codes;
4. full-text hits, guidance before codes (FTS5, bm25 with titles weighted above bodies, porter stemming, the
   last word matched as a prefix so results appear while typing).

User text never reaches FTS5 syntax: it is cut into word tokens, each quoted, so
quotes, AND/OR/NEAR, ``*``, ``-``, ``(`` or ``:`` are only ever words or separators.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass

from workbench.core.classifications.codes import ICD10, OPCS4, CodeRef, try_parse_code
from workbench.core.guidance import mention_ids, normalise_guidance_id

KINDS = ("guidance", OPCS4, ICD10)
MAX_QUERY_CHARS = 200      # longer input is cut: nobody types more, and it bounds the work
MAX_TOKENS = 12
MAX_TOKEN_CHARS = 40
TITLE_WEIGHT, BODY_WEIGHT = 10.0, 1.0
GUIDANCE_SHARE = 10          # guidance text hits shown before codes when no kind is given

_TOKEN = re.compile(r"[^\W_]+")
_PARTIAL_CODE = re.compile(r"^([A-Z])(\d{1,2}|\d\d\.?\d?)$")


@dataclass(frozen=True)
class Hit:
    kind: str          # "guidance" | "opcs4" | "icd10"
    code: str          # the code, or the guidance id "IPG75"
    title: str
    score: float       # higher is better
    detail: str = ""   # why it matched


def search(conn: sqlite3.Connection, query: str, *, kind: str | None = None, limit: int = 100) -> list[Hit]:
    """Guidance and code hits for ``query``; never raises for any user string."""
    if kind is not None and kind not in KINDS:
        return []
    limit = max(0, int(limit))
    if limit == 0:
        return []
    text = _clean(query)
    if not text.strip():
        return _all_guidance(conn, limit) if kind in (None, "guidance") else []
    hits = _Hits(limit)
    _exact(conn, text, kind, hits)
    if not hits.full():
        _partial_codes(conn, text, kind, hits)
    if not hits.full():
        _full_text(conn, text, kind, hits)
    return hits.items


class _Hits:
    """Ordered, de-duplicated hits up to a limit."""

    def __init__(self, limit: int):
        self.limit = limit
        self.items: list[Hit] = []
        self._seen: set[tuple[str, str]] = set()

    def add(self, hit: Hit) -> None:
        key = (hit.kind, hit.code)
        if key not in self._seen and not self.full():
            self._seen.add(key)
            self.items.append(hit)

    def full(self) -> bool:
        return len(self.items) >= self.limit


def _clean(query: object) -> str:
    text = query if isinstance(query, str) else ("" if query is None else str(query))
    # Lone surrogates cannot be encoded for SQLite; NUL ends C strings.
    text = text[: MAX_QUERY_CHARS * 4].encode("utf-8", "ignore").decode("utf-8").replace("\0", " ")
    return text[:MAX_QUERY_CHARS]


def _all_guidance(conn: sqlite3.Connection, limit: int) -> list[Hit]:
    rows = conn.execute("SELECT id, title FROM guidance ORDER BY number LIMIT ?", (limit,)).fetchall()
    return [Hit("guidance", gid, title, 0.0, "guidance") for gid, title in rows]


# ---------------------------------------------------------------- exact codes and numbers

def _exact(conn: sqlite3.Connection, text: str, kind: str | None, hits: _Hits) -> None:
    gid = normalise_guidance_id(text)
    if gid and kind in (None, "guidance"):
        row = conn.execute("SELECT id, title FROM guidance WHERE id = ?", (gid,)).fetchone()
        if row:
            hits.add(Hit("guidance", row[0], row[1], 1000.0, "guidance number"))
    refs = _code_refs(conn, text, kind)
    for ref, title in refs:
        what = "category" if ref.is_category else "code"
        hits.add(Hit(ref.classification, ref.code, title, 900.0, f"exact {what}"))
    if kind in (None, "guidance"):
        for ref, _ in refs:
            for i, mention in enumerate(mention_ids(conn, ref)):
                title = conn.execute("SELECT title FROM guidance WHERE id = ?", (mention,)).fetchone()[0]
                hits.add(Hit("guidance", mention, title, 800.0 - i, f"mentions {ref.display()}"))
    for ref, _ in refs:
        if ref.is_category:
            rows = conn.execute(
                "SELECT code, title FROM codes WHERE classification = ? AND parent = ? ORDER BY code",
                (ref.classification, ref.code)).fetchall()
            for i, (code, title) in enumerate(rows):
                hits.add(Hit(ref.classification, code, title, 700.0 - i, f"in {ref.display()}"))


def _code_refs(conn: sqlite3.Connection, text: str, kind: str | None) -> list[tuple[CodeRef, str]]:
    """Codes the text names exactly, in either classification (the shape's guess first)."""
    if len(text) > 12 or kind == "guidance":
        return []
    first = try_parse_code(text)
    if first is None:
        return []
    order = [first.classification] + [c for c in (OPCS4, ICD10) if c != first.classification]
    found = []
    for classification in order:
        if kind not in (None, classification):
            continue
        ref = try_parse_code(text, classification)
        if ref is None:
            continue
        row = conn.execute("SELECT title FROM codes WHERE classification = ? AND code = ?",
                           (classification, ref.code)).fetchone()
        if row:
            found.append((ref, row[0]))
    return found


def _partial_codes(conn: sqlite3.Connection, text: str, kind: str | None, hits: _Hits) -> None:
    """'L8' -> L80, L80.1 ...: codes typed so far, in code order."""
    compact = re.sub(r"\s+", "", text).upper()
    if kind == "guidance" or not _PARTIAL_CODE.match(compact):
        return
    prefix = compact if "." in compact or len(compact) <= 3 else f"{compact[:3]}.{compact[3:]}"
    for classification in (OPCS4, ICD10):
        if kind not in (None, classification):
            continue
        rows = conn.execute(
            "SELECT code, title FROM codes WHERE classification = ? AND code >= ? AND code < ?"
            " AND level IN ('category', 'code') ORDER BY code LIMIT ?",
            (classification, prefix, prefix + "\uffff", hits.limit)).fetchall()
        for i, (code, title) in enumerate(rows):
            hits.add(Hit(classification, code, title, 600.0 - i / 100, "code starts with " + prefix))


# ---------------------------------------------------------------- full text

# Words so common in titles that matching them ranks thousands of rows for nothing: dropped
# when the query has other words (a query of only these still searches them).
STOPWORDS = frozenset(["a", "an", "and", "as", "at", "by", "for", "from", "in", "into", "of", "on", "or", "the", "to", "with", "without"])
_TABLES = {"guidance": "search_guidance", OPCS4: "search_opcs4", ICD10: "search_icd10"}


def fts_expression(text: str, *, prefix_last: bool = True, operator: str = " ") -> str | None:
    """A safe FTS5 query: each word quoted; the last one a prefix while it is being typed."""
    tokens = [t[:MAX_TOKEN_CHARS] for t in _TOKEN.findall(text)][:MAX_TOKENS]
    typing = prefix_last and bool(tokens) and not text[-1:].isspace()
    if typing and len(tokens) > 1 and len(tokens[-1]) == 1:
        tokens.pop()  # one letter of a new word narrows nothing yet
        typing = False
    if any(t.lower() not in STOPWORDS for t in tokens):
        last = tokens[-1] if typing else None
        tokens = [t for t in tokens if t.lower() not in STOPWORDS or t is last]
    if not tokens:
        return None
    parts = ['"' + t.replace('"', '""') + '"' for t in tokens]
    if typing and len(tokens[-1]) > 1:
        parts[-1] += "*"
    return operator.join(parts)


def _full_text(conn: sqlite3.Connection, text: str, kind: str | None, hits: _Hits) -> None:
    expression = fts_expression(text)
    if expression is None:
        return
    # Without a kind, a few guidance hits come before codes, so that thousands of short
    # code titles never push the guidance out of the list.
    groups = [[kind]] if kind else [["guidance"], [OPCS4, ICD10]]
    for group in groups:
        room = hits.limit - len(hits.items)
        if group == ["guidance"] and kind is None:
            room = min(room, max(GUIDANCE_SHARE, hits.limit // 4))
        rows = _fts_group(conn, expression, group, room)
        if not rows and " " in expression:
            # No record holds every word: fall back to any word, still ranked.
            rows = _fts_group(conn, fts_expression(text, operator=" OR ") or "", group, room)
        for row_kind, ref, title, rank in rows:
            hits.add(Hit(row_kind, ref, title, round(-rank, 4), "text"))


def _fts_group(conn: sqlite3.Connection, expression: str, kinds: list[str], limit: int) -> list[tuple]:
    """The best ``limit`` rows over the tables of ``kinds``, best first."""
    if limit <= 0 or not expression:
        return []
    rows = [row for k in kinds for row in _fts(conn, expression, k, limit)]
    return sorted(rows, key=lambda row: row[3])[:limit]


def _fts(conn: sqlite3.Connection, expression: str, kind: str, limit: int) -> list[tuple]:
    table = _TABLES[kind]
    weights = f"{TITLE_WEIGHT}, {BODY_WEIGHT}" if kind == "guidance" else f"{TITLE_WEIGHT}"
    sql = (f"SELECT '{kind}', ref, title, bm25({table}, {weights}) AS rank FROM {table}"
           f" WHERE {table} MATCH ? ORDER BY rank LIMIT ?")
    try:
        return conn.execute(sql, (expression, limit)).fetchall()
    except sqlite3.OperationalError as exc:
        # Only reachable through a bug in fts_expression; a coder's typing must never crash.
        if "fts5" in str(exc) or "syntax" in str(exc):
            return []
        raise
