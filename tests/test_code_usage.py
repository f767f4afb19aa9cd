"""National usage counts: embedded with the classifications, read through Classifications."""

from __future__ import annotations

import csv

import pytest

from tests.conftest import REFERENCE_DIR, REPO_ROOT
from workbench.core.classifications.catalog import compact_count, usage_phrase

USAGE_DIR = REPO_ROOT / "fixtures" / "classifications"


def test_counts_of_a_code_come_from_the_fixture_row(catalog) -> None:
    with (USAGE_DIR / "icd10-usage.tsv").open(encoding="utf-8") as handle:
        rows = {row["code"]: row for row in csv.DictReader(handle, delimiter="\t")}
    usage = catalog.usage("icd10", "I10")
    assert usage.by_year[2023] == int(rows["I10"]["fy2023"])
    assert usage.by_year[2012] == int(rows["I10"]["fy2012"])
    assert usage.latest_fy == 2023
    assert catalog.recent_uses("icd10", "I10X") == usage.latest   # the UK form of I10
    assert catalog.recent_uses("icd10", "I10.X") == usage.latest


def test_a_category_counts_the_sum_of_its_codes(catalog) -> None:
    codes = [info.code for info in catalog.children("opcs4", "W37")]
    assert catalog.recent_uses("opcs4", "W37") == sum(catalog.recent_uses("opcs4", c) for c in codes) > 0
    assert catalog.recent_uses("opcs4", "W37.-") == catalog.recent_uses("opcs4", "W37")


def test_the_same_shape_is_counted_per_classification(catalog) -> None:
    # ICD-10 E11.9 (type 2 diabetes) is coded millions of times; OPCS-4 E11.9 almost never.
    assert catalog.recent_uses("icd10", "E11.9") > 1000 * max(1, catalog.recent_uses("opcs4", "E11.9"))


def test_codes_without_counts_are_zero_or_none(catalog) -> None:
    assert catalog.recent_uses("icd10", "I84") == 0           # retired from the UK edition in 2016
    assert catalog.usage("icd10", "I84").latest == 0
    assert catalog.usage("icd10", "IX") is None               # a chapter has no counts
    assert catalog.usage("opcs4", "not a code") is None
    assert catalog.recent_uses("nonsense", "L80.4") == 0


@pytest.mark.parametrize(("count", "text"), [
    (0, "not recorded in 2023/24"), (1, "recorded once in 2023/24"), (61, "recorded 61 times in 2023/24"),
    (9_999, "recorded 9,999 times in 2023/24"), (679_399, "recorded 679 thousand times in 2023/24"),
    (6_426_099, "recorded 6.4 million times in 2023/24"),
])
def test_usage_phrase(count: int, text: str) -> None:
    assert usage_phrase(count, 2023) == text


@pytest.mark.parametrize(("count", "text"), [(61, "61"), (2_412, "2.4k"), (240_000, "240k"), (6_426_099, "6.4M"),
                                             (12_000_000, "12M")])
def test_compact_count(count: int, text: str) -> None:
    assert compact_count(count) == text


def test_the_usage_fixtures_are_what_the_shared_counts_give() -> None:
    if not (REFERENCE_DIR / "opcs4-usage-hes.tsv").exists():
        pytest.skip("../shared/reference is not available")
    from tests.test_build_classifications import script

    module = script()
    for classification in ("opcs4", "icd10"):
        with (USAGE_DIR / f"{classification}.tsv").open(encoding="utf-8") as handle:
            known = {line.split("\t", 1)[0] for line in handle}
        text, problems = module.usage_table(REFERENCE_DIR / f"{classification}-usage-hes.tsv", known)
        assert problems == []
        assert (USAGE_DIR / f"{classification}-usage.tsv").read_text(encoding="utf-8") == text


def test_a_bad_usage_row_is_named_and_left_out(tmp_path) -> None:
    from tests.test_build_classifications import script

    source = tmp_path / "x-usage-hes.tsv"
    source.write_text("code\tfy2022\tfy2023\nL80.4\t1\t2\nQ99.9\t1\t1\nL80.2\t1\tx\n", encoding="utf-8")
    text, problems = script().usage_table(source, {"L80.4", "L80.2"})
    assert text == "code\tfy2022\tfy2023\nL80.4\t1\t2\n"
    assert problems == ["x-usage-hes.tsv:3: Q99.9 is not in the classification",
                        "x-usage-hes.tsv:4: counts must be 2 whole numbers"]
