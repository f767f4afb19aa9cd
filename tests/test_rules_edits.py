"""Validation edits: each rule, with the classification and position it reports."""

from __future__ import annotations

import pytest

from tests.test_rules_support import code_catalog
from workbench.core.rules import load_pack, run_edits
from workbench.core.rules.loader import PACKS_DIR


@pytest.fixture
def catalog(request: pytest.FixtureRequest):
    return code_catalog(request)


def ids(results) -> list[tuple[str, int | None]]:
    return [(r.id, r.position) for r in results]


def test_a_clean_sequence_passes(catalog) -> None:
    assert run_edits(["K57.8", "Y02.1", "Y53.4", "Z33.2", "Z33.6", "Z94.2"], ["I50.0"], catalog) == []


def test_unknown_code(catalog) -> None:
    results = run_edits(["K57.8", "L80.0"], [], catalog)
    assert ids(results) == [("unknown-code", 2)]
    assert results[0].severity == "error" and "L80.0" in results[0].message
    assert results[0].classification == "opcs4"


def test_invalid_code(catalog) -> None:
    assert ids(run_edits(["K57.8"], ["heart failure"], catalog)) == [("invalid-code", 1)]


@pytest.mark.parametrize("category", ["L80", "L80.-", "l80"])
def test_category_without_fourth_character(catalog, category) -> None:
    results = run_edits(["K57.8", category], [], catalog)
    assert ids(results) == [("missing-4th-character", 2)]
    assert "L80" in results[0].message and "4th character" in results[0].message


def test_icd10_category_that_needs_a_fourth_character(catalog) -> None:
    assert ids(run_edits(["K57.8"], ["I50"], catalog)) == [("missing-4th-character", 1)]


@pytest.mark.parametrize("first", ["Y53.4", "Z33.2"])
def test_y_or_z_code_first(catalog, first) -> None:
    results = run_edits([first, "K57.8"], [], catalog)
    assert ("y-z-first", 1) in ids(results)


def test_laterality_must_follow_a_site_code(catalog) -> None:
    assert ids(run_edits(["W83.5", "Z94.2", "Z84.6"], [], catalog)) == [("laterality-position", 2)]
    assert run_edits(["W83.5", "Y13.4", "Z84.6", "Z94.2"], [], catalog) == []


def test_icd10_z94_2_is_not_laterality(catalog) -> None:
    # ICD-10 Z94.2 (lung transplant status) as a diagnosis must never trip the OPCS-4 laterality edit.
    results = run_edits(["K57.8"], ["Z94.2"], catalog)
    assert "laterality-position" not in [r.id for r in results]
    assert "y-z-first" not in [r.id for r in results]


def test_pack_declared_site_codes_count_for_laterality(catalog) -> None:
    from workbench.core.rules import load_pack_text

    text = ("id: T\nguidance: T\ntitle: t\nversion: '1'\nstatus: draft\n"
            "procedures:\n  - codes: [K57.8, Z33.2, Y02.1, Z94.2]\n")
    # A method code between the site and its laterality breaks the pair ...
    assert "laterality-position" in [r.id for r in run_edits(["K57.8", "Z33.2", "Y02.1", "Z94.2"], [], catalog)]
    # ... unless the pack declares that code a site code.
    with_site = load_pack_text(text + "site_codes: [Y02.1]\n", "t.yaml")
    assert run_edits(["K57.8", "Z33.2", "Y02.1", "Z94.2"], [], catalog, with_site) == []


def test_duplicate_code_is_a_warning(catalog) -> None:
    results = run_edits(["K57.8", "Y53.4", "Y53.4"], [], catalog)
    assert ids(results) == [("duplicate-code", 3)] and results[0].severity == "warning"


def test_excluded_pair_from_the_pack(catalog) -> None:
    pack = load_pack(PACKS_DIR / "IPG75.yaml")
    results = run_edits(["L80.4", "L76.1", "L80.3", "Y53.4"], [], catalog, pack)
    assert ("excluded-pair", 3) in ids(results)
    assert "implicit" in results[0].message
    # No pack, no pack rules: the convention drawn from the classification's titles still holds.
    assert ids(run_edits(["L80.4", "L80.3"], [], catalog)) == [("angioplasty-with-stent", 2)]


def test_missing_diagnosis_when_the_pack_requires_one(catalog) -> None:
    pack = load_pack(PACKS_DIR / "IPG655.yaml")
    results = run_edits(["K57.8", "Y02.1", "Z33.2", "Z94.2"], [], catalog, pack)
    assert ids(results)[0] == ("missing-diagnosis", None)
    assert results[0].classification == "icd10"


def test_forbidden_code_from_the_pack(catalog) -> None:
    from workbench.core.rules import load_pack_text

    pack = load_pack_text(
        "id: T\nguidance: T\ntitle: t\nversion: '1'\nstatus: draft\nprocedures:\n  - code: K57.8\n"
        "forbidden:\n  - code: L80.2\n    reason: not with this procedure\n", "t.yaml")
    assert ids(run_edits(["K57.8", "L80.2"], [], catalog, pack)) == [("forbidden-code", 2)]


def test_no_catalog_still_checks_order_and_shape() -> None:
    assert ids(run_edits(["Y53.4", "L80"], [], None)) == [("missing-4th-character", 2), ("y-z-first", 1)]


def test_an_unknown_code_names_the_loaded_edition(reference_db) -> None:
    from workbench.core.classifications import Classifications

    catalog = Classifications(reference_db)
    [result] = run_edits(["L80.0"], [], catalog)
    assert result.id == "unknown-code"
    assert "L80.0" in result.message and catalog.edition("opcs4") in result.message


def test_a_site_code_may_follow_each_procedure_it_qualifies(catalog) -> None:
    # W80.2 + Y76.7 + Z84.6, then W83.3 + Z84.6: each knee operation carries its site code.
    assert run_edits(["W80.2", "Y76.7", "Z84.6", "W83.3", "Z84.6"], [], catalog) == []
    results = run_edits(["W80.2", "Z84.6", "Z84.6"], [], catalog)
    assert ids(results) == [("duplicate-code", 3)] and "same procedure" in results[0].message
    assert ids(run_edits(["W80.2", "Z84.6", "W80.2"], [], catalog)) == [("duplicate-code", 3)]
