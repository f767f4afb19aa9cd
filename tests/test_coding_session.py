"""The episode being coded: guidance codes kept together, hand codes kept through any re-run."""

from __future__ import annotations

from dataclasses import dataclass

from workbench.core.episodes.session import HAND, CodingSession


@dataclass
class E:
    code: str
    classification: str
    reason: str = "rule"
    title: str = ""
    mark: str = ""


def ipg655(image: str) -> list[E]:
    return [E("K57.8", "opcs4"), E("Y02.1", "opcs4"), E(image, "opcs4"), E("Z94.2", "opcs4"), E("I50.0", "icd10")]


def test_hand_codes_survive_a_changed_answer_and_keep_their_place() -> None:
    session = CodingSession(details={"patient": "P1"})
    session.start_pack("IPG655", "IPG655")
    assert session.apply_pack("IPG655", ipg655("Y53.4"))
    session.add_code("icd10", "I48.9")
    session.add_code("opcs4", "U19.2")
    assert session.apply_pack("IPG655", ipg655("Y53.9"))
    assert session.procedures == ["K57.8", "Y02.1", "Y53.9", "Z94.2", "U19.2"]
    assert session.diagnoses == ["I50.0", "I48.9"]
    assert [c.source for c in session.of("icd10")] == ["IPG655", HAND]


def test_same_answers_keep_the_coders_order_and_removals() -> None:
    session = CodingSession()
    session.start_pack("IPG655", "IPG655")
    session.apply_pack("IPG655", ipg655("Y53.4"))
    session.remove("opcs4", 3)
    assert session.move("opcs4", 2, -1) == 1
    assert not session.apply_pack("IPG655", ipg655("Y53.4"))
    assert session.procedures == ["K57.8", "Y53.4", "Y02.1"]


def test_two_guidances_in_one_episode_each_keeps_its_codes_together() -> None:
    session = CodingSession()
    session.start_pack("IPG655", "IPG655")
    session.apply_pack("IPG655", ipg655("Y53.4"))
    session.start_pack("IPG75", "IPG75")
    session.apply_pack("IPG75", [E("L80.4", "opcs4"), E("Y53.4", "opcs4")])
    session.apply_pack("IPG655", ipg655("Y53.2"))
    assert session.procedures == ["K57.8", "Y02.1", "Y53.2", "Z94.2", "L80.4", "Y53.4"]
    answers = {"IPG655": {"image_control": "ultrasonic"}, "IPG75": {"stent": "yes"}}
    session.pack("IPG655").answers.update(answers["IPG655"])
    session.pack("IPG75").answers.update(answers["IPG75"])
    assert session.coding_answers() == {"image_control": "ultrasonic", "@IPG75": {"stent": "yes"}}
    session.drop_pack("IPG75")
    assert session.procedures == ["K57.8", "Y02.1", "Y53.2", "Z94.2"]


def test_state_round_trip_keeps_details_sources_and_answers() -> None:
    session = CodingSession(details={"patient": "P1", "episode": "E1", "date": "20/11/2025"}, worklist_item=4)
    run = session.start_pack("IPG655", "IPG655")
    run.answers["image_control"] = "fluoroscopic"
    session.apply_pack("IPG655", ipg655("Y53.4"), notes=["only one code"])
    session.add_code("icd10", "I48.9", "Atrial fibrillation")
    again = CodingSession.from_state(session.to_state())
    assert again == session
    assert again.sequence_text() == "K57.8 Y02.1 Y53.4 Z94.2 I50.0 I48.9"


def test_an_amend_state_adopts_the_guidance_codes_and_leaves_the_rest_by_hand() -> None:
    state = {"version": 1, "stage": "review", "guidance_id": "IPG655", "pack_id": "IPG655",
             "answers": {"image_control": "fluoroscopic", "@IPG75": {"stent": "no"}}, "amend_of": 7,
             "procedures": ["K57.8", "Y02.1", "Y53.4", "Z94.2"], "diagnoses": ["I50.0", "I48.9"],
             "details": {"patient": "P", "episode": "E", "date": "2024-01-01", "nhs": ""}}
    session = CodingSession.from_state(state)
    assert session.amend_of == 7 and [p.pack_id for p in session.packs] == ["IPG655", "IPG75"]
    assert session.pack("IPG655").answers == {"image_control": "fluoroscopic"}
    session.adopt_pack("IPG655", ipg655("Y53.4"))
    assert [c.source for c in session.of("icd10")] == ["IPG655", HAND]
    assert session.apply_pack("IPG655", ipg655("Y53.9"))
    assert session.diagnoses == ["I50.0", "I48.9"] and "Y53.9" in session.procedures


def test_the_copied_sequence_keeps_dagger_and_asterisk_marks() -> None:
    session = CodingSession()
    session.start_pack("X", "X")
    session.apply_pack("X", [E("A17.0", "icd10", mark="dagger"), E("G01", "icd10", mark="asterisk"),
                             E("A01.1", "opcs4")])
    assert session.sequence_text() == "A01.1 A17.0† G01*"
