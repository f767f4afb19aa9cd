"""The hash chain: verify() passes on an untouched log and names episodes changed behind its back."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from workbench.core.episodes import CodedEntry, Coding, EpisodeDetails, EpisodeLog, bulk_load


def coding(procs: str) -> Coding:
    return Coding([CodedEntry(c, "opcs4", "4.10") for c in procs.split()],
                  [CodedEntry("I70.2", "icd10", "2019")], answers={"q": "yes"})


def details(n: int) -> EpisodeDetails:
    return EpisodeDetails(patient=f"P{n}", episode=f"E{n}", date=dt.date(2024, 1, 1 + n % 28))


@pytest.fixture
def path(tmp_path: Path) -> Path:
    """A log of three episodes, the second amended: version rows 1..4."""
    path = tmp_path / "episodes.db"
    with EpisodeLog(path) as log:
        for n in (1, 2, 3):
            log.save(details(n), coding("L80.4 Y53.9"), coder="ann")
        log.amend(2, coding("L80.2"), reason="fix", coder="bob")
    return path


def tamper(path: Path, sql: str, *params) -> None:
    """What someone with sqlite3 and the file could do."""
    conn = sqlite3.connect(path)
    changed = conn.execute(sql, params).rowcount
    conn.commit()
    conn.close()
    assert changed > 0


def verify(path: Path):
    with EpisodeLog(path) as log:
        return log.verify()


def test_untouched_log_verifies(path: Path) -> None:
    report = verify(path)
    assert report.ok and report.versions_checked == 4 and report.broken == []


def test_changed_code_names_the_episode(path: Path) -> None:
    tamper(path, "UPDATE version_code SET code = 'L80.3' WHERE code = 'L80.4' "
                 "AND version_id = (SELECT id FROM version WHERE episode_id = 3)")
    report = verify(path)
    assert not report.ok
    assert report.broken_episode_ids == [3]
    assert any("changed outside the app" in b.problem for b in report.broken)


def test_changed_old_version_is_detected(path: Path) -> None:
    # The amended episode's first version is history: changing it must show too.
    tamper(path, "UPDATE version_code SET code = 'L80.1' WHERE code = 'L80.4' AND version_id = 2")
    assert verify(path).broken_episode_ids == [2]


@pytest.mark.parametrize("sql", [
    "UPDATE episode SET patient = 'someone else' WHERE id = 1",
    "UPDATE episode SET start_date = '2020-01-01' WHERE id = 1",
    "UPDATE version SET coder = 'mallory' WHERE episode_id = 1",
    "UPDATE version SET answers = '{\"q\":\"no\"}' WHERE episode_id = 1",
    "UPDATE version SET status = 'voided' WHERE episode_id = 1",
    "UPDATE version_code SET edition = 'other' WHERE version_id = 1 AND kind = 'diagnosis'",
])
def test_any_field_change_names_the_episode(path: Path, sql: str) -> None:
    tamper(path, sql)
    assert verify(path).broken_episode_ids == [1]


def test_deleted_version_breaks_the_chain(path: Path) -> None:
    tamper(path, "DELETE FROM version_code WHERE version_id = 4")
    tamper(path, "DELETE FROM version WHERE id = 4")          # the amendment of episode 2
    # The last row of the chain: the code index still lists the amendment's codes.
    # (Removing those index rows as well is the one change verify cannot see: see db/log/README.md.)
    assert verify(path).broken_episode_ids == [2]


def test_deleted_middle_version_names_the_next_episode(path: Path) -> None:
    tamper(path, "DELETE FROM version_code WHERE version_id = 2")
    tamper(path, "DELETE FROM version WHERE id = 2")
    report = verify(path)
    assert 2 in report.broken_episode_ids       # no versions left
    assert 3 in report.broken_episode_ids       # the chain breaks at the next row


def test_code_index_tampering_detected(path: Path) -> None:
    tamper(path, "DELETE FROM code_index WHERE episode_id = 3")
    assert verify(path).broken_episode_ids == [3]


def test_rehashing_one_row_still_breaks_the_next(path: Path) -> None:
    """Recomputing the changed row's own hash is not enough: the next row points at the old one."""
    from workbench.core.episodes import chain

    tamper(path, "UPDATE version_code SET code = 'L80.3' WHERE version_id = 1 AND code = 'L80.4'")
    conn = sqlite3.connect(path)
    row = conn.execute(f"SELECT {chain.VERSION_COLUMNS} FROM version v JOIN episode e "
                       "ON e.id = v.episode_id WHERE v.id = 1").fetchone()
    codes = conn.execute("SELECT kind, position, code, classification, edition FROM version_code "
                         "WHERE version_id = 1").fetchall()
    forged = chain.version_hash(chain.row_content(row, codes), row[13])
    conn.execute("UPDATE version SET hash = ? WHERE id = 1", (forged,))
    conn.commit()
    conn.close()
    # Episode 1: its code index no longer matches; episode 2: the chain points at the old hash.
    assert verify(path).broken_episode_ids == [1, 2]


def test_bulk_load_builds_a_valid_chain(tmp_path: Path) -> None:
    path = tmp_path / "bulk.db"
    with EpisodeLog(path) as log:
        log.save(details(0), coding("K57.8"), coder="ann")
        added = bulk_load(log, ((details(n), coding("L80.4 Y53.9 L76.1"), "bench") for n in range(1, 2501)),
                          batch_size=1000)
        log.amend(5, coding("L80.2"), reason="r", coder="ann")
        assert added == 2500
        assert log.count() == 2501
        assert [s.id for s in log.list(code="L76.1", limit=2)] == [2501, 2500]
        assert log.list(patient="P7")[0].latest.coding.answers == {"q": "yes"}
        report = log.verify()
        assert report.ok and report.versions_checked == 2502


@pytest.mark.parametrize("sql, episode, problem", [
    ("UPDATE code_index SET code = 'L80.3' WHERE episode_id = 3 AND code = 'L80.4'", 3, "code search index"),
    ("UPDATE code_index SET episode_id = 1 WHERE episode_id = 3 AND code = 'Y53.9'", 3, "code search index"),
    ("UPDATE code_date SET start_date = '2020-02-02' WHERE episode_id = 1 AND code = 'L80.4'", 1, "code-by-date"),
    ("INSERT INTO code_index VALUES ('K57.8', 2, 2)", 2, "lists codes it does not have"),
])
def test_a_changed_derived_index_row_is_named(path: Path, sql: str, episode: int, problem: str) -> None:
    """The indexes are compared by row count and checksum (two scans); a difference is then
    traced to its episodes."""
    tamper(path, sql)
    report = verify(path)
    assert not report.ok and episode in report.broken_episode_ids
    assert any(problem in b.problem for b in report.broken), report.broken
