"""No silent duplicates, safe retries, one save per draft (core and CLI)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

import pytest

from tests.test_log_cli import run
from workbench.core.episodes import CodedEntry, Coding, EpisodeDetails, EpisodeLog, LogError
from workbench.core.episodes.model import DraftAlreadySaved, DuplicateEpisode

CODING = Coding([CodedEntry("L80.4", "opcs4", "4.10")], [CodedEntry("I70.2", "icd10", "2019")])
DETAILS = EpisodeDetails(patient="P-SECRET", episode="E1", date=dt.date(2024, 1, 1))
EPISODE = ["--patient", "P-77", "--episode", "SPELL-1", "--date", "2024-05-06"]


@pytest.fixture
def log(tmp_path: Path):
    with EpisodeLog(tmp_path / "episodes.db") as opened:
        yield opened


def test_same_patient_episode_and_date_is_refused_naming_the_first(log: EpisodeLog) -> None:
    first = log.save(DETAILS, CODING, coder="a")
    with pytest.raises(DuplicateEpisode) as caught:
        log.save(DETAILS, CODING, coder="b")
    assert caught.value.existing_id == first.id
    assert f"episode {first.id}" in str(caught.value) and "P-SECRET" not in str(caught.value)
    assert log.count() == 1


def test_a_different_date_reference_or_a_voided_twin_is_not_a_duplicate(log: EpisodeLog) -> None:
    first = log.save(DETAILS, CODING, coder="a")
    log.save(replace(DETAILS, date=dt.date(2024, 1, 2)), CODING, coder="a")
    log.save(replace(DETAILS, episode="E2"), CODING, coder="a")
    log.void(first.id, reason="wrong patient", coder="a")
    assert log.save(DETAILS, CODING, coder="a").id == 4


def test_a_stated_reason_saves_the_twin_and_records_why(log: EpisodeLog) -> None:
    first = log.save(DETAILS, CODING, coder="a")
    second = log.save(DETAILS, CODING, coder="a", duplicate_reason="two procedures, same spell")
    assert second.id != first.id
    assert second.latest.reason == f"saved alongside episode {first.id}: two procedures, same spell"
    assert log.verify().ok


def test_a_retried_save_id_returns_the_first_episode(log: EpisodeLog) -> None:
    first = log.save(DETAILS, CODING, coder="a", save_id="job-7")
    again = log.save(DETAILS, CODING, coder="a", save_id="job-7")
    assert again.id == first.id and log.count() == 1
    with pytest.raises(LogError, match="save id already used"):
        log.save(replace(DETAILS, episode="E9"), CODING, coder="a", save_id="job-7")
    assert log.count() == 1


def test_a_draft_is_consumed_by_exactly_one_save(tmp_path: Path) -> None:
    path = tmp_path / "episodes.db"
    with EpisodeLog(path) as window_a, EpisodeLog(path) as window_b:
        draft = window_a.save_draft("a", {"stage": "review"})
        saved = window_a.save(DETAILS, CODING, coder="a", draft_id=draft)
        with pytest.raises(DraftAlreadySaved) as caught:
            window_b.save(replace(DETAILS, episode="E2"), CODING, coder="a", draft_id=draft)
        assert caught.value.episode_id == saved.id
        assert window_b.count() == 1
        # The consumed draft's id is never handed out again, and cannot be re-filled.
        assert window_b.save_draft("a", {"stage": "details"}) != draft
        with pytest.raises(DraftAlreadySaved):
            window_b.save_draft("a", {"stage": "review"}, draft_id=draft)


def test_cli_second_add_exits_non_zero_naming_the_first(capsys, tmp_path: Path, reference_db) -> None:
    path = tmp_path / "episodes.db"
    code, out, err = run(capsys, path, "add", *EPISODE, "--procedures", "L80.2 Y53.9", "--diagnoses", "I28.8", "--json")
    assert code == 0, err
    first = json.loads(out)["id"]
    code, _, err = run(capsys, path, "add", *EPISODE, "--procedures", "L80.2 Y53.9", "--diagnoses", "I28.8")
    assert code != 0 and f"episode {first} already has" in err and "P-77" not in err
    code, _, err = run(capsys, path, "add", *EPISODE, "--procedures", "L80.2 Y53.9", "--diagnoses", "I28.8",
                       "--duplicate-reason", "second procedure")
    assert code == 0, err


def test_cli_same_save_id_twice_stores_one_episode(capsys, tmp_path: Path, reference_db) -> None:
    path = tmp_path / "episodes.db"
    ids = []
    for _ in range(2):
        code, out, err = run(capsys, path, "add", *EPISODE, "--procedures", "L80.2 Y53.9", "--diagnoses", "I28.8",
                             "--save-id", "batch-2024-05-06-17", "--json")
        assert code == 0, err
        ids.append(json.loads(out)["id"])
    assert ids[0] == ids[1]
    with EpisodeLog(path) as log:
        assert log.count() == 1


# ------------------------------------------------------------------ near-duplicates (issue 25)


@pytest.mark.parametrize("patient, episode", [
    ("P-SECRET", "e1"), ("P-SECRET", "E 1"), ("P-SECRET", "E\u200b1"), ("P-SECRET", "Ｅ１"),
    ("p-secret", "E1"), (" P - SECRET", "E1"), ("P-SEC\u200dRET", "\ufeffE1"), ("P-SECRET", "E\u00a01"),
])
def test_a_near_duplicate_is_refused_like_an_exact_one(log: EpisodeLog, patient: str, episode: str) -> None:
    """The reproduction: d1, 'D 1', D1 with a zero-width space, full-width D１ and e1/E1 were all
    saved as different episodes."""
    first = log.save(DETAILS, CODING, coder="a")
    with pytest.raises(DuplicateEpisode) as caught:
        log.save(replace(DETAILS, patient=patient, episode=episode), CODING, coder="b")
    assert caught.value.existing_id == first.id and caught.value.near
    assert "nearly the same" in str(caught.value) and "P-SECRET" not in str(caught.value)
    second = log.save(replace(DETAILS, patient=patient, episode=episode), CODING, coder="b",
                      duplicate_reason="a different spell, typed alike")
    assert second.latest.reason == f"saved alongside episode {first.id}: a different spell, typed alike"
    assert second.details.episode == episode.strip() or second.details.patient == patient.strip()  # as typed
    assert log.verify().ok


def test_different_identifiers_are_not_near_duplicates(log: EpisodeLog) -> None:
    log.save(DETAILS, CODING, coder="a")
    for patient, episode in (("P-SECRET", "E2"), ("P-SECRET2", "E1"), ("P-SECRE", "TE1"), ("P-SECRET", "E-1")):
        log.save(replace(DETAILS, patient=patient, episode=episode), CODING, coder="a")
    assert log.count() == 5


def test_a_log_from_before_schema_6_finds_near_duplicates_of_its_old_episodes(tmp_path: Path) -> None:
    """The migration fills the near-duplicate keys of the episodes already saved."""
    import sqlite3

    from workbench.core.episodes import storage

    path = tmp_path / "episodes.db"
    conn = sqlite3.connect(path, isolation_level=None)
    for version, script in storage.migrations():
        if version <= 4:
            for statement in storage.split_statements(script.read_text()):
                conn.execute(statement)
    conn.execute("PRAGMA user_version = 4")
    conn.execute(f"PRAGMA application_id = {storage.APPLICATION_ID}")
    conn.execute("INSERT INTO episode (id, patient, episode_ref, start_date) VALUES (1, 'P-SECRET', 'E1', '2024-01-01')")
    conn.execute("INSERT INTO version (id, episode_id, version, status, coder, saved_at, prev_hash, hash) "
                 "VALUES (1, 1, 1, 'final', 'a', '2024-01-02T00:00:00.000000+00:00', ?, ?)", ("0" * 64, "1" * 64))
    conn.close()
    with EpisodeLog(path) as opened, pytest.raises(DuplicateEpisode) as caught:
        opened.save(replace(DETAILS, episode="e 1"), CODING, coder="a")
    assert caught.value.existing_id == 1


def test_the_cli_refuses_a_near_duplicate_and_saves_it_with_a_reason(capsys, tmp_path: Path, reference_db) -> None:
    log_path = tmp_path / "episodes.db"
    base = ["add", "--procedures", "K57.8", "--diagnoses", "I50.9", "--date", "2024-05-06", "--patient", "P-77"]
    assert run(capsys, log_path, *base, "--episode", "SPELL-1")[0] == 0
    code, _, err = run(capsys, log_path, *base, "--episode", "spell-1")
    assert code == 2 and "episode 1 has nearly the same" in err and "--duplicate-reason" in err
    code, out, _ = run(capsys, log_path, *base, "--episode", "spell-1", "--duplicate-reason", "FCE 2")
    assert code == 0 and "saved episode 2" in out


def test_a_migration_that_landed_after_a_later_one_is_applied_late(tmp_path: Path) -> None:
    """Migration numbers are handed out to work done in parallel: a log already at a later
    version gets a lower-numbered migration that arrived afterwards (here: 006, taken away)."""
    import sqlite3

    path = tmp_path / "episodes.db"
    with EpisodeLog(path) as opened:
        opened.save(DETAILS, CODING, coder="a")
        opened.checkpoint_file.unlink()      # (lines written before logs had ids carry none)
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE episode_key")
    conn.execute("DROP TABLE log_meta")
    conn.execute("ALTER TABLE version DROP COLUMN mac")
    conn.execute("ALTER TABLE version DROP COLUMN clock_at")
    conn.commit()
    conn.close()
    from workbench.core.episodes import storage

    storage._checked_for_skips.clear()
    with EpisodeLog(path) as opened, pytest.raises(DuplicateEpisode):
        opened.save(replace(DETAILS, episode="e 1"), CODING, coder="a")   # 006's keys are back
    with EpisodeLog(path) as opened:
        assert opened.verify().ok and opened.trust.log_id
