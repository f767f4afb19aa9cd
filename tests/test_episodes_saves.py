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
