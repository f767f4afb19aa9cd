"""Pilot tests of the review form's patient details and the save's safety nets: sex and age,
dagger/asterisk marks kept in the log, the save id kept in the draft, and a duplicate
episode saved only with a stated reason (issues 10 and 12)."""

from __future__ import annotations

from pathlib import Path

from tests.tui_flows import (
    SIZE,
    import_worklist,
    screen_name,
    wait_for,
    wait_for_screen,
    wait_ready,
)
from workbench.core.episodes import EpisodeLog
from workbench.core.episodes.identity import os_login
from workbench.core.episodes.session import HAND, CodingSession, SessionCode
from workbench.core.paths import log_path

LOGIN = os_login()   # the identity every save and draft records


def episodes() -> list:
    return EpisodeLog(log_path()).list()


def hand(code: str, mark: str = "", classification: str = "icd10") -> SessionCode:
    return SessionCode(classification, code, HAND, "Added by the coder", mark=mark)


async def open_review(pilot, session: CodingSession):
    """The review of ``session`` (codes already chosen), once its checks have run."""
    await wait_ready(pilot)
    pilot.app.keeper.begin(session)
    pilot.app.show_review()
    await wait_for_screen(pilot, "ReviewScreen")
    review = pilot.app.screen
    await wait_for(pilot, lambda: review.checked, what="the checks")
    return review


def details(**more: str) -> dict[str, str]:
    return {"patient": "P1", "episode": "E1", "date": "2024-03-01", **more}


async def save_and_wait(pilot) -> None:
    await pilot.press("ctrl+s")
    await wait_for_screen(pilot, "SearchScreen", timeout=10)


# ------------------------------------------------------------------ sex and age


async def test_sex_and_age_typed_are_saved(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        review = await open_review(pilot, CodingSession(details=details(), codes=[hand("I50.0")]))
        review.query_one("#sex").focus()
        await pilot.press("f", "tab", "7", "2")
        await pilot.pause()
        assert app.focused.id == "age"
        assert app.keeper.current().details["sex"] == "f"
        assert app.keeper.current().details["age"] == "72"
        assert str(review.query_one("#age-message").visual) == ""
        await save_and_wait(pilot)
    [saved] = episodes()
    assert (saved.details.sex, saved.details.age) == ("female", 72)
    assert EpisodeLog(log_path()).get(saved.id).details.age == 72


async def test_a_bad_age_and_sex_are_refused_beside_the_field(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        review = await open_review(pilot, CodingSession(details=details(), codes=[hand("I50.0")]))
        review.query_one("#sex").focus()
        await pilot.press("x", "tab", *"200")
        await pilot.pause()
        assert "m or f" in str(review.query_one("#sex-message").visual)
        assert "0 to 130" in str(review.query_one("#age-message").visual)
        await pilot.press("ctrl+s")
        await pilot.pause(0.3)
        assert screen_name(app) == "ReviewScreen"
        assert app.focused.id == "sex"          # the first field with a problem
        assert episodes() == []
        review.query_one("#sex").value = "m"
        review.query_one("#age").value = "64"
        await pilot.pause()
        assert str(review.query_one("#age-message").visual) == ""
        await save_and_wait(pilot)
    [saved] = episodes()
    assert (saved.details.sex, saved.details.age) == ("male", 64)


async def test_worklist_sex_and_age_fill_the_form(make_app, isolated_home: Path) -> None:
    text = ("patient,episode,start_date,sex,age\n"
            "WL010,SP010,03/11/2025,F,58\n")
    import_worklist(isolated_home, text)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        app.action_open_worklist()
        await wait_for(pilot, lambda: screen_name(app) == "WorklistScreen" and app.screen.items,
                       what="the worklist")
        await pilot.press("enter")
        await wait_for_screen(pilot, "SearchScreen")
        app.keeper.current().add_code("icd10", "I50.0")
        app.show_review()
        await wait_for_screen(pilot, "ReviewScreen")
        review = app.screen
        assert (review.query_one("#sex").value, review.query_one("#age").value) == ("f", "58")


# ------------------------------------------------------------------ dagger and asterisk


async def test_a_dagger_asterisk_pair_keeps_its_marks_in_the_log(make_app) -> None:
    app = make_app()
    codes = [hand("A17.0", "dagger"), hand("G01", "asterisk")]
    async with app.run_test(size=SIZE) as pilot:
        review = await open_review(pilot, CodingSession(details=details(), codes=codes))
        assert not [e for e in review.edits if e.severity == "error"], [e.message for e in review.edits]
        await save_and_wait(pilot)
    [saved] = episodes()
    assert [(e.code, e.mark) for e in saved.latest.coding.diagnoses] == [("A17.0", "dagger"), ("G01", "asterisk")]
    assert [e.shown() for e in saved.latest.coding.diagnoses] == ["A17.0\u2020", "G01*"]
    assert EpisodeLog(log_path()).verify().ok   # the marked code rows are part of the chain


async def test_the_review_checks_an_asterisk_code_first_and_alone(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        review = await open_review(pilot, CodingSession(details=details(), codes=[hand("G01", "asterisk")]))
        ids = {e.id for e in review.edits}
        assert "asterisk-primary" in ids
        assert "asterisk code" in str(review.query_one("#edits").visual)
        await pilot.press("ctrl+s")
        await wait_for_screen(pilot, "TextModal")   # an error: saved only with a reason
        await pilot.press("escape")
        await wait_for_screen(pilot, "ReviewScreen")
    assert episodes() == []


# ------------------------------------------------------------------ save id and duplicates


async def test_the_save_id_is_kept_in_the_draft_and_used_by_the_save(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_review(pilot, CodingSession(details=details(), codes=[hand("I50.0")]))
        save_id = app.keeper.current().save_id
        assert len(save_id) == 32 and int(save_id, 16) >= 0
        await wait_for(pilot, lambda: EpisodeLog(log_path()).drafts(LOGIN), what="the draft")
        [draft] = EpisodeLog(log_path()).drafts(LOGIN)
        assert draft.state["save_id"] == save_id
        assert CodingSession.from_state(draft.state).save_id == save_id   # a resumed draft reuses it
        await save_and_wait(pilot)
    [saved] = episodes()
    with EpisodeLog(log_path()) as log:
        receipt = log.connection.execute("SELECT episode_id FROM save_receipt WHERE save_id = ?",
                                         (save_id,)).fetchone()
    assert receipt == (saved.id,)


async def test_a_retried_save_returns_the_first_episode(make_app) -> None:
    """A save whose result was lost (a crash after COMMIT) retried from its draft state."""
    app = make_app()
    session = CodingSession(details=details(), codes=[hand("I50.0")])
    state = session.to_state()
    async with app.run_test(size=SIZE) as pilot:
        await open_review(pilot, session)
        await save_and_wait(pilot)
        await open_review(pilot, CodingSession.from_state(state))
        await save_and_wait(pilot)
    assert len(episodes()) == 1


async def test_a_duplicate_save_says_which_episode_and_saves_with_a_reason(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_review(pilot, CodingSession(details=details(), codes=[hand("I50.0")]))
        await save_and_wait(pilot)
        [first] = episodes()
        await open_review(pilot, CodingSession(details=details(), codes=[hand("I50.9")]))
        await pilot.press("ctrl+s")
        await wait_for_screen(pilot, "TextModal")
        assert f"Episode {first.id} has the same patient" in str(app.screen.query_one("#modal-message").visual)
        assert len(episodes()) == 1
        await pilot.press("escape")                   # nothing saved; the review is as it was
        await wait_for_screen(pilot, "ReviewScreen")
        assert len(episodes()) == 1 and not app.screen.saving
        await pilot.press("ctrl+s")
        await wait_for_screen(pilot, "TextModal")
        await pilot.press(*"second admission same day", "enter")
        await wait_for_screen(pilot, "SearchScreen", timeout=10)
    saved = episodes()
    assert len(saved) == 2
    second = next(s for s in saved if s.id != first.id)
    assert second.latest.reason and "second admission same day" in second.latest.reason
    assert f"episode {first.id}" in second.latest.reason


async def test_a_near_duplicate_asks_for_a_reason_as_an_exact_one_does(make_app) -> None:
    """Issue 25: 'e 1' and full-width 'Ｅ1' are the episode 'E1' typed differently."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_review(pilot, CodingSession(details=details(), codes=[hand("I50.0")]))
        await save_and_wait(pilot)
        [first] = episodes()
        await open_review(pilot, CodingSession(details=details(episode="Ｅ 1", patient="p1"), codes=[hand("I50.9")]))
        await pilot.press("ctrl+s")
        await wait_for_screen(pilot, "TextModal")
        message = str(app.screen.query_one("#modal-message").visual)
        assert f"Episode {first.id} has nearly the same patient and episode reference" in message
        assert len(episodes()) == 1
        await pilot.press(*"another spell", "enter")
        await wait_for_screen(pilot, "SearchScreen", timeout=10)
    assert len(episodes()) == 2
