"""`workbench rules list|show|paths|check` and `workbench code`: output shapes and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT
from workbench.cli import main
from workbench.core.rules.loader import PACKS_DIR

IPG655_ACCEPTANCE = ["--answer", "image_control=fluoroscopic", "--answer", "right_atrial_lead=yes",
                     "--answer", "congestive=yes"]


@pytest.fixture
def refdb(reference_db):
    """The built reference DB in this test's WORKBENCH_HOME (so commands find it fast)."""
    return reference_db


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_rules_list_json(capsys) -> None:
    code, out, _ = run(capsys, "rules", "list", "--json")
    rows = json.loads(out)
    assert code == 0
    by_id = {r["id"]: r for r in rows}
    assert {"IPG75", "IPG655", "IPG336", "IPG403"} <= set(by_id)
    assert by_id["IPG75"]["status"] == "approved" and by_id["IPG75"]["partial"] is False
    assert by_id["IPG403"]["partial"] is True
    assert all({"id", "title", "status", "partial"} <= set(r) for r in rows)


def test_rules_show_json_has_questions_options_and_codes(capsys) -> None:
    code, out, _ = run(capsys, "rules", "show", "ipg75", "--json")
    data = json.loads(out)
    assert code == 0 and data["id"] == "IPG75"
    assert [q.get("id") or q.get("group") for q in data["questions"]] == ["stent", "stents", "cutting_balloon",
                                                                         "image_control"]
    image = data["questions"][3]
    assert ["Y53.4"] in [o["codes"] for o in image["options"]]
    assert data["procedures"][0] == {"type": "code", "codes": ["L80.4"], "when": "Was a stent inserted? yes",
                                     "reason": data["procedures"][0]["reason"]}
    assert data["exclusions"][0]["with"] == ["L80.2", "L80.3"]


def test_rules_show_text(capsys) -> None:
    code, out, _ = run(capsys, "rules", "show", "IPG655")
    assert code == 0 and "image_control (choice)" in out and "-> Y68.1" in out


def test_rules_paths_json_shape(capsys) -> None:
    code, out, _ = run(capsys, "rules", "paths", "IPG655", "--json")
    rows = json.loads(out)
    assert code == 0 and len(rows) == 52   # 13 image control answers x 2 x 2
    assert all(set(r) == {"answers", "procedures", "diagnoses"} for r in rows)
    assert {"answers": {"image_control": "fluoroscopic", "right_atrial_lead": "yes", "congestive": "yes"},
            "procedures": ["K57.8", "Y02.1", "Y53.4", "Z33.2", "Z33.6", "Z94.2"],
            "diagnoses": ["I50.0"]} in rows


def test_rules_paths_ipg75_reaches_one_and_two_stent_types(capsys) -> None:
    _, out, _ = run(capsys, "rules", "paths", "IPG75", "--json")
    rows = json.loads(out)
    assert ["L80.4", "L89.1", "Y53.4"] in [r["procedures"] for r in rows]
    assert ["L80.4", "L76.1", "L89.6", "Y53.9"] in [r["procedures"] for r in rows]
    assert ["L80.3", "Y53.2"] in [r["procedures"] for r in rows]


def test_unknown_pack_is_a_plain_error(capsys) -> None:
    code, _, err = run(capsys, "rules", "show", "IPG9999")
    assert code == 2 and "no rule pack for 'IPG9999'" in err and "Traceback" not in err


def test_code_acceptance_ipg655(capsys, refdb) -> None:
    code, out, _ = run(capsys, "code", "IPG655", *IPG655_ACCEPTANCE, "--json")
    data = json.loads(out)
    assert code == 0 and data["complete"] is True
    assert data["procedures"] == ["K57.8", "Y02.1", "Y53.4", "Z33.2", "Z33.6", "Z94.2"]
    assert data["diagnoses"] == ["I50.0"]
    assert data["next_question"] is None and data["edits"] == []
    assert data["entries"]["procedures"][0]["title"]  # titles from the reference DB


def test_code_incomplete_gives_the_next_question(capsys) -> None:
    code, out, _ = run(capsys, "code", "IPG75", "--answer", "stent=yes", "--json")
    data = json.loads(out)
    assert code == 0 and data["complete"] is False
    assert data["procedures"] == ["L80.4"] and data["edits"] == []
    question = data["next_question"]
    assert question["id"] == "stents.1.type" and question["kind"] == "choice"
    assert "drug_eluting" in [o["value"] for o in question["options"]]


def test_code_multi_and_number_style_answers(capsys) -> None:
    code, out, _ = run(capsys, "code", "IPG205", "--answer", "intent=diagnostic,therapeutic",
                       "--answer", "gestational_age=over_20", "--answer", "add_site=no", "--json")
    data = json.loads(out)
    assert code == 0 and data["procedures"] == ["R01.8", "Y95.1", "Y53.2"]


def test_code_text_output(capsys, refdb) -> None:
    code, out, _ = run(capsys, "code", "IPG655", *IPG655_ACCEPTANCE)
    assert code == 0 and "1. K57.8" in out and "why:" in out and "All validation edits pass." in out


@pytest.mark.parametrize(("answer", "message"), [
    ("stnt=yes", "did you mean 'stent'"),
    ("stent=maybe", "stent: answer yes or no"),
    ("stent", "write QUESTION=VALUE"),
    ("stents.1.type=steel", "'steel' is not one of"),
])
def test_code_bad_answers_are_plain_errors(capsys, answer, message) -> None:
    code, out, err = run(capsys, "code", "IPG75", "--answer", answer)
    assert code == 2 and message in err and out == "" and "Traceback" not in err


def test_rules_check_shipped_packs_pass(capsys, refdb) -> None:
    code, out, _ = run(capsys, "rules", "check")
    assert code == 0 and "0 errors" in out


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("    kind: yesno\n", "    kind: yesno\n    prompt: [\n", "YAML syntax error"),
    ("    prompt: Was a stent inserted?", "    promt: Was a stent inserted?", "did you mean 'prompt'"),
    ("other_eluting_coated: L89.8", "other_eluting_coated: L89.7", "OPCS-4 L89.7 is not in the loaded"),
])
def test_rules_check_broken_pack_exits_1_with_file_and_line(capsys, refdb, tmp_path, old, new, expected) -> None:
    text = (PACKS_DIR / "IPG75.yaml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "IPG75.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    code, out, err = run(capsys, "rules", "check", str(path))
    assert code == 1
    assert any(line.startswith(f"{path}:") and expected in line for line in out.splitlines()), out
    assert "Traceback" not in out + err


def test_rules_check_missing_path(capsys, tmp_path) -> None:
    code, _, err = run(capsys, "rules", "check", str(tmp_path / "nope.yaml"))
    assert code == 2 and "no such file" in err


def test_rules_check_as_a_real_command(refdb, tmp_path) -> None:
    """The acceptance check from outside: a real process, exit 1, file:line, no traceback."""
    path = tmp_path / "IPG655.yaml"
    path.write_text((PACKS_DIR / "IPG655.yaml").read_text(encoding="utf-8").replace("code: Z33.6", "code: Z33.0"),
                    encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "workbench", "rules", "check", str(path)], cwd=REPO_ROOT,
                            capture_output=True, text=True, env=os.environ.copy(), timeout=60)
    assert result.returncode == 1
    assert f"{path}:" in result.stdout and "Z33.0" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_index_packs_and_summaries(refdb) -> None:
    from workbench.core.rules import index_packs, pack_summaries

    assert index_packs(refdb) == []
    summaries = pack_summaries(refdb)
    ids = [s.guidance_id for s in summaries]
    assert ids.index("IPG75") < ids.index("IPG655") and len(ids) >= 14
    ipg75 = next(s for s in summaries if s.id == "IPG75")
    assert (ipg75.status, ipg75.partial, ipg75.version) == ("approved", False, "1.2")


def test_code_says_plainly_when_a_pack_is_partial(capsys, refdb) -> None:
    code, out, _ = run(capsys, "code", "IPG147", "--answer", "node_procedure=sampling")
    assert code == 0
    assert "Caution: PARTIAL pack" in out and "Caution: DRAFT pack" in out
    code, out, _ = run(capsys, "code", "IPG147", "--answer", "node_procedure=sampling", "--json")
    flags = json.loads(out)["pack"]
    assert flags["partial"] is True and flags["status"] == "draft"
    assert flags["partial_reason"] and len(flags["cautions"]) == 2


def test_code_has_no_caution_for_an_approved_complete_pack(capsys, refdb) -> None:
    answers = ["--answer", "stent=no", "--answer", "cutting_balloon=no", "--answer", "image_control=fluoroscopic"]
    code, out, _ = run(capsys, "code", "IPG75", *answers)
    assert code == 0 and "Caution" not in out
    _, out, _ = run(capsys, "code", "IPG75", *answers, "--json")
    assert json.loads(out)["pack"]["cautions"] == []
