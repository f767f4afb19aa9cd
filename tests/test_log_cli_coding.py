"""``workbench log add`` / ``amend``: rules, validation edits and overrides.

These need the reference database (classifications + refdb modules) for code
titles, editions and the unknown-code edit.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_log_cli import run
from workbench.core.episodes import EpisodeLog
from workbench.core.episodes.identity import os_login

LOGIN = os_login()   # the identity every save and draft records

IPG75_STENT = ["--answer", "stent=yes", "--answer", "stents.1.type=metallic",
               "--answer", "stents.1.number=one", "--answer", "stents.1.another=no",
               "--answer", "image_control=radiological"]
EPISODE = ["--patient", "P-77", "--episode", "SPELL-1", "--date", "2024-05-06"]


@pytest.fixture
def log_path(tmp_path: Path, reference_db) -> Path:   # reference_db: built where the CLI looks
    return tmp_path / "episodes.db"


def test_add_by_hand(capsys, log_path: Path) -> None:
    code, out, err = run(capsys, log_path, "add", *EPISODE, "--nhs", "9434765919",
                         "--procedures", "l802 Y53.9", "--diagnoses", "I27.8", "--note", "ok", "--json")
    assert code == 0, err
    saved = json.loads(out)
    assert saved["procedures"] == ["L80.2", "Y53.9"] and saved["diagnoses"] == ["I27.8"]
    assert saved["coder"] == LOGIN and saved["status"] == "final"
    with EpisodeLog(log_path) as log:
        entry = log.get(saved["id"]).latest.coding.procedures[0]
        assert entry.classification == "opcs4" and entry.edition


def test_add_refuses_failing_checks_unless_overridden(capsys, log_path: Path) -> None:
    code, _, err = run(capsys, log_path, "add", *EPISODE, "--procedures", "Y53.9 L80.2")
    assert code == 1 and "--override" in err and "y-z-first" in err
    with EpisodeLog(log_path) as log:
        assert log.count() == 0
    code, out, err = run(capsys, log_path, "add", *EPISODE, "--procedures", "Y53.9 L80.2",
                         "--override", "consultant's order", "--json")
    assert code == 0, err
    overrides = json.loads(out)["overrides"]
    assert overrides and all(o["reason"] == "consultant's order" for o in overrides)
    assert "y-z-first" in {o["edit"] for o in overrides}


def test_add_refuses_a_malformed_code(capsys, log_path: Path) -> None:
    code, _, err = run(capsys, log_path, "add", *EPISODE, "--procedures", "L80.2 banana")
    assert code == 2 and "procedure 2" in err and "P-77" not in err


def test_add_with_guidance(capsys, log_path: Path) -> None:
    code, out, err = run(capsys, log_path, "add", *EPISODE, "--guidance", "IPG75", *IPG75_STENT, "--json")
    assert code == 1 and "missing-primary-diagnosis" in err     # a saved episode has its diagnosis
    code, out, err = run(capsys, log_path, "add", *EPISODE, "--guidance", "IPG75", *IPG75_STENT,
                         "--diagnoses", "I28.8", "--json")
    assert code == 0, err
    saved = json.loads(out)
    assert saved["procedures"] == ["L80.4", "L76.1", "Y53.1"] and saved["diagnoses"] == ["I28.8"]
    assert saved["guidance"] == "IPG75" and saved["pack_id"] and saved["pack_version"]
    assert saved["answers"]["stent"] == "yes"


def test_add_with_incomplete_answers_names_the_next_question(capsys, log_path: Path) -> None:
    code, _, err = run(capsys, log_path, "add", *EPISODE, "--guidance", "IPG75", "--answer", "stent=yes")
    assert code == 1 and "stents.1.type" in err
    code, _, err = run(capsys, log_path, "add", *EPISODE, "--guidance", "IPG75", "--answer", "nope=yes")
    assert code == 2 and "nope" in err
    code, _, err = run(capsys, log_path, "add", *EPISODE, "--guidance", "IPG9999", "--answer", "a=b")
    assert code == 2 and "no rule pack" in err


def test_amend_via_cli_keeps_history(capsys, log_path: Path) -> None:
    code, out, _ = run(capsys, log_path, "add", *EPISODE, "--procedures", "L80.2 Y53.9", "--diagnoses", "I28.8",
                       "--json")
    episode_id = json.loads(out)["id"]
    code, out, err = run(capsys, log_path, "amend", str(episode_id), "--guidance", "IPG75", *IPG75_STENT,
                         "--diagnoses", "I28.8", "--reason", "stent found in the notes", "--json")
    assert code == 0, err
    assert json.loads(out)["version"] == 2
    code, out, _ = run(capsys, log_path, "show", str(episode_id), "--history", "--json")
    versions = json.loads(out)["versions"]
    assert [v["procedures"] for v in versions] == [["L80.2", "Y53.9"], ["L80.4", "L76.1", "Y53.1"]]
    assert versions[1]["reason"] == "stent found in the notes"


@pytest.mark.parametrize(("option", "value", "named"), [
    ("--sex", "unknown", "sex"), ("--sex", "2", "sex"), ("--age", "-3", "age"), ("--age", "131", "age"),
    ("--age", "7.5", "age"), ("--age", "seventy", "age"),
    ("--procedures", "W37.1 DROP", "procedure 2"), ("--procedures", "W37.1 😀", "procedure 2"),
    ("--diagnoses", "M16.1 %s%s", "diagnosis 2"), ("--diagnoses", "{} M16.1", "diagnosis 1"),
])
def test_bad_patient_facts_and_junk_codes_are_one_line_naming_the_field(capsys, log_path: Path, option, value,
                                                                        named) -> None:
    args = {"--procedures": "W37.1 Z94.2", "--diagnoses": "M16.1", "--sex": "f", "--age": "70"} | {option: value}
    code, out, err = run(capsys, log_path, "add", *EPISODE, *[part for pair in args.items() for part in pair])
    assert code == 2 and "Traceback" not in err and "P-77" not in err
    # (the one warning above it is about --patient typed on the command line, as EPISODE does)
    [line] = [line for line in err.splitlines() if not line.startswith("workbench: warning: --patient")]
    assert named in line
    if log_path.exists():
        with EpisodeLog(log_path) as log:
            assert log.get(1) is None
