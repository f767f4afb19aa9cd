"""The search benchmark's data: a reference database at full scale, and realistic queries.

- OPCS-4 and ICD-10: the embedded UK lists (complete as recorded in English hospitals:
  9,857 OPCS-4 and 12,364 ICD-10 codes).
- Guidance: 1,000 generated documents stored with ``guidance.store_guidance`` and indexed
  in ``search_guidance`` the way the reference build does.
All generated with a fixed seed, so every run searches the same data.
"""

from __future__ import annotations

import random
import re
import sqlite3
from pathlib import Path

GENERATED_GUIDANCE = 1000
FIRST_GENERATED_NUMBER = 5000          # far above any real IPG number
STOP = {"a", "an", "and", "as", "at", "by", "for", "from", "in", "into", "of", "on", "or",
        "the", "to", "with", "without", "nec", "noc", "other", "specified", "unspecified"}
_WORD = re.compile(r"[A-Za-z]{3,}")


def build(home: Path, seed: int = 6, guidance: int = GENERATED_GUIDANCE) -> tuple[Path, dict[str, object]]:
    """A full-scale reference database at ``home/reference.db``; returns (path, facts)."""
    from workbench.core.refdb import build_reference_db, open_reference_db

    home.mkdir(parents=True, exist_ok=True)
    path = home / "reference.db"
    build_reference_db(path)
    conn = open_reference_db(path)
    try:
        _add_guidance(conn, seed, guidance)
        facts = {
            "opcs4_source": "embedded",
            "opcs4_codes": conn.execute("SELECT count(*) FROM codes WHERE classification = 'opcs4'"
                                        " AND level = 'code'").fetchone()[0],
            "icd10_codes": conn.execute("SELECT count(*) FROM codes WHERE classification = 'icd10'"
                                        " AND level = 'code'").fetchone()[0],
            "guidance": conn.execute("SELECT count(*) FROM guidance").fetchone()[0],
        }
    finally:
        conn.close()
    return path, facts


def _add_guidance(conn: sqlite3.Connection, seed: int, count: int) -> None:
    from workbench.core.classifications import parse_code
    from workbench.core.guidance import Guidance, store_guidance

    rng = random.Random(seed)
    codes = conn.execute("SELECT code, title FROM codes WHERE classification = 'opcs4'"
                         " AND level = 'code' ORDER BY code").fetchall()
    docs = []
    for i in range(count):
        number = FIRST_GENERATED_NUMBER + i
        mentioned = rng.sample(codes, 4)
        title = f"{mentioned[0][1]} for {rng.choice(codes)[1].lower()}"
        body = [f"## IPG{number} - {title}", "", "### Procedure:", ""]
        body += [f"**{code} {code_title}**" for code, code_title in mentioned]
        body += ["", "### Notes:", "", " ".join(t for _, t in rng.sample(codes, 12)) + "."]
        text = "\n".join(body)
        docs.append((Guidance(
            id=f"IPG{number}", title=title, source_url=f"https://example.invalid/ipg{number}",
            editions={}, sections={"procedure_codes": "\n".join(body[4:8]), "notes": body[-1]},
            codes=[parse_code(code, "opcs4") for code, _ in mentioned], text=text, partial=False,
        ), f"generated/IPG{number}.md"))
    conn.execute("BEGIN")
    store_guidance(conn, docs)
    conn.executemany("INSERT INTO search_guidance (title, body, ref) VALUES (?, ?, ?)",
                     [(doc.title, f"{doc.id}\n{doc.text}", doc.id) for doc, _ in docs])
    conn.execute("INSERT INTO search_guidance (search_guidance) VALUES ('optimize')")
    conn.execute("COMMIT")


def queries(conn: sqlite3.Connection, count: int = 500, seed: int = 65) -> list[str]:
    """What coders type: title words, codes (loosely written), guidance numbers."""
    rng = random.Random(seed)
    opcs = conn.execute("SELECT code, title FROM codes WHERE classification = 'opcs4'"
                        " AND level = 'code'").fetchall()
    icd = conn.execute("SELECT code, title FROM codes WHERE classification = 'icd10'"
                       " AND level = 'code'").fetchall()
    guidance = conn.execute("SELECT id, title FROM guidance").fetchall()
    fixed = ["pulmonary vein stent", "heart failure", "hemispherectomy", "l804", "ipg655",
             "ipg 75", "Y53", "cardiac contractility", "K57.8", "congestive heart failure"]
    out = fixed[:count]
    while len(out) < count:
        roll = rng.random()
        if roll < 0.35:
            out.append(_words(rng, rng.choice(opcs)[1], 3))
        elif roll < 0.55:
            out.append(_words(rng, rng.choice(icd)[1], 2))
        elif roll < 0.75:
            code = rng.choice(opcs + icd)[0]
            out.append(rng.choice([code, code.lower().replace(".", ""), code[:3].lower()]))
        elif roll < 0.85:
            number = rng.choice(guidance)[0][3:]
            out.append(rng.choice([f"ipg{number}", f"ipg {number}", number]))
        else:
            out.append(_words(rng, rng.choice(guidance)[1], 2))
    return [q for q in out if q.strip()]


def _words(rng: random.Random, title: str, most: int) -> str:
    words = [w.lower() for w in _WORD.findall(title) if w.lower() not in STOP] or ["stent"]
    start = rng.randrange(len(words))
    return " ".join(words[start:start + rng.randint(1, most)])


def as_typed(query: str) -> list[str]:
    """Every prefix the search box sees while the query is typed (blank ones are not searched)."""
    return [query[:i] for i in range(1, len(query) + 1) if query[:i].strip()]
