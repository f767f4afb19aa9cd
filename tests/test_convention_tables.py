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
    assert t.procedure_laterality("W24.1") == "paired" and t.procedure_laterality("W24.2") == "either"
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
