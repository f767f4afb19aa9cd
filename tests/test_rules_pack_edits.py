"""Pack-aware edits: derived from each pack's answer paths, never from hand-listed outcomes.

The pack logic does not depend on the classification data, so most tests run without a
catalog (catalog=None): only the pack's structure decides.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.core.rules import find_pack, load_pack_text, run_edits


def found(guidance: str, procedures: str, diagnoses: str = "") -> list[str]:
    return [r.id for r in run_edits(procedures.split(), diagnoses.split(), None, find_pack(guidance))
            if r.severity == "error"]


@pytest.mark.parametrize(("guidance", "procedures", "diagnoses", "edit"), [
    ("IPG75", "L80.4 Y53.4", "", "pack-missing-code"),                  # no stent type code
    ("IPG75", "L80.1 Y53.4", "", "pack-code-not-given"),                # a sibling the pack never gives
    ("IPG75", "L80.4 L80.2 L76.1 Y53.4", "", "pack-exclusive-codes"),   # both branches of "stent?"
    ("IPG75", "L76.1 L80.4 Y53.4", "", "pack-supplementary"),           # before the code it qualifies
    ("IPG75", "L80.2 Y53.4 Y53.4", "", "pack-duplicate-code"),
    ("IPG75", "L80.2 Y53.4 Y53.9", "", "pack-exclusive-codes"),
    ("IPG306", "V55.1 V36.1", "", "pack-order"),                        # V55.1 out of second place
    ("IPG414", "M02.9 Y75.2", "", "pack-code-not-given"),               # a specified 4th character needed
    ("IPG655", "K57.8 Y02.1 Z33.2 Z94.2", "I50.0 I50.9", "pack-exclusive-codes"),
    ("IPG655", "K57.8 Y02.1 Z33.2 Z94.2", "", "pack-missing-code"),
    ("IPG655", "K57.8 Y02.1 Z33.2 Z94.2 Y53.4", "I50.0", "pack-order"),
])
def test_wrong_sequences_are_caught(guidance, procedures, diagnoses, edit) -> None:
    assert edit in found(guidance, procedures, diagnoses)


def test_a_finding_names_the_rule_line_and_what_the_pack_would_give() -> None:
    pack = find_pack("IPG75")
    [finding] = [r for r in run_edits(["L80.1", "Y53.4"], [], None, pack) if r.id.startswith("pack-")]
    lines = Path(pack.path).read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(lines, start=1) if text.strip() == "- code: L80.2")
    assert f"IPG75.yaml:{line}" in finding.message
    assert "from L80 it gives L80.2, L80.3, L80.4" in finding.message
    assert finding.message.endswith("IPG75 would give: L80.2 Y53.4")
    assert finding.position == 1


@pytest.mark.parametrize("procedures", [
    "L80.4 L76.1 Y53.4",
    "L80.4 L89.9 Y53.9",                      # type known, number not documented
    "L80.4 L89.5 L76.1 Y53.4",                # two types in the other order
    "L80.4 L76.1 L89.5 L76.2 Y53.4",          # three types: the group's maximum
])
def test_every_instance_order_of_the_stent_group_is_right(procedures) -> None:
    assert found("IPG75", procedures) == []


@pytest.mark.parametrize("procedures", [
    "L80.4 L76.1 L89.5 L76.2 L89.6 Y53.4",    # four types: more than the pack allows
    "L80.4 L76.1 L76.3 Y53.4",                # one type, two counts
])
def test_impossible_stent_groups_are_caught(procedures) -> None:
    assert found("IPG75", procedures)


def test_another_procedure_in_the_episode_is_the_coders_business() -> None:
    assert found("IPG75", "L80.2 Y53.4 K57.8 Y02.1 Y53.9") == []
    assert found("IPG655", "K57.8 Y02.1 Z33.2 Z94.2 L80.2 Y53.4", "I50.9 E11.9") == []


def test_a_typed_code_is_any_code_of_the_question_scope() -> None:
    # IPG245: the coder types the chapter K mitral operation; any K code fits the slot.
    assert found("IPG245", "K34.1 Y74.1") == []
    assert found("IPG245", "K25.2 Y74.1") == []
    assert "pack-missing-code" in found("IPG245", "K25.2")


def test_a_sequence_the_pack_gives_overrides_a_general_convention() -> None:
    # IPG337 names Y53.4 in addition to Y53.2: right with the pack, one method too many without.
    assert found("IPG337", "E49.1 Y53.2 Y53.4") == []
    assert "image-control" in [r.id for r in run_edits(["E49.1", "Y53.2", "Y53.4"], [], None)]


def test_a_new_pack_is_covered_as_soon_as_it_loads() -> None:
    pack = load_pack_text(
        "id: T1\nguidance: T1\ntitle: t\nversion: '1'\nstatus: draft\n"
        "questions:\n  - id: side\n    kind: choice\n    prompt: Which side?\n    options:\n"
        "      - {value: right, label: Right, code: Z94.2}\n      - {value: left, label: Left, code: Z94.3}\n"
        "procedures:\n  - code: W37.1\n  - code: Z84.6\n  - from: side\n", "T1.yaml")
    check = lambda text: [r.id for r in run_edits(text.split(), [], None, pack)]  # noqa: E731
    assert check("W37.1 Z84.6 Z94.3") == []
    assert "pack-code-not-given" in check("W37.1 Z84.6 Z94.1")
    assert "pack-missing-code" in check("W37.1 Z84.6")
    assert check("W37.1 Z94.3 Z84.6") == ["pack-supplementary"]      # Z94.3 before the site it qualifies


def test_a_code_typed_twice_into_one_question_is_caught() -> None:
    # The wizard refuses a code entered twice; the same code twice in a slot of several is not a right path.
    assert "pack-duplicate-code" in found("IPG446", "X70.1 X70.1 S10.8 Y12.3 Z49.4 Z94.2")
    assert "pack-duplicate-code" in found("IPG340", "C35.1 C35.1", "H35.3")
    assert found("IPG446", "X70.1 X72.3 S10.8 Y12.3 Z49.4 Z50.1 Z94.2") == []     # two different codes: right


def test_any_number_of_further_spinal_operations_in_any_order() -> None:
    main = "V33.8 V55.1 Y53.4 V38.8 V55.1 Y53.4 Z67.6"
    assert found("IPG387", main) == []
    assert found("IPG387", f"{main} V38.2 V55.2 Y53.9 V25.2 V55.1 Y53.4 V26.1 V55.3 Y53.1") == []
    assert "code-position" in found("IPG387", f"{main} V25.2 Y53.4 V55.1")     # level and method swapped
    assert found("IPG387", f"{main} V25.2 V55.4 Y53.4")                         # V55.4: no such level given
