"""Keeping the log trustworthy (issue 25): the department key, clock steps, incremental verify,
other append-only tables joining checkpoints and verify, and the checkpoint file kept apart."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import stat
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.test_log_cli import coding, run
from workbench.core.episodes import EpisodeDetails, EpisodeLog, LogError, chain, checkpoints, writer
from workbench.core.episodes.keys import load_key, new_key_file


def _details(n: int) -> EpisodeDetails:
    return EpisodeDetails(f"P{n}", f"E{n}", dt.date(2024, 1, 1 + n % 28))


def _log(path: Path, count: int = 3, **options) -> EpisodeLog:
    log = EpisodeLog(path, **options)
    for n in range(1, count + 1):
        log.save(_details(n), coding("L80.4"), coder="ann")
    return log


# ------------------------------------------------------------------ the canonical form


VALUE = st.one_of(st.none(), st.text(max_size=8), st.integers(-10, 10**12), st.floats(allow_nan=True),
                  st.booleans(), st.sampled_from(["", "\x1b[2J", "\u202e", "é", "{}", "[]", "\ud800", "\"\\"]))


@settings(max_examples=300, deadline=None)
@given(row=st.lists(VALUE, min_size=29, max_size=29),
       codes=st.lists(st.tuples(st.sampled_from(["procedure", "diagnosis"]), st.integers(1, 9), VALUE,
                                VALUE, VALUE), max_size=4, unique_by=lambda c: (c[0], c[1])))
def test_the_fast_canonical_form_is_the_definition(row, codes) -> None:
    """row_content builds the bytes without dicts; they must be canonical()'s, value for value,
    or fail the same way (a value json cannot write)."""
    (vid, episode_id, number, status, guidance_id, pack_id, pack_version, answers, overrides, coder,
     saved_at, note, reason, _prev, _hash, patient, nhs, ref, date, specialty, sex, age, fce, end_date,
     consultant, coder_name, coder_id, clock_at, _mac) = row
    episode = {"id": episode_id, "patient": patient, "nhs_number": nhs, "episode": ref, "date": date,
               "specialty": specialty, **({"sex": sex} if sex is not None else {}),
               **({"age": age} if age is not None else {}), **({"fce": fce} if fce is not None else {}),
               **({"end_date": end_date} if end_date is not None else {}),
               **({"consultant": consultant} if consultant is not None else {})}
    version = {"id": vid, "version": number, "status": status, "guidance_id": guidance_id, "pack_id": pack_id,
               "pack_version": pack_version, "answers": answers, "overrides": overrides, "coder": coder,
               "saved_at": saved_at, "note": note, "reason": reason,
               **({"clock_at": clock_at} if clock_at is not None else {}),
               **({"coder_name": coder_name} if coder_name is not None else {}),
               **({"coder_id": coder_id} if coder_id is not None else {})}
    try:
        expected = chain.canonical(episode, version, codes)
    except (TypeError, ValueError, UnicodeError) as exc:
        with pytest.raises(type(exc)):
            chain.row_content(tuple(row), codes)
        return
    assert chain.row_content(tuple(row), codes) == expected


# ------------------------------------------------------------------ the department key


@pytest.fixture
def key_file(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = new_key_file(isolated_home / "department.key")
    monkeypatch.setenv("WORKBENCH_LOG_KEY_FILE", str(path))
    return path


def test_a_new_key_file_is_private_and_never_overwritten(isolated_home: Path) -> None:
    old = os.umask(0)
    try:
        path = new_key_file(isolated_home / "k" / "department.key")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(path.read_text().strip()) == 64
    with pytest.raises(LogError, match="never overwritten"):
        new_key_file(path)


@pytest.mark.parametrize("problem, expected", [
    (lambda p: p.chmod(0o644), "can be read by other users"),
    (lambda p: p.write_text("short\n"), "at least 32"),
    (lambda p: p.unlink(), "does not exist"),
    (lambda p: (p.unlink(), os.mkfifo(p)), "named pipe"),
])
def test_an_unusable_key_is_refused_not_used(key_file: Path, problem, expected: str) -> None:
    problem(key_file)
    with pytest.raises(LogError, match=expected):
        load_key()


def test_a_key_in_the_config_needs_a_private_config(isolated_home: Path, monkeypatch) -> None:
    monkeypatch.delenv("WORKBENCH_LOG_KEY_FILE", raising=False)
    config = isolated_home / "config.toml"
    config.write_text(f'[log]\nkey = "{"k" * 40}"\n')
    config.chmod(0o644)
    with pytest.raises(LogError, match="can be read by other users"):
        load_key()
    config.chmod(0o600)
    assert load_key() is not None


def test_a_keyed_log_refuses_saves_without_the_key_or_with_another(tmp_path: Path, key_file: Path,
                                                                   monkeypatch) -> None:
    path = tmp_path / "episodes.db"
    _log(path).close()
    monkeypatch.delenv("WORKBENCH_LOG_KEY_FILE")
    with EpisodeLog(path) as log, pytest.raises(LogError, match="no key is configured"):
        log.save(_details(9), coding("K57.8"), coder="ann")
    monkeypatch.setenv("WORKBENCH_LOG_KEY_FILE", str(new_key_file(tmp_path / "other.key")))
    with EpisodeLog(path) as log, pytest.raises(LogError, match="not the one"):
        log.save(_details(9), coding("K57.8"), coder="ann")
    monkeypatch.setenv("WORKBENCH_LOG_KEY_FILE", str(key_file))
    with EpisodeLog(path) as log:
        assert log.count() == 3 and log.verify().ok


def test_a_key_set_on_an_older_log_covers_the_versions_from_then_on(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "episodes.db"
    _log(path).close()
    monkeypatch.setenv("WORKBENCH_LOG_KEY_FILE", str(new_key_file(tmp_path / "department.key")))
    with EpisodeLog(path) as log:
        log.save(_details(4), coding("K57.8"), coder="ann")
        report = log.verify()
    assert report.ok and any("rows 1-3 were saved before the department key" in n for n in report.notices)
    # Removing every key hash (to pass the forgery off as an unkeyed log) is caught by the checkpoints.
    conn = sqlite3.connect(path)
    conn.execute("UPDATE version SET mac = NULL")
    conn.commit()
    conn.close()
    with EpisodeLog(path) as log:
        report = log.verify()
    assert not report.ok and any("department key hash" in b.problem for b in report.broken)


def test_a_forged_checkpoint_line_is_caught_with_the_key(tmp_path: Path, key_file: Path) -> None:
    path = tmp_path / "episodes.db"
    with _log(path) as log:
        file = log.checkpoint_file
        line = json.loads(file.read_text().splitlines()[-1])
    line["head"] = "f" * 64                    # claims a head the log never had, keeps the key's name
    with open(file, "a") as handle:
        handle.write(json.dumps(line) + "\n")
    with EpisodeLog(path) as log:
        report = log.verify()
    assert not report.ok and any("keyed hash is wrong" in b.problem for b in report.broken)


# ------------------------------------------------------------------ a clock stepped back


REAL_TIMING = writer.timing


def _clock_behind(monkeypatch, seconds: float) -> None:
    def behind(tail, now=None):
        return REAL_TIMING(tail, dt.datetime.now(dt.UTC) - dt.timedelta(seconds=seconds))

    monkeypatch.setattr(writer, "timing", behind)


def test_a_clock_stepped_back_is_told_once_and_later_saves_verify(tmp_path: Path, monkeypatch, capsys) -> None:
    path = tmp_path / "episodes.db"
    told: list[str] = []
    with _log(path) as log:
        log.on_notice = told.append
        _clock_behind(monkeypatch, 30)
        for n in range(10, 14):
            log.save(_details(n), coding("K57.8"), coder="ann")
        log.amend(4, coding("K57.9"), reason="fix", coder="ann")
        monkeypatch.setattr(writer, "timing", REAL_TIMING)    # (never undo(): it drops WORKBENCH_HOME)
        log.save(_details(20), coding("K57.8"), coder="ann")
        report = log.verify()
    assert len(told) == 1 and "clock is 30 s behind" in told[0]
    assert report.ok, report.broken
    assert len([n for n in report.notices if "clock" in n]) == 1
    code, out, _ = run(capsys, path, "verify")
    assert code == 0 and sum("clock" in line for line in out.splitlines()) == 1
    rows = sqlite3.connect(path).execute("SELECT saved_at, clock_at FROM version ORDER BY id").fetchall()
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)          # the log stays in order
    assert sum(1 for r in rows if r[1]) == 5 and all(r[1] < r[0] for r in rows if r[1])   # the clock's reading kept


# ------------------------------------------------------------------ incremental verify


def test_an_incremental_verify_checks_what_came_since_the_last_full_one(tmp_path: Path) -> None:
    path = tmp_path / "episodes.db"
    with _log(path, 5) as log:
        assert not log.verify(incremental=True).incremental    # no mark yet: a full verify, which marks
        for n in range(6, 9):
            log.save(_details(n), coding("K57.8"), coder="ann")
        report = log.verify(incremental=True)
        assert report.ok and report.incremental and report.versions_checked == 8
        assert report.integrity == [] and any("3 version(s) appended" in n for n in report.notices)
    conn = sqlite3.connect(path)
    conn.execute("UPDATE version SET coder = 'mallory' WHERE id = 7")
    conn.commit()
    with EpisodeLog(path) as log:
        report = log.verify(incremental=True)
        assert not report.ok and report.broken_episode_ids == [7]
    conn.execute("UPDATE version SET coder = 'ann' WHERE id = 7")
    conn.execute("UPDATE version SET hash = ? WHERE id = 5", ("a" * 64,))   # the marked row itself
    conn.commit()
    conn.close()
    with EpisodeLog(path) as log:
        report = log.verify(incremental=True)
    assert not report.ok and any("version row 5 no longer has the hash" in b.problem for b in report.broken)


# ------------------------------------------------------------------ another append-only table


def test_another_append_only_table_joins_checkpoints_and_verify(tmp_path: Path, monkeypatch) -> None:
    """How another append-only table joins (as the audit store does): its own chain, registered once."""
    from workbench.core.episodes import tables as verifying
    from workbench.core.episodes.chain import GENESIS, ChainResult, Start

    def head(conn):
        row = conn.execute("SELECT id, hash FROM tally ORDER BY id DESC LIMIT 1").fetchone()
        return (row[0], row[1], None) if row else (0, GENESIS, None)

    def row(conn, n):
        found = conn.execute("SELECT hash FROM tally WHERE id = ?", (n,)).fetchone()
        return Start(n, found[0]) if found else None

    def check(conn, *, start, key, stream):
        result = ChainResult()
        previous_id, previous = start.id, start.hash
        want = stream.next_rows()
        for n, what, digest in conn.execute("SELECT id, what, hash FROM tally WHERE id > ? ORDER BY id",
                                            (previous_id,)):
            if chain.version_hash(what.encode(), previous) != digest:
                result.problems.append(verifying.BrokenEpisode(None, f"tally row {n} was changed"))
            while want is not None and want <= n:
                if want == n:
                    result.problems += [verifying.BrokenEpisode(None, p) for p in stream.match(n, digest, None)]
                want = stream.next_rows()
            previous_id, previous = n, digest
            result.rows += 1
        result.head = (previous_id, previous)
        return result

    monkeypatch.setattr(verifying, "OTHER_TABLES", [])
    verifying.register_table(verifying.AppendOnlyTable("tally", head, row, check))
    path = tmp_path / "episodes.db"
    with EpisodeLog(path) as log:
        log.connection.execute("CREATE TABLE tally (id INTEGER PRIMARY KEY, what TEXT, hash TEXT)")

        def tally(conn, n):
            previous = head(conn)[1]
            conn.execute("INSERT INTO tally VALUES (?, ?, ?)", (n, f"saw {n}", chain.version_hash(f"saw {n}".encode(), previous)))

        for n in range(1, 4):
            log._write(lambda conn, n=n: tally(conn, n), chained=True)
        log.save(_details(1), coding("K57.8"), coder="ann")
        lines = checkpoints.read_checkpoints(log.checkpoint_file)
        assert [c.tables["tally"][0] for c in lines] == [1, 2, 3, 3]
        assert log.verify().ok
        log.connection.execute("DELETE FROM tally WHERE id = 3")
        report = log.verify()
    assert not report.ok and any("tally rows" in b.problem or "tally row 3" in b.problem for b in report.broken)


# ------------------------------------------------------------------ the checkpoint file stays apart


@pytest.mark.parametrize("name", ["episodes.db", "episodes.db-wal", "reference.db", "reference.imports.db",
                                  "config.toml"])
def test_the_checkpoint_file_is_never_one_of_the_workbenchs_own_files(capsys, tmp_path: Path, isolated_home,
                                                                     name: str) -> None:
    path = isolated_home / "episodes.db"
    _log(path).close()
    target = isolated_home / name
    before = target.read_bytes() if target.exists() else None
    code, _, err = run(capsys, path, "checkpoint", "--checkpoints", str(target))
    assert code == 2 and "own files" in err and len(err.strip().splitlines()) == 1
    assert (target.read_bytes() if target.exists() else None) == before
    code, _, err = run(capsys, path, "verify", "--checkpoints", str(target))
    assert code == 2 and "own files" in err


def test_the_log_is_never_opened_as_its_own_checkpoint_file(capsys, tmp_path: Path) -> None:
    path = tmp_path / "episodes.db"
    _log(path).close()
    code, _, err = run(capsys, path, "checkpoint", "--checkpoints", str(path))
    assert code == 2 and "own files" in err
    assert run(capsys, path, "verify")[0] == 0


@pytest.mark.parametrize("kind", ["fifo", "/dev/zero", "folder", "symlink", "/proc/self/mem"])
def test_a_checkpoint_file_that_is_not_a_file_is_refused_without_hanging(capsys, tmp_path: Path, kind) -> None:
    from tests.test_hostile_inputs import finishes

    path = tmp_path / "episodes.db"
    _log(path).close()
    target = tmp_path / "checkpoints.jsonl"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "folder":
        target.mkdir()
    elif kind == "symlink":
        target.symlink_to(tmp_path / "elsewhere.jsonl")
    else:
        target = Path(kind)
    for command in ("verify", "checkpoint"):
        code, _, err = finishes(lambda c=command: run(capsys, path, c, "--checkpoints", str(target)), 30)
        assert code == 2 and len(err.strip().splitlines()) == 1, err
    # A save still succeeds: its checkpoint could not be written, and it says so once.
    told: list[str] = []

    def saves() -> None:
        with EpisodeLog(path, checkpoint_file=target) as log:
            log.on_notice = told.append
            for n in (7, 8):
                log.save(_details(n), coding("K57.8"), coder="a")

    finishes(saves, 30)
    assert len(told) == 1 and "checkpoint could not be written" in told[0]


def test_a_damaged_checkpoint_line_is_named_and_skipped(tmp_path: Path) -> None:
    path = tmp_path / "episodes.db"
    with _log(path) as log:
        with open(log.checkpoint_file, "ab") as handle:
            handle.write(b'{"versions": 3, "he')            # a crash cut the line short
        log.save(_details(4), coding("K57.8"), coder="ann")  # the next line starts on its own
        report = log.verify()
    assert report.ok and any("line 4" in n and "skipped" in n for n in report.notices)
    assert [c.versions for c in checkpoints.read_checkpoints(log.checkpoint_file)][-2:] == [4, 4]


def test_threads_and_processes_keep_checkpoint_lines_in_order(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.conftest import REPO_ROOT

    path = tmp_path / "episodes.db"
    EpisodeLog(path).close()
    script = ("import datetime as dt, sys, threading\n"
              "from workbench.core.episodes import CodedEntry, Coding, EpisodeDetails, EpisodeLog\n"
              "def work(t):\n"
              "    with EpisodeLog(sys.argv[1]) as log:\n"
              "        for n in range(15):\n"
              "            log.save(EpisodeDetails(f'{sys.argv[2]}-{t}-{n}', 'E', dt.date(2024, 1, 1)),\n"
              "                     Coding([CodedEntry('K57.8', 'opcs4', '4.10')], []), coder='c')\n"
              "threads = [threading.Thread(target=work, args=(t,)) for t in range(3)]\n"
              "[t.start() for t in threads]; [t.join() for t in threads]\n")
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    writers = [subprocess.Popen([sys.executable, "-c", script, str(path), f"w{w}"], env=env,
                                stderr=subprocess.PIPE, text=True) for w in range(4)]
    local = threading.Thread(target=lambda: [_log(path, 0).save(_details(99), coding("K57.8"), coder="x")])
    local.start()
    for process in writers:
        assert process.wait(timeout=300) == 0, process.stderr.read()
    local.join()
    with EpisodeLog(path) as log:
        report = log.verify()
        lines = [c.versions for c in checkpoints.read_checkpoints(log.checkpoint_file) if not c.verified]
    assert report.ok and report.versions_checked == 4 * 3 * 15 + 1
    assert lines == sorted(lines) and lines[-1] == report.versions_checked and len(lines) == 181


def test_a_verify_split_between_processes_finds_what_one_pass_finds(tmp_path: Path, key_file: Path,
                                                                    monkeypatch) -> None:
    from workbench.core.episodes import verify_split as verifying

    path = tmp_path / "episodes.db"
    with _log(path, 40) as log:
        for n in (3, 17, 29):
            log.amend(n, coding("K57.9"), reason="fix", coder="bob")
    conn = sqlite3.connect(path)
    conn.execute("UPDATE version SET coder = 'mallory' WHERE id = 5")
    conn.execute("UPDATE version SET saved_at = '2020-01-01T00:00:00.000000+00:00' WHERE id = 22")
    conn.execute("UPDATE version SET mac = NULL WHERE id = 35")
    for table in ("version_code", "code_index", "code_date"):
        conn.execute(f"DELETE FROM {table} WHERE version_id = 30")
    conn.execute("DELETE FROM version WHERE id = 30")
    conn.commit()
    conn.close()
    reports = []
    for threshold in (10**9, 0):
        monkeypatch.setattr(verifying, "PARALLEL_MIN_ROWS", threshold)
        with EpisodeLog(path) as log:
            reports.append(log.verify(use_checkpoint_file=False))
    one, split = reports
    assert not one.ok and {(b.episode_id, b.problem) for b in one.broken} == \
        {(b.episode_id, b.problem) for b in split.broken}
    assert (one.versions_checked, one.head_hash, one.notices) == (split.versions_checked, split.head_hash, split.notices)
    assert len(one.broken) >= 4


async def test_the_app_tells_the_coder_once_when_the_clock_stepped_back(make_app, monkeypatch) -> None:
    from tests.test_tui_review_details import SIZE, details, hand, open_review, save_and_wait
    from workbench.core.episodes.session import CodingSession

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_review(pilot, CodingSession(details=details(), codes=[hand("I50.0")]))
        await save_and_wait(pilot)
        _clock_behind(monkeypatch, 45)
        for n in (2, 3):
            await open_review(pilot, CodingSession(details=details(episode=f"E{n}"), codes=[hand("I50.0")]))
            await save_and_wait(pilot)
        told = [n for n in app._notifications if n.title == "Episode log"]
    assert len(told) == 1 and "s behind the newest version" in told[0].message
