"""`log add/amend` run the same edits as `workbench check`, with the pack's codes plus the coder's."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.test_log_cli import run
from tests.test_log_cli_coding import EPISODE, IPG75_STENT
from workbench.core.episodes import EpisodeLog


@pytest.fixture
def log_path(tmp_path: Path, reference_db) -> Path:
    return tmp_path / "episodes.db"


def test_guidance_answers_plus_the_coders_extra_procedures(capsys, log_path: Path) -> None:
    code, out, err = run(capsys, log_path, "add", *EPISODE, "--guidance", "IPG75", *IPG75_STENT,
                         "--procedures", "K57.8 Y02.1", "--diagnoses", "I50.0", "--json")
    assert code == 0, err
    saved = json.loads(out)
    assert saved["procedures"] == ["L80.4", "L76.1", "Y53.1", "K57.8", "Y02.1"]
    assert saved["guidance"] == "IPG75"


def test_hand_codes_with_a_guidance_are_checked_by_its_pack(capsys, log_path: Path) -> None:
    code, _, err = run(capsys, log_path, "add", *EPISODE, "--guidance", "IPG75", "--procedures", "L80.4 Y53.4", "--diagnoses", "I28.8")
    assert code == 1 and "pack-missing-code" in err and "P-77" not in err
    with EpisodeLog(log_path) as log:
        assert log.count() == 0
    code, out, err = run(capsys, log_path, "add", *EPISODE, "--guidance", "IPG75",
                         "--procedures", "L80.4 L89.1 Y53.4", "--diagnoses", "I28.8", "--json")
    assert code == 0, err
    assert json.loads(out)["procedures"] == ["L80.4", "L89.1", "Y53.4"]


def test_amend_with_a_guidance_is_checked_too(capsys, log_path: Path) -> None:
    code, out, err = run(capsys, log_path, "add", *EPISODE, "--procedures", "L80.2 Y53.9", "--diagnoses", "I28.8", "--json")
    assert code == 0, err
    episode = str(json.loads(out)["id"])
    code, _, err = run(capsys, log_path, "amend", episode, "--reason", "recoded", "--guidance", "IPG75",
                       "--procedures", "L80.4 L80.2 L76.1 Y53.4", "--diagnoses", "I28.8")
    assert code == 1 and "excluded-pair" in err


def test_unknown_guidance_with_hand_codes_is_refused(capsys, log_path: Path) -> None:
    code, _, err = run(capsys, log_path, "add", *EPISODE, "--guidance", "IPG9999", "--procedures", "L80.2 Y53.9", "--diagnoses", "I28.8")
    assert code == 2 and "no rule pack" in err


def test_every_test_the_hazard_log_names_exists() -> None:
    text = (REPO_ROOT / "docs" / "hazard-log.md").read_text(encoding="utf-8")
    sources = {p.name: p.read_text(encoding="utf-8") for p in (REPO_ROOT / "tests").glob("*.py")}
    named = re.findall(r"`tests/(\w+\.py)(?:::(\w+))?`", text)
    assert len(named) > 30
    for file, test in named:
        assert file in sources, file
        assert not test or f"def {test}(" in sources[file], f"{file}::{test}"
    for test in re.findall(r"`::(\w+)`", text):
        assert any(f"def {test}(" in s for s in sources.values()), test
