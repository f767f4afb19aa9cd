"""``workbench audit`` from the command line: new, list, show, code, compare, review, report."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import pytest

from tests.audit_data import build, episode_codes
from workbench import cli
from workbench.commands import UserError, report_error


def run(capsys, *argv: str) -> tuple[int, str, str]:
    args = cli.build_parser().parse_args(list(argv))
    try:
        code = int(args.handler(args) or 0)
    except UserError as exc:
        code = report_error(str(exc), exc.exit_code)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def log(isolated_home: Path) -> Path:
    return build(isolated_home / "episodes.db", count=60)


def test_a_whole_audit_from_the_command_line(capsys, log: Path, tmp_path: Path) -> None:
    code, out, err = run(capsys, "audit", "new", "--size", "3", "--seed", "9", "--name", "March",
                         "--stratify", "specialty", "--json")
    assert code == 0, err
    drawn = json.loads(out)
    assert (drawn["size"], drawn["name"], drawn["method"]["seed"], drawn["method"]["stratify"]) == (
        3, "March", 9, "specialty")
    code, out, _ = run(capsys, "audit", "list")
    assert "March" in out and "0/3" in out
    code, out, _ = run(capsys, "audit", "show", "1", "--json")
    episodes = [e["episode_id"] for e in json.loads(out)["episodes"]]
    first = episodes[0]
    procedures, diagnoses = episode_codes(first)
    code, out, err = run(capsys, "audit", "code", "1", str(first), "--procedures", " ".join(procedures),
                         "--diagnoses", "I21.9 " + " ".join(diagnoses[1:]))
    assert code == 0, err
    assert "audit coding of episode" in out and "Primary diagnosis: wrong code" in out
    code, out, _ = run(capsys, "audit", "compare", "1", str(first), "--json")
    compared = json.loads(out)
    assert compared["original"]["diagnoses"] == diagnoses and len(compared["differences"]) == 1
    code, out, err = run(capsys, "audit", "review", "1", str(first), "1", "--error-type", "documentation",
                         "--note", "discharge letter unclear", "--disagree")
    assert code == 0, err
    code, out, err = run(capsys, "audit", "review", "1", str(first), "2")
    assert code == 2 and "has 1 difference" in err
    code, out, _ = run(capsys, "audit", "report", "1", "--json")
    report = json.loads(out)
    assert report["audited"] == 1 and report["accuracy"]["types"][0]["percent"] == 0.0
    assert report["differences"][0]["error_type"] == "documentation" and report["differences"][0]["agreed"] is False
    code, out, _ = run(capsys, "audit", "report", "1")
    assert "attainment: below Level 2" in out and "Primary diagnosis" in out
    target = tmp_path / "report.csv"
    code, _, err = run(capsys, "audit", "report", "1", "--csv", str(target), "--html", str(tmp_path / "r.html"))
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert rows[0]["section"] == "overall" and rows[-1]["section"] == "difference"
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    code, _, err = run(capsys, "audit", "report", "1", "--csv", str(target))
    assert code == 2 and "exists" in err
    assert "<svg" in (tmp_path / "r.html").read_text()


def test_bad_requests_get_one_line(capsys, log: Path) -> None:
    code, _, err = run(capsys, "audit", "new", "--size", "5", "--coder", "nobody")
    assert code == 2 and "no saved episodes match" in err
    code, _, err = run(capsys, "audit", "new", "--size", "5", "--since", "1/1/2026", "--until", "1/1/2025")
    assert code == 2 and "--since is after --until" in err
    code, _, err = run(capsys, "audit", "show", "7")
    assert code == 2 and "no such sample" in err
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["audit", "new", "--size", "0"])
    capsys.readouterr()
    assert sys.stdin is not None
