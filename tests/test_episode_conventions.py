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


def test_laterality_straight_after_an_operation_that_names_no_site(catalog) -> None:
    # Injection into a joint, excision of a skin lesion, a tendon repair: the site code says which
    # joint or skin, and the side follows it (NCCS: procedure, method, site, laterality).
    assert ("laterality-without-site", "warning") in findings(catalog, "W90.3 Z94.2", "M17.1")
    assert ("laterality-without-site", "warning") in findings(catalog, "S06.9 Z94.2", "C44.7")
    assert findings(catalog, "W90.3 Z84.6 Z94.2", "M17.1") == set()
    assert findings(catalog, "W90.3 Y53.2 Z84.3 Z94.2", "M16.3", "male", 57) == set()
    assert findings(catalog, "T72.3 Z56.3 Z94.2", "M65.3") == set()
    # A title that names its site takes the side straight after it (hemiarthroplasty, palmar fascia).
    assert findings(catalog, "W46.1 Z94.3", "S72.0 W19.0") == set()
    assert findings(catalog, "T52.1 Z94.3", "M72.0", "male", 67) == set()


@pytest.mark.parametrize(("procedures", "diagnoses", "expected"), [
    # A title that states both sides needs no laterality code.
    ("M02.3", "N18.5", set()),
    ("T19.1", "K40.2", set()),
    ("C31.2", "H50.0", set()),
    # The review's corrections: a shoulder decompression has a side, a total thyroidectomy has none.
    ("O29.1 Y76.7", "M75.4", {("laterality-missing", "error")}),
    ("B08.1 Z94.2", "E05.0", {("laterality-unpaired", "warning")}),
    ("T87.3", "C50.9", {("laterality-missing", "error")}),
    ("W90.3 Z84.2 Z94.2", "M25.5", {("laterality-unpaired", "warning")}),   # pubic symphysis: midline
])
def test_laterality_rows_of_the_second_review(catalog, procedures, diagnoses, expected) -> None:
    found = {f for f in findings(catalog, procedures, diagnoses) if f[0].startswith("laterality")}
    assert found == expected


def test_codes_who_keeps_for_after_another_are_never_primary(catalog) -> None:
    assert ("secondary-code-primary", "error") in findings(catalog, "", "B96.2 N10", "female", 22)
    assert ("secondary-code-primary", "error") in findings(catalog, "R24.9", "Z37.0 O80.0", "female", 29)
    assert findings(catalog, "", "N10 B96.2", "female", 22) == set()
    assert findings(catalog, "R24.9", "O80.0 Z37.0", "female", 29) == set()
    # A draft is asked too: the order is wrong whatever else is missing.
    assert ("secondary-code-primary", "error") in findings(catalog, "", "U82.0 J18.9", finished=False)


@pytest.mark.parametrize(("procedures", "diagnoses", "sex", "age"), [
    ("A02.1 Z01.3", "C71.2 G40.9", "male", 50),     # a temporal lobe tumour (4,043 a year) with its operation
    ("", "C71.2 R56.8", "male", 50),
    ("N13.3 Z94.2 N13.2 Z94.1", "N44", "male", 15),   # reduction of torsion of testis (518 a year)
    ("J18.3 Y75.2", "K80.2 J44.9 E66.9", "female", 63),   # COPD beside a cholecystectomy: not OPCS-4 J44.9
    ("", "K51.9 M45 H20.1", "female", 58),          # iritis with ulcerative colitis and ankylosing spondylitis
    ("", "G45.9 I10 E78.5", "male", 60),            # a transient ischaemic attack admission
    ("", "R29.6 H25.9 I10", "female", 86),          # falls with cataract
])
def test_codes_in_regular_use_that_fit_their_episode_are_not_questioned(catalog, procedures, diagnoses, sex,
                                                                        age) -> None:
    assert ("likely-other-classification", "warning") not in findings(catalog, procedures, diagnoses, sex, age)


@pytest.mark.parametrize(("procedures", "diagnoses", "sex", "age", "code"), [
    ("", "K21.9 G45.9", "male", 63, "G45.9"),            # the endoscopy typed as a diagnosis
    ("", "I44.2 K60.1", "male", 78, "K60.1"),            # the pacemaker typed as a diagnosis
    ("C75.1 C71.2 Z94.2 H25.1", "I10", "female", 81, "H25.1"),   # the cataract typed as a procedure
    ("C75.1 Z94.2", "H25.1 C71.2", "female", 81, "C71.2"),       # the phaco typed as a diagnosis
    ("J18.9", "I10 E11.9", "female", 82, "J18.9"),       # the pneumonia typed as a procedure
])
def test_a_code_that_fits_its_episode_only_as_the_other_classifications_is_questioned(
        catalog, procedures, diagnoses, sex, age, code) -> None:
    edits = run_edits(procedures.split(), diagnoses.split(), catalog, patient=Patient(sex, age), finished=True)
    [edit] = [e for e in edits if e.id == "likely-other-classification"]
    assert edit.severity == "warning" and code in edit.message
    other = "OPCS-4" if edit.classification == "icd10" else "ICD-10"
    assert f"{other} {code}" in edit.message
