"""What only the PostgreSQL log has: the server's append-only guards, db init, concurrent writers
on one chain, a lost connection during a save, log copy, the CLI, and the driver kept off the
default path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.log_backends import coding, details
from tests.test_log_cli import run
from workbench.core.episodes import EpisodeLog, LogError, open_episode_log
from workbench.core.episodes.identity import os_login


@pytest.fixture
def server_log(postgres_db):
    with open_episode_log(postgres_db.coder_url) as log:
        yield log


# ---------------------------------------------------------------- append-only, by the server


def test_coders_may_insert_but_never_change_or_delete(server_log) -> None:
    import psycopg

    server_log.save(details(), coding(), coder="ann")
    conn = server_log.connection.raw
    for statement in ("UPDATE version SET coder = 'mallory'", "DELETE FROM version_code",
                      "DELETE FROM episode", "TRUNCATE code_index"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement)
    assert server_log.verify().ok


def test_even_the_owner_cannot_change_the_record(postgres_db, server_log) -> None:
    import psycopg

    server_log.save(details(), coding(), coder="ann")
    with postgres_db.admin() as admin:
        for statement in ("UPDATE version SET coder = 'mallory'", "DELETE FROM episode WHERE id = 1",
                          "TRUNCATE save_receipt"):
            with pytest.raises(psycopg.DatabaseError) as caught:
                admin.execute(statement)
            assert caught.value.sqlstate == "WB001"


def test_verify_reports_a_disabled_guard_or_a_widened_grant(postgres_db, server_log) -> None:
    server_log.save(details(), coding(), coder="ann")
    with postgres_db.admin() as admin:
        admin.execute("ALTER TABLE version DISABLE TRIGGER version_append_only")
        admin.execute("GRANT DELETE ON episode TO workbench_coder")
    report = server_log.verify()
    assert not report.ok
    assert "the append-only guard version_append_only on table version is disabled" in report.integrity
    assert "the coders' role may DELETE table episode" in report.integrity


def test_db_init_is_idempotent_and_a_bare_database_is_explained(postgres_server: str) -> None:
    import psycopg

    from tests.conftest import _with_database
    from workbench.core.episodes.postgres import schema

    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS wbt_bare WITH (FORCE)")
        admin.execute("CREATE DATABASE wbt_bare")
    url = _with_database(postgres_server, "wbt_bare")
    try:
        with pytest.raises(LogError, match="db init --postgres URL' first"):
            open_episode_log(url)
        first, again = schema.init(url), schema.init(url)
        assert (first.before, first.after) == (0, schema.latest_version())
        assert again.before == again.after == schema.latest_version()
        with open_episode_log(url) as log:
            assert log.count() == 0 and log.verify().ok
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute("INSERT INTO workbench.schema_version (version) VALUES (999)")
        with pytest.raises(LogError, match="newer than this workbench"):
            open_episode_log(url)
    finally:
        with psycopg.connect(postgres_server, autocommit=True) as admin:
            admin.execute("DROP DATABASE IF EXISTS wbt_bare WITH (FORCE)")


# ---------------------------------------------------------------- one chain, many writers

WRITER = r"""
import datetime as dt, sys
from workbench.core.episodes import CodedEntry, Coding, EpisodeDetails, LogError, open_episode_log
url, worker, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
coding = Coding([CodedEntry("L80.4", "opcs4", "4.10")], [CodedEntry("I70.2", "icd10", "2019")])
with open_episode_log(url) as log:
    for n in range(count):
        try:
            saved = log.save(EpisodeDetails(f"W{worker}", f"E{n}", dt.date(2024, 1, 1)), coding, coder=f"c{worker}")
            if n % 4 == 0:
                log.amend(saved.id, coding, reason="again", coder=f"c{worker}")
        except LogError as exc:
            print("ERROR", exc, flush=True)
            sys.exit(3)
        print(saved.id, flush=True)
"""


def test_concurrent_writers_keep_one_chain_without_gaps_or_forks(postgres_db) -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, postgres_db.coder_url, str(w), "25"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
               for w in range(8)]
    results = [w.communicate(timeout=300) for w in writers]
    for writer, (out, err) in zip(writers, results, strict=True):
        assert writer.returncode == 0, out + err
    ids = sorted(int(line) for out, _ in results for line in out.split())
    assert ids == list(range(1, 201))
    with open_episode_log(postgres_db.coder_url) as log:
        report = log.verify()
        assert report.ok, report.broken
        assert report.versions_checked == 200 + 8 * 7 and report.episodes == 200
        rows = log.connection.execute("SELECT min(id), max(id), count(*) FROM version").fetchone()
        assert rows == (1, 256, 256)


# ---------------------------------------------------------------- a lost connection


def test_a_connection_lost_during_a_save_saves_nothing_and_keeps_the_draft(postgres_db, server_log) -> None:
    from workbench.core.episodes.postgres.log import WRITE_LOCK

    draft = server_log.save_draft("ann", {"stage": "review"})
    with postgres_db.admin() as admin:
        admin.execute("BEGIN")
        admin.execute("SELECT pg_advisory_xact_lock(%s)", [WRITE_LOCK])   # the save queues behind us
        outcome: list[BaseException | object] = []

        def save() -> None:
            try:
                outcome.append(server_log.save(details(), coding(), coder="ann", draft_id=draft))
            except BaseException as exc:  # noqa: BLE001 - the test inspects it
                outcome.append(exc)

        saver = threading.Thread(target=save)
        saver.start()
        deadline = time.monotonic() + 20
        while True:
            waiting = admin.execute("SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                    "AND datname = current_database()").fetchall()
            if waiting or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert waiting, "the save never waited for the write lock"
        admin.execute("SELECT pg_terminate_backend(%s)", [waiting[0][0]])
        saver.join(30)
        admin.execute("ROLLBACK")
    assert len(outcome) == 1 and isinstance(outcome[0], LogError), outcome
    message = str(outcome[0])
    assert "connection" in message and "lost" in message and "nothing was saved" in message
    assert "draft is kept" in message
    # Nothing half-saved, the draft still there; the next call connects again.
    assert server_log.count() == 0
    assert [d.id for d in server_log.drafts("ann")] == [draft]
    assert server_log.save(details(), coding(), coder="ann", draft_id=draft).id == 1
    assert server_log.drafts("ann") == [] and server_log.verify().ok


def test_an_unreachable_server_is_one_plain_line_without_the_password(tmp_path: Path) -> None:
    pytest.importorskip("psycopg")
    url = f"postgresql://ann:hunter2@/nowhere?host={tmp_path}&connect_timeout=2"
    with pytest.raises(LogError) as caught:
        open_episode_log(url)
    assert "cannot connect to the episode log server" in str(caught.value)
    assert "hunter2" not in str(caught.value) and "ann:***@" in str(caught.value)


# ---------------------------------------------------------------- log copy


def test_log_copy_moves_a_file_log_and_both_ends_verify(capsys, tmp_path: Path, postgres_db) -> None:
    from workbench.core.episodes.worklist import Worklist

    path = tmp_path / "episodes.db"
    with EpisodeLog(path) as log:
        for n in range(1, 41):
            log.save(details(f"P{n}", f"E{n}", f"2024-01-{1 + n % 28:02d}"), coding(), coder="ann")
        log.amend(7, coding("L80.2"), reason="fix", coder="bob")
        log.void(9, reason="wrong patient", coder="bob")
        log.save_draft("ann", {"stage": "review"})
        extract = tmp_path / "x.csv"
        extract.write_text("patient,episode,start_date\nQ1,S1,01/02/2024\nQ2,S2,02/02/2024\n")
        Worklist(log).import_file(extract)
        head = log.verify().head_hash
    code, out, err = run(capsys, path, "copy", "--to", postgres_db.admin_url, "--json")
    assert code == 0, err
    report = json.loads(out)
    assert (report["versions"], report["episodes"], report["head_hash"]) == (42, 40, head)
    with open_episode_log(postgres_db.coder_url) as server:
        assert server.verify().head_hash == head and server.count() == 40
        assert [d.state for d in server.drafts("ann")] == [{"stage": "review"}]
        worklist = Worklist(server)
        assert [i.episode for i in worklist.items()] == ["S1", "S2"]
        extract.write_text("patient,episode,start_date\nQ3,S3,03/02/2024\n")
        assert worklist.import_file(extract).imported == 1       # ids continue after the copied ones
        assert server.save(details("P99", "E99"), coding(), coder="ann").id == 41
        assert server.verify().ok
    code, _, err = run(capsys, path, "copy", "--to", postgres_db.admin_url)
    assert code != 0 and "not empty" in err


def test_log_copy_refuses_a_damaged_file(capsys, tmp_path: Path, postgres_db) -> None:
    import sqlite3

    path = tmp_path / "episodes.db"
    with EpisodeLog(path) as log:
        log.save(details(), coding(), coder="ann")
    conn = sqlite3.connect(path)
    conn.execute("UPDATE version SET coder = 'mallory'")
    conn.commit()
    conn.close()
    code, _, err = run(capsys, path, "copy", "--to", postgres_db.admin_url)
    assert code != 0 and "does not verify" in err
    with open_episode_log(postgres_db.coder_url) as server:
        assert server.count() == 0


# ---------------------------------------------------------------- the CLI, and the default path


def test_cli_on_a_server_log(capsys, postgres_db, reference_db, tmp_path: Path) -> None:
    from workbench.cli import main

    def cli(*args: str) -> tuple[int, str, str]:
        code = main(["--log", postgres_db.coder_url, *args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    code, out, err = cli("log", "add", "--patient", "P-1", "--episode", "S-1", "--date", "2024-05-06",
                         "--procedures", "L80.2 Y53.9", "--diagnoses", "I70.2", "--json")
    assert code == 0, err
    assert json.loads(out)["id"] == 1
    code, out, _ = cli("log", "list")
    assert code == 0 and "L80.2 Y53.9" in out
    code, out, _ = cli("log", "verify", "--json")
    assert code == 0 and json.loads(out)["versions_checked"] == 1
    code, out, _ = cli("log", "checkpoint", "--json")
    assert code == 0 and json.loads(out)["versions"] == 1
    code, out, err = cli("log", "export", "-o", str(tmp_path / "out.csv"))
    assert code == 0 and (tmp_path / "out.csv").read_text().count("\n") == 2
    code, out, err = cli("stats", "--by", "coder", "--json")
    assert code == 0, err
    assert json.loads(out)["total"]["episodes"] == 1
    code, out, err = cli("audit", "new", "--size", "1", "--seed", "3", "--json")
    assert code == 0, err
    code, out, err = cli("audit", "list", "--json")
    assert code == 0 and len(json.loads(out)) == 1, err
    code, out, _ = cli("log", "verify", "--json")
    assert code == 0 and json.loads(out)["ok"]


def test_cli_db_init(capsys, postgres_server: str, _postgres_template: str) -> None:   # the coder role
    import psycopg

    from tests.conftest import _with_database
    from workbench.cli import main

    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS wbt_cli WITH (FORCE)")
        admin.execute("CREATE DATABASE wbt_cli")
    url = _with_database(postgres_server, "wbt_cli")
    try:
        assert main(["db", "init", "--postgres", url, "--grant", "wb_test_coder"]) == 0
        out = capsys.readouterr().out
        assert "(created)" in out and "granted workbench_coder to wb_test_coder" in out
        assert main(["db", "init", "--postgres", url]) == 0
        assert "already up to date" in capsys.readouterr().out
        assert main(["db", "init", "--postgres", url, "--grant", "no_such_role"]) == 2
        assert "no such role" in capsys.readouterr().err
        with psycopg.connect(postgres_server, autocommit=True) as admin:
            if not admin.execute("SELECT 1 FROM pg_roles WHERE rolname = 'wb_test_reader'").fetchone():
                admin.execute("CREATE ROLE wb_test_reader LOGIN")
        assert main(["db", "init", "--postgres", url, "--reader", "wb_test_reader"]) == 0
        assert "granted workbench_reader to wb_test_reader (read-only)" in capsys.readouterr().out
        from tests.conftest import _as_role

        with psycopg.connect(_as_role(url, "wb_test_reader"), autocommit=True) as reader:
            assert reader.execute("SELECT count(*) FROM workbench.version").fetchone() == (0,)
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                reader.execute("INSERT INTO workbench.draft (id, coder, state, created_at, updated_at) "
                               "VALUES (1, 'x', '{}', 'a', 'a')")
    finally:
        with psycopg.connect(postgres_server, autocommit=True) as admin:
            admin.execute("DROP DATABASE IF EXISTS wbt_cli WITH (FORCE)")


def test_the_default_log_never_imports_the_driver(tmp_path: Path) -> None:
    script = ("import sys\nfrom workbench.cli import main\n"
              f"code = main(['--log', {str(tmp_path / 'e.db')!r}, 'log', 'list'])\n"
              "assert 'psycopg' not in sys.modules, 'psycopg imported'\nprint('clean', code)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)))
    assert done.returncode == 0 and "clean 0" in done.stdout, done.stderr


def test_a_save_waiting_for_its_turn_is_told_once_and_then_saves(postgres_db, server_log) -> None:
    from workbench.core.episodes.postgres.log import WRITE_LOCK

    told: list[float] = []
    server_log.on_wait = told.append
    saved: list[object] = []
    with postgres_db.admin() as admin:
        admin.execute("BEGIN")
        admin.execute("SELECT pg_advisory_xact_lock(%s)", [WRITE_LOCK])
        saver = threading.Thread(target=lambda: saved.append(server_log.save(details(), coding(), coder="ann")))
        saver.start()
        time.sleep(1.6)
        assert told == [1.0] and not saved          # waiting, told once, nothing written yet
        admin.execute("COMMIT")
    saver.join(30)
    assert len(saved) == 1 and told == [1.0] and server_log.count() == 1


async def test_the_app_codes_a_worklist_episode_into_a_server_log(make_app, postgres_db, tmp_path: Path) -> None:
    """The whole path through the app on PostgreSQL: worklist, Enter (claims it), IPG655's
    wizard, ctrl+s; the episode is on the server, the item coded and no longer claimed."""
    from tests.tui_flows import SIZE, WORKLIST_CSV, Keys, worklist_ipg655
    from workbench.core.episodes.allocation import Allocations
    from workbench.core.episodes.worklist import Worklist

    extract = tmp_path / "worklist.csv"
    extract.write_text(WORKLIST_CSV, encoding="utf-8")
    with open_episode_log(postgres_db.coder_url) as log:
        Worklist(log).import_file(extract)
    app = make_app(log=postgres_db.coder_url)
    async with app.run_test(size=SIZE) as pilot:
        await worklist_ipg655(pilot, Keys(pilot))
    with open_episode_log(postgres_db.coder_url) as log:
        [saved] = log.list()
        assert saved.details.patient == "WL001" and saved.latest.coding.guidance_id == "IPG655"
        item = Worklist(log).items(status="coded")[0]
        assert item.episode_id == saved.id and Allocations(log).get(item.id).claimed_by is None
        assert log.verify().ok and log.drafts(os_login()) == []


@pytest.mark.parametrize(("error", "committing", "says"), [
    ("OperationalError", False, "was lost; nothing was saved and your draft is kept"),
    ("AdminShutdown", False, "was lost; nothing was saved"),
    ("OperationalError", True, "may or may not have been saved"),
    ("QueryCanceled", False, "is busy"),
    ("LockNotAvailable", False, "is busy"),
    ("InsufficientPrivilege", False, "lacks a privilege"),
    ("UndefinedTable", False, "db init --postgres URL' first"),
    ("DiskFull", False, "disk is full"),
])
def test_server_errors_in_words(error: str, committing: bool, says: str) -> None:
    psycopg = pytest.importorskip("psycopg")
    from workbench.core.episodes.postgres.connection import plain_error

    kind = getattr(psycopg.errors, error, None) or getattr(psycopg, error)
    message = str(plain_error(kind("detail from the server"), "postgresql://ann:pw@db/coding",
                              committing=committing))
    assert says in message and "pw@" not in message
