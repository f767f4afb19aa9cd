"""``workbench log``: list, show, void, export, verify, drafts (codes seeded through the library)."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from workbench.commands import UserError, report_error
from workbench.core.episodes import CodedEntry, Coding, EpisodeDetails, EpisodeLog
from workbench.core.episodes.identity import os_login

LOGIN = os_login()   # the identity every save and draft records


def run(capsys: pytest.CaptureFixture, log: Path, *argv: str) -> tuple[int, str, str]:
    """The log command group as cli.main runs it (without importing the other groups)."""
    from workbench.commands import log as log_command

    parser = argparse.ArgumentParser(prog="workbench")
    parser.add_argument("--log")
    log_command.register(parser.add_subparsers())
    args = parser.parse_args(["--log", str(log), "log", *argv])
    try:
        code = int(args.handler(args) or 0)
    except UserError as exc:
        code = report_error(str(exc), exc.exit_code)
    out, err = capsys.readouterr()
    return code, out, err


def coding(procs: str, diags: str = "I70.2", **extra) -> Coding:
    return Coding([CodedEntry(c, "opcs4", "OPCS-4.10") for c in procs.split()],
                  [CodedEntry(c, "icd10", "WHO 2019") for c in diags.split()], **extra)


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    """Three episodes: 1 amended, 2 voided, 3 plain."""
    path = tmp_path / "episodes.db"
    with EpisodeLog(path) as log:
        log.save(EpisodeDetails("P1", "E1", dt.date(2024, 1, 5), "9434765919"),
                 coding("L80.2 Y53.9", guidance_id="IPG75", pack_id="ipg75", pack_version="1",
                        answers={"stent": "no"}), coder="ann", note="first")
        log.save(EpisodeDetails("P2", "E2", dt.date(2024, 2, 5)), coding("K57.8 Y02.1", "I50.0 I10"),
                 coder="bob")
        log.save(EpisodeDetails("P3", "E3", dt.date(2024, 3, 5)), coding("L80.4 L76.1 L76.2 Y53.1"),
                 coder="ann")
        log.amend(1, coding("L80.3 Y53.9"), reason="cutting balloon", coder="bob")
        log.void(2, reason="entered twice", coder="bob")
    return path


def test_list_json_fields(capsys, log_path: Path) -> None:
    code, out, _ = run(capsys, log_path, "list", "--json")
    assert code == 0
    rows = json.loads(out)
    assert [r["id"] for r in rows] == [3, 2, 1]
    first = rows[2]
    for key in ("id", "patient", "episode", "date", "status", "version", "procedures", "diagnoses",
                "coder", "saved_at"):
        assert key in first
    assert (first["patient"], first["episode"], first["date"]) == ("P1", "E1", "2024-01-05")
    assert (first["status"], first["version"], first["coder"]) == ("amended", 2, "bob")
    assert first["procedures"] == ["L80.3", "Y53.9"] and first["diagnoses"] == ["I70.2"]
    assert rows[1]["diagnoses"] == ["I50.0", "I10"]


@pytest.mark.parametrize(("args", "ids"), [
    (["--patient", "P3"], [3]), (["--code", "l803"], [1]), (["--code", "L80"], [3, 1]),
    (["--status", "voided"], [2]), (["--since", "2024-02-01", "--until", "2024-02-29"], [2]),
    (["--coder", "ann"], [3]), (["--guidance", "ipg75"], []), (["--nhs", "9434765919"], [1]),
    (["--limit", "2"], [3, 2]),
])
def test_list_filters(capsys, log_path: Path, args: list[str], ids: list[int]) -> None:
    code, out, _ = run(capsys, log_path, "list", "--json", *args)
    assert code == 0 and [r["id"] for r in json.loads(out)] == ids


def test_list_text_and_bad_date(capsys, log_path: Path) -> None:
    code, out, _ = run(capsys, log_path, "list")
    assert code == 0 and len(out.splitlines()) == 3 and "L80.3 Y53.9 | I70.2" in out
    code, out, err = run(capsys, log_path, "list", "--since", "Jan 5 2024", "--patient", "P-HIDDEN")
    assert code == 2 and "since: must be a date written dd/mm/yyyy" in err
    assert "P-HIDDEN" not in err


def test_show_history_json_keeps_the_original(capsys, log_path: Path) -> None:
    code, out, _ = run(capsys, log_path, "show", "1", "--history", "--json")
    assert code == 0
    shown = json.loads(out)
    assert shown["episode"] == {"id": 1, "patient": "P1", "nhs_number": "9434765919", "episode": "E1",
                                "date": "2024-01-05", "specialty": None}
    first, second = shown["versions"]
    assert (first["version"], first["status"], first["procedures"]) == (1, "final", ["L80.2", "Y53.9"])
    assert first["answers"] == {"stent": "no"} and first["note"] == "first"
    assert (second["version"], second["status"], second["reason"]) == (2, "amended", "cutting balloon")
    assert second["procedures"] == ["L80.3", "Y53.9"] and second["diagnoses"] == ["I70.2"]


def test_show_latest_and_unknown(capsys, log_path: Path) -> None:
    code, out, _ = run(capsys, log_path, "show", "3", "--json")
    assert code == 0 and json.loads(out)["procedures"] == ["L80.4", "L76.1", "L76.2", "Y53.1"]
    code, out, _ = run(capsys, log_path, "show", "1", "--history")
    assert code == 0 and "v1 final" in out and "v2 amended" in out
    code, _, err = run(capsys, log_path, "show", "99")
    assert code == 2 and "no episode 99" in err


def test_void_via_cli(capsys, log_path: Path) -> None:
    code, out, _ = run(capsys, log_path, "void", "3", "--reason", "wrong patient", "--json")
    assert code == 0 and json.loads(out)["status"] == "voided"
    code, _, err = run(capsys, log_path, "void", "3", "--reason", "again")
    assert code == 2 and "is void" in err


def test_verify_passes_then_names_a_tampered_episode(capsys, log_path: Path) -> None:
    code, out, _ = run(capsys, log_path, "verify")
    assert code == 0 and "intact" in out
    conn = sqlite3.connect(log_path)
    conn.execute("UPDATE version_code SET code = 'L76.3' WHERE code = 'L76.2'")
    conn.commit()
    conn.close()
    code, out, err = run(capsys, log_path, "verify")
    assert code == 1
    assert "episode 3" in out and "broken episodes: 3" in err
    code, out, _ = run(capsys, log_path, "verify", "--json")
    assert code == 1 and json.loads(out)["broken_episodes"] == [3]


def test_export_csv_latest_versions(capsys, log_path: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "export.csv"
    target.parent.mkdir()
    code, _, err = run(capsys, log_path, "export", "-o", str(target))
    assert code == 0 and "exported 3 row(s)" in err
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert [r["episode_id"] for r in rows] == ["3", "1", "2"]      # order of last change
    by_id = {r["episode_id"]: r for r in rows}
    assert (by_id["2"]["primary_diagnosis"], by_id["2"]["secondary_diagnoses"]) == ("I50.0", "I10")
    assert by_id["2"]["status"] == "voided"
    assert [by_id["3"][f"procedure_{i}"] for i in range(1, 5)] == ["L80.4", "L76.1", "L76.2", "Y53.1"]
    assert (by_id["1"]["procedure_1"], by_id["1"]["procedure_3"]) == ("L80.3", "")
    assert by_id["1"]["guidance"] == "" and by_id["1"]["version"] == "2"
    header = next(csv.reader(io.StringIO(target.read_text())))
    assert header[:10] == ["episode_id", "patient", "nhs_number", "episode", "date", "specialty",
                           "version", "status", "primary_diagnosis", "secondary_diagnoses"]
    assert header[-10:] == ["guidance", "pack", "pack_version", "coder", "saved_at", "note", "reason",
                            "overrides", "coder_name", "coder_id"]


def test_export_all_versions_and_dates(capsys, log_path: Path) -> None:
    code, out, err = run(capsys, log_path, "export", "--all-versions")
    assert code == 0 and err == ""          # no progress bar when stderr is not a terminal
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["episode_id"], r["version"]) for r in rows] == [("1", "1"), ("2", "1"), ("3", "1"),
                                                                 ("1", "2"), ("2", "2")]
    assert rows[0]["guidance"] == "IPG75" and rows[0]["procedure_1"] == "L80.2"
    code, out, _ = run(capsys, log_path, "export", "--since", "2024-03-01")
    assert [r["episode_id"] for r in csv.DictReader(io.StringIO(out))] == ["3"]


def test_export_json(capsys, log_path: Path) -> None:
    code, out, _ = run(capsys, log_path, "export", "--format", "json", "--until", "2024-01-31")
    assert code == 0
    assert [(r["id"], r["procedures"], r["version"]) for r in json.loads(out)] == [(1, ["L80.3", "Y53.9"], 2)]
    code, out, _ = run(capsys, log_path, "export", "--format", "json", "--since", "2030-01-01")
    assert json.loads(out) == []


def test_drafts_list_and_discard(capsys, log_path: Path) -> None:
    with EpisodeLog(log_path) as log:
        mine = log.save_draft(LOGIN, {"guidance_id": "IPG75"})
        theirs = log.save_draft("someone.else", {"guidance_id": "IPG655"})
    code, out, _ = run(capsys, log_path, "drafts", "--json")
    assert code == 0 and [d["id"] for d in json.loads(out)] == [mine]
    code, _, err = run(capsys, log_path, "drafts", "--discard", str(theirs))
    assert code == 2 and "no draft" in err
    code, out, _ = run(capsys, log_path, "drafts", "--discard", str(mine))
    assert code == 0 and "discarded" in out
    with EpisodeLog(log_path) as log:
        assert log.drafts(LOGIN) == [] and len(log.drafts("someone.else")) == 1


def test_open_log_warns_when_others_can_read(capsys, log_path: Path) -> None:
    log_path.chmod(0o640)
    code, _, err = run(capsys, log_path, "list")
    assert code == 0 and "warning" in err and "chmod 600" in err


def test_log_path_from_environment(capsys, log_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from workbench.commands import log as log_command

    monkeypatch.setenv("WORKBENCH_LOG", str(log_path))
    parser = argparse.ArgumentParser()
    parser.add_argument("--log")
    log_command.register(parser.add_subparsers())
    args = parser.parse_args(["log", "list", "--json"])
    assert args.handler(args) == 0
    assert len(json.loads(capsys.readouterr().out)) == 3


def test_not_a_log_through_the_real_command(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(os.urandom(4096))
    before = junk.read_bytes()
    result = subprocess.run([sys.executable, "-m", "workbench", "--log", str(junk), "log", "list"],
                            capture_output=True, text=True, timeout=60,
                            env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)))
    assert result.returncode == 2
    assert "not an SQLite database" in result.stderr and "Traceback" not in result.stderr
    assert junk.read_bytes() == before
