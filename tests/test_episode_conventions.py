"""The episode conventions (issue 21): each rule on the embedded data, with no import.

Each rule has an id, a severity and a named source (F1 help and fixtures/conventions/README.md);
these tests hold the issue's seven examples and the edges of each rule.
"""

from __future__ import annotations

import pytest

from workbench.core.rules import Patient, run_edits
from workbench.core.rules.episode_conventions import EPISODE_CONVENTIONS, EPISODE_SOURCES


def findings(catalog, procedures: str, diagnoses: str, sex: str | None = "female", age: int | None = 70,
             finished: bool = True) -> set[tuple[str, str]]:
    edits = run_edits(procedures.split(), diagnoses.split(), catalog, patient=Patient(sex, age), finished=finished)
    return {(e.id, e.severity) for e in edits}


@pytest.mark.parametrize(("procedures", "diagnoses", "sex", "age", "expected"), [
    # The issue's examples, each a clear error or warning, never "All checks pass".
    ("E11.9", "I21.0", "male", 60, ("likely-other-classification", "warning")),   # ctrl+n e119 -> OPCS-4
    ("W37.1 Z94.2 M16.1", "M16.1", "female", 70, ("likely-other-classification", "warning")),   # m161
    ("W37.1", "", "female", 70, ("missing-primary-diagnosis", "error")),
    ("W37.1", "M16.1", "female", 70, ("laterality-missing", "error")),
    ("J18.3 Z94.2", "K80.2", "female", 50, ("laterality-unpaired", "warning")),
    ("", "H28.0 E11.3", "female", 70, ("asterisk-primary", "error")),
    ("", "S72.0", "female", 84, ("missing-external-cause", "error")),
    ("", "N40", "female", 70, ("sex-limit", "warning")),
    ("", "P39.3", "male", 39, ("age-limit", "warning")),
])
def test_the_issues_examples_are_caught(catalog, procedures, diagnoses, sex, age, expected) -> None:
    assert expected in findings(catalog, procedures, diagnoses, sex, age)


def test_h259_goes_to_the_list_it_is_added_to(catalog) -> None:
    # OPCS-4 H25.9 is common (a sigmoidoscopy): the counts cannot question it. Added from the
    # diagnoses it is ICD-10 H25.9 (the add dialog searches that list's classification); added to
    # the procedures of a cataract episode instead, the episode has no diagnosis and is refused.
    assert findings(catalog, "C71.2 C75.1 Z94.2", "H25.9") == set()
    assert ("missing-primary-diagnosis", "error") in findings(catalog, "C71.2 C75.1 Z94.2 H25.9", "")


def test_a_right_episode_passes_with_nothing_said(catalog) -> None:
    assert findings(catalog, "W37.1 Z94.2", "M16.1") == set()
    assert findings(catalog, "", "J18.9 G30.1 F00.1 I10", "female", 87) == set()
    assert findings(catalog, "W46.1 Z94.3", "S72.0 W19.0 I10", "female", 84) == set()


def test_a_code_of_the_other_classification_in_a_list_names_the_list(catalog) -> None:
    [edit] = run_edits(["I50.0"], ["K57.8"], catalog)
    assert (edit.id, edit.severity, edit.position) == ("wrong-list", "error", 1)
    assert "procedures 1" in edit.message and "ICD-10 I50.0" in edit.message and "diagnoses" in edit.message
    [edit] = run_edits([], ["N40", "U20.2"], catalog)
    assert edit.id == "wrong-list" and "diagnoses 2" in edit.message and "OPCS-4 U20.2" in edit.message


def test_a_draft_or_a_packs_part_need_not_be_complete(catalog) -> None:
    # A draft (or a guidance's part of an episode) may lack the diagnosis, the side, the external cause.
    assert findings(catalog, "W37.1", "", finished=False) == set()
    assert findings(catalog, "", "S72.0", finished=False) == set()
    # What is wrong in it is still said.
    assert ("asterisk-primary", "error") in findings(catalog, "", "H36.0 E11.3", finished=False)
    assert ("external-cause-primary", "error") in findings(catalog, "", "W19.0 S72.0", finished=False)


@pytest.mark.parametrize(("diagnoses", "expected"), [
    ("E11.3 H36.0", set()),
    ("E11.3\u2020 H36.0*", set()),
    ("E11.3 H36.0 H28.0", set()),                          # one dagger, two of its asterisk codes
    ("H25.9 H36.0", {("asterisk-without-dagger", "error")}),   # H36.0 follows E10-E14 with .3 only
    ("E11.9 H36.0", {("asterisk-without-dagger", "error")}),
    ("G30.1 F00.1", set()),
    ("I10 F00.1", {("asterisk-without-dagger", "error")}),
    ("H36.0 E11.3", {("asterisk-primary", "error")}),
    ("D63.8", {("asterisk-primary", "error")}),
    ("N18.5 D63.8", set()),                                # an open reference: any code before it
])
def test_dagger_and_asterisk(catalog, diagnoses, expected) -> None:
    found = {f for f in findings(catalog, "", diagnoses) if f[0].startswith("asterisk")}
    assert found == expected


def test_external_causes(catalog) -> None:
    assert findings(catalog, "", "S72.0 W19.0") == set()
    assert findings(catalog, "", "T39.1 X60.0 F32.9", "female", 19) == set()
    assert ("missing-external-cause", "error") in findings(catalog, "", "T39.1 F32.9", "female", 19)
    assert ("external-cause-primary", "error") in findings(catalog, "", "W19.0 S72.0")


def test_laterality(catalog) -> None:
    assert findings(catalog, "C75.1 C71.2 Z94.2", "H25.1") == set()          # one side closes the run
    assert findings(catalog, "C71.2 Z94.2 C75.1 Z94.2", "H25.1") == set()
    assert ("laterality-missing", "error") in findings(catalog, "C75.1 C71.2", "H25.1")
    # A paired site code decides for an operation whose title names no organ (skin of arm).
    assert ("laterality-missing", "error") in findings(catalog, "S06.9 Z50.1", "D17.2")
    assert findings(catalog, "S06.9 Z50.1 Z94.3", "D17.2") == set()
    assert findings(catalog, "S06.9 Z49.4", "D17.1") == set()                 # skin of back: not checked
    assert ("laterality-unpaired", "warning") in findings(catalog, "H22.1 Z94.2", "K51.9")
    # Knee operations each with their site code, one side each.
    assert findings(catalog, "W80.2 Y76.7 Z84.6 Z94.2 W83.3 Z84.6 Z94.2", "M23.2") == set()


def test_sex_and_age_in_both_classifications(catalog) -> None:
    assert ("sex-limit", "warning") in findings(catalog, "M65.3", "N40", "female", 70)   # TURP too
    assert ("sex-limit", "warning") in findings(catalog, "Q07.4", "D25.9", "male", 47)
    assert ("age-limit", "warning") in findings(catalog, "R24.9", "O80.0 Z37.0", "female", 62)
    assert ("age-limit", "error") in findings(catalog, "", "Z38.0 P59.9", "male", 35)
    assert findings(catalog, "", "Z38.0 P59.9", "male", 0) == set()


def test_without_sex_or_age_the_limits_say_they_were_not_checked(catalog) -> None:
    assert findings(catalog, "W37.1 Z94.2", "M16.1", None, None) == {("patient-not-given", "note")}
    [note] = run_edits(["W37.1", "Z94.2"], ["M16.1"], catalog, patient=Patient(None, 70), finished=True)
    assert "sex is not given" in note.message and note.position is None
    # Asked of no patient at all (the linter, `code`): nothing is said.
    assert run_edits(["W37.1", "Z94.2"], ["M16.1"], catalog) == []


def test_every_rule_has_an_id_and_a_named_source() -> None:
    ids = [edit_id for edit_id, _ in EPISODE_CONVENTIONS]
    assert len(ids) == len(set(ids)) >= 12
    sources = {key for key, _ in EPISODE_SOURCES} | {"NCCS"}
    for _, text in EPISODE_CONVENTIONS[:-1]:
        assert "[" in text and all(part.strip() in sources for part in text[text.index("[") + 1:-1].split(","))
