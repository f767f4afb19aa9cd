"""Convention edits without a pack: stents, image control, laterality, angioplasty, empty episodes.

The stent and angioplasty rules read the loaded classification's titles; these tests give them
a small catalog of real OPCS-4 titles, so they hold with any data the project embeds.
"""

from __future__ import annotations

import pytest

from workbench.core.rules import run_edits
from workbench.core.rules.codes import OPCS4, MappingCatalog
from workbench.core.rules.conventions import CONVENTIONS
from workbench.core.rules.vocabulary import build_vocabulary

TITLES = {
    "L13.4": "Percutaneous transluminal balloon angioplasty of pulmonary artery",
    "L13.6": "Percutaneous transluminal insertion of stent into pulmonary artery",
    "L76.1": "Endovascular placement of one metallic stent",
    "L76.3": "Endovascular placement of two metallic stents",
    "L76.2": "Endovascular placement of one plastic stent",
    "L76.9": "Unspecified endovascular placement of stent",
    "L80.2": "Percutaneous transluminal balloon angioplasty of pulmonary vein",
    "L80.3": "Percutaneous transluminal cutting balloon angioplasty of pulmonary vein",
    "L80.4": "Percutaneous transluminal insertion of stent into pulmonary vein",
    "L89.5": "Endovascular placement of one drug-eluting stent",
    "L89.1": "Endovascular placement of two drug-eluting stents",
    "L89.9": "Unspecified other endovascular placement of stent",
    "M33.6": "Percutaneous removal of ureteric stent from ureter NEC",
    "Y53.4": "Approach to organ under fluoroscopic control",
    "Y53.9": "Unspecified approach to organ under image control",
    "Y68.1": "Approach to organ under contrast enhanced ultrasonic control",
}


@pytest.fixture
def titled() -> MappingCatalog:
    return MappingCatalog({(OPCS4, code): title for code, title in TITLES.items()})


def ids(results) -> list[tuple[str, int | None]]:
    return [(r.id, r.position) for r in results]


def errors(procedures: str, catalog=None, **kwargs) -> list[str]:
    return [r.id for r in run_edits(procedures.split(), [], catalog, **kwargs) if r.severity == "error"]


def test_angioplasty_pairs_come_from_the_titles() -> None:
    words = build_vocabulary(TITLES)
    assert words.angioplasty_in == {"L80.4": {"L80.2", "L80.3"}, "L13.6": {"L13.4"}}
    assert "M33.6" not in words.stent_insertions          # removal of a stent inserts nothing
    assert words.stent_type["L76.1"] == words.stent_type["L76.3"] != words.stent_type["L76.2"]
    assert words.stent_type["L76.9"] != words.stent_type["L89.9"]


@pytest.mark.parametrize("sequence", ["L80.4 L80.2 Y53.4", "L80.3 L80.4 L76.1", "L13.6 L13.4"])
def test_angioplasty_with_the_stent_of_the_same_vessel(titled, sequence) -> None:
    assert "angioplasty-with-stent" in errors(sequence, titled)


def test_angioplasty_of_another_vessel_is_not_implicit(titled) -> None:
    assert "angioplasty-with-stent" not in errors("L80.4 L76.1 L13.4 Y53.4", titled)


@pytest.mark.parametrize(("sequence", "position"), [
    ("L76.1 L80.4 Y53.4", 1),            # before the stent code
    ("L80.2 L76.1 Y53.4", 2),            # after an angioplasty, no stent
    ("L80.4 Y53.4 L76.1", 3),            # not directly after the insertion
])
def test_stent_codes_only_directly_after_a_stent_insertion(titled, sequence, position) -> None:
    results = [r for r in run_edits(sequence.split(), [], titled) if r.id == "stent-supplementary"]
    assert [r.position for r in results] == [position]


def test_one_stent_code_per_type(titled) -> None:
    assert ids([r for r in run_edits(["L80.4", "L76.1", "L76.3", "Y53.4"], [], titled)]) == [("stent-supplementary", 3)]
    # Two types, one code each, chained after the insertion: right.
    assert run_edits(["L80.4", "L76.1", "L89.5", "L76.2", "Y53.4"], [], titled) == []


@pytest.mark.parametrize("sequence", ["L80.2 Y53.4 Y53.9", "L80.2 Y53.4 Y68.1"])
def test_one_image_control_method_per_procedure(titled, sequence) -> None:
    assert ids(run_edits(sequence.split(), [], titled)) == [("image-control", 3)]


def test_each_procedure_may_have_its_own_image_control(titled) -> None:
    assert run_edits(["L80.2", "Y53.4", "L13.4", "Y53.9"], [], titled) == []


@pytest.mark.parametrize("sequence", [
    "C75.1 C71.2 Z94.2",          # the procedure's title fixes the site (issue 13)
    "M02.5 Y75.2 Z94.3",          # laterality after the procedure's method code
    "W37.1 Z94.2",
    "L71.2 Y53.4 O28.8 Z94.2",    # a chapter O site code counts as a site
    "W83.5 Y13.4 Z84.6 Z94.2",
    "X01.1 Z12.3 Z94.2 Z13.4 Z94.3",   # one laterality after each of two sites
    "X01.1 Z12.3 Z94.2 Z13.4 Z94.2",   # the same side after each of two sites: no duplicate (IPG446)
])
def test_right_laterality_is_not_refused(sequence) -> None:
    assert run_edits(sequence.split(), [], None) == []


@pytest.mark.parametrize(("sequence", "position"), [
    ("W83.5 Z94.2 Z84.6", 2),     # the site comes after its laterality
    ("K57.8 Z33.2 Y53.4 Z94.2", 4),   # a method code between the site and its laterality
    ("K57.8 Z33.2 Z94.2 Z94.3", 4),   # two sides for one site
])
def test_wrong_laterality_is_refused(sequence, position) -> None:
    results = [r for r in run_edits(sequence.split(), [], None) if r.id == "laterality-position"]
    assert [r.position for r in results] == [position]


def test_laterality_first_is_the_y_z_first_edit() -> None:
    assert errors("Z94.2 W37.1") == ["y-z-first"]


def test_an_episode_with_a_guidance_needs_a_procedure() -> None:
    assert errors("", guidance="IPG444") == ["missing-procedure"]
    assert errors("") == []


def test_every_convention_is_documented_with_a_source() -> None:
    assert {edit_id for edit_id, _ in CONVENTIONS} >= {
        "y-z-first", "laterality-position", "stent-supplementary", "image-control",
        "angioplasty-with-stent", "missing-procedure"}
    assert all(text for _, text in CONVENTIONS)


def test_f1_on_the_review_lists_every_check_with_its_source() -> None:
    from workbench.core.rules.conventions import SOURCES
    from workbench.tui.help import markdown

    text = markdown("review", {})
    for edit_id, _ in CONVENTIONS:
        assert f"`{edit_id}`" in text
    for key, _ in SOURCES:
        assert f"[{key}]" in text
    assert "### The checks" not in markdown("search", {})
