"""`workbench check`: one sequence or a JSON-lines batch, exit 1 on any error (issue 13 acceptance)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from workbench.cli import main


@pytest.fixture(autouse=True)
def built(reference_db) -> None:
    """Every test here runs against the embedded reference data."""


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["check", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(("guidance", "procedures", "diagnoses"), [
    ("IPG75", "L80.4 L80.2 L76.1 Y53.4", None),     # angioplasty with a stent
    ("IPG75", "L80.4", None),                       # no stent type, no image control
    ("IPG75", "L76.1 L80.4 Y53.4", None),           # supplementary code first
    ("IPG75", "L80.2 Y53.4 Y53.9", None),           # two image-control methods
    ("IPG75", "L80.4 L76.1 L76.3 Y53.4", None),     # contradictory counts for one type
    ("IPG655", "K57.8 Z33.2 Z94.2 Y53.4", "I50.0"),
    (None, "Y53.4 L80.2", None),
])
def test_wrong_sequences_exit_1(capsys, guidance, procedures, diagnoses) -> None:
    args = ["--procedures", procedures] + (["--guidance", guidance] if guidance else [])
    args += ["--diagnoses", diagnoses] if diagnoses else []
    code, out, _ = run(capsys, *args)
    assert code == 1
    assert "error:" in out


@pytest.mark.parametrize("procedures", ["L80.4 L89.1 Y53.4", "L80.4 L76.1 L89.5 L76.2 Y53.9", "L80.3 Y53.9"])
def test_right_sequences_exit_0(capsys, procedures) -> None:
    # A finished episode: the pack's codes, the primary diagnosis (pulmonary vein stenosis), the patient.
    code, out, _ = run(capsys, "--guidance", "IPG75", "--procedures", procedures, "--diagnoses", "I28.8",
                       "--sex", "f", "--age", "1")
    assert (code, out.strip()) == (0, "All validation edits pass.")
    # The pack's part of an episode (--draft) needs no diagnosis; the patient not given is said once.
    code, out, _ = run(capsys, "--guidance", "IPG75", "--procedures", procedures, "--draft")
    assert code == 0 and "error" not in out
    assert out.strip().splitlines() == ["note: patient-not-given: the patient's sex and age are not given: "
                                        "the sex and age limits of the codes were not checked"]


def test_a_finished_episode_needs_a_primary_diagnosis(capsys) -> None:
    code, out, _ = run(capsys, "--guidance", "IPG75", "--procedures", "L80.4 L89.1 Y53.4", "--sex", "m",
                       "--age", "1")
    assert code == 1 and "error: missing-primary-diagnosis" in out


def test_laterality_after_a_procedure_passes(capsys) -> None:
    code, out, _ = run(capsys, "--procedures", "W37.1 Z94.2", "--diagnoses", "M16.1", "--sex", "F", "--age", "70",
                       "--json")
    data = json.loads(out)
    assert code == 0 and data == {"errors": [], "warnings": []}


def test_findings_name_the_rule_and_the_nearest_right_path(capsys) -> None:
    code, out, _ = run(capsys, "--guidance", "IPG75", "--procedures", "L80.4", "--json")
    data = json.loads(out)
    assert code == 1
    messages = " ".join(e["message"] for e in data["errors"])
    assert "IPG75.yaml:" in messages and "IPG75 would give: L80.4 L76.1 Y53.1" in messages
    assert {"id", "message", "position", "severity"} <= set(data["errors"][0])


def test_unknown_guidance_and_no_codes_are_usage_errors(capsys) -> None:
    code, _, err = run(capsys, "--guidance", "IPG9999", "--procedures", "L80.4")
    assert code == 2 and "no rule pack" in err
    code, _, err = run(capsys)
    assert code == 2 and "--procedures" in err


def test_batch_writes_one_result_per_line_in_order(monkeypatch, capsys) -> None:
    import io

    lines = [
        {"guidance": "IPG75", "procedures": ["L80.4", "L89.1", "Y53.4"], "diagnoses": [], "draft": True},
        {"guidance": "IPG75", "procedures": ["L80.4"], "diagnoses": ["I28.8"], "sex": "m", "age": 1},
        {"guidance": None, "procedures": ["L80.2", "Y53.4"], "diagnoses": ["I50.0"], "sex": "F", "age": 2},
    ]
    text = "\n".join(json.dumps(line) for line in lines) + "\nnot json\n"
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    code, out, _ = run(capsys, "--batch", "--json")
    results = [json.loads(line) for line in out.splitlines()]
    assert code == 1 and len(results) == 4
    assert [bool(r["errors"]) for r in results] == [False, True, False, True]
    assert results[3]["errors"][0]["id"] == "bad-request"
    assert all(set(r) == {"errors", "warnings"} for r in results)


def test_batch_through_a_real_process(isolated_home) -> None:
    request = json.dumps({"guidance": "IPG75", "procedures": ["L76.1", "L80.4", "Y53.4"], "diagnoses": []})
    done = subprocess.run([sys.executable, "-m", "workbench", "check", "--batch", "--json"], input=request + "\n",
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    [result] = [json.loads(line) for line in done.stdout.splitlines()]
    assert "pack-supplementary" in [e["id"] for e in result["errors"]]


def test_batch_from_an_endless_line_stops_with_a_message(isolated_home) -> None:
    """/dev/zero (or a binary file) is not JSON lines: one line of explanation, exit 2,
    and the reading stops instead of filling the memory."""
    with open("/dev/zero", "rb") as zeros:
        done = subprocess.run([sys.executable, "-m", "workbench", "check", "--batch", "--json"],
                              stdin=zeros, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "longer than 1,000,000 characters" in done.stderr
    assert "Traceback" not in done.stderr


def test_batch_answers_the_lines_before_an_overlong_one(monkeypatch, capsys) -> None:
    import io

    good = json.dumps({"guidance": None, "procedures": ["L80.2"], "diagnoses": ["I28.8"], "sex": "f", "age": 1})
    monkeypatch.setattr(sys, "stdin", io.StringIO(good + "\n" + "x" * 1_000_001))
    code, out, err = run(capsys, "--batch", "--json")
    assert code == 2
    assert len(out.splitlines()) == 1 and json.loads(out)["errors"] == []
    assert "line 2 of the input" in err


@pytest.mark.parametrize(("args", "field"), [
    (["--diagnoses", "N40", "--sex", "X"], "--sex"),
    (["--diagnoses", "N40", "--age", "-3"], "--age"),
    (["--diagnoses", "N40", "--age", "200"], "--age"),
    (["--diagnoses", "N40", "--age", "4.5"], "--age"),
    (["--procedures", "W37.1 ;rm", "--diagnoses", "M16.1"], "--procedures"),
    (["--diagnoses", "N40 \x1b[2J"], "--diagnoses"),
])
def test_bad_input_is_one_line_naming_the_field(capsys, args, field) -> None:
    code, out, err = run(capsys, *args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith(f"workbench: {field}:") and "Traceback" not in err
    assert "\x1b" not in err


def test_the_issues_fresh_clone_examples(capsys) -> None:
    code, out, _ = run(capsys, "--procedures", "W37.1", "--diagnoses", "M16.1", "--sex", "F", "--age", "70")
    assert code == 1 and "error: laterality-missing" in out
    code, out, _ = run(capsys, "--diagnoses", "N40", "--sex", "F")
    assert "warning: sex-limit" in out and "All validation edits pass" not in out
    code, out, _ = run(capsys, "--diagnoses", "H28.0 E11.3")
    assert code == 1 and "error: asterisk-primary" in out


def test_batch_refuses_a_bad_patient_in_its_line_only(monkeypatch, capsys) -> None:
    import io

    lines = [{"procedures": [], "diagnoses": ["N40"], "sex": "x"},
             {"procedures": [], "diagnoses": ["N40"], "age": -1},
             {"procedures": [], "diagnoses": ["N40"], "sex": "f", "age": 60}]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(json.dumps(line) for line in lines) + "\n"))
    code, out, _ = run(capsys, "--batch", "--json")
    results = [json.loads(line) for line in out.splitlines()]
    assert [r["errors"][0]["id"] if r["errors"] else None for r in results] == ["bad-request", "bad-request", None]
    assert "sex:" in results[0]["errors"][0]["message"] and "age:" in results[1]["errors"][0]["message"]
    assert [w["id"] for w in results[2]["warnings"]] == ["sex-limit"]


BAD_SEXES = ["u", "unknown", "2", "mf", "ｍ", "🚹", "None"]
BAD_AGES = ["-1", "-inf", "131", "1e3", "9" * 40, "nan", "7.5", "0x10", "seventy", "٧٠", "70 years"]
JUNK_CODES = ["W37.1;", "DROP TABLE", "\u202eI10", "W37.1.1", "%s%s", "{}", "😀"]


@pytest.mark.parametrize(("option", "value"), [("--sex", v) for v in BAD_SEXES] + [("--age", v) for v in BAD_AGES]
                         + [("--procedures", f"W37.1 {v}") for v in JUNK_CODES]
                         + [("--diagnoses", f"M16.1 {v}") for v in JUNK_CODES])
def test_a_small_fuzz_of_bad_patient_facts_and_code_lists(capsys, option, value) -> None:
    # One line on stderr naming the option, exit 2, whatever is typed (a value starting with "-"
    # included: argparse takes it for an option, and its message names --age all the same).
    args = {"--procedures": "W37.1 Z94.2", "--diagnoses": "M16.1", "--sex": "f", "--age": "70"} | {option: value}
    try:
        code, out, err = run(capsys, *[part for pair in args.items() for part in pair])
    except SystemExit as exc:   # argparse's own refusal exits, as it does from the shell
        code, (out, err) = exc.code, capsys.readouterr()
    assert code == 2 and out == "" and "Traceback" not in err
    assert err.count("\n") == 1 and option in err and "\u202e" not in err


def test_batch_names_the_field_of_each_bad_line(monkeypatch, capsys) -> None:
    import io

    good = {"procedures": ["W37.1", "Z94.2"], "diagnoses": ["M16.1"], "sex": "f", "age": 70}
    bad = [("sex", {"sex": []}), ("sex", {"sex": 5}), ("age", {"age": True}), ("age", {"age": 10**30}),
           ("age", {"age": "NaN"}), ("procedures", {"procedures": "W37.1"}), ("diagnoses", {"diagnoses": {}}),
           ("procedures", {"procedures": [None]}), ("diagnoses", {"diagnoses": [["M16.1"]]}),
           ("guidance", {"guidance": ["IPG75"]}), ("guidance", {"guidance": "IPG" + "9" * 500})]
    monkeypatch.setattr(sys, "stdin", io.StringIO("".join(json.dumps(good | change) + "\n" for _, change in bad)))
    code, out, _ = run(capsys, "--batch", "--json")
    results = [json.loads(line) for line in out.splitlines()]
    assert code == 1 and len(results) == len(bad)
    for (field, _), result in zip(bad, results, strict=True):
        [error] = result["errors"]
        assert error["id"] == "bad-request" and error["message"].startswith(f"{field}:")
        assert len(error["message"]) < 200
