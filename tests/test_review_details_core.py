"""Core rules behind the review form's sex and age, and the session's save id (issues 10, 12)."""

from __future__ import annotations

import pytest

from workbench.core.episodes.session import HAND, CodingSession, SessionCode
from workbench.core.episodes.session_rules import patient_of, session_edits
from workbench.core.episodes.validate import detail_problem


@pytest.mark.parametrize(("field", "value", "problem"), [
    ("sex", "", ""), ("sex", "m", ""), ("sex", "Female", ""), ("sex", "u", "m or f"),
    ("age", "", ""), ("age", "0", ""), ("age", "130", ""), ("age", "131", "whole years, 0 to 130"),
    ("age", "4.5", "whole years, 0 to 130"), ("age", "-1", "whole years, 0 to 130"),
])
def test_detail_problem_for_sex_and_age(field: str, value: str, problem: str) -> None:
    assert detail_problem(field, value) == problem


def test_sex_and_age_being_typed_count_as_not_given() -> None:
    assert patient_of(CodingSession(details={"sex": "F", "age": "7"})) == ("female", 7)
    assert patient_of(CodingSession(details={"sex": "x", "age": "2000"})) == (None, None)


def test_session_edits_include_the_dagger_and_asterisk_checks(catalog) -> None:
    alone = CodingSession(codes=[SessionCode("icd10", "G01", HAND, "r", mark="asterisk")])
    assert "asterisk-primary" in {e.id for e in session_edits(alone, catalog, [])}
    paired = CodingSession(codes=[SessionCode("icd10", "A17.0", HAND, "r", mark="dagger"),
                                  SessionCode("icd10", "G01", HAND, "r", mark="asterisk")])
    assert not {e.id for e in session_edits(paired, catalog, [])} & {"asterisk-primary", "asterisk-without-dagger"}


def test_the_save_id_survives_the_draft_and_differs_between_episodes() -> None:
    session = CodingSession(details={"patient": "P", "sex": "m", "age": "40"})
    again = CodingSession.from_state(session.to_state())
    assert again.save_id == session.save_id
    assert (again.details["sex"], again.details["age"]) == ("m", "40")
    assert CodingSession().save_id != session.save_id
    assert CodingSession.from_state({"version": 1, "stage": "wizard"}).save_id   # an old draft gets one


def test_a_worklist_item_fills_sex_and_age_but_not_an_unknown_sex() -> None:
    import datetime as dt

    from workbench.core.episodes.worklist import WorklistItem

    def item(sex: str | None, age: int | None) -> WorklistItem:
        return WorklistItem(1, "P", None, "E", dt.date(2025, 1, 1), None, None, None, sex, age, "open", None, None)

    assert {k: v for k, v in item("F", 0).details().items() if k in ("sex", "age")} == {"sex": "f", "age": "0"}
    assert "sex" not in item("U", None).details() and "age" not in item("U", None).details()
