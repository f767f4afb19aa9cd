"""Realistic guidance sets for the search benchmarks: 1,000 or 10,000 generated documents.

Each generated document takes the code list of a shipped guidance document (drawn at random),
so the codes are mentioned as often as real guidance mentions them: Y53 (image control), Z94
(laterality) and the other method and site codes appear in most documents, as they do in the
library. Titles and text are made from the titles of the codes it mentions. Fixed seed: every
run searches the same documents.
"""

from __future__ import annotations

import random
import sqlite3

FIRST_NUMBER = 20_000          # far above any real IPG number


def add_guidance(conn: sqlite3.Connection, count: int, seed: int = 17) -> int:
    """Add ``count`` generated documents to an open reference database; returns how many it holds."""
    from workbench.core.classifications import CodeRef
    from workbench.core.guidance import Guidance, store_guidance

    start = max(FIRST_NUMBER, conn.execute("SELECT coalesce(max(number), 0) + 1 FROM guidance").fetchone()[0])
    rng = random.Random(seed + start)
    shipped: dict[str, list[tuple[str, str, int]]] = {}
    for gid, classification, code, is_category in conn.execute(
            "SELECT guidance_id, classification, code, is_category FROM guidance_codes"
            " WHERE guidance_id IN (SELECT id FROM guidance WHERE number < ?) ORDER BY guidance_id, position",
            (FIRST_NUMBER,)):
        shipped.setdefault(gid, []).append((classification, code, is_category))
    titles = dict(((c, k), t) for c, k, t in conn.execute("SELECT classification, code, title FROM codes"))
    lists = [codes for codes in shipped.values() if codes]
    docs = []
    for i in range(count):
        number = start + i
        codes = rng.choice(lists)
        named = [(c, k, titles.get((c, k), "")) for c, k, _ in codes]
        procedure = next((t for c, _, t in named if c == "opcs4" and t), "Interventional procedure")
        condition = next((t for c, _, t in named if c == "icd10" and t), rng.choice(list(titles.values())))
        title = f"{procedure} for {condition.lower()}"
        lines = [f"## IPG{number} - {title}", "", "### Coding:", ""]
        lines += [f"**{k}** {t}" for _, k, t in named]
        text = "\n".join(lines)
        docs.append((Guidance(
            id=f"IPG{number}", title=title, source_url=f"https://example.invalid/ipg{number}", editions={},
            sections={"procedure_codes": "\n".join(lines[4:])},
            codes=[CodeRef(c, k, bool(is_cat)) for c, k, is_cat in codes], text=text, partial=False,
        ), f"generated/IPG{number}.md"))
    conn.execute("BEGIN")
    store_guidance(conn, docs)
    conn.executemany("INSERT INTO search_guidance (title, body, ref) VALUES (?, ?, ?)",
                     [(doc.title, f"{doc.id}\n{doc.text}", doc.id) for doc, _ in docs])
    conn.execute("COMMIT")
    conn.execute("INSERT INTO search_guidance (search_guidance) VALUES ('optimize')")
    conn.execute("ANALYZE guidance_codes")
    return conn.execute("SELECT count(*) FROM guidance").fetchone()[0]
