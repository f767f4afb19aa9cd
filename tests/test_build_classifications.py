"""scripts/build_classifications.py: the committed fixtures are what the HES lists give."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from tests.conftest import REFERENCE_DIR, REPO_ROOT


def script():
    spec = importlib.util.spec_from_file_location("build_classifications",
                                                  REPO_ROOT / "scripts" / "build_classifications.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module          # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_category_titles_derived_from_their_codes() -> None:
    derive = script().derived_title
    assert derive([("A01.1", "Hemispherectomy"), ("A01.9", "Unspecified major excision of tissue of brain")]) == \
        "Major excision of tissue of brain"
    assert derive([("X01.8", "Other specified replantation of upper limb")]) == "Replantation of upper limb"
    assert derive([("Z01.9", "Tissue of brain NEC")]) == "Tissue of brain"
    assert derive([("R24.9", "All normal delivery")]) == ""


def test_a_written_title_must_share_a_word_with_its_codes() -> None:
    check = script().check_written
    assert check("L80", "Other operations on pulmonary vein", [("L80.4", "Insertion of stent into pulmonary vein")]) \
        is None
    assert "shares no word" in check("L80", "Knee replacement", [("L80.4", "Insertion of stent into pulmonary vein")])


def test_the_committed_fixtures_are_up_to_date(capsys) -> None:
    if not (REFERENCE_DIR / "opcs4-codes-hes.tsv").exists():
        pytest.skip("../shared/reference is not available")
    assert script().main(["--check", "--reference", str(REFERENCE_DIR)]) == 0, capsys.readouterr().err
