"""IPG655: every answer path against sequences written by hand from the seed document.

Seed: K57.8, Y02.1, then one Y53.x/Y68.x code only if image control was used (Y53.9
when the method is not stated), Z33.2, Z33.6 only for right-atrial leads, Z94.2.
Diagnosis I50.0 when congestive heart failure is documented, else I50.9.
"""

from __future__ import annotations

import itertools

import pytest

from tests.test_rules_support import code_catalog
from workbench.core.rules import enumerate_paths, evaluate, load_pack, run_edits
from workbench.core.rules.loader import PACKS_DIR

# Image control answer -> the code the seed allows (by hand from the OPCS-4 titles).
IMAGE_CODES = {
    "none": [],
    "radiological": ["Y53.1"],
    "ultrasonic": ["Y53.2"],
    "ct": ["Y53.3"],
    "fluoroscopic": ["Y53.4"],
    "image_intensifier": ["Y53.5"],
    "video": ["Y53.6"],
    "mri": ["Y53.7"],
    "other_y53": ["Y53.8"],
    "contrast_ultrasound": ["Y68.1"],
    "other_y68": ["Y68.8"],
    "other_y68_not_stated": ["Y68.9"],
    "not_stated": ["Y53.9"],
}


def expected_paths() -> dict[tuple, tuple[tuple[str, ...], tuple[str, ...]]]:
    out = {}
    for image, right_atrial, congestive in itertools.product(IMAGE_CODES, ("yes", "no"), ("yes", "no")):
        procedures = ["K57.8", "Y02.1", *IMAGE_CODES[image], "Z33.2"]
        if right_atrial == "yes":
            procedures.append("Z33.6")
        procedures.append("Z94.2")
        diagnoses = ["I50.0"] if congestive == "yes" else ["I50.9"]
        out[(image, right_atrial, congestive)] = (tuple(procedures), tuple(diagnoses))
    return out


@pytest.fixture(scope="module")
def pack():
    return load_pack(PACKS_DIR / "IPG655.yaml")


def test_every_path_matches_the_seed(pack) -> None:
    actual = {}
    for path in enumerate_paths(pack):
        key = (path.answers["image_control"], path.answers["right_atrial_lead"], path.answers["congestive"])
        assert key not in actual, f"two paths for {key}"
        actual[key] = (tuple(path.procedures), tuple(path.diagnoses))
    assert actual == expected_paths()


def test_final_sequences_are_exactly_those_the_seed_allows(pack) -> None:
    sequences = {(tuple(p.procedures), tuple(p.diagnoses)) for p in enumerate_paths(pack)}
    assert sequences == set(expected_paths().values())


def test_acceptance_fluoroscopy_right_atrium_congestive(pack) -> None:
    result = evaluate(pack, {"image_control": "fluoroscopic", "right_atrial_lead": "yes", "congestive": "yes"})
    assert result.complete
    assert [e.code for e in result.procedures] == ["K57.8", "Y02.1", "Y53.4", "Z33.2", "Z33.6", "Z94.2"]
    assert [e.code for e in result.diagnoses] == ["I50.0"]
    assert [e.position for e in result.procedures] == [1, 2, 3, 4, 5, 6]
    assert all(e.reason and e.source for e in result.procedures + result.diagnoses)


def test_three_questions_in_seed_order_without_defaults(pack) -> None:
    # The seed offers I50.9 or I50.0 with no default: the record decides, Enter does not.
    asked = []
    answers: dict[str, object] = {}
    for value in ("fluoroscopic", "yes", "yes"):
        question = evaluate(pack, answers).next_question
        asked.append((question.id, question.kind, question.default))
        answers[question.id] = value
    assert asked == [("image_control", "choice", None), ("right_atrial_lead", "yesno", None),
                     ("congestive", "yesno", None)]
    assert evaluate(pack, answers).complete


def test_method_not_stated_says_why(pack) -> None:
    result = evaluate(pack, {"image_control": "not_stated", "right_atrial_lead": "no", "congestive": "no"})
    y53 = next(e for e in result.procedures if e.code == "Y53.9")
    assert ".9" in y53.reason


def test_every_path_passes_the_edits(pack, request) -> None:
    catalog = code_catalog(request)
    for path in enumerate_paths(pack, catalog):
        assert run_edits(path.procedures, path.diagnoses, catalog, pack) == [], path.answers


@pytest.mark.parametrize(("procedures", "diagnoses", "edit"), [
    ("K57.8 Z33.2 Z94.2 Y53.4", "I50.0", "pack-supplementary"),           # no Y02.1, Y53.4 after the sites
    ("K57.8 Y02.1 Z33.2 Z94.3", "I50.0", "pack-code-not-given"),          # left side: the pack gives Z94.2
    ("K57.8 Y02.1 Z33.2 Z94.2", "I50.0 I50.9", "pack-exclusive-codes"),   # congestive and not
    ("K57.8 Y02.1 Z33.2 Y53.4 Z94.2", "I50.0", "laterality-position"),    # method between site and side
])
def test_wrong_sequences_are_refused(pack, request, procedures, diagnoses, edit) -> None:
    catalog = code_catalog(request)
    results = run_edits(procedures.split(), diagnoses.split(), catalog, pack)
    assert edit in [r.id for r in results if r.severity == "error"], results


def test_titles_come_from_the_catalog(pack, request) -> None:
    catalog = code_catalog(request)
    result = evaluate(pack, {"image_control": "fluoroscopic", "right_atrial_lead": "yes", "congestive": "yes"},
                      catalog)
    assert result.procedures[0].title == catalog.title("opcs4", "K57.8")
    assert result.diagnoses[0].title == catalog.title("icd10", "I50.0")
    assert all(e.title for e in result.procedures + result.diagnoses)
