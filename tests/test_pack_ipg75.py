"""IPG75: every answer path against sequences written by hand from the seed document.

Seed: with a stent, L80.4 then one supplementary L76/L89 code per type of stent
(type and number), then Y53.x; without, L80.3 (cutting balloon) or L80.2, then Y53.x.
Y53.9 when the image control method is not stated. L80.2/L80.3 never with L80.4.
"""

from __future__ import annotations

import pytest

from tests.test_rules_support import code_catalog
from workbench.core.rules import enumerate_paths, evaluate, load_pack, run_edits
from workbench.core.rules.loader import PACKS_DIR

# By hand from the OPCS-4 titles of L76 and L89 (type, number) -> code.
NUMBERED = {
    ("metallic", "one"): "L76.1", ("metallic", "two"): "L76.3", ("metallic", "three_or_more"): "L76.5",
    ("plastic", "one"): "L76.2", ("plastic", "two"): "L76.4", ("plastic", "three_or_more"): "L76.6",
    ("drug_eluting", "one"): "L89.5", ("drug_eluting", "two"): "L89.1", ("drug_eluting", "three_or_more"): "L89.3",
    ("coated", "one"): "L89.6", ("coated", "two"): "L89.2", ("coated", "three_or_more"): "L89.4",
    # Type known, number not documented: the unspecified code of the type's category.
    ("metallic", "not_stated"): "L76.9", ("plastic", "not_stated"): "L76.9",
    ("drug_eluting", "not_stated"): "L89.9", ("coated", "not_stated"): "L89.9",
}
UNNUMBERED = {"metallic_embolic": "L76.7", "other": "L76.8", "other_eluting_coated": "L89.8", "not_stated": "L76.9"}
IMAGE = {"radiological": "Y53.1", "ultrasonic": "Y53.2", "ct": "Y53.3", "fluoroscopic": "Y53.4",
         "image_intensifier": "Y53.5", "video": "Y53.6", "mri": "Y53.7", "other": "Y53.8", "not_stated": "Y53.9"}


def stent_instances() -> list[tuple[str, str | None, str]]:
    """(type, number or None, code) for one type of stent."""
    return [(t, n, c) for (t, n), c in NUMBERED.items()] + [(t, None, c) for t, c in UNNUMBERED.items()]


def expected() -> dict[frozenset, tuple[str, ...]]:
    """Answers -> procedures, for one and two types of stent and for no stent."""
    out: dict[frozenset, tuple[str, ...]] = {}
    for image, y53 in IMAGE.items():
        for cutting, code in (("yes", "L80.3"), ("no", "L80.2")):
            answers = {"stent": "no", "cutting_balloon": cutting, "image_control": image}
            out[frozenset(answers.items())] = (code, y53)
        for first in stent_instances():
            # A second type of stent is tried with each type left and its first number ("one"):
            # every (type, number) code is already tried as the first type.
            seconds = [None] + [s for s in stent_instances() if s[0] != first[0] and s[1] in (None, "one")]
            for second in seconds:
                answers = {"stent": "yes", "image_control": image}
                codes = ["L80.4"]
                for number, instance in enumerate((first, second), start=1):
                    if instance is None:
                        continue
                    answers[f"stents.{number}.type"] = instance[0]
                    if instance[1] is not None:
                        answers[f"stents.{number}.number"] = instance[1]
                    codes.append(instance[2])
                answers["stents.1.another"] = "yes" if second else "no"
                if second:
                    answers["stents.2.another"] = "no"
                out[frozenset(answers.items())] = (*codes, y53)
    return out


@pytest.fixture(scope="module")
def pack():
    return load_pack(PACKS_DIR / "IPG75.yaml")


@pytest.fixture(scope="module")
def paths(pack):
    return enumerate_paths(pack)


def test_every_path_matches_the_seed(paths) -> None:
    actual = {frozenset(p.answers.items()): tuple(p.procedures) for p in paths}
    assert len(actual) == len(paths)
    assert actual == expected()
    assert all(p.diagnoses == [] for p in paths)


def test_every_type_count_and_method_is_reachable(paths) -> None:
    codes = {code for p in paths for code in p.procedures}
    assert codes == {"L80.2", "L80.3", "L80.4", *NUMBERED.values(), *UNNUMBERED.values(), *IMAGE.values()}


def test_angioplasty_never_with_stent(paths) -> None:
    for path in paths:
        assert not ({"L80.2", "L80.3"} & set(path.procedures) and "L80.4" in path.procedures)


def test_exclusion_is_declared_for_the_edits(pack, request) -> None:
    catalog = code_catalog(request)
    results = run_edits(["L80.4", "L80.2", "Y53.4"], [], catalog, pack)
    [excluded] = [r for r in results if r.id == "excluded-pair"]
    assert excluded.severity == "error" and excluded.position == 2
    # The pack's structure says the same: L80.2 comes from the "no stent" answer.
    assert "pack-exclusive-codes" in [r.id for r in results]


def test_cutting_balloon_is_asked_not_assumed(pack) -> None:
    result = evaluate(pack, {"stent": "no"})
    assert result.next_question.id == "cutting_balloon" and result.next_question.default is None


def test_type_known_number_not_documented(pack) -> None:
    answers = {"stent": "yes", "stents.1.type": "drug_eluting", "stents.1.number": "not_stated",
               "stents.1.another": "no", "image_control": "fluoroscopic"}
    assert [e.code for e in evaluate(pack, answers).procedures] == ["L80.4", "L89.9", "Y53.4"]


def test_every_path_passes_the_edits(pack, paths, request) -> None:
    catalog = code_catalog(request)
    for path in paths:
        assert run_edits(path.procedures, path.diagnoses, catalog, pack) == [], path.answers


def test_two_drug_eluting_stents_with_fluoroscopy_uses_defaults(pack) -> None:
    answers: dict[str, object] = {}
    asked = []
    for value in ("yes", "drug_eluting", "two", None, "fluoroscopic"):
        question = evaluate(pack, answers).next_question
        asked.append(question.id)
        answers[question.id] = question.default if value is None else value
    result = evaluate(pack, answers)
    assert asked == ["stent", "stents.1.type", "stents.1.number", "stents.1.another", "image_control"]
    assert result.complete
    assert [e.code for e in result.procedures] == ["L80.4", "L89.1", "Y53.4"]


def test_a_third_type_is_the_last(pack) -> None:
    answers = {"stent": "yes", "stents.1.type": "metallic", "stents.1.number": "one", "stents.1.another": "yes",
               "stents.2.type": "plastic", "stents.2.number": "two", "stents.2.another": "yes",
               "stents.3.type": "coated", "stents.3.number": "three_or_more", "image_control": "video"}
    result = evaluate(pack, answers)
    assert result.complete
    assert [e.code for e in result.procedures] == ["L80.4", "L76.1", "L76.4", "L89.4", "Y53.6"]
    assert "stents.3.another" not in result.answers
