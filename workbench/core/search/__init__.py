"""One search over guidance and both classifications, called on every keystroke.

Order of results:
1. an exact guidance number ("ipg 655", "IPG75", "75") or code/category ("l804", "Y53", "L80.-"),
   a category's codes right after it (codes of the shape typed before any guidance);
2. the guidance that mentions that code;
3. codes whose code starts with what was typed ("L8", "Y5") for partial codes;
4. word hits (``text``): titles holding every word, guidance and codes together with the titles
   the query covers best first, then guidance mentioning the words in its text, then records
   holding some of the words. Words are read through the search lexicon (``lexicon``):
   abbreviations, lay terms and other spellings from fixtures/search/synonyms.tsv, and typos
   corrected against the words of the titles. A hit found that way says how in ``match_note``.
"""

from __future__ import annotations

import sqlite3

from workbench.core.classifications.codes import ICD10, OPCS4
from workbench.core.search import codes
from workbench.core.search.codes import code_facts
from workbench.core.search.hits import Hit, HitList
from workbench.core.search.lexicon import lexicon
from workbench.core.search.query import STOPWORDS, fts_expression
from workbench.core.search.text import text_hits

__all__ = ["KINDS", "MAX_QUERY_CHARS", "STOPWORDS", "Hit", "code_facts", "fts_expression", "search"]

KINDS = ("guidance", OPCS4, ICD10)
MAX_QUERY_CHARS = 200      # longer input is cut: nobody types more, and it bounds the work


def search(conn: sqlite3.Connection, query: str, *, kind: str | None = None, limit: int = 200,
           prefer: str | None = None) -> list[Hit]:
    """Guidance and code hits for ``query``; never raises for any user string.

    ``prefer`` ("opcs4" or "icd10"): the classification of the list a code is being added to;
    its codes come first (a code shape in both, E11.9, is read as that classification first),
    the other classification's after them, still labelled."""
    if kind is not None and kind not in KINDS:
        return []
    if prefer not in (OPCS4, ICD10):
        prefer = None
    limit = max(0, int(limit))
    if limit == 0:
        return []
    text = _clean(query)
    if not text.strip():
        return _all_guidance(conn, limit) if kind in (None, "guidance") else []
    hits = HitList(limit)
    codes.exact(conn, text, kind, hits, prefer)
    if not hits.full():
        codes.partial(conn, text, kind, hits, prefer)
    if not hits.full():
        text_hits(conn, text, kind, hits, lexicon(conn), prefer)
    return hits.items


def _clean(query: object) -> str:
    text = query if isinstance(query, str) else ("" if query is None else str(query))
    # Lone surrogates cannot be encoded for SQLite; NUL ends C strings.
    text = text[: MAX_QUERY_CHARS * 4].encode("utf-8", "ignore").decode("utf-8").replace("\0", " ")
    return text[:MAX_QUERY_CHARS]


def _all_guidance(conn: sqlite3.Connection, limit: int) -> list[Hit]:
    rows = conn.execute("SELECT id, title FROM guidance ORDER BY number LIMIT ?", (limit,)).fetchall()
    return [Hit("guidance", gid, title, 0.0, "guidance") for gid, title in rows]
