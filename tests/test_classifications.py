"""Code parsing and lookups over the reference database."""

from __future__ import annotations

import csv

import pytest

from tests.conftest import REFERENCE_DIR
from workbench.core.classifications import ICD10, OPCS4, CodeError, CodeRef, parse_code


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("L80.4", CodeRef(OPCS4, "L80.4", False)),
        ("l804", CodeRef(OPCS4, "L80.4", False)),
        (" L80 4 ", CodeRef(OPCS4, "L80.4", False)),
        ("L80", CodeRef(OPCS4, "L80", True)),
        ("L80.-", CodeRef(OPCS4, "L80", True)),
        ("O20.1", CodeRef(OPCS4, "O20.1", False)),
        ("I50.9", CodeRef(ICD10, "I50.9", False)),
        ("i509", CodeRef(ICD10, "I50.9", False)),
        ("I50", CodeRef(ICD10, "I50", True)),
        ("H19.8A", CodeRef(ICD10, "H19.8A", False)),
    ],
)
def test_parse_code_accepts_the_written_forms(text: str, expected: CodeRef) -> None:
    assert parse_code(text) == expected


def test_ambiguous_shape_is_opcs4_unless_told() -> None:
    assert parse_code("Z94.2") == CodeRef(OPCS4, "Z94.2", False)
    assert parse_code("Z94.2", ICD10) == CodeRef(ICD10, "Z94.2", False)
    assert parse_code("z942", "ICD-10").classification == ICD10


@pytest.mark.parametrize(
    ("text", "classification", "reason"),
    [
        ("", None, "no code"),
        ("   ", None, "no code"),
        ("80.4", None, "starts with a letter"),
        ("L8", None, "letter and two digits"),
        ("L80.45", OPCS4, "four characters"),
        ("I50.9", OPCS4, "no chapter I"),
        ("L80.-4", None, "nothing may follow"),
        ("heart failure", None, "too long"),
        ("L80.4.1", None, "not a code"),
        ("é12", None, "starts with a letter"),
    ],
)
def test_parse_code_rejects_with_a_reason(text: str, classification: str | None, reason: str) -> None:
    with pytest.raises(CodeError) as caught:
        parse_code(text, classification)
    assert reason in str(caught.value)


def test_unknown_classification_is_a_code_error() -> None:
    with pytest.raises(CodeError, match="unknown classification"):
        parse_code("L80.4", "snomed")


def test_display_names_the_classification() -> None:
    assert parse_code("l804").display() == "OPCS-4 L80.4"
    assert parse_code("I50.9").display() == "ICD-10 I50.9"


def test_lookup_opcs4_code(catalog) -> None:
    info = catalog.lookup(OPCS4, "l804")
    assert info is not None
    assert info.code == "L80.4"
    assert info.title == "Percutaneous transluminal insertion of stent into pulmonary vein"
    assert info.parent == "L80" and info.chapter == "L"
    assert info.edition == "OPCS-4 (HES 2012-2024)"
    assert (info.first_fy, info.last_fy, info.title_source) == (2012, 2023, "hes")
    assert not info.is_category and not info.needs_fourth_character


def test_category_needs_a_fourth_character(catalog) -> None:
    info = catalog.lookup(OPCS4, "Y53.-")
    assert info is not None and info.is_category and info.needs_fourth_character
    assert [c.code for c in catalog.children(OPCS4, "Y53")] == [f"Y53.{i}" for i in range(1, 10)]


def test_z94_2_is_never_confused(catalog) -> None:
    assert catalog.title(OPCS4, "Z94.2") == "Right sided operation"
    assert "transplant" in catalog.title(ICD10, "Z94.2").lower()
    assert catalog.lookup(ICD10, "Z94.2").chapter == "XXI"


def test_icd10_hierarchy_from_who(catalog) -> None:
    info = catalog.lookup(ICD10, "I50")
    assert info.title == "Heart failure" and info.parent == "I30-I52" and info.chapter == "IX"
    assert info.needs_fourth_character
    assert [c.code for c in catalog.children(ICD10, "I50")] == ["I50.0", "I50.1", "I50.9"]
    assert catalog.lookup(ICD10, "I30-I52").parent == "IX"
    assert catalog.edition(ICD10) == "ICD-10 UK (HES 2012-2024)"
    assert info.title_source == "who"
    assert catalog.count(ICD10) == 12_101   # the HES list's 4-character codes (I10 and its kind are categories)


def test_the_uk_edition_not_who(catalog) -> None:
    # Haemorrhoids: K64 in the 5th edition; I84 kept with its last year; WHO-only U08.9 absent.
    assert catalog.title(ICD10, "K64.2") == "Third degree haemorrhoids"
    assert catalog.title(ICD10, "I84.9") == "Unspecified haemorrhoids without complication"
    old = catalog.lookup(ICD10, "I84")
    assert old.parent == "I80-I89" and old.last_fy == 2016 and old.title_source == "written"
    assert not catalog.exists(ICD10, "U08.9")
    assert catalog.exists(ICD10, "U06.0")
    assert catalog.count(OPCS4) == 9_857


def test_unknown_codes(catalog) -> None:
    assert catalog.lookup(OPCS4, "L80.7") is None
    assert catalog.title(OPCS4, "not a code") is None
    assert not catalog.exists("snomed", "L80.4")
    assert catalog.children(OPCS4, "Q99") == []


@pytest.mark.parametrize("category", ["L76", "L80", "L89", "K57", "Y02", "Y53", "Y68", "Z33", "Z94"])
def test_wizard_categories_are_complete(catalog, category: str) -> None:
    """The embedded data holds every code of these categories that the HES list holds."""
    path = REFERENCE_DIR / "opcs4-codes-hes.tsv"
    if not path.exists():
        pytest.skip("../shared/reference/opcs4-codes-hes.tsv is not available")
    with path.open(encoding="utf-8") as handle:
        full = {row[0]: row[1] for row in csv.reader(handle, delimiter="\t") if row[0].startswith(category)}
    ours = {c.code: c.title for c in catalog.children(OPCS4, category)}
    assert ours == full


def test_every_seed_and_library_code_is_embedded(catalog) -> None:
    import json
    import re

    from tests.conftest import GUIDANCE_LIBRARY

    if not GUIDANCE_LIBRARY.exists():
        pytest.skip("../shared/guidance-library is not available")
    missing = []
    for line in GUIDANCE_LIBRARY.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        for entry in record["procedure_codes"]:
            if re.fullmatch(r"[A-Z]\d\d(\.\d|\.-)", entry["code"]) and not catalog.exists(OPCS4, entry["code"]):
                missing.append(entry["code"])
        for entry in record["diagnosis_codes"]:
            # The record prints the asterisk code as H19.8A; the UK edition records H19.8 with the
            # mark kept beside the code, not in it.
            code = re.sub(r"^([A-Z]\d\d\.\d)A$", r"\1", entry["code"].rstrip("†*"))
            if not catalog.exists(ICD10, code):
                missing.append(code)
    assert missing == []
