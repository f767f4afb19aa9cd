"""The everyday codes (issue 22): the 500 OPCS-4 and 500 ICD-10 codes recorded most often are each
found by the phrase a coder types for it, and the everyday judged set scores as the issue asks.
The sets are benchmarks/data/common-codes.tsv and everyday.jsonl; the benchmark reports the same
figures (benchmarks/search_everyday.py)."""

from __future__ import annotations

import sqlite3

from benchmarks.search_everyday import COMMON, EVERYDAY, load_common, score_common, score_everyday


def test_the_sets_are_what_they_say(reference_db: sqlite3.Connection) -> None:
    common = load_common(COMMON)
    assert sum(1 for c in common if c.classification == "opcs4") == 500
    assert sum(1 for c in common if c.classification == "icd10") == 500
    for item in common:   # every code is real and is what the national counts rank
        assert reference_db.execute("SELECT 1 FROM codes WHERE classification = ? AND code = ?",
                                    (item.classification, item.code)).fetchone(), item
    assert EVERYDAY.exists()


def test_the_commonest_codes_are_each_in_the_first_three(reference_db: sqlite3.Connection) -> None:
    from_list = score_common(reference_db, load_common(COMMON), field_aware=True)
    for classification, figures in from_list.items():
        assert figures["top3"] == 1.0, (classification, figures["misses"][:10])
    mixed = score_common(reference_db, load_common(COMMON), field_aware=False)
    for classification, figures in mixed.items():
        assert figures["top3"] >= 0.99, (classification, figures["misses"][:10])


def test_the_everyday_set_meets_the_issue_goals(reference_db: sqlite3.Connection) -> None:
    scores = score_everyday(reference_db)
    assert len(scores["all"]["ranks"]) >= 150
    assert scores["all"]["s5"] >= 0.95 and scores["opcs4"]["s5"] >= 0.90
    assert scores["all"]["first"] >= 0.80
