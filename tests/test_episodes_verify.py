"""Verify you can trust: checkpoints catch truncation, restores and recomputed rewrites;
a malformed stored value is named, never a traceback; a damaged log takes no writes."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.log_backends import recompute_chain_in_file
from tests.test_log_cli import coding, run
from workbench.core.episodes import EpisodeDetails, EpisodeLog, LogError, chain


def _save(log: EpisodeLog, n: int) -> int:
    return log.save(EpisodeDetails(f"P{n}", f"E{n}", dt.date(2024, 1, 1 + n % 28)),
                    coding("L80.4 Y53.9"), coder="ann").id


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    path = tmp_path / "episodes.db"
    with EpisodeLog(path) as log:
        for n in range(1, 6):
            _save(log, n)
        log.amend(2, coding("L80.3"), reason="cutting balloon", coder="bob")
    return path


def _sql(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path)
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()


def test_verify_prints_count_and_head_hash(capsys, log_path: Path) -> None:
    code, out, _ = run(capsys, log_path, "verify", "--json")
    report = json.loads(out)
    assert code == 0 and report["versions_checked"] == 6 and report["episodes"] == 5
    with EpisodeLog(log_path) as log:
        head = log.connection.execute("SELECT hash FROM version WHERE id = 6").fetchone()[0]
    assert report["head_hash"] == head
    code, out, _ = run(capsys, log_path, "verify")
    assert code == 0 and f"head {head}" in out


def _delete_version(path: Path, version_id: int) -> None:
    _sql(path, f"DELETE FROM version_code WHERE version_id = {version_id}",
         f"DELETE FROM code_index WHERE version_id = {version_id}",
         f"DELETE FROM code_date WHERE version_id = {version_id}",
         f"DELETE FROM version WHERE id = {version_id}")


def test_deleting_the_newest_version_is_caught_by_the_save_checkpoints(capsys, log_path: Path) -> None:
    # The newest version (the amend of episode 2) with its codes: the chain still links.
    _delete_version(log_path, 6)
    with EpisodeLog(log_path) as log:
        assert log.verify(use_checkpoint_file=False).ok      # invisible without the checkpoints
    code, out, _ = run(capsys, log_path, "verify")
    assert code == 1 and "recorded 6 versions" in out and "version row 6 is missing" in out


def test_a_log_that_lost_versions_takes_no_more_saves(capsys, log_path: Path) -> None:
    with EpisodeLog(log_path) as log:
        _save(log, 6)
    _delete_version(log_path, 7)
    _sql(log_path, "DELETE FROM episode_key WHERE episode_id = 6", "DELETE FROM episode WHERE id = 6")
    with EpisodeLog(log_path) as log, pytest.raises(LogError, match="versions were lost.*Nothing was saved"):
        _save(log, 8)                                       # new rows would hide the loss
    code, out, _ = run(capsys, log_path, "verify")
    assert code == 1 and "version row 7 is missing" in out
    code, _, err = run(capsys, log_path, "checkpoint")
    assert code == 1 and "versions were lost" in err        # nor a checkpoint that forgets them


def test_a_truncated_log_is_refused_and_never_reinitialised(capsys, log_path: Path) -> None:
    assert run(capsys, log_path, "checkpoint")[0] == 0
    for suffix in ("-wal", "-shm"):
        log_path.with_name(log_path.name + suffix).unlink(missing_ok=True)
    log_path.write_bytes(b"")
    code, _, err = run(capsys, log_path, "verify")
    assert code == 1 and "all 6 are missing" in err and "Traceback" not in err
    code, _, err = run(capsys, log_path, "list")
    assert code != 0 and "not recreated" in err
    assert log_path.read_bytes() == b""
    log_path.unlink()
    with pytest.raises(LogError, match="not recreated"):
        EpisodeLog(log_path)
    assert not log_path.exists()


def test_a_restored_older_copy_is_caught(capsys, log_path: Path, tmp_path: Path) -> None:
    old_copy = tmp_path / "yesterday.db"
    with EpisodeLog(log_path) as log:
        log.connection.execute("VACUUM INTO ?", (str(old_copy),))
        _save(log, 9)
    assert run(capsys, log_path, "checkpoint")[0] == 0
    for suffix in ("-wal", "-shm"):
        log_path.with_name(log_path.name + suffix).unlink(missing_ok=True)
    shutil.copyfile(old_copy, log_path)
    code, out, _ = run(capsys, log_path, "verify")
    assert code == 1 and "recorded 7 versions" in out and "the log has 6" in out


def test_a_rewrite_with_the_chain_recomputed_is_caught(capsys, log_path: Path) -> None:
    assert run(capsys, log_path, "checkpoint", "--json")[0] == 0
    conn = sqlite3.connect(log_path)
    conn.execute("UPDATE version SET coder = 'mallory' WHERE id = 1")
    recompute_chain_in_file(conn)
    conn.commit()
    conn.close()
    with EpisodeLog(log_path) as log:
        assert log.verify(use_checkpoint_file=False).ok       # the chain itself is consistent
    code, out, _ = run(capsys, log_path, "verify")
    assert code == 1 and "rewritten" in out


def test_expect_checks_a_checkpoint_kept_elsewhere(capsys, log_path: Path) -> None:
    code, out, _ = run(capsys, log_path, "checkpoint", "--json")
    printed = json.loads(out)
    expect = f"{printed['versions']}:{printed['head_hash']}"
    Path(printed["file"]).unlink()                        # the coders' copy is gone
    assert run(capsys, log_path, "verify", "--expect", expect)[0] == 0
    Path(printed["file"]).unlink()                        # (with the verified mark that wrote)
    _delete_version(log_path, 6)
    assert run(capsys, log_path, "verify")[0] == 0
    code, out, _ = run(capsys, log_path, "verify", "--expect", expect)
    assert code == 1 and "missing" in out
    code, _, err = run(capsys, log_path, "verify", "--expect", "six:abc")
    assert code == 2 and "VERSIONS:HASH" in err


def test_a_backdated_version_appended_at_the_end_is_caught(log_path: Path) -> None:
    with EpisodeLog(log_path) as log:
        _save(log, 7)
    conn = sqlite3.connect(log_path)
    row = conn.execute(f"SELECT {chain.VERSION_COLUMNS} FROM version v JOIN episode e "
                       "ON e.id = v.episode_id WHERE v.id = 7").fetchone()
    forged = list(row)
    forged[10] = "2020-01-01T00:00:00.000000+00:00"
    codes = conn.execute("SELECT kind, position, code, classification, edition FROM version_code "
                         "WHERE version_id = 7").fetchall()
    digest = chain.version_hash(chain.row_content(tuple(forged), codes), row[13])
    conn.execute("UPDATE version SET saved_at = ?, hash = ? WHERE id = 7", (forged[10], digest))
    conn.commit()
    conn.close()
    with EpisodeLog(log_path) as log:
        report = log.verify()
    assert not report.ok and any("backdated" in b.problem for b in report.broken)


@pytest.mark.parametrize("statement, episode", [
    ("UPDATE episode SET start_date = '31/12/2025' WHERE id = 3", 3),
    ("UPDATE version SET overrides = '[oops' WHERE id = 4", 4),
    ("UPDATE version SET prev_hash = x'00ff' WHERE id = 2", 2),
    ("UPDATE version SET answers = 'not json' WHERE id = 6", 2),
    ("UPDATE version SET saved_at = 17 WHERE id = 5", 5),
])
def test_one_malformed_value_is_named_and_never_crashes(capsys, log_path: Path, statement: str,
                                                         episode: int) -> None:
    _sql(log_path, statement)
    code, out, err = run(capsys, log_path, "list", "--json")
    assert code == 0 and "Traceback" not in err
    listed = {item["id"] for item in json.loads(out)}
    assert {1, 2, 3, 4, 5} - {episode} <= listed
    code, out, err = run(capsys, log_path, "verify", "--json")
    report = json.loads(out)
    assert code == 1 and episode in report["broken_episodes"]
    for args in (["show", str(episode), "--history"], ["show", str(episode)], ["export"],
                 ["export", "--format", "json", "--all-versions"], ["list"], ["verify"]):
        code, _, err = run(capsys, log_path, *args)
        assert "Traceback" not in err and code in (0, 1, 2), args


def test_list_names_the_damaged_episode(capsys, log_path: Path) -> None:
    _sql(log_path, "UPDATE episode SET start_date = '31/12/2025' WHERE id = 3")
    code, out, err = run(capsys, log_path, "list")
    assert code == 0 and "episode 3 has a damaged stored value" in err
    assert len(out.splitlines()) == 4
    code, out, _ = run(capsys, log_path, "verify")
    assert code == 1 and "episode 3: its stored start date is not a YYYY-MM-DD date" in out
    code, _, err = run(capsys, log_path, "show", "3", "--history")
    assert code != 0 and "episode 3 has a damaged stored value" in err


def test_a_damaged_page_refuses_writes(log_path: Path) -> None:
    with EpisodeLog(log_path) as log:
        for n in range(10, 400):
            _save(log, n)
    # The last connection closed: everything is in the main file. Damage one table page.
    page_size = 4096
    data = bytearray(log_path.read_bytes())
    pages = len(data) // page_size
    for page in range(pages // 2, pages // 2 + 3):
        data[page * page_size + 8: page * page_size + 200] = b"\xff" * 192
    log_path.write_bytes(bytes(data))
    with EpisodeLog(log_path) as log, pytest.raises(LogError, match="damaged.*verify.*backup.*recover"):
        _save(log, 1000)


def test_the_code_by_date_index_is_checked(log_path: Path) -> None:
    _sql(log_path, "DELETE FROM code_date WHERE episode_id = 4")
    with EpisodeLog(log_path) as log:
        report = log.verify()
    assert not report.ok and 4 in report.broken_episode_ids
    assert any("code-by-date" in b.problem for b in report.broken)


def test_a_large_log_gets_the_cheap_check_before_writing(log_path: Path, monkeypatch) -> None:
    from workbench.core.episodes import opening

    monkeypatch.setattr(opening, "QUICK_CHECK_MAX_BYTES", 0)
    checks: list[str] = []
    with EpisodeLog(log_path) as log:
        log.connection.set_trace_callback(checks.append)
        _save(log, 77)
        log.connection.set_trace_callback(None)
    assert not [c for c in checks if "quick_check" in c]
    assert any("ORDER BY id DESC LIMIT 1" in c for c in checks)
