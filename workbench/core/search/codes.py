"""Code-shaped queries: a guidance number, an exact code or category, a code being typed.

A query that looks like a code lists codes of that shape first: "Y53" gives OPCS-4 Y53 and its
codes Y53.1-Y53.9 (then ICD-10 Y53 and its codes), and only then the guidance that mentions
them. Each step is one indexed query with a LIMIT of the room left, so the cost does not grow
with how many documents mention a code.
"""

from __future__ import annotations

import re
import sqlite3

from workbench.core.classifications.codes import ICD10, OPCS4, CodeRef, try_parse_code
from workbench.core.guidance import normalise_guidance_id
from workbench.core.search.hits import Hit, HitList

_PARTIAL_CODE = re.compile(r"^([A-Z])(\d{1,2}|\d\d\.?\d?)$")


def exact(conn: sqlite3.Connection, text: str, kind: str | None, hits: HitList, prefer: str | None = None) -> None:
    gid = normalise_guidance_id(text)
    if gid and kind in (None, "guidance"):
        row = conn.execute("SELECT id, title FROM guidance WHERE id = ?", (gid,)).fetchone()
        if row:
            hits.add(Hit("guidance", row[0], row[1], 1000.0, "guidance number"))
        else:
            # A guidance the library has no document for may have been replaced by one it has
            # (IPG124 by IPG476): the newer guidance is the hit, and says what it replaces.
            for i, (newer, title, date) in enumerate(conn.execute(_REPLACING, (gid,)).fetchall()):
                note = f"replaces {gid}" + (f" ({date})" if date else "")
                hits.add(Hit("guidance", newer, title, 1000.0 - i, "replaces", note))
    refs = _code_refs(conn, text, kind, prefer)
    for ref, title in refs:
        hits.add(Hit(ref.classification, ref.code, title, 900.0, "exact category" if ref.is_category else "exact code"))
        if ref.is_category and not hits.full():
            rows = category_codes(conn, ref.classification, ref.code, hits.room())
            for i, (code, code_title) in enumerate(rows):
                hits.add(Hit(ref.classification, code, code_title, 800.0 - i, f"in {ref.display()}"))
    if kind in (None, "guidance"):
        for ref, _ in refs:
            if hits.full():
                break
            for i, (gid, title) in enumerate(_mentioning(conn, ref, hits.room())):
                hits.add(Hit("guidance", gid, title, 700.0 - i, f"mentions {ref.display()}"))


# The guidance whose front matter says it replaces an id (lifecycle JSON, a few hundred rows).
_REPLACING = """
SELECT g.id, g.title, coalesce(json_extract(r.value, '$.date'), '') FROM guidance g,
       json_each(g.lifecycle, '$.replaces') AS r
WHERE json_extract(r.value, '$.guidance') = ? ORDER BY g.number
"""


# Direct mentions first (the code itself; for a category, the category), then mentions of its
# codes or of its category; by IPG number. Each of the three index range scans stops after
# :cap rows, so a code that thousands of documents mention costs no more than a rare one;
# with fewer than :cap mentions (any real library), the order is exactly by IPG number.
_MENTIONING = """
SELECT g.id, g.title FROM (
    SELECT * FROM (SELECT guidance_id, 0 AS direct FROM guidance_codes
                   WHERE classification = :cls AND code = :code LIMIT :cap)
    UNION ALL
    SELECT * FROM (SELECT guidance_id, 1 FROM guidance_codes
                   WHERE :is_category AND classification = :cls AND code > :low AND code < :high LIMIT :cap)
    UNION ALL
    SELECT * FROM (SELECT guidance_id, 1 FROM guidance_codes
                   WHERE classification = :cls AND code = :category AND is_category AND :code != :category
                   LIMIT :cap)
) AS m JOIN guidance g ON g.id = m.guidance_id
GROUP BY g.id ORDER BY min(m.direct), g.number LIMIT :room
"""
MENTION_SCAN = 8     # rows read per index scan, per row of room left


def _mentioning(conn: sqlite3.Connection, ref: CodeRef, room: int) -> list[tuple[str, str]]:
    category = ref.code[:3]
    # "L80." < every "L80.x" < "L80/" ('/' follows '.'): an index range instead of LIKE.
    args = {"cls": ref.classification, "code": ref.code, "is_category": int(ref.is_category),
            "low": category + ".", "high": category + "/", "category": category, "room": room,
            "cap": room * MENTION_SCAN}
    return conn.execute(_MENTIONING, args).fetchall()


def category_codes(conn: sqlite3.Connection, classification: str, category: str, limit: int) -> list[tuple[str, str]]:
    """A category's codes, the most recorded nationally first (in the latest year the counts
    cover), then in code order: the 4th character a coder most likely wants is at the top."""
    try:
        return conn.execute(
            "SELECT c.code, c.title FROM codes AS c WHERE c.classification = ? AND c.parent = ?"
            " ORDER BY coalesce((SELECT u.episodes FROM code_usage AS u WHERE u.classification = c.classification"
            " AND u.code = c.code AND u.fy = (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'usage_latest_fy')),"
            " 0) DESC, c.code LIMIT ?", (classification, category, limit)).fetchall()
    except sqlite3.OperationalError:   # a database from before the usage counts
        return conn.execute("SELECT code, title FROM codes WHERE classification = ? AND parent = ? ORDER BY code"
                            " LIMIT ?", (classification, category, limit)).fetchall()


def _code_refs(conn: sqlite3.Connection, text: str, kind: str | None,
               prefer: str | None = None) -> list[tuple[CodeRef, str]]:
    """Codes the text names exactly, in either classification (the list's, else the shape's guess, first)."""
    if len(text) > 12 or kind == "guidance":
        return []
    first = try_parse_code(text)
    if first is None:
        return []
    head = prefer or first.classification
    order = [head] + [c for c in (OPCS4, ICD10) if c != head]
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
    if prefer is None and len(found) == 2:
        # A shape in both classifications: the one coders record far more often first (ICD-10
        # E11.9, 2.4 million episodes a year, before OPCS-4 E11.9, 61); the shape's guess unless
        # one is at least FAR_COMMONER times the other (K57.8: 177 against 910, both rare).
        uses = [_recent_uses(conn, ref) for ref, _ in found]
        if uses[1] >= FAR_COMMONER * max(uses[0], 1):
            found.reverse()
    return found


FAR_COMMONER = 20


def _recent_uses(conn: sqlite3.Connection, ref: CodeRef) -> int:
    try:
        row = conn.execute("SELECT episodes FROM code_usage WHERE classification = ? AND code = ? AND fy ="
                           " (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'usage_latest_fy')",
                           (ref.classification, ref.code)).fetchone()
    except sqlite3.OperationalError:   # a database from before the usage counts
        return 0
    return row[0] if row else 0


def partial(conn: sqlite3.Connection, text: str, kind: str | None, hits: HitList, prefer: str | None = None) -> None:
    """'L8' -> L80, L80.1 ...: codes typed so far, in code order."""
    compact = re.sub(r"\s+", "", text).upper()
    if kind == "guidance" or not _PARTIAL_CODE.match(compact):
        return
    prefix = compact if "." in compact or len(compact) <= 3 else f"{compact[:3]}.{compact[3:]}"
    for classification in (prefer, *(c for c in (OPCS4, ICD10) if c != prefer)) if prefer else (OPCS4, ICD10):
        if kind not in (None, classification) or hits.full():
            continue
        rows = conn.execute(
            "SELECT code, title FROM codes WHERE classification = ? AND code >= ? AND code < ?"
            " AND level IN ('category', 'code') ORDER BY code LIMIT ?",
            (classification, prefix, prefix + "\uffff", hits.room())).fetchall()
        for i, (code, title) in enumerate(rows):
            hits.add(Hit(classification, code, title, 600.0 - i / 100, "code starts with " + prefix))


def code_facts(conn: sqlite3.Connection, hits: list[Hit]) -> dict[tuple[str, str], tuple[bool, int]]:
    """For the code hits: (needs a 4th character, episodes recorded nationally in the latest year).

    What the results list shows and what Enter does with a hit: a category needing a 4th
    character opens its codes, a complete code is added. The loaded classification decides,
    never the code's shape (ICD-10 I10 is complete)."""
    facts: dict[tuple[str, str], tuple[bool, int]] = {}
    for classification in (OPCS4, ICD10):
        refs = [h.code for h in hits if h.kind == classification]
        if not refs:
            continue
        marks = ",".join("?" * len(refs))
        try:
            rows = conn.execute(
                "SELECT c.code, c.has_children AND instr(c.code, '.') = 0, coalesce((SELECT u.episodes FROM code_usage AS u"
                " WHERE u.classification = c.classification AND u.code = c.code AND u.fy = (SELECT CAST(value AS INTEGER)"
                f" FROM meta WHERE key = 'usage_latest_fy')), 0) FROM codes AS c WHERE c.classification = ? AND c.code IN ({marks})",
                (classification, *refs)).fetchall()
        except sqlite3.OperationalError:   # a database from before the usage counts
            rows = [(code, has, 0) for code, has in conn.execute(
                f"SELECT code, has_children AND instr(code, '.') = 0 FROM codes WHERE classification = ? AND code IN ({marks})",
                (classification, *refs))]
        facts.update({(classification, code): (bool(heading), uses) for code, heading, uses in rows})
    return facts
