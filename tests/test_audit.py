"""The audit core: sampling, blind items, comparison by code type, the store's chain, the report."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from tests.audit_data import CODERS, build, episode_codes
from workbench.core.audit import AuditCoding, AuditError, Audits, checked_method, compare
from workbench.core.audit.compare import (
    EXTRA,
    MISSING,
    PRIMARY_DIAGNOSIS,
    PRIMARY_PROCEDURE,
    SECONDARY_DIAGNOSIS,
    SECONDARY_PROCEDURE,
    SEQUENCING,
    WRONG_4TH,
    WRONG_CODE,
)
from workbench.core.audit.report import level_for, overall_level
from workbench.core.audit.sampling import allocate, permutation
from workbench.core.episodes import EpisodeLog
from workbench.core.episodes.checkpoints import Checkpoint


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("audit") / "template.db")


@pytest.fixture
def log(built: Path, tmp_path: Path):
    import shutil

    path = tmp_path / "episodes.db"
    shutil.copyfile(built, path)
    with EpisodeLog(path) as opened:
        yield opened


def coding(procedures: list[str], diagnoses: list[str]) -> AuditCoding:
    return AuditCoding(procedures, diagnoses, [None] * len(diagnoses), [], {}, [])


# ---------------------------------------------------------------- sampling

def test_the_same_seed_draws_the_same_sample_and_another_seed_another(log: EpisodeLog) -> None:
    audits = Audits(log)
    first = audits.new_sample(checked_method(20, 7), drawn_by="manager")
    again = audits.new_sample(checked_method(20, 7), drawn_by="manager")
    other = audits.new_sample(checked_method(20, 8), drawn_by="manager")
    ids = [[i.episode_id for i in audits.items(s.id)] for s in (first, again, other)]
    assert ids[0] == ids[1] and ids[0] != ids[2] and len(set(ids[0])) == 20
    assert ids[0] == sorted(ids[0])
    assert (first.drawn_by, first.auditor, first.method.seed, first.candidates) == ("manager", "manager", 7, 500)


def test_the_permutation_is_complete_and_prefix_stable() -> None:
    order = list(permutation(range(1, 101), 3))
    assert sorted(order) == list(range(1, 101)) and order != list(range(1, 101))
    assert list(permutation(range(1, 101), 3))[:10] == order[:10]


def test_filters_and_voided_episodes(log: EpisodeLog) -> None:
    audits = Audits(log)
    log.void(4, reason="duplicate", coder="ann")
    everyone = audits.new_sample(checked_method(500, 1), drawn_by="m")
    assert everyone.size == 499 and 4 not in {i.episode_id for i in audits.items(everyone.id)}
    only_bob = audits.new_sample(checked_method(10, 1, coder="bob"), drawn_by="m")
    assert all(i.episode_id % 4 == 1 for i in audits.items(only_bob.id))
    urology = audits.new_sample(checked_method(10, 1, specialty="UROLOGY",
                                                 since=dt.date(2025, 3, 1), until=dt.date(2025, 6, 30)),
                                drawn_by="m")
    for item in audits.items(urology.id):
        assert item.details.specialty == "urology"
        assert dt.date(2025, 3, 1) <= item.details.date <= dt.date(2025, 6, 30)
    with pytest.raises(AuditError, match="no saved episodes match"):
        audits.new_sample(checked_method(10, 1, coder="nobody"), drawn_by="m")


def test_stratified_shares_follow_the_population(log: EpisodeLog) -> None:
    assert allocate(10, {"a": 50, "b": 30, "c": 20}) == {"a": 5, "b": 3, "c": 2}
    assert allocate(10, {"a": 1, "b": 1}) == {"a": 1, "b": 1}
    assert sum(allocate(7, {"a": 10, "b": 10, "c": 10}).values()) == 7
    audits = Audits(log)
    sample = audits.new_sample(checked_method(40, 5, stratify="coder"), drawn_by="m")
    strata = [i.stratum for i in audits.items(sample.id)]
    assert {c: strata.count(c) for c in CODERS} == {c: 10 for c in CODERS}


# ---------------------------------------------------------------- comparison

@pytest.mark.parametrize(("coded", "audit", "kinds"), [
    (["J18.9", "I10"], ["J44.0", "I10"], [(PRIMARY_DIAGNOSIS, WRONG_CODE)]),
    (["I50.9", "I10"], ["I50.0", "I10"], [(PRIMARY_DIAGNOSIS, WRONG_4TH)]),
    (["I10", "I50.0"], ["I50.0", "I10"], [(PRIMARY_DIAGNOSIS, SEQUENCING)]),
    (["I50.0"], ["I50.0", "I10"], [(SECONDARY_DIAGNOSIS, MISSING)]),
    (["I50.0", "I10", "E11.9"], ["I50.0", "I10"], [(SECONDARY_DIAGNOSIS, EXTRA)]),
    (["I50.0", "E11.9"], ["I50.0", "E11.8"], [(SECONDARY_DIAGNOSIS, WRONG_4TH)]),
    (["I50.0", "I10", "E11.9"], ["I50.0", "E11.9", "I10"], []),          # secondaries are a set
])
def test_differences_are_classified(coded, audit, kinds) -> None:
    found = compare([], coded, [], audit)
    assert [(d.code_type, d.kind) for d in found.differences] == kinds


def test_a_sequencing_swap_counts_once_against_the_primary() -> None:
    found = compare(["Y02.1", "K57.8", "Z94.2"], [], ["K57.8", "Y02.1", "Z94.2"], [])
    assert [(d.code_type, d.kind, d.original, d.audit) for d in found.differences] == [
        (PRIMARY_PROCEDURE, SEQUENCING, "Y02.1", "K57.8")]
    assert (found.tally.right[PRIMARY_PROCEDURE], found.tally.counted[PRIMARY_PROCEDURE]) == (0, 1)
    assert (found.tally.right[SECONDARY_PROCEDURE], found.tally.counted[SECONDARY_PROCEDURE]) == (2, 2)


def test_missing_and_extra_secondaries_count_in_the_denominator() -> None:
    found = compare(["K57.8", "Y02.1", "Y53.4"], [], ["K57.8", "Y02.1", "Z94.2"], [])
    assert {(d.kind, d.original, d.audit) for d in found.differences} == {
        (MISSING, None, "Z94.2"), (EXTRA, "Y53.4", None)}
    assert (found.tally.right[SECONDARY_PROCEDURE], found.tally.counted[SECONDARY_PROCEDURE]) == (1, 3)
    nothing = compare([], ["I10"], [], ["I10"])
    assert nothing.tally.counted[PRIMARY_PROCEDURE] == 0 and not nothing.differences


def test_levels_compare_unrounded() -> None:
    assert level_for(PRIMARY_DIAGNOSIS, 95.0) == "Level 3"
    assert level_for(PRIMARY_DIAGNOSIS, 94.99) == "Level 2"
    assert level_for(SECONDARY_DIAGNOSIS, 79.99) == "below Level 2"
    assert level_for(SECONDARY_PROCEDURE, None) == "not assessed"
    assert overall_level(["Level 3", "Level 2", "not assessed"]) == "Level 2"


# ---------------------------------------------------------------- blind coding and the report

def test_blind_until_saved_and_the_log_never_changes(log: EpisodeLog) -> None:
    audits = Audits(log)
    sample = audits.new_sample(checked_method(5, 11), drawn_by="manager")
    item = audits.items(sample.id)[0]
    shown = json.dumps(item.as_dict())
    procedures, diagnoses = episode_codes(item.episode_id)
    for code in (*procedures, *diagnoses, CODERS[item.episode_id % 4]):
        assert code not in shown
    assert "codes" not in shown and "coder" not in shown
    with pytest.raises(AuditError, match="not audited yet"):
        audits.comparison(sample.id, item.episode_id)
    assert audits.blind_episodes("manager") == {i.episode_id for i in audits.items(sample.id)}
    assert audits.blind_episodes("someone.else") == set()
    before = log.history(item.episode_id)
    result = audits.save_coding(sample.id, item.episode_id, coding(procedures, diagnoses), auditor="manager")
    assert log.history(item.episode_id) == before and log.count() == 500
    assert result.original_procedures == procedures and not result.reviews
    assert item.episode_id not in audits.blind_episodes("manager")
    with pytest.raises(AuditError, match="not in audit sample"):
        audits.comparison(sample.id, 10_000)


def test_report_by_type_coder_and_specialty(log: EpisodeLog) -> None:
    audits = Audits(log)
    sample = audits.new_sample(checked_method(20, 3), drawn_by="manager")
    items = audits.items(sample.id)
    for n, item in enumerate(items):
        procedures, diagnoses = episode_codes(item.episode_id)
        if n == 0:
            diagnoses = ["J44.0", *diagnoses[1:]]                   # wrong primary diagnosis
        elif n == 1:
            procedures = [*procedures, "Y70.3"]                     # the coder missed a secondary procedure
        elif n == 2:
            procedures = [procedures[1], procedures[0], procedures[2]]   # sequencing
        elif n == 3:
            diagnoses = [diagnoses[0], "E11.8" if diagnoses[1] == "E11.9" else "I11.9"]   # 4th character
        audits.save_coding(sample.id, item.episode_id, coding(procedures, diagnoses), auditor="auditor")
    report = audits.report(sample.id)
    percents = {t.code_type: t.percent for t in report.overall.types}
    # 20 episodes: 20 primaries of each kind, 20 secondary diagnoses, 40 (+1 missing) secondary procedures.
    assert percents == {PRIMARY_DIAGNOSIS: 95.0, SECONDARY_DIAGNOSIS: 95.0, PRIMARY_PROCEDURE: 95.0,
                        SECONDARY_PROCEDURE: round(100 * 40 / 41, 2)}
    assert [t.level for t in report.overall.types] == ["Level 3"] * 4 and report.overall.level == "Level 3"
    assert len(report.differences) == 4 and report.audited == 20
    assert sum(g.episodes for g in report.by_coder) == 20 and sum(g.episodes for g in report.by_specialty) == 20
    first = report.differences[0]
    audits.review(sample.id, first.episode_id, first.key, reviewer="auditor", error_type="documentation",
                  note="op note unclear", agreed=True)
    reviewed = audits.report(sample.id).differences[0]
    assert (reviewed.error_type, reviewed.note, reviewed.agreed) == ("documentation", "op note unclear", True)
    with pytest.raises(AuditError, match="error type"):
        audits.review(sample.id, first.episode_id, first.key, reviewer="a", error_type="bad")


# ---------------------------------------------------------------- append-only, verified

def test_audit_records_are_append_only_and_verified(log: EpisodeLog) -> None:
    audits = Audits(log)
    sample = audits.new_sample(checked_method(3, 2), drawn_by="manager")
    item = audits.items(sample.id)[0]
    audits.save_coding(sample.id, item.episode_id, coding(*episode_codes(item.episode_id)), auditor="a")
    report = log.verify()
    assert report.ok and report.audit_records == 2
    conn = log.connection
    with pytest.raises(Exception, match="append-only"):
        conn.execute("UPDATE audit_record SET actor = 'x' WHERE id = 2")
    with pytest.raises(Exception, match="append-only"):
        conn.execute("DELETE FROM audit_record WHERE id = 2")
    checkpoint = log.checkpoint()
    assert (checkpoint.audit_records, checkpoint.audit_head) == (2, report.audit_head)
    conn.execute("DROP TRIGGER audit_record_no_update")
    conn.execute("UPDATE audit_record SET body = replace(body, 'procedures', 'procedurez') WHERE id = 2")
    problems = [b.problem for b in log.verify().broken]
    assert any("audit record 2 (sample 1) was changed outside the app" in p for p in problems)
    conn.execute("DROP TRIGGER audit_record_no_delete")
    conn.execute("DELETE FROM audit_record WHERE id = 2")
    problems = [b.problem for b in log.verify().broken]
    assert any("recorded 2 audit records" in p and "audit record 2 is missing" in p for p in problems), problems


def test_a_checkpoint_line_without_audit_fields_still_reads(tmp_path: Path) -> None:
    from workbench.core.episodes.checkpoints import read_checkpoints

    file = tmp_path / "c.jsonl"
    file.write_text('{"at": "x", "versions": 1, "episodes": 1, "head": "' + "0" * 64 + '"}\n'
                    + Checkpoint(2, "1" * 64, 2, "y", tables={"audit": [3, "2" * 64]}).line() + "\n"
                    + '{"at": "z", "versions": 2, "episodes": 2, "head": "' + "1" * 64 + '", '
                    '"audit_records": 3, "audit_head": "' + "2" * 64 + '"}\n')
    old, new, schema_8 = read_checkpoints(file)
    assert (old.audit_records, new.audit_records, new.audit_head) == (0, 3, "2" * 64)
    assert (schema_8.audit_records, schema_8.audit_head) == (3, "2" * 64)     # lines written before issue 25
