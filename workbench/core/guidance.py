"""The guidance store: NICE guidance documents from ``fixtures/guidance`` in SQLite.

Files are parsed (YAML front matter, Markdown body) only while the reference
database is built (:func:`load_guidance_file`); the app reads the tables back
with :func:`list_guidance`, :func:`get_guidance` and :func:`guidance_mentioning`.
The document format is described in ``fixtures/guidance/README.md``.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from workbench.core.classifications.codes import ICD10, OPCS4, CodeRef, try_parse_code
from workbench.core.lifecycle import Lifecycle, LifecycleError, lifecycle_from

SECTION_KEYS = ("description", "procedure_codes", "diagnosis_codes", "notes")

_GUIDANCE_ID = re.compile(r"^\s*(?:ipg)?\s*0*(\d{1,5})\s*$", re.IGNORECASE)
# A code in running text: "L80.4", "Y53.-", "Y53", "H19.8A". The look-behind keeps
# "IPG75" or "OPCS4.6" from reading as codes.
_CODE_IN_TEXT = re.compile(r"(?<![A-Za-z0-9])([A-Z]\d\d(?:\.(?:\d[0-9A-Z]?|-))?)(?![0-9A-Za-z])")
# Headings: Markdown "## X" and the bullet headings of the IPG75 seed ("  • Description").
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$|^\s*•\s+(.*?)\s*$")


class GuidanceFormatError(ValueError):
    """A guidance file that cannot be loaded; the message names the file (and line)."""


@dataclass(frozen=True)
class Guidance:
    id: str
    title: str
    source_url: str
    editions: dict[str, str]
    sections: dict[str, str]
    codes: list[CodeRef]
    text: str
    partial: bool
    partial_reason: str = ""
    snomed_ct: list[dict] = field(default_factory=list)
    lifecycle: Lifecycle = Lifecycle()

    @property
    def number(self) -> int:
        return int(self.id[3:])


def normalise_guidance_id(text: str) -> str | None:
    """'ipg 75', 'IPG075', '75' -> 'IPG75'; None when it is not a guidance number."""
    if not isinstance(text, str):
        return None
    match = _GUIDANCE_ID.match(text)
    return f"IPG{int(match.group(1))}" if match else None


# ---------------------------------------------------------------- reading (app)

_COLUMNS = "id, title, source_url, editions, partial, partial_reason, snomed_ct, text, lifecycle"


def list_guidance(conn: sqlite3.Connection) -> list[Guidance]:
    """Every guidance, ordered by IPG number."""
    rows = conn.execute(f"SELECT {_COLUMNS} FROM guidance ORDER BY number").fetchall()
    return _assemble(conn, rows)


def get_guidance(conn: sqlite3.Connection, guidance_id: str) -> Guidance | None:
    """One guidance by id; 'IPG75', 'ipg 75' and '75' all work."""
    gid = normalise_guidance_id(guidance_id)
    if gid is None:
        return None
    rows = conn.execute(f"SELECT {_COLUMNS} FROM guidance WHERE id = ?", (gid,)).fetchall()
    found = _assemble(conn, rows)
    return found[0] if found else None


def guidance_mentioning(conn: sqlite3.Connection, ref: CodeRef) -> list[Guidance]:
    """Guidance whose codes include ``ref``.

    A category ref ("L76") matches guidance naming the category or any code in it;
    a code ref ("L76.1") matches guidance naming the code or its category.
    Direct mentions come first, then by IPG number.
    """
    ids = [row[0] for row in conn.execute(_MENTION_SQL, _mention_args(ref))]
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    rows = conn.execute(f"SELECT {_COLUMNS} FROM guidance WHERE id IN ({marks})", ids).fetchall()
    by_id = {g.id: g for g in _assemble(conn, rows)}
    return [by_id[i] for i in ids if i in by_id]


# Three index lookups on (classification, code) rather than one OR, which would scan.
_MENTION_SQL = """
WITH mention (guidance_id, direct) AS (
    SELECT guidance_id, 0 FROM guidance_codes WHERE classification = :cls AND code = :code
    UNION ALL
    SELECT guidance_id, 1 FROM guidance_codes
    WHERE :is_category AND classification = :cls AND code > :low AND code < :high
    UNION ALL
    SELECT guidance_id, 1 FROM guidance_codes
    WHERE classification = :cls AND code = :category AND is_category AND :code != :category
)
SELECT m.guidance_id, min(m.direct) AS direct, g.number
FROM mention m JOIN guidance g ON g.id = m.guidance_id
GROUP BY m.guidance_id ORDER BY direct, g.number
"""


def mention_ids(conn: sqlite3.Connection, ref: CodeRef) -> list[str]:
    """Ids of the guidance mentioning ``ref`` (cheap: no text loaded)."""
    return [row[0] for row in conn.execute(_MENTION_SQL, _mention_args(ref))]


def _mention_args(ref: CodeRef) -> dict:
    category = ref.code[:3]
    # "L80." < every "L80.x" < "L80/" ('/' follows '.'): an index range instead of LIKE.
    return {"cls": ref.classification, "code": ref.code, "is_category": int(ref.is_category),
            "low": category + ".", "high": category + "/", "category": category}


def _assemble(conn: sqlite3.Connection, rows: list[tuple]) -> list[Guidance]:
    if not rows:
        return []
    ids = [row[0] for row in rows]
    marks = ",".join("?" * len(ids))
    sections: dict[str, dict[str, str]] = {i: {} for i in ids}
    for gid, key, body in conn.execute(
        f"SELECT guidance_id, key, body FROM guidance_sections WHERE guidance_id IN ({marks})"
        " ORDER BY guidance_id, position", ids):
        sections[gid][key] = body
    codes: dict[str, list[CodeRef]] = {i: [] for i in ids}
    for gid, classification, code, is_category in conn.execute(
        f"SELECT guidance_id, classification, code, is_category FROM guidance_codes"
        f" WHERE guidance_id IN ({marks}) ORDER BY guidance_id, position", ids):
        codes[gid].append(CodeRef(classification, code, bool(is_category)))
    return [
        Guidance(id=gid, title=title, source_url=url, editions=json.loads(editions),
                 sections=sections[gid], codes=codes[gid], text=text, partial=bool(partial),
                 partial_reason=reason, snomed_ct=json.loads(snomed), lifecycle=lifecycle_from(json.loads(life)))
        for gid, title, url, editions, partial, reason, snomed, text, life in rows
    ]


def guidance_status(conn: sqlite3.Connection, ids: list[str]) -> dict[str, str]:
    """The supersession tag of each guidance that has one ('replaced by IPG489 (May 2014)')."""
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    rows = conn.execute(f"SELECT id, status FROM guidance WHERE id IN ({marks}) AND status != ''", ids)
    return dict(rows.fetchall())


# ---------------------------------------------------------------- loading (build time)

def load_guidance_file(path: Path) -> Guidance:
    """Parse one ``IPGnnn.md`` file. Raises :class:`GuidanceFormatError` naming the file."""
    import yaml  # build time only: the app never imports yaml on start-up

    raw = path.read_text(encoding="utf-8")
    lines = raw.splitlines()
    if not lines or lines[0].strip() != "---":
        raise GuidanceFormatError(f"{path}:1: a guidance file starts with '---' and YAML front matter")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise GuidanceFormatError(f"{path}:1: the front matter is not closed with '---'") from None
    try:
        # The C loader, when PyYAML has it, parses 1,000 documents several times faster.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        meta = yaml.load("\n".join(lines[1:end]), Loader=loader) or {}  # noqa: S506 (safe loaders only)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        raise GuidanceFormatError(f"{path}:{line}: front matter is not valid YAML") from None
    if not isinstance(meta, dict):
        raise GuidanceFormatError(f"{path}:2: the front matter must be a mapping")
    gid = normalise_guidance_id(str(meta.get("id", "")))
    if gid is None:
        raise GuidanceFormatError(f"{path}:2: 'id' must look like IPG75")
    if gid != path.stem.upper():
        raise GuidanceFormatError(f"{path}:2: id {gid} does not match the file name")
    title = str(meta.get("title") or "").strip()
    editions = meta.get("editions") or {}
    if not isinstance(editions, dict):
        raise GuidanceFormatError(f"{path}:2: 'editions' must be a mapping such as opcs4: OPCS-4.6")
    try:
        lifecycle = lifecycle_from(meta)
    except LifecycleError as exc:
        raise GuidanceFormatError(f"{path}:2: {exc}") from None
    body = "\n".join(lines[end + 1:]).strip("\n") + "\n"
    sections, codes = parse_body(body)
    return Guidance(
        id=gid, title=title or gid, source_url=str(meta.get("source_url") or ""),
        editions={str(k): str(v) for k, v in editions.items()}, sections=sections, codes=codes,
        text=body, partial=bool(meta.get("partial", False)),
        partial_reason=str(meta.get("partial_reason") or ""),
        snomed_ct=list(meta.get("snomed_ct") or []), lifecycle=lifecycle,
    )


def _section_key(heading: str) -> str | None:
    """Map a heading to a store key; None for a sub-heading that belongs to the current section."""
    text = re.sub(r"[*_`:]", "", heading).strip().lower()
    if "description" in text:
        return "description"
    if "opcs" in text or text.startswith("procedure"):
        return "procedure_codes"
    if "icd" in text or "diagnos" in text:
        return "diagnosis_codes"
    if text.startswith("note"):
        return "notes"
    slug = re.sub(r"[^a-z0-9]+", "_", text).strip("_")
    return slug or None


def parse_body(body: str) -> tuple[dict[str, str], list[CodeRef]]:
    """Split a body into sections and collect the codes of its code sections, in order.

    Codes count inside the procedure (OPCS-4) and diagnosis (ICD-10) sections only;
    which classification a code belongs to is decided by the section it sits in.
    """
    sections: dict[str, list[str]] = {}
    current = "intro"
    codes: list[CodeRef] = []
    seen: set[tuple[str, str]] = set()
    for line in body.splitlines():
        match = _HEADING.match(line)
        if match:
            level = len(match.group(1) or "##")
            heading = match.group(2) if match.group(1) else match.group(3)
            key = _section_key(heading)
            # Level-3+ headings that name no known section stay inside the current one.
            if key is not None and (level <= 2 or key in SECTION_KEYS):
                current = key
                sections.setdefault(current, [])
                continue
        sections.setdefault(current, []).append(line)
        classification = {"procedure_codes": OPCS4, "diagnosis_codes": ICD10}.get(current)
        if classification is None:
            continue
        for token in _CODE_IN_TEXT.findall(line):
            ref = try_parse_code(token, classification)
            if ref is not None and (ref.classification, ref.code) not in seen:
                seen.add((ref.classification, ref.code))
                codes.append(ref)
    cleaned = {k: "\n".join(v).strip() for k, v in sections.items()}
    return {k: v for k, v in cleaned.items() if v}, codes


def store_guidance(conn: sqlite3.Connection, docs: list[tuple[Guidance, str]]) -> None:
    """Insert parsed guidance (with its fixture-relative path) into the tables."""
    for doc, rel_path in docs:
        conn.execute(
            "INSERT INTO guidance (id, number, title, source_url, editions, partial, partial_reason,"
            " snomed_ct, text, path, lifecycle, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (doc.id, doc.number, doc.title, doc.source_url, json.dumps(doc.editions), int(doc.partial),
             doc.partial_reason, json.dumps(doc.snomed_ct, default=str), doc.text, rel_path,
             json.dumps(doc.lifecycle.as_dict()), doc.lifecycle.status()))
        conn.executemany(
            "INSERT INTO guidance_sections (guidance_id, key, position, body) VALUES (?, ?, ?, ?)",
            [(doc.id, key, i, body) for i, (key, body) in enumerate(doc.sections.items())])
        conn.executemany(
            "INSERT INTO guidance_codes (guidance_id, position, classification, code, is_category)"
            " VALUES (?, ?, ?, ?, ?)",
            [(doc.id, i, r.classification, r.code, int(r.is_category)) for i, r in enumerate(doc.codes)])
