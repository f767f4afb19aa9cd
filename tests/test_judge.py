"""Classifications.judge: the one decision whether a code may be coded as it stands."""

from __future__ import annotations

import pytest

from workbench.core.classifications import ICD10, OPCS4, CodeVerdict
from workbench.core.rules.codes import MappingCatalog, judge_code


@pytest.mark.parametrize("typed", ["I10", "C61", "G35", "R05", "E86"])
def test_complete_three_character_codes_are_codable(catalog, typed: str) -> None:
    verdict = catalog.judge(ICD10, typed)
    assert verdict.status == "codable" and verdict.code == typed and verdict.message == ""
    assert verdict.info is not None and verdict.info.title


@pytest.mark.parametrize("typed", ["I10X", "I10.X", "i10x", " I10 X "])
def test_the_uk_x_form_reads_as_the_three_character_code(catalog, typed: str) -> None:
    assert (catalog.judge(ICD10, typed).code, catalog.judge(ICD10, typed).status) == ("I10", "codable")


def test_x_is_only_a_filler_for_icd10(catalog) -> None:
    assert catalog.judge(OPCS4, "L80X").status == "malformed"


@pytest.mark.parametrize("typed", ["I50", "I50.-", "i50"])
def test_a_category_with_codes_below_needs_its_fourth_character(catalog, typed: str) -> None:
    verdict = catalog.judge(ICD10, typed)
    assert verdict.status == "needs_fourth" and verdict.code == "I50"
    assert verdict.children == ["I50.0", "I50.1", "I50.9"]
    assert "I50.0, I50.1, I50.9" in verdict.message


def test_opcs4_category(catalog) -> None:
    verdict = catalog.judge(OPCS4, "L80")
    assert verdict.status == "needs_fourth" and "L80.4" in verdict.children


def test_unknown_and_malformed(catalog) -> None:
    unknown = catalog.judge(ICD10, "U08.9")          # WHO-only: not in the UK list
    assert unknown.status == "unknown" and unknown.code == "U08.9" and "ICD-10 UK" in unknown.message
    malformed = catalog.judge(ICD10, "heart")
    assert malformed.status == "malformed" and malformed.code is None and malformed.message


def test_codes_last_recorded_long_ago_carry_that_fact(catalog) -> None:
    verdict = catalog.judge(ICD10, "I84.9")
    assert verdict.codable and verdict.last_recorded == "2016/17"
    assert verdict.note == "not recorded in HES since 2016/17"
    assert catalog.judge(ICD10, "K64.9").note == ""


def test_marks_and_the_uk_asterisk_suffix(catalog) -> None:
    assert catalog.judge(ICD10, "H19.8A").code == "H19.8" and catalog.judge(ICD10, "H19.8A").mark == "asterisk"
    assert catalog.judge(ICD10, "Q90.0\u2020").mark == "dagger"
    assert catalog.judge(ICD10, "H19.8*").mark == "asterisk"


def test_verdicts_follow_a_change_made_by_another_connection(catalog, reference_db, monkeypatch) -> None:
    import sqlite3

    monkeypatch.setattr(type(catalog), "FRESH_SECONDS", 0.0)
    assert catalog.judge(ICD10, "I10").codable           # now cached
    path = reference_db.execute("PRAGMA database_list").fetchone()[2]
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("DELETE FROM codes WHERE classification = 'icd10' AND code = 'I10'")
    other.close()
    assert catalog.judge(ICD10, "I10").status == "unknown"
    assert catalog.title(ICD10, "I10") is None


def test_a_plain_mapping_catalog_is_asked_what_it_can_answer() -> None:
    titles = MappingCatalog({(ICD10, "I10"): "Essential (primary) hypertension", (ICD10, "I50.0"): "x",
                             (ICD10, "I50.9"): "y"})
    assert judge_code(titles, ICD10, "I10X").status == "codable"
    assert judge_code(titles, ICD10, "I50").children == ["I50.0", "I50.9"]
    assert judge_code(titles, ICD10, "J45").status == "unknown"
    assert isinstance(judge_code(None, OPCS4, "L80"), CodeVerdict)
    assert judge_code(None, OPCS4, "L80").status == "needs_fourth"
