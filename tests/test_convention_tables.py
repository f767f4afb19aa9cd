"""The embedded convention tables (fixtures/conventions): sound, covering, and read safely."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from workbench.core.classifications.convention_tables import (
    CONVENTIONS_DIR,
    ConventionTableError,
    covers,
    expand,
    read_tables,
    tables,
)

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "build_conventions.py"


def _script():
    spec = importlib.util.spec_from_file_location("build_conventions", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_tables_pass_their_check() -> None:
    # Every row names real codes, every "classified elsewhere" category is an asterisk category or a
    # reviewed exception, and every OPCS-4 category recorded over 1,000 times a year has a laterality row.
    assert _script().check() == []


def test_lookups() -> None:
    t = tables()
    assert t.is_asterisk("H28.0") and t.is_asterisk("F00.1") and not t.is_asterisk("E11.3")
    assert not t.is_asterisk("F54")
    assert t.dagger_references("H36.0") == ("E10.3", "E11.3", "E12.3", "E13.3", "E14.3")
    assert t.sex_limit("icd10", "N40").sex == "male" and t.sex_limit("icd10", "D07.5").sex == "male"
    assert t.sex_limit("icd10", "D07.3").sex == "female" and t.sex_limit("icd10", "D07.7") is None
    assert t.sex_limit("opcs4", "M65.3").sex == "male" and t.sex_limit("opcs4", "R24.9").sex == "female"
    assert t.age_limit("icd10", "Z38.0").severity == "error"
    assert (t.procedure_laterality("W37.1"), t.procedure_laterality("J18.3")) == ("paired", "unpaired")
    assert t.procedure_laterality("W24.1") == "paired" and t.procedure_laterality("W24.2") == "site"
    assert t.site_side("Z50.1") == "paired" and t.site_side("Z94.2") is None


def test_ranges() -> None:
    assert expand("C00-D48")[0] == ("category", "C00") and ("category", "D48") in expand("C00-D48")
    assert expand("D07.4-D07.6") == [("code", "D07.4"), ("code", "D07.5"), ("code", "D07.6")]
    assert covers("C00-D48", "C18.7") and covers("G30", "G30.1") and not covers("E11.3", "E11.9")
    with pytest.raises(ConventionTableError, match="backwards"):
        expand("N51-N40", "x.tsv:3")


def test_a_broken_table_names_its_file_and_line(tmp_path: Path) -> None:
    for path in CONVENTIONS_DIR.glob("*.tsv"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    broken = tmp_path / "sex-limits.tsv"
    broken.write_text(broken.read_text(encoding="utf-8") + "icd10\tN40\tmale\tWHO-V2\tagain\n", encoding="utf-8")
    with pytest.raises(ConventionTableError, match=r"sex-limits.tsv:\d+: N40 is already in another row"):
        read_tables(tmp_path)
    broken.write_text("# header\nclassification\tcodes\tsex\tsource\tnote\nicd10\tN40\tboth\tx\ty\n", encoding="utf-8")
    with pytest.raises(ConventionTableError, match=r"sex-limits.tsv:3"):
        read_tables(tmp_path)


def test_the_second_reviews_rows() -> None:
    t = tables()
    assert t.sex_limit("icd10", "N99.3").sex == "female" and t.sex_limit("icd10", "N99.4") is None   # WHO-V2
    assert t.procedure_laterality("M02.3") == "either" and t.procedure_laterality("M02.5") == "paired"
    assert t.procedure_laterality("L33.1") == "either" and t.procedure_laterality("L29.1") == "paired"
    assert t.procedure_laterality("O29.1") == "paired" and t.procedure_laterality("B08.1") == "unpaired"
    assert t.site_side("Z84.2") == "unpaired" and t.site_side("Z84.3") == "paired"
    assert t.site_side("Z24.6") == "paired" and t.site_side("Z24.3") == "either"
    assert t.never_primary("B96.2") and t.never_primary("Z37.0") and t.never_primary("Z38.0") is None
    assert t.body_systems("opcs4", "G45.9") == ("digestive",) and t.body_systems("icd10", "G45.9") == ("nervous",)
    assert t.body_systems("icd10", "I10") == () and "eye" in t.body_systems("icd10", "K51.9")


def test_a_title_that_states_its_side_must_agree_with_its_row(tmp_path: Path) -> None:
    script = _script()
    for path in CONVENTIONS_DIR.glob("*.tsv"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    table = tmp_path / "opcs4-laterality.tsv"
    table.write_text(table.read_text(encoding="utf-8").replace(
        "M02.3\teither", "M02.4\teither"), encoding="utf-8")   # bilateral nephrectomy falls back to paired
    problems = script._side_words(read_tables(tmp_path), script.codes_of("opcs4"))
    assert any("M02.3" in p and "both sides" in p for p in problems)
    assert script._side_words(tables(), script.codes_of("opcs4")) == []


def test_a_broken_systems_row_names_its_file_and_line(tmp_path: Path) -> None:
    for path in CONVENTIONS_DIR.glob("*.tsv"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    broken = tmp_path / "body-systems.tsv"
    broken.write_text(broken.read_text(encoding="utf-8") + "icd10\tZ99\tkidneys\tnot a system\n", encoding="utf-8")
    with pytest.raises(ConventionTableError, match=r"body-systems.tsv:\d+: classification icd10\|opcs4 and systems"):
        read_tables(tmp_path)
