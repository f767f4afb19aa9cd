"""The guidance store: seed documents parsed from fixtures/guidance into SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SEEDS_DIR
from workbench.core import paths
from workbench.core.classifications import ICD10, OPCS4, CodeRef, parse_code
from workbench.core.guidance import (
    GuidanceFormatError,
    get_guidance,
    guidance_mentioning,
    list_guidance,
    load_guidance_file,
    normalise_guidance_id,
    parse_body,
)


@pytest.mark.parametrize("text", ["IPG75", "ipg 75", "75", " Ipg075 "])
def test_get_guidance_accepts_the_ways_people_write_it(reference_db, text: str) -> None:
    doc = get_guidance(reference_db, text)
    assert doc is not None and doc.id == "IPG75"


@pytest.mark.parametrize("text", ["", "IPG", "ipg x", "L80.4", "IPG999999", "75 76"])
def test_get_guidance_unknown_is_none(reference_db, text: str) -> None:
    assert get_guidance(reference_db, text) is None


def test_normalise_guidance_id() -> None:
    assert normalise_guidance_id("ipg 655") == "IPG655"
    assert normalise_guidance_id("IPG0075") == "IPG75"
    assert normalise_guidance_id("I50") is None
    # Digits int() refuses though str.isdigit accepts them (a fuzz finding): not an id, no crash.
    assert normalise_guidance_id("¹") is None and normalise_guidance_id("ipg²") is None


def test_ipg75_fields(reference_db) -> None:
    doc = get_guidance(reference_db, "IPG75")
    assert doc.title == "Balloon angioplasty of pulmonary vein stenosis in infants"
    assert doc.source_url == "http://www.nice.org.uk/guidance/IPG75"
    assert doc.editions == {"opcs4": "OPCS-4.6"}
    assert not doc.partial
    assert [r.display() for r in doc.codes] == [
        "OPCS-4 L80.4", "OPCS-4 L76", "OPCS-4 L89", "OPCS-4 Y53", "OPCS-4 L80.2", "OPCS-4 L80.3", "OPCS-4 Y53.9"]
    assert "palliative treatment" in doc.sections["description"]
    assert "L80.4" in doc.sections["procedure_codes"]


def test_ipg655_splits_opcs4_from_icd10(reference_db) -> None:
    doc = get_guidance(reference_db, "655")
    assert [(r.classification, r.code) for r in doc.codes] == [
        (OPCS4, "K57.8"), (OPCS4, "Y02.1"), (OPCS4, "Y53"), (OPCS4, "Y68"), (OPCS4, "Z33.2"),
        (OPCS4, "Z33.6"), (OPCS4, "Z94.2"), (ICD10, "I50.9"), (ICD10, "I50.0")]
    assert "I50.9" in doc.sections["diagnosis_codes"]
    assert "Notte" in doc.text  # shipped as received, typo included


def test_seed_text_is_shipped_as_received(reference_db) -> None:
    if not SEEDS_DIR.exists():
        pytest.skip("../shared/seeds is not available")
    doc = get_guidance(reference_db, "IPG75")
    seed = (SEEDS_DIR / "000_451e508b7b348d65.txt").read_text(encoding="utf-8")
    assert doc.text.strip() == seed.strip()


def test_list_guidance_is_ordered_by_number(reference_db) -> None:
    ids = [g.id for g in list_guidance(reference_db)]
    assert ids[:1] == ["IPG75"] or ids.index("IPG75") < ids.index("IPG655")
    assert {"IPG75", "IPG655"} <= set(ids)


def test_guidance_mentioning_codes_and_categories(reference_db) -> None:
    assert [g.id for g in guidance_mentioning(reference_db, parse_code("L80.4"))] == ["IPG75"]
    # A category matches the guidance naming it or any of its codes, by number.
    # Direct mentions of the category come first, then mentions of its codes.
    y53 = [g.id for g in guidance_mentioning(reference_db, parse_code("Y53"))]
    assert {"IPG75", "IPG655"} <= set(y53) and len(y53) == len(set(y53))
    assert y53.index("IPG75") < y53.index("IPG655")
    # A code matches guidance that names only its category.
    assert "IPG75" in [g.id for g in guidance_mentioning(reference_db, parse_code("L76.1"))]
    assert [g.id for g in guidance_mentioning(reference_db, CodeRef(ICD10, "I50.0", False))] == ["IPG655"]
    # Same characters, other classification: never confused.
    assert "IPG655" not in [g.id for g in guidance_mentioning(reference_db, CodeRef(ICD10, "Z94.2", False))]


def test_library_format_counts_only_code_sections() -> None:
    body = (
        "## Description\nMentions K57.8 in passing.\n\n## Procedure codes\n- L80.4 Stent\n"
        "### With image control\n- Y53.- Approach\n\n## Diagnosis codes\n- I50.9 Heart failure\n\n"
        "## Notes\nY53.9 when unstated.\n\n## Coding history\nOld words.\n")
    sections, codes = parse_body(body)
    assert [c.display() for c in codes] == ["OPCS-4 L80.4", "OPCS-4 Y53", "ICD-10 I50.9"]
    assert set(sections) == {"description", "procedure_codes", "diagnosis_codes", "notes", "coding_history"}
    assert "With image control" in sections["procedure_codes"]


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "text", "where"),
    [
        ("IPG1.md", "no front matter\n", "IPG1.md:1"),
        ("IPG2.md", "---\nid: IPG2\ntitle: [unclosed\n---\nbody\n", "IPG2.md:"),
        ("IPG3.md", "---\nid: IPG3\n", "IPG3.md:1"),
        ("IPG4.md", "---\nid: IPG5\ntitle: x\n---\n", "does not match"),
        ("IPG6.md", "---\nid: six\n---\n", "IPG75"),
    ],
)
def test_broken_files_are_named(tmp_path: Path, name: str, text: str, where: str) -> None:
    with pytest.raises(GuidanceFormatError, match=where.replace(".", r"\.")):
        load_guidance_file(_write(tmp_path, name, text))


def test_shipped_guidance_files_all_load() -> None:
    for path in sorted((paths.FIXTURES_DIR / "guidance").glob("IPG*.md")):
        doc = load_guidance_file(path)
        assert doc.id == path.stem and doc.title, path
        if doc.id in ("IPG75", "IPG655"):
            assert doc.codes
