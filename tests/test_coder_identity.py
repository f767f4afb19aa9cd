"""Coder identity: the OS login on every save, amend, void, query and draft; the config's
display name and coder id kept beside it; shown in history, exports and verify."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.test_log_cli import run
from workbench.core.episodes import EpisodeLog
from workbench.core.episodes.identity import os_login
from workbench.core.episodes.worklist import Worklist

LOGIN = os_login()
DETAILS = "patient=PID1\nepisode=EP1\ndate=2025-03-01\n"


@pytest.fixture
def labelled(isolated_home: Path) -> Path:
    (isolated_home / "config.toml").write_text('[coder]\nname = "Ann Smith"\nid = "ACC 1234"\n')
    return isolated_home / "episodes.db"


def _add(capsys, log: Path, monkeypatch) -> dict:
    monkeypatch.setattr("sys.stdin", io.StringIO(DETAILS))
    code, out, err = run(capsys, log, "add", "--details", "-", "--procedures", "W37.1 Z94.2",
                         "--diagnoses", "M16.1", "--json")
    assert code == 0, err
    return json.loads(out)


def test_every_change_records_the_login_and_the_labels(capsys, labelled: Path, monkeypatch) -> None:
    monkeypatch.setenv("WORKBENCH_CODER", "somebody.else")   # typed for one command: not used
    monkeypatch.setenv("USER", "somebody.else")
    saved = _add(capsys, labelled, monkeypatch)
    assert (saved["coder"], saved["coder_name"], saved["coder_id"]) == (LOGIN, "Ann Smith", "ACC 1234")
    code, _out, err = run(capsys, labelled, "amend", "1", "--reason", "laterality", "--procedures",
                          "W37.1 Z94.1", "--diagnoses", "M16.1")
    assert code == 0, err
    code, _out, err = run(capsys, labelled, "void", "1", "--reason", "duplicate")
    assert code == 0, err
    code, out, _err = run(capsys, labelled, "show", "1", "--history")
    assert out.count(f"Ann Smith ({LOGIN}, ACC 1234)") == 3, out
    code, out, _err = run(capsys, labelled, "show", "1", "--history", "--json")
    versions = json.loads(out)["versions"]
    assert {(v["coder"], v["coder_name"], v["coder_id"]) for v in versions} == {(LOGIN, "Ann Smith", "ACC 1234")}


def test_the_warning_names_the_ignored_variable(capsys, labelled: Path, monkeypatch) -> None:
    monkeypatch.setenv("WORKBENCH_CODER", "somebody.else")
    monkeypatch.setattr("sys.stdin", io.StringIO(DETAILS))
    code, _out, err = run(capsys, labelled, "add", "--details", "-", "--procedures", "W37.1 Z94.2",
                          "--diagnoses", "M16.1")
    assert code == 0 and "$WORKBENCH_CODER is not used" in err and LOGIN in err


def test_exports_and_verify_show_who(capsys, labelled: Path, monkeypatch) -> None:
    _add(capsys, labelled, monkeypatch)
    code, out, _err = run(capsys, labelled, "export")
    row = next(csv.DictReader(io.StringIO(out)))
    assert (row["coder"], row["coder_name"], row["coder_id"]) == (LOGIN, "Ann Smith", "ACC 1234")
    code, out, _err = run(capsys, labelled, "export", "--format", "json")
    assert json.loads(out)[0]["coder_name"] == "Ann Smith"
    code, out, _err = run(capsys, labelled, "verify")
    assert code == 0 and f"saved by (OS login, versions): {LOGIN} 1" in out
    code, out, _err = run(capsys, labelled, "verify", "--json")
    assert json.loads(out)["coders"] == {LOGIN: 1}


def test_changing_the_labels_outside_the_app_breaks_verify(capsys, labelled: Path, monkeypatch) -> None:
    _add(capsys, labelled, monkeypatch)
    with EpisodeLog(labelled) as log:
        log.connection.execute("UPDATE version SET coder_id = 'ACC 9999'")
    code, out, _err = run(capsys, labelled, "verify")
    assert code == 1 and "episode 1: version 1 was changed outside the app" in out


def test_queries_and_drafts_carry_the_login(capsys, labelled: Path, monkeypatch, tmp_path: Path) -> None:
    extract = tmp_path / "extract.csv"
    extract.write_text("patient,episode,start_date\nPID9,EP9,01/03/2025\n")
    with EpisodeLog(labelled) as log:
        worklist = Worklist(log)
        worklist.import_file(extract)
    import argparse

    from workbench.commands import worklist as worklist_command

    parser = argparse.ArgumentParser(prog="workbench")
    parser.add_argument("--log")
    worklist_command.register(parser.add_subparsers())
    args = parser.parse_args(["--log", str(labelled), "worklist", "query", "1", "--note", "op note missing",
                              "--json"])
    monkeypatch.setenv("WORKBENCH_CODER", "somebody.else")
    assert args.handler(args) == 0
    item = json.loads(capsys.readouterr().out)
    assert item["query_by"] == LOGIN and item["query_at"]
    with EpisodeLog(labelled) as log:
        draft = log.save_draft(LOGIN, {"version": 2, "codes": []})
        assert [d.id for d in log.drafts(LOGIN)] == [draft]
        assert log.drafts(LOGIN)[0].created_at is not None
