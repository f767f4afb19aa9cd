"""Guidance documents for the NICE library records (fixtures/guidance/IPGnnn.md).

Every record in the shared library has a document; for the documents written from the records
(all but the seeds IPG75 and IPG655) the partial flag, the source and the codes listed under
"## Procedure codes" / "## Diagnosis codes" must match the record.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import GUIDANCE_LIBRARY, REPO_ROOT
from workbench.core.classifications import ICD10, OPCS4
from workbench.core.guidance import load_guidance_file

GUIDANCE_DIR = REPO_ROOT / "fixtures" / "guidance"
SEEDS = {"IPG75", "IPG655"}
# Written by hand from each record's notes: source cut short, title missing, or a copy of the page.
PARTIAL = {"IPG147", "IPG154", "IPG230", "IPG251", "IPG252", "IPG287", "IPG388", "IPG403", "IPG406", "IPG504",
           "IPG510"}
# Records whose source_url is a mirror site's copy of the NICE page.
MIRRORED = {"IPG510"}
# Placeholders the records write instead of a code, as the documents list them.
PLACEHOLDERS = {"Z (chapter)": "Z", "K (chapter)": "K"}
SECTION = {"## Procedure codes": "procedure_codes", "## Diagnosis codes": "diagnosis_codes"}


def records() -> list[dict]:
    if not GUIDANCE_LIBRARY.exists():
        pytest.skip("the shared guidance library is absent")
    return [json.loads(line) for line in GUIDANCE_LIBRARY.read_text(encoding="utf-8").splitlines() if line.strip()]


def record_ids() -> list[str]:
    if not GUIDANCE_LIBRARY.exists():
        return []
    return [r["ipg"] for r in records() if r["ipg"] not in SEEDS]


def record(ipg: str) -> dict:
    return next(r for r in records() if r["ipg"] == ipg)


def normalise(code: str) -> str:
    return PLACEHOLDERS.get(code, code.rstrip("†*"))


def listed_codes(path: Path) -> dict[str, list[str]]:
    """The first word of every "- " line under the two code headings, in order."""
    out: dict[str, list[str]] = {"procedure_codes": [], "diagnosis_codes": []}
    current = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            current = SECTION.get(line.strip())
        elif current and line.startswith("- "):
            out[current].append(line[2:].split()[0])
    return out


def categories(code: str) -> set[str]:
    """What the loader may record for a code the record gives: the code, its category, range ends."""
    if re.fullmatch(r"[A-Z]\d\d-[A-Z]\d\d", code):
        return set(code.split("-"))
    if code.endswith(".-"):
        return {code[:3]}
    return {code, code[:3]} if re.fullmatch(r"[A-Z]\d\d\.\w+", code) else set()


def test_every_library_record_has_a_document() -> None:
    missing = [r["ipg"] for r in records() if not (GUIDANCE_DIR / f"{r['ipg']}.md").exists()]
    assert missing == []
    assert len(records()) == 53


@pytest.mark.parametrize("ipg", record_ids())
def test_document_front_matter_matches_the_record(ipg: str) -> None:
    doc = load_guidance_file(GUIDANCE_DIR / f"{ipg}.md")
    rec = record(ipg)
    assert doc.id == ipg
    assert doc.title and (rec["title"] is None or doc.title.lower()[:12] == rec["title"].lower()[:12]
                          or ipg == "IPG421")  # IPG421's record title has a typo ("Trancatheter"), fixed here
    # A record read from a third-party copy links NICE's own page instead (library README).
    nice = f"https://www.nice.org.uk/guidance/{ipg.lower()}"
    assert doc.source_url == (nice if ipg in MIRRORED else rec["source_url"])
    assert doc.partial == (ipg in PARTIAL)
    assert bool(doc.partial_reason) == doc.partial
    assert {s["concept_id"] for s in doc.snomed_ct} == {s["concept_id"] for s in rec.get("snomed_ct") or []}
    assert doc.sections.get("description")


@pytest.mark.parametrize("ipg", record_ids())
def test_listed_codes_are_the_records_codes_in_order(ipg: str) -> None:
    rec = record(ipg)
    listed = listed_codes(GUIDANCE_DIR / f"{ipg}.md")
    assert listed["procedure_codes"] == [normalise(c["code"]) for c in rec["procedure_codes"]]
    assert listed["diagnosis_codes"] == [normalise(c["code"]) for c in rec["diagnosis_codes"]]


#: Codes the UK 5th edition (April 2016) uses instead of a record's retired ones: IPG342's
#: haemorrhoids moved from I84 to K64 (I84 last recorded in HES in 2015/16).
UK_REPLACEMENTS = {"IPG342": ("K64.0", "K64.9")}


@pytest.mark.parametrize("ipg", record_ids())
def test_loader_finds_the_records_codes_and_nothing_else(ipg: str) -> None:
    rec = record(ipg)
    doc = load_guidance_file(GUIDANCE_DIR / f"{ipg}.md")
    for classification, field in ((OPCS4, "procedure_codes"), (ICD10, "diagnosis_codes")):
        found = {c.code for c in doc.codes if c.classification == classification}
        given = [normalise(c["code"]) for c in rec[field]]
        allowed = set().union(*(categories(c) for c in given)) if given else set()
        # A document may also name the UK 5th edition's replacement of a retired code it lists.
        allowed |= set().union(*(categories(c) for c in UK_REPLACEMENTS.get(ipg, ())))
        must = {c[:3] if c.endswith(".-") else c for c in given if categories(c) and "-" not in c[3:4]}
        assert must <= found, f"{classification}: not found {must - found}"
        assert found <= allowed, f"{classification}: codes not in the record {found - allowed}"


@pytest.mark.parametrize("ipg", record_ids())
def test_documents_do_not_copy_the_source_text(ipg: str) -> None:
    text = (GUIDANCE_DIR / f"{ipg}.md").read_text(encoding="utf-8").lower()
    excerpt = record(ipg).get("verbatim_excerpt") or ""
    # any sentence of 12+ words from the excerpt (code lines aside) must not appear verbatim
    for sentence in re.split(r"(?<=[.!?])\s+|\n", excerpt):
        words = sentence.split()
        if len(words) >= 12 and not re.match(r"^[A-Z]\d\d", sentence.strip()):
            assert " ".join(words).lower() not in " ".join(text.split()), sentence


@pytest.mark.parametrize("ipg", sorted(PARTIAL))
def test_a_partial_guidance_document_has_a_partial_pack(ipg: str) -> None:
    from workbench.core.rules import find_pack

    loaded = find_pack(ipg)
    assert loaded is not None and loaded.partial and loaded.status == "draft"
