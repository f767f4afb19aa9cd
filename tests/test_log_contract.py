"""The episode log's contract, run on both stores: a SQLite file and a PostgreSQL server.

Save, amend, void, lists, drafts, duplicates and retries, the verify tamper table, export
and the worklist must behave the same whichever store the log is in. The PostgreSQL half
needs a server: the session starts a throwaway one (tests/pg_cluster.py) or skips it with
the reason shown (and fails in CI, where .ci/run provides one).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import replace
from pathlib import Path

import pytest

from tests.log_backends import ICD, OPCS, ServerStore, SqliteStore, coding, details, recompute_chain
from workbench.core.episodes import (
    CodedEntry,
    Coding,
    EpisodeDetails,
    EpisodeNotFound,
    LogError,
    Override,
)
from workbench.core.episodes.model import DraftAlreadySaved, DuplicateEpisode


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path):
    if request.param == "sqlite":
        return SqliteStore(tmp_path / "logs" / "episodes.db")
    return ServerStore(request.getfixturevalue("postgres_db"))


@pytest.fixture
def log(store):
    with store.open() as opened:
        yield opened


# ---------------------------------------------------------------- save, amend, void


def test_save_returns_everything_stored(log) -> None:
    given = coding(guidance_id="IPG75", pack_id="ipg75", pack_version="1.0",
                   answers={"stent": "yes", "count": 2, "types": ["a", "b"]},
                   overrides=[Override("y-z-first", "consultant confirmed")])
    summary = log.save(details(nhs="943 476 5919"), given, coder="ann", note="first")
    assert summary.id == 1 and summary.details.nhs_number == "9434765919"
    latest = summary.latest
    assert (latest.version, latest.status, latest.coder, latest.note) == (1, "final", "ann", "first")
    assert [e.code for e in latest.coding.procedures] == ["L80.4", "Y53.9"]
    assert latest.coding.answers == {"stent": "yes", "count": 2, "types": ["a", "b"]}
    assert latest.coding.overrides == [Override("y-z-first", "consultant confirmed")]
    assert abs((dt.datetime.now(dt.UTC) - latest.saved_at).total_seconds()) < 60
    assert log.get(1) == summary and log.count() == 1


def test_amend_keeps_the_original_and_void_ends_the_episode(log) -> None:
    first = log.save(details(), coding(), coder="ann")
    amended = log.amend(first.id, coding("L80.2"), reason="wrong stent", coder="bob")
    assert (amended.latest.version, amended.latest.status, amended.latest.reason) == (2, "amended", "wrong stent")
    episode, versions = log.history(first.id)
    assert episode == first.details and versions[0] == first.latest
    voided = log.void(first.id, reason="duplicate", coder="ann")
    assert voided.latest.status == "voided" and voided.latest.coding.procedures == amended.latest.coding.procedures
    with pytest.raises(LogError, match="void"):
        log.amend(first.id, coding("L80.3"), reason="x", coder="ann")
    with pytest.raises(EpisodeNotFound):
        log.amend(42, coding(), reason="r", coder="c")
    with pytest.raises(LogError, match="reason"):
        log.void(first.id, reason=" ", coder="ann")
    assert [v.version for v in log.history(first.id)[1]] == [1, 2, 3]
    assert log.verify().ok


def test_lists_filter_on_the_latest_version(log) -> None:
    a = log.save(details("P1", "E1", "2024-01-10", "9434765919"), coding("L80.4 Y53.9", guidance_id="IPG75"), coder="ann")
    b = log.save(details("P2", "E2", "2024-02-10"), coding("K57.8 Y02.1", "I50.0"), coder="bob")
    c = log.save(details("P1", "E3", "2024-03-10"), coding("L80.2"), coder="ann")
    log.amend(c.id, coding("L80.4"), reason="fix", coder="bob")
    log.void(b.id, reason="dup", coder="bob")

    def ids(**filters) -> list[int]:
        return [s.id for s in log.list(**filters)]

    assert ids() == [c.id, b.id, a.id]
    assert ids(patient="P1") == [c.id, a.id]
    assert ids(nhs="943 476 5919") == [a.id]
    assert ids(code="l804") == [c.id, a.id]
    assert ids(code="L80.2") == []
    assert ids(code="L80") == [c.id, a.id]
    assert ids(guidance="ipg 75") == [a.id]
    assert ids(coder="bob") == [c.id, b.id]
    assert ids(since="2024-02-01", until="2024-02-28") == [b.id]
    assert ids(status="voided") == [b.id]
    assert ids(code="L80.4", limit=1) == [c.id]
    assert ids(code="L80", since="2024-01-01", until="2024-12-31") == [c.id, a.id]
    assert ids(words=["p1"]) == [c.id, a.id]
    listed = list(log.listing())
    assert [(e.id, e.procedures, e.diagnoses) for e in listed] == [
        (c.id, "L80.4", "I70.2"), (b.id, "K57.8 Y02.1", "I50.0"), (a.id, "L80.4 Y53.9", "I70.2")]


def test_pages_continue_by_key(log) -> None:
    from workbench.core.episodes.queries import page_key

    for n in range(30):
        log.save(details(f"P{n}", f"E{n}", f"2024-01-{1 + n % 28:02d}"), coding(), coder="c")
    first = log.list(since="2024-01-05", until="2024-01-20", limit=7)
    assert [s.id for s in first] == [20, 19, 18, 17, 16, 15, 14]
    rest = log.list(since="2024-01-05", until="2024-01-20", limit=50, after=page_key(first[-1]))
    assert [s.id for s in rest] == list(range(13, 4, -1))


# ---------------------------------------------------------------- drafts, duplicates, retries


def test_drafts_round_trip_per_coder(log) -> None:
    first = log.save_draft("ann", {"answers": {"stent": "yes"}})
    assert log.save_draft("ann", {"answers": {"stent": "no"}}, first) == first
    other = log.save_draft("bob", {"guidance_id": "IPG655"})
    assert [(d.id, d.state["answers"]) for d in log.drafts("ann")] == [(first, {"stent": "no"})]
    assert [d.id for d in log.drafts("bob")] == [other]
    log.discard_draft(first)
    log.discard_draft(first)
    assert log.drafts("ann") == []
    draft = log.save_draft("ann", {"stage": "review"})
    saved = log.save(details(), coding(), coder="ann", draft_id=draft)
    assert log.drafts("ann") == []
    draft = log.save_draft("ann", {"stage": "amend"})
    log.amend(saved.id, coding("L80.2"), reason="r", coder="ann", draft_id=draft)
    assert log.drafts("ann") == []


def test_a_draft_is_consumed_by_exactly_one_save(store) -> None:
    with store.open() as window_a, store.open() as window_b:
        draft = window_a.save_draft("a", {"stage": "review"})
        saved = window_a.save(details(), coding(), coder="a", draft_id=draft)
        with pytest.raises(DraftAlreadySaved) as caught:
            window_b.save(details(episode="E2"), coding(), coder="a", draft_id=draft)
        assert caught.value.episode_id == saved.id and window_b.count() == 1
        assert window_b.save_draft("a", {"stage": "details"}) != draft


def test_duplicates_need_a_reason_and_retries_return_the_first(log) -> None:
    first = log.save(details("P-SECRET"), coding(), coder="a", save_id="job-7")
    assert log.save(details("P-SECRET"), coding(), coder="a", save_id="job-7").id == first.id
    with pytest.raises(LogError, match="save id already used"):
        log.save(details("P-SECRET", "E9"), coding(), coder="a", save_id="job-7")
    with pytest.raises(DuplicateEpisode) as caught:
        log.save(details("P-SECRET"), coding(), coder="b")
    assert caught.value.existing_id == first.id and "P-SECRET" not in str(caught.value)
    second = log.save(details("P-SECRET"), coding(), coder="a", duplicate_reason="two procedures")
    assert second.latest.reason == f"saved alongside episode {first.id}: two procedures"
    log.void(first.id, reason="wrong patient", coder="a")
    log.void(second.id, reason="wrong patient", coder="a")
    assert log.save(details("P-SECRET"), coding(), coder="a").id == 3
    assert log.count() == 3 and log.verify().ok


# ---------------------------------------------------------------- verify: the tamper table


def _three_episodes(store) -> None:
    with store.open() as log:
        for n in (1, 2, 3):
            log.save(details(f"P{n}", f"E{n}", f"2024-01-0{n}"), coding(), coder="ann")
        log.amend(2, coding("L80.3"), reason="cutting balloon", coder="bob")   # version row 4


def _delete_version(row: int) -> list[str]:
    return [f"DELETE FROM version_code WHERE version_id = {row}",
            f"DELETE FROM code_index WHERE version_id = {row}",
            f"DELETE FROM code_date WHERE version_id = {row}",
            f"DELETE FROM version WHERE id = {row}"]


FORGED = ("INSERT INTO version (id, episode_id, version, status, answers, overrides, coder, saved_at, "
          "prev_hash, hash) VALUES (5, 1, 2, 'amended', '{}', '[]', 'mallory', '2099-01-01T00:00:00.000000+00:00', "
          "(SELECT hash FROM version WHERE id = 4), '" + "ab" * 32 + "')")

TAMPER_TABLE = [
    # (what the attacker did, statements or a callable, checkpoint first, what verify says)
    ("a coder's name changed", ["UPDATE version SET coder = 'mallory' WHERE id = 1"], False, "changed outside the app"),
    ("a code changed", ["UPDATE version_code SET code = 'L80.2' WHERE version_id = 3 AND kind = 'procedure' "
                        "AND position = 1"], False, "changed outside the app"),
    ("a patient changed", ["UPDATE episode SET patient = 'SOMEONE' WHERE id = 2"], False, "changed outside the app"),
    ("a middle version deleted", _delete_version(3), False, "version rows 3 are missing"),
    ("the newest version deleted", _delete_version(4), True, "recorded 4 versions"),
    ("a version forged at the end", [FORGED], False, "changed outside the app"),
    ("a rewrite with the chain recomputed", "recompute", True, "rewritten"),
]


@pytest.mark.parametrize(("attack", "change", "checkpoint", "finding"), TAMPER_TABLE,
                         ids=[row[0] for row in TAMPER_TABLE])
def test_verify_catches_each_tampering(store, attack: str, change, checkpoint: bool, finding: str) -> None:
    _three_episodes(store)
    with store.open() as log:
        assert log.verify().ok
        if checkpoint:
            log.checkpoint()
    if change == "recompute":
        store.tamper("UPDATE version SET coder = 'mallory' WHERE id = 1")
        recompute_chain(store)
    else:
        store.tamper(*change)
    with store.open() as log:
        report = log.verify()
    assert not report.ok, attack
    assert any(finding in b.problem for b in report.broken), [b.problem for b in report.broken]


# ---------------------------------------------------------------- export and the worklist


def test_export_csv_and_json(log) -> None:
    log.save(details("P1", "E1", "2024-01-10"), coding("L80.4 Y53.9", "=cmd I10"), coder="ann")
    dagger = Coding([CodedEntry("A17.0", "opcs4", OPCS)],
                    [CodedEntry("A17.0", "icd10", ICD, "dagger"), CodedEntry("G01", "icd10", ICD, "asterisk")])
    log.save(details("P2", "E2", "2024-02-10"), dagger, coder="bob")
    log.amend(1, coding("L80.2"), reason="fix", coder="bob")
    out = io.StringIO()
    assert log.export(out) == 2
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [(r["episode_id"], r["version"], r["procedure_1"], r["primary_diagnosis"]) for r in rows] == [
        ("2", "1", "A17.0", "A17.0\u2020"), ("1", "2", "L80.2", "I70.2")]
    assert rows[0]["secondary_diagnoses"] == "G01*"
    out = io.StringIO()
    assert log.export(out, format="json", all_versions=True) == 3
    items = json.loads(out.getvalue())
    assert [(i["id"], i["version"], i["procedures"]) for i in items] == [
        (1, 1, ["L80.4", "Y53.9"]), (2, 1, ["A17.0"]), (1, 2, ["L80.2"])]
    assert items[0]["diagnoses"] == ["=cmd", "I10"]
    out = io.StringIO()
    log.export(out, all_versions=True)
    assert "'=cmd" in out.getvalue()      # a formula never reaches a spreadsheet


def test_worklist(log, tmp_path: Path) -> None:
    from workbench.core.episodes.worklist import Worklist

    extract = tmp_path / "extract.csv"
    extract.write_text("patient,episode,start_date,specialty\nP1,S1,01/02/2024,Cardiology\n"
                       "P2,S2,02/02/2024,Urology\nP1,S1,01/02/2024,Cardiology\n")
    worklist = Worklist(log)
    report = worklist.import_file(extract)
    assert (report.imported, report.already) == (2, 1)
    assert [i.episode for i in worklist.items(status="open")] == ["S1", "S2"]
    first = worklist.items()[0]
    worklist.mark_query(first.id, "which side?")
    assert [i.status for i in worklist.items()] == ["query", "open"]
    saved = log.save(replace(details(), patient="P2", episode="S2"), coding(), coder="ann")
    second = worklist.items(status="open")[0]
    worklist.link(second.id, saved.id)
    assert worklist.get(second.id).status == "coded" and worklist.open_count() == 0
    assert worklist.import_file(extract).imported == 0


def test_allocation_assign_claim_lapse(log, tmp_path: Path) -> None:
    from workbench.core.episodes.allocation import Allocations, ItemTaken
    from workbench.core.episodes.worklist import Worklist

    extract = tmp_path / "extract.csv"
    extract.write_text("patient,episode,start_date\nP1,S1,01/02/2024\nP2,S2,02/02/2024\nP3,S3,03/02/2024\n")
    worklist = Worklist(log)
    worklist.import_file(extract)
    first, second, third = worklist.items()
    allocations = Allocations(log)
    allocations.assign(third.id, "ann", by="manager")
    allocations.claim(second.id, "bob")
    # Ann's list: hers first, then the free one, then Bob's.
    assert [i.episode for i, _ in allocations.ordered(worklist.items(), "ann")] == ["S3", "S1", "S2"]
    assert [i.episode for i, _ in allocations.ordered(worklist.items(), "bob")] == ["S2", "S1", "S3"]
    with pytest.raises(ItemTaken, match="being coded by bob") as caught:
        allocations.claim(second.id, "ann")
    assert caught.value.holder == "bob"
    assert allocations.claim(second.id, "bob").claimed_by == "bob"          # renewing is fine
    with pytest.raises(ItemTaken, match="claimed by bob, not you"):
        allocations.release(second.id, "ann")
    allocations.release(second.id, "bob")
    assert allocations.claim(second.id, "ann").claimed_by == "ann"
    # A claim that has lapsed is no one's.
    allocations.claim(first.id, "bob", minutes=0)
    assert allocations.get(first.id).claimed_by is None
    assert allocations.claim(first.id, "ann").claimed_by == "ann"
    # Saving the episode ends the claim.
    saved = log.save(replace(details(), patient="P1", episode="S1"), coding(), coder="ann")
    worklist.link(first.id, saved.id)
    assert allocations.get(first.id).claimed_by is None
    with pytest.raises(LogError, match="no such item"):
        allocations.claim(999, "ann")


# ---------------------------------------------------------------- audit and productivity


def _audited_log(log) -> None:
    specialties = ["Cardiology", "Urology", "General surgery"]
    for n in range(1, 13):
        draft = log.save_draft(f"coder{n % 3}", {"stage": "review"})
        log.save(EpisodeDetails(f"P{n}", f"E{n}", dt.date(2024, 5, n), specialty=specialties[n % 3]),
                 coding("K57.8 Y02.1 Z94.2", "I50.0 I10"), coder=f"coder{n % 3}", draft_id=draft)
    log.amend(3, coding("K57.8 Y02.1"), reason="fix", coder="coder0")


def test_audit_store_and_stats(log, store) -> None:
    from workbench.core.audit import AuditCoding, Audits, checked_method
    from workbench.core.episodes.stats import productivity

    _audited_log(log)
    audits = Audits(log)
    sample = audits.new_sample(checked_method(5, 7), drawn_by="manager")
    items = [i.episode_id for i in audits.items(sample.id)]
    again = audits.new_sample(checked_method(5, 7), drawn_by="manager")
    assert len(items) == 5 and [i.episode_id for i in audits.items(again.id)] == items   # reproducible
    first = items[0]
    result = audits.save_coding(sample.id, first, AuditCoding(["K57.8", "Y02.1", "Z94.2"], ["I50.9", "I10"],
                                                              [None, None], [], {}, []), auditor="auditor")
    assert result.original_procedures and len(audits.report(sample.id).differences) >= 1
    report = log.verify()
    assert report.ok and report.audit_records == 3
    checkpoint = log.checkpoint()
    assert checkpoint.audit_records == 3
    figures = productivity(log.connection, dt.date(2020, 1, 1), dt.date.today(), "coder")
    assert figures.total.episodes == 12 and figures.total.amended == 1
    assert sorted(g.key for g in figures.groups) == ["coder0", "coder1", "coder2"]
    assert all(len(g.durations) == 4 for g in figures.groups)       # draft start to save, every first save
    # The audit chain is checked by verify on either store.
    store.tamper("UPDATE audit_record SET actor = 'mallory' WHERE id = 3")
    problems = [b.problem for b in log.verify().broken]
    assert any("audit record 3 (sample 1) was changed outside the app" in p for p in problems), problems


def test_worklist_refresh_queries_events_and_fces(log, tmp_path: Path) -> None:
    """The PAS's worklist on either store: FCEs of one spell, refresh, vanished items, a query
    asked, answered and resolved, removal, every change an event."""
    from workbench.core.episodes.worklist import Worklist

    extract = tmp_path / "extract.csv"
    extract.write_text("patient,spell,fce,start_date,specialty,Ward Name\n"
                       "P1,S1,1,01/02/2024,Cardiology,W1\nP1,S1,2,03/02/2024,Cardiology,W2\n"
                       "P2,S2,,02/02/2024,Urology,W3\n")
    worklist = Worklist(log, coder="ann")
    first = worklist.import_file(extract)
    assert (first.imported, first.updated) == (3, 0)
    items = worklist.items()
    assert [(i.episode, i.fce) for i in items] == [("S1", "1"), ("S1", "2"), ("S2", None)]   # a spell together
    extract.write_text("patient,spell,fce,start_date,specialty,Ward Name\n"
                       "P1,S1,1,01/02/2024,Cardiology,W9\nP1,S1,2,03/02/2024,Cardiology,W2\n")
    again = worklist.import_file(extract)
    assert (again.imported, again.updated, again.vanished) == (0, 1, [items[2].id])
    spell = items[0].id
    worklist.raise_query(spell, "which stent?", to="Dr Patel")
    worklist.record_reply(spell, "drug-eluting")
    assert worklist.get(spell).query.reply == "drug-eluting"
    worklist.resolve(spell)
    worklist.remove(items[2].id, "spell cancelled")
    assert [i.status for i in worklist.items(status=None)] == ["open", "open", "removed"]
    kinds = [e.kind for e in worklist.history(spell)]
    assert kinds[:1] == ["updated"] and "query" in kinds and "resolved" in kinds
    assert log.verify().ok
