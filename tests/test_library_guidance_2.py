"""Guidance documents for the second library batch (the construct half, issue 15).

Written by hand from the records: the codes each document lists, its supersession, its
SNOMED CT concepts and whether it is partial. Every shipped document links NICE's own page,
never a copy's address.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import REPO_ROOT
from workbench.core.guidance import load_guidance_file
from workbench.core.rules import find_pack

GUIDANCE_DIR = REPO_ROOT / "fixtures" / "guidance"

# id -> (OPCS-4 codes, ICD-10 codes) the loader finds, in order (categories as three characters)
CODES: dict[str, tuple[list[str], list[str]]] = {
    "IPG7": (["Q16.3", "Q17.6"], []),
    "IPG8": (["L88.2"], []),
    "IPG47": (["Q16.6"], []),
    "IPG50": (["A33.1", "Z04.4"], ["G40"]),
    "IPG74": (["L26.1", "Y53", "L26.5", "L76", "L89", "L89.8", "L89.9"], []),
    "IPG103": (["A70.1", "Z27.2"], []),
    "IPG242": (["A09.8"], ["F32.2", "F32.3"]),
    "IPG270": ([], []),
    "IPG319": (["V52.2", "V55", "V55.9", "Y10.2", "Y53", "Y53.9", "Z99"], []),
    "IPG330": (["A33.1", "Z04.4"], ["F32", "F33"]),
    "IPG349": (["K62.5", "Y53", "U20.2", "Y53.9"], ["I48"]),
    "IPG365": (["V28.1", "V55", "V55.9"], []),
    "IPG405": (["M10.4", "Y53", "M04.3", "Y75.2", "Y13.2", "Y53.9"], ["C64", "C65", "C79.0"]),
    "IPG437": (["T57.8", "Y39.8", "Z90.5", "X36.8", "Y53.2"], []),
    "IPG445": (["J12.8", "Y12.3", "Y53"], ["C78.7"]),
    "IPG446": (["X70", "X72", "X71", "Y12.3", "Z94"], []),
    "IPG461": (["G44.8", "Y11.4", "O11.1"], ["K21"]),
    "IPG477": (["A09.8"], []),
    "IPG495": (["E04.2", "Y11.4"], []),
    "IPG519": (["C84.8", "Y02.1"], ["H35.5"]),
}
STATUS = {"IPG7": "withdrawn", "IPG103": "replaced by IPG489 (May 2014)", "IPG242": "replaced by IPG542"}
REPLACES = {"IPG319": "IPG81", "IPG349": "IPG181", "IPG365": "IPG165", "IPG405": "IPG207", "IPG461": "IPG292",
            "IPG495": "IPG36"}
SNOMED = {"IPG8": {"448606008", "72866009"}, "IPG47": {"429386000", "386692008"},
          "IPG495": {"822291000000106", "17467004"}}
PARTIAL = {"IPG74", "IPG519"}


@pytest.mark.parametrize("ipg", sorted(CODES))
def test_document_codes_supersession_and_snomed(ipg: str) -> None:
    doc = load_guidance_file(GUIDANCE_DIR / f"{ipg}.md")
    opcs = [c.code for c in doc.codes if c.classification == "opcs4"]
    icd = [c.code for c in doc.codes if c.classification == "icd10"]
    assert (opcs, icd) == CODES[ipg]
    assert doc.lifecycle.status() == STATUS.get(ipg, "")
    assert [link.guidance for link in doc.lifecycle.replaces] == ([REPLACES[ipg]] if ipg in REPLACES else [])
    assert {s["concept_id"] for s in doc.snomed_ct} == SNOMED.get(ipg, set())
    assert doc.partial == (ipg in PARTIAL) and bool(doc.partial_reason) == doc.partial
    assert doc.sections.get("description") and doc.sections.get("notes")


@pytest.mark.parametrize("ipg", sorted(CODES))
def test_document_and_pack_agree(ipg: str) -> None:
    doc = load_guidance_file(GUIDANCE_DIR / f"{ipg}.md")
    pack = find_pack(ipg)
    assert pack is not None and pack.title == doc.title
    assert pack.lifecycle == doc.lifecycle and pack.partial == doc.partial
    assert {s["concept_id"] for s in pack.snomed} == {s["concept_id"] for s in doc.snomed_ct}


def test_no_shipped_document_or_pack_links_the_mirror_site() -> None:
    """The library README: a spam domain copied NICE's pages (IPG510, IPG440, IPG493); link NICE instead."""
    urls = re.compile(r"https?://([^/\s\"')>]+)")
    for folder in ("guidance", "rules"):
        for path in sorted((REPO_ROOT / "fixtures" / folder).glob("IPG*.*")):
            for host in urls.findall(path.read_text(encoding="utf-8")):
                assert not host.lower().endswith(".top"), f"{path.name} links {host}"
    for ipg in ("IPG510", "IPG440", "IPG493", *CODES):
        doc = load_guidance_file(GUIDANCE_DIR / f"{ipg}.md")
        assert re.match(r"^https?://www\.nice\.org\.uk/guidance/ipg\d+$", doc.source_url, re.IGNORECASE), ipg


# ---- against the shared records, when they are beside the project ------------------------------

LIBRARY_2 = REPO_ROOT.parent / "shared" / "guidance-library" / "nice-ipg-coding-2.jsonl"
# What the records write instead of a code, as the documents list them (first word of the line).
PLACEHOLDERS_2 = {"(body system chapter)": "Body", "Z (chapter)": "Chapter"}


def record(ipg: str) -> dict:
    import json

    if not LIBRARY_2.exists():
        pytest.skip("the shared guidance library is absent")
    lines = LIBRARY_2.read_text(encoding="utf-8").splitlines()
    return next(r for r in map(json.loads, filter(None, lines)) if r["ipg"] == ipg)


@pytest.mark.parametrize("ipg", sorted(CODES))
def test_listed_codes_are_the_records_codes_in_order(ipg: str) -> None:
    from tests.test_library_guidance import listed_codes

    rec = record(ipg)
    listed = listed_codes(GUIDANCE_DIR / f"{ipg}.md")
    for field in ("procedure_codes", "diagnosis_codes"):
        assert listed[field] == [PLACEHOLDERS_2.get(c["code"], c["code"]) for c in rec[field]]
    assert doc_title(ipg) == rec["title"]
    assert {s["concept_id"] for s in rec.get("snomed_ct") or []} <= {
        s["concept_id"] for s in load_guidance_file(GUIDANCE_DIR / f"{ipg}.md").snomed_ct}


def doc_title(ipg: str) -> str:
    return load_guidance_file(GUIDANCE_DIR / f"{ipg}.md").title


@pytest.mark.parametrize("ipg", sorted(CODES))
def test_documents_and_packs_do_not_copy_the_source_text(ipg: str) -> None:
    excerpt = record(ipg).get("verbatim_excerpt") or ""
    for path in (GUIDANCE_DIR / f"{ipg}.md", REPO_ROOT / "fixtures" / "rules" / f"{ipg}.yaml"):
        text = " ".join(path.read_text(encoding="utf-8").lower().split())
        for sentence in re.split(r"(?<=[.!?])\s+|\n", excerpt):
            words = sentence.split()
            if len(words) >= 12 and not re.match(r"^[A-Z]\d\d", sentence.strip()):
                assert " ".join(words).lower() not in text, sentence
