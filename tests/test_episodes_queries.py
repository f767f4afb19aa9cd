"""Code filters on the log: categories spanning several codes, ICD-10 fifth characters,
and that a category query walks the index (merge) rather than sorting every match."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from workbench.core.episodes import CodedEntry, Coding, EpisodeDetails, EpisodeLog, LogError


def _coding(procs: str, diags: str = "I70.2") -> Coding:
    return Coding(procedures=[CodedEntry(c, "opcs4", "e") for c in procs.split()],
                  diagnoses=[CodedEntry(c, "icd10", "e") for c in diags.split()])


@pytest.fixture
def log(tmp_path: Path):
    with EpisodeLog(tmp_path / "episodes.db") as opened:
        yield opened


def _save(log: EpisodeLog, patient: str, procs: str, diags: str = "I70.2") -> int:
    details = EpisodeDetails(patient=patient, episode=f"E-{patient}", date=dt.date(2024, 5, 1))
    return log.save(details, _coding(procs, diags), coder="c").id


def test_category_merges_codes_newest_first_with_limit(log: EpisodeLog) -> None:
    a = _save(log, "A", "L80.4")
    b = _save(log, "B", "L80.1 L80.4")          # two codes of the category: listed once
    c = _save(log, "C", "K57.8")
    d = _save(log, "D", "L80.9")
    ids = lambda **kw: [s.id for s in log.list(**kw)]  # noqa: E731
    assert ids(code="L80") == [d, b, a]
    assert ids(code="L80.-") == [d, b, a]
    assert ids(code="L80", limit=2) == [d, b]
    assert ids(code="L80", patient="B") == [b]
    assert ids(code="L81") == []
    log.amend(d, _coding("K57.8"), reason="wrong code", coder="c")
    assert ids(code="L80") == [b, a]            # only the latest version counts
    assert ids(code="K57") == [d, c]


def test_icd10_fifth_character_filter(log: EpisodeLog) -> None:
    a = _save(log, "A", "W37.1", "S72.00")
    _save(log, "B", "W37.1", "S72.1")
    assert [s.id for s in log.list(code="s7200")] == [a]
    assert [s.id for s in log.list(code="S72.00")] == [a]
    assert len(log.list(code="S72")) == 2


def test_code_filter_rejects_non_codes(log: EpisodeLog) -> None:
    with pytest.raises(LogError, match="code: not a code"):
        log.list(code="banana")


def test_category_plan_merges_instead_of_sorting(log: EpisodeLog) -> None:
    """Guard for the 1M-episode target: no full sort of a category's matches."""
    for n in range(5):
        _save(log, f"P{n}", f"L80.{n}")
    statements: list[str] = []
    log.connection.set_trace_callback(statements.append)
    log.list(code="L80", limit=3)
    log.connection.set_trace_callback(None)
    query = next(s for s in statements if "UNION" in s)
    plan = " ".join(str(r[3]) for r in log.connection.execute("EXPLAIN QUERY PLAN " + query))
    assert "MERGE" in plan and "TEMP B-TREE FOR ORDER BY" not in plan
