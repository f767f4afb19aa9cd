"""The episode log's core: save, list, history, amend, void, drafts, permissions, validation."""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path

import pytest

from tests.log_backends import ICD, OPCS, coding, details
from workbench.core.episodes import (
    CodedEntry,
    Coder,
    Coding,
    EpisodeLog,
    EpisodeNotFound,
    LogError,
    Override,
    nhs_number_is_valid,
    normalise_nhs_number,
    resolve_coder,
)


@pytest.fixture
def log(tmp_path: Path):
    with EpisodeLog(tmp_path / "logs" / "episodes.db") as opened:
        yield opened


def test_new_log_is_private(tmp_path: Path) -> None:
    path = tmp_path / "private" / "episodes.db"
    with EpisodeLog(path) as log:
        log.save(details(), coding(), coder="c")
        assert log.warnings == []
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    for extra in (Path(f"{path}-wal"), Path(f"{path}-shm")):
        if extra.exists():   # SQLite copies the database file's mode to its side files
            assert stat.S_IMODE(extra.stat().st_mode) & 0o077 == 0


def test_log_readable_by_others_warns(tmp_path: Path) -> None:
    path = tmp_path / "episodes.db"
    EpisodeLog(path).close()
    path.chmod(0o644)
    with EpisodeLog(path) as log:
        assert len(log.warnings) == 1
        assert "other users" in log.warnings[0] and "chmod 600" in log.warnings[0]


def test_save_returns_summary_with_everything_stored(log: EpisodeLog) -> None:
    given = coding(guidance_id="IPG75", pack_id="ipg75", pack_version="1.0",
                   answers={"stent": "yes", "count": 2, "types": ["a", "b"]},
                   overrides=[Override("y-z-first", "consultant confirmed")])
    summary = log.save(details(nhs="943 476 5919"), given, coder="ann", note="first")
    assert summary.id == 1
    assert summary.details.nhs_number == "9434765919"
    latest = summary.latest
    assert (latest.version, latest.status, latest.coder, latest.note) == (1, "final", "ann", "first")
    assert [e.code for e in latest.coding.procedures] == ["L80.4", "Y53.9"]
    assert latest.coding.procedures[0].edition == OPCS
    assert latest.coding.diagnoses == [CodedEntry("I70.2", "icd10", ICD)]
    assert latest.coding.answers == {"stent": "yes", "count": 2, "types": ["a", "b"]}
    assert latest.coding.overrides == [Override("y-z-first", "consultant confirmed")]
    assert (latest.coding.guidance_id, latest.coding.pack_id, latest.coding.pack_version) == ("IPG75", "ipg75", "1.0")
    assert latest.saved_at.tzinfo is not None
    assert abs((dt.datetime.now(dt.UTC) - latest.saved_at).total_seconds()) < 60


def test_amend_adds_a_version_and_keeps_the_original(log: EpisodeLog) -> None:
    first = log.save(details(), coding(), coder="ann")
    amended = log.amend(first.id, coding("L80.2"), reason="wrong stent", coder="bob")
    assert (amended.latest.version, amended.latest.status, amended.latest.reason) == (2, "amended", "wrong stent")
    episode, versions = log.history(first.id)
    assert episode == first.details
    assert [v.version for v in versions] == [1, 2]
    assert versions[0] == first.latest          # the original, unchanged
    assert [e.code for e in versions[1].coding.procedures] == ["L80.2"]
    assert log.verify().ok


def test_void_keeps_codes_and_blocks_further_changes(log: EpisodeLog) -> None:
    first = log.save(details(), coding(), coder="ann")
    voided = log.void(first.id, reason="duplicate", coder="ann")
    assert voided.latest.status == "voided"
    assert voided.latest.coding.procedures == first.latest.coding.procedures
    with pytest.raises(LogError, match="void"):
        log.amend(first.id, coding("L80.2"), reason="x", coder="ann")
    with pytest.raises(LogError, match="void"):
        log.void(first.id, reason="again", coder="ann")
    assert len(log.history(first.id)[1]) == 2


def test_amend_and_void_need_a_reason(log: EpisodeLog) -> None:
    first = log.save(details(), coding(), coder="ann")
    with pytest.raises(LogError, match="reason"):
        log.amend(first.id, coding("L80.2"), reason="  ", coder="ann")
    with pytest.raises(LogError, match="reason"):
        log.void(first.id, reason="", coder="ann")


def test_unknown_episode(log: EpisodeLog) -> None:
    with pytest.raises(EpisodeNotFound, match="no episode 42"):
        log.history(42)
    with pytest.raises(EpisodeNotFound):
        log.amend(42, coding(), reason="r", coder="c")


def test_list_filters_on_latest_version(log: EpisodeLog) -> None:
    a = log.save(details("P1", "E1", "2024-01-10", "9434765919"), coding("L80.4 Y53.9", guidance_id="IPG75"), coder="ann")
    b = log.save(details("P2", "E2", "2024-02-10"), coding("K57.8 Y02.1", "I50.0"), coder="bob")
    c = log.save(details("P1", "E3", "2024-03-10"), coding("L80.2"), coder="ann")
    log.amend(c.id, coding("L80.4"), reason="fix", coder="bob")
    log.void(b.id, reason="dup", coder="bob")

    def ids(**filters) -> list[int]:
        return [s.id for s in log.list(**filters)]

    assert ids() == [c.id, b.id, a.id]                     # newest first
    assert ids(patient="P1") == [c.id, a.id]
    assert ids(nhs="943 476 5919") == [a.id]
    assert ids(code="l804") == [c.id, a.id]
    assert ids(code="L80.2") == []                         # only in an old version
    assert ids(code="L80") == [c.id, a.id]                 # a whole category
    assert ids(code="L80.-") == [c.id, a.id]
    assert ids(code="I50.0") == [b.id]
    assert ids(guidance="ipg 75") == [a.id]
    assert ids(coder="bob") == [c.id, b.id]
    assert ids(since="2024-02-01") == [c.id, b.id]
    assert ids(until="2024-02-10") == [b.id, a.id]
    assert ids(since="2024-02-01", until="2024-02-28") == [b.id]
    assert ids(status="voided") == [b.id]
    assert ids(status="amended", code="L80.4", patient="P1") == [c.id]
    assert ids(limit=1) == [c.id]
    assert ids(code="L80.4", limit=1) == [c.id]
    listed = log.list(patient="P1")[0]
    assert listed.latest.version == 2 and [e.code for e in listed.latest.coding.procedures] == ["L80.4"]


def test_list_rejects_bad_filters_naming_the_field(log: EpisodeLog) -> None:
    with pytest.raises(LogError, match="^since"):
        log.list(since="31/02/2024")
    with pytest.raises(LogError, match="^code"):
        log.list(code="not a code")
    with pytest.raises(LogError, match="^status"):
        log.list(status="deleted")


def test_repeated_code_in_one_version_lists_once(log: EpisodeLog) -> None:
    saved = log.save(details(), coding("L76.1 L76.1 L80.4"), coder="ann")
    assert [s.id for s in log.list(code="L76.1")] == [saved.id]
    assert [s.id for s in log.list(code="L76")] == [saved.id]


@pytest.mark.parametrize(("field", "bad", "message"), [
    ("patient", {"patient": " "}, "^patient"),
    ("episode", {"episode": ""}, "^episode"),
    ("nhs", {"nhs": "12345"}, "^NHS number: must be 10 digits"),
    ("nhs", {"nhs": "9434765918"}, "^NHS number: the check digit"),
])
def test_bad_details_refused_without_echoing_values(log: EpisodeLog, field, bad, message) -> None:
    values = {"patient": "SECRET-PATIENT", "episode": "E1", "date": "2024-01-01", "nhs": None} | bad
    with pytest.raises(LogError, match=message) as caught:
        log.save(details(**values), coding(), coder="c")
    assert "SECRET-PATIENT" not in str(caught.value)
    assert "9434765918" not in str(caught.value)
    assert log.count() == 0


def test_bad_date_names_the_field() -> None:
    from workbench.core.episodes import parse_date

    with pytest.raises(LogError, match="^date: must be a date written dd/mm/yyyy"):
        parse_date("2024/02/01")
    assert parse_date("1/2/2024") == dt.date(2024, 2, 1)
    with pytest.raises(LogError, match="^date: not a real calendar date"):
        parse_date("2024-02-30")
    assert parse_date("2024-02-29") == dt.date(2024, 2, 29)


def test_episode_needs_codes(log: EpisodeLog) -> None:
    with pytest.raises(LogError, match="at least one"):
        log.save(details(), Coding([], []), coder="c")
    with pytest.raises(LogError, match="override"):
        log.save(details(), coding(overrides=[Override("y-z-first", " ")]), coder="c")


@pytest.mark.parametrize(("number", "valid"), [
    ("9434765919", True), ("4010232137", True), ("9434765918", False), ("0000000000", False),
    ("1234567890", False),   # check digit would be 10: never issued; all zeros pass the sum but are refused
    ("943476591", False), ("94347659199", False), ("94347659x9", False),
])
def test_nhs_number_modulus_11(number: str, valid: bool) -> None:
    assert nhs_number_is_valid(number) is valid


def test_nhs_number_normalised() -> None:
    assert normalise_nhs_number("943-476-5919") == "9434765919"
    assert normalise_nhs_number("  ") is None
    assert normalise_nhs_number(None) is None


def test_the_coder_is_the_os_login_whatever_is_typed(monkeypatch: pytest.MonkeyPatch,
                                                       isolated_home: Path) -> None:
    """The identity comes from the account database by user id: neither $WORKBENCH_CODER nor
    $USER/$LOGNAME (which getpass would read) nor the config's name can change it."""
    import pwd

    login = pwd.getpwuid(os.geteuid()).pw_name
    for name in ("WORKBENCH_CODER", "USER", "LOGNAME", "USERNAME"):
        monkeypatch.setenv(name, "someone.else")
    (isolated_home / "config.toml").write_text('[coder]\nname = "Ann Smith"\nid = "C1234"\n')
    coder = resolve_coder()
    assert coder == Coder(login, "Ann Smith", "C1234")
    assert coder.label() == f"Ann Smith ({login}, C1234)"
    (isolated_home / "config.toml").write_text("")
    assert resolve_coder() == Coder(login) and resolve_coder().label() == login
    (isolated_home / "config.toml").write_text("[coder]\nid = 7\n")
    with pytest.raises(LogError, match="'coder.id' must be text"):
        resolve_coder()
    (isolated_home / "config.toml").write_text("[coder\n")
    with pytest.raises(LogError, match="config.toml"):
        resolve_coder()


def test_labels_are_kept_with_each_version_and_hashed(log: EpisodeLog) -> None:
    first = log.save(details(), coding(), coder=Coder("ann", "Ann Smith", "C1234"))
    log.amend(first.id, coding(), reason="relabelled", coder=Coder("ann"))
    _details, versions = log.history(first.id)
    assert [(v.coder, v.coder_name, v.coder_id) for v in versions] == [
        ("ann", "Ann Smith", "C1234"), ("ann", None, None)]
    assert versions[0].coder_label == "Ann Smith (ann, C1234)" and versions[1].coder_label == "ann"
    report = log.verify()
    assert report.ok and report.coders == {"ann": 2}
    log.connection.execute("UPDATE version SET coder_name = 'Bob Jones' WHERE id = 1")
    assert log.verify().broken_episode_ids == [first.id]


def test_drafts_round_trip_per_coder(log: EpisodeLog) -> None:
    first = log.save_draft("ann", {"guidance_id": "IPG75", "answers": {"stent": "yes"}})
    again = log.save_draft("ann", {"guidance_id": "IPG75", "answers": {"stent": "no"}}, first)
    other = log.save_draft("bob", {"guidance_id": "IPG655"})
    assert again == first and other != first
    drafts = log.drafts("ann")
    assert [(d.id, d.state["answers"]) for d in drafts] == [(first, {"stent": "no"})]
    assert [d.id for d in log.drafts("bob")] == [other]
    log.discard_draft(first)
    log.discard_draft(first)                     # already gone: not an error
    assert log.drafts("ann") == []
    # A draft id that no longer exists (discarded elsewhere) starts a new draft.
    assert log.save_draft("ann", {"x": 1}, first) != first


def test_draft_removed_when_episode_saved_or_amended(log: EpisodeLog) -> None:
    draft = log.save_draft("ann", {"stage": "review"})
    saved = log.save(details(), coding(), coder="ann", draft_id=draft)
    assert log.drafts("ann") == []
    draft = log.save_draft("ann", {"stage": "amend"})
    log.amend(saved.id, coding("L80.2"), reason="r", coder="ann", draft_id=draft)
    assert log.drafts("ann") == []


def test_draft_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "episodes.db"
    with EpisodeLog(path) as log:
        draft = log.save_draft("ann", {"answers": {"q": "yes"}})
    with EpisodeLog(path) as log:
        assert [d.id for d in log.drafts("ann")] == [draft]


def test_log_is_append_only_in_sql(log: EpisodeLog) -> None:
    saved = log.save(details(), coding(), coder="ann")
    log.amend(saved.id, coding("L80.2"), reason="r", coder="ann")
    log.void(saved.id, reason="r", coder="ann")
    conn = log.connection
    assert conn.execute("SELECT count(*) FROM episode").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM version").fetchone()[0] == 3
    assert conn.execute("SELECT count(*) FROM version_code").fetchone()[0] == 3 + 2 + 2   # v1, the amendment, the void (copies v2)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2       # FULL


def test_concurrent_opening_of_a_new_log(tmp_path: Path) -> None:
    """Two connections migrating the same new file do not trip over each other."""
    path = tmp_path / "episodes.db"
    first, second = EpisodeLog(path), EpisodeLog(path)
    try:
        first.save(details(), coding(), coder="a")
        assert second.count() == 1
    finally:
        first.close()
        second.close()
    assert os.path.getsize(path) > 0


def test_date_ranges_page_newest_date_first(log: EpisodeLog) -> None:
    """A date range lists newest date first (then newest episode), one keyset page at a time."""
    from workbench.core.episodes.queries import page_key

    for n in range(30):
        log.save(details(f"P{n}", f"E{n}", f"2024-01-{1 + n % 28:02d}"), coding(), coder="c")
    first = log.list(since="2024-01-05", until="2024-01-20", limit=7)
    # Episodes 5..20 (n = 4..19) fall in the range, dated the 5th to the 20th.
    assert [s.id for s in first] == [20, 19, 18, 17, 16, 15, 14]
    rest = log.list(since="2024-01-05", until="2024-01-20", limit=50, after=page_key(first[-1]))
    assert [s.id for s in rest] == list(range(13, 4, -1))


def test_an_episode_dated_in_the_future_is_refused(log: EpisodeLog) -> None:
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    with pytest.raises(LogError, match="date: .*future"):
        log.save(details(date=tomorrow), coding(), coder="c")
    assert log.count() == 0


@pytest.mark.parametrize(("field", "value", "problem"), [
    ("patient", "  ", "required"),
    ("patient", "P1", ""),
    ("date", "", "required (dd/mm/yyyy)"),
    ("date", "2024-02-30", "not a real date"),
    ("date", "30/02/2024", "not a real date"),
    ("date", "March 1st", "not a date: use dd/mm/yyyy"),
    ("date", "1/3/2024", ""),
    ("date", "2024-03-02", "in the future"),
    ("date", "2024-03-01", ""),
    ("nhs", "", ""),
    ("nhs", "943 476 591", "10 digits"),
    ("nhs", "943 476 5918", "check digit is wrong"),
    ("nhs", "943 476 5919", ""),
])
def test_form_field_problems(field: str, value: str, problem: str) -> None:
    from workbench.core.episodes.validate import detail_problem

    assert detail_problem(field, value, today=dt.date(2024, 3, 1)) == problem
