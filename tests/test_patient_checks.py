"""Sex, age, dagger and asterisk: stored with the episode, shown, exported, and checked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_log_cli import run
from workbench.core.classifications.patient_checks import patient_edits
from workbench.core.episodes import EpisodeLog

EPISODE = ["--patient", "P-9", "--episode", "SPELL-9", "--date", "2024-05-06"]


@pytest.fixture
def log_path(tmp_path: Path, reference_db) -> Path:   # reference_db: built where the CLI looks
    return tmp_path / "episodes.db"


def test_the_acceptance_codes(capsys, log_path: Path) -> None:
    code, out, err = run(capsys, log_path, "add", *EPISODE, "--procedures", "J12.4 Y53.9", "--diagnoses", "I10",
                         "--json")
    assert code == 0, err
    assert json.loads(out)["diagnoses"] == ["I10"]
    # Another episode: the same patient, episode and date again would be refused as a duplicate.
    second = [*EPISODE[:3], "SPELL-10", *EPISODE[4:]]
    code, out, err = run(capsys, log_path, "add", *second, "--procedures", "J12.4", "--diagnoses", "I10X",
                         "--json")
    assert code == 0, err
    assert json.loads(out)["diagnoses"] == ["I10"] and json.loads(out)["overrides"] == []
    code, _, err = run(capsys, log_path, "add", *EPISODE, "--procedures", "J12.4", "--diagnoses", "I50")
    assert code == 1 and "I50.0, I50.1, I50.9" in err


def test_sex_and_age_are_stored_shown_and_exported(capsys, log_path: Path, tmp_path: Path) -> None:
    code, out, err = run(capsys, log_path, "add", *EPISODE, "--procedures", "J12.4", "--diagnoses", "I10",
                         "--sex", "F", "--age", "67", "--json")
    assert code == 0, err
    saved = json.loads(out)
    assert (saved["sex"], saved["age"]) == ("female", 67)
    with EpisodeLog(log_path) as log:
        details = log.get(saved["id"]).details
        assert (details.sex, details.age) == ("female", 67)
        assert log.verify().ok
    code, _, err = run(capsys, log_path, "export", "--format", "csv", "-o", str(tmp_path / "out.csv"))
    assert code == 0, err
    header, row = (tmp_path / "out.csv").read_text(encoding="utf-8").splitlines()[:2]
    columns = dict(zip(header.split(","), row.split(","), strict=True))
    assert (columns["sex"], columns["age"]) == ("female", "67")


@pytest.mark.parametrize(("option", "value", "field"), [("--sex", "x", "sex"), ("--age", "200", "age"),
                                                      ("--age", "\u0663\u0664", "age")])
def test_bad_sex_or_age_is_refused(capsys, log_path: Path, option: str, value: str, field: str) -> None:
    code, _, err = run(capsys, log_path, "add", *EPISODE, "--procedures", "J12.4", option, value)
    assert code != 0 and f"{field}:" in err


def test_dagger_and_asterisk_marks_are_stored_shown_exported_and_hashed(capsys, log_path, tmp_path) -> None:
    code, out, err = run(capsys, log_path, "add", *EPISODE, "--procedures", "C46.4 Z94.2",
                         "--diagnoses", "Q90.0\u2020 H19.8A")
    assert code == 0, err
    assert "Q90.0\u2020 H19.8*" in out
    with EpisodeLog(log_path) as log:
        [summary] = log.list()
        assert [(e.code, e.mark) for e in summary.latest.coding.diagnoses] == [("Q90.0", "dagger"),
                                                                           ("H19.8", "asterisk")]
        assert log.verify().ok
    code, _, err = run(capsys, log_path, "export", "--format", "json", "-o", str(tmp_path / "out.json"))
    assert code == 0, err
    assert json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))[0]["diagnoses"] == ["Q90.0\u2020",
                                                                                             "H19.8*"]
    import sqlite3

    conn = sqlite3.connect(log_path)
    conn.execute("UPDATE version_code SET mark = 'dagger' WHERE code = 'H19.8'")   # tampering
    conn.commit()
    conn.close()
    with EpisodeLog(log_path) as log:
        assert not log.verify().ok


@pytest.mark.parametrize(("diagnoses", "edits"), [
    ("H19.8*", {"asterisk-primary"}),
    ("Q90.0\u2020 H19.8*", set()),
    ("H18.6 H19.8", set()),                            # WHO names no closed list of daggers for H19.8
    ("H19.8 Q90.0", {"asterisk-primary"}),             # known as an asterisk code without its mark
    ("H18.6 H36.0", {"asterisk-without-dagger"}),      # H36.0 follows E10-E14 with .3
    ("E11.3 H36.0", set()),
])
def test_asterisk_codes_are_never_primary_and_never_alone(capsys, log_path, diagnoses, edits) -> None:
    code, _, err = run(capsys, log_path, "add", *EPISODE, "--procedures", "C46.4 Z94.2", "--diagnoses", diagnoses)
    assert {e for e in ("asterisk-primary", "asterisk-without-dagger") if e in err} == edits
    assert code == (1 if edits else 0), err


def test_sex_and_age_limits_from_the_embedded_tables(catalog) -> None:
    found = {(e.id, e.classification, e.position, e.severity) for e in patient_edits(
        catalog, [("icd10", 1, "N40"), ("icd10", 2, "O80.0"), ("opcs4", 1, "M65.3")], "female", 60)}
    assert found == {("sex-limit", "icd10", 1, "warning"), ("age-limit", "icd10", 2, "warning"),
                     ("sex-limit", "opcs4", 1, "warning")}      # N40, a mother of 60, TURP
    [age] = patient_edits(catalog, [("icd10", 1, "P39.3")], "male", 39)
    assert age.id == "age-limit" and "0 to 4" in age.message and age.severity == "warning"
    [newborn] = patient_edits(catalog, [("icd10", 1, "Z38.0")], "male", 35)
    assert newborn.severity == "error"            # the birth episode of a baby: no exception
    assert patient_edits(catalog, [("icd10", 1, "N40")], "male", 70) == []
    [note] = patient_edits(catalog, [("icd10", 1, "N40")], None, 70)
    assert (note.id, note.severity) == ("patient-not-given", "note") and "sex" in note.message


def test_sex_and_age_limits_from_release_metadata(catalog, reference_db) -> None:
    from workbench.core.rules import Patient, run_edits

    reference_db.executemany("INSERT INTO code_metadata VALUES ('icd10', ?, ?, NULL, ?, ?, ?, '{}')",
                             [("C61", "DEFAULT", "male", None, None), ("O80.0", "DEFAULT", "female", 10, 55),
                              ("G35", "ASTERISK", None, None, None), ("N40", "DEFAULT", None, None, None)])
    found = {(e.id, e.position) for e in patient_edits(catalog, [("icd10", 1, "C61"), ("icd10", 2, "O80.0")],
                                                       "female", 60)}
    assert found == {("sex-limit", 1), ("age-limit", 2)}
    [age] = patient_edits(catalog, [("icd10", 1, "O80.0")], "female", 8)
    assert "10 to 55" in age.message and age.severity == "warning"
    # The release's row wins where it differs from the embedded table (N40 with no sex limit there).
    assert patient_edits(catalog, [("icd10", 1, "N40")], "female", 60) == []
    ids = {e.id for e in run_edits([], ["G35"], catalog, patient=Patient("male", 40))}
    assert ids == {"asterisk-primary"}                                # usage from the metadata
