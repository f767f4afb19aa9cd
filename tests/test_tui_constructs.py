"""Pilot tests for what issue 15 shows the coder: supersession, scope, preferred options, SNOMED CT."""

from __future__ import annotations

from tests.test_tui_flows import episodes
from tests.tui_flows import (
    SIZE,
    Keys,
    open_guidance,
    screen_name,
    wait_for,
    wait_for_screen,
    wait_ready,
)


async def guidance_then_c(pilot, query: str, screen: str = "WizardScreen") -> Keys:
    await wait_ready(pilot)
    keys = Keys(pilot)
    await open_guidance(pilot, keys, query)
    await keys.press("c")
    await wait_for_screen(pilot, screen)
    return keys


def text_of(app, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


async def test_a_withdrawn_guidance_asks_before_the_first_question(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        keys = await guidance_then_c(pilot, "ipg 7")
        await wait_for(pilot, lambda: app.screen.notice == "withdrawn", what="the withdrawn notice")
        assert "WITHDRAWN" in text_of(app, "#prompt") and app.screen.question is None
        await keys.press("2")
        await wait_for_screen(pilot, "GuidanceScreen")
        await keys.press("c")
        await wait_for(pilot, lambda: screen_name(app) == "WizardScreen" and app.screen.notice == "withdrawn",
                       what="the notice again")
        await keys.press("1")
        await wait_for(pilot, lambda: app.screen.question is not None, what="the first question")
        assert app.screen.question.id == "endoscopic"


async def test_outside_the_scope_the_wizard_hands_over_and_saves_nothing(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        keys = await guidance_then_c(pilot, "ipg 445")
        await wait_for(pilot, lambda: app.screen.question is not None, what="the first question")
        await keys.press("2")                       # another approach: outside the scope
        await wait_for(pilot, lambda: app.screen.notice == "handover", what="the hand-over notice")
        assert "covers only the percutaneous approach" in text_of(app, "#prompt")
        await keys.press("2")                       # change my last answer
        await wait_for(pilot, lambda: app.screen.question is not None and app.screen.question.id == "approach",
                       what="the approach question again")
        await keys.press("2")
        await wait_for(pilot, lambda: app.screen.notice == "handover", what="the hand-over notice")
        await keys.press("1")                       # leave and code by hand
        # The episode goes on without the guidance: the review, where codes are added by hand.
        await wait_for_screen(pilot, "ReviewScreen")
        assert app.keeper.current().packs == [] and app.keeper.current().codes == []
    assert episodes() == []


async def test_preferred_option_is_first_and_labelled(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await guidance_then_c(pilot, "ipg 405")
        await wait_for(pilot, lambda: app.screen.question is not None, what="the first question")
        choices = app.screen.query_one("#choices")
        assert choices.values[0] == "endoscopic" and "preferred by the guidance" in choices.labels[0]
        assert "preferred" not in choices.labels[1] and choices.highlighted is None


async def guidance_screen(pilot, query: str) -> Keys:
    await wait_ready(pilot)
    keys = Keys(pilot)
    await open_guidance(pilot, keys, query)
    return keys


async def test_replaced_guidance_and_snomed_are_shown(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        keys = await guidance_screen(pilot, "ipg 103")
        assert "REPLACED by IPG489 in May 2014" in text_of(app, "#pack-status")
        await keys.press("c")
        await wait_for_screen(pilot, "ReviewScreen")   # no questions: straight to the review
        assert "REPLACED BY IPG489" in text_of(app, "#review-caution")


async def test_snomed_concepts_beside_the_codes(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        keys = await guidance_screen(pilot, "ipg 8")
        assert "SNOMED CT diagnosis: Varicose veins of lower extremity (72866009)" in text_of(app, "#pack-status")
        await keys.press("c")
        await wait_for_screen(pilot, "ReviewScreen")
        await wait_for(pilot, lambda: app.screen.query_one("#review-snomed").display, what="the SNOMED line")
        assert "448606008" in text_of(app, "#review-snomed") and "72866009" in text_of(app, "#review-snomed")


async def test_wizard_shows_snomed_and_a_short_slot_scope(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await guidance_then_c(pilot, "ipg 309")
        await wait_for(pilot, lambda: app.screen.question is not None, what="the first question")
        assert app.screen.query_one("#wizard-snomed").display
        assert "48724000" in text_of(app, "#wizard-snomed")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await guidance_then_c(pilot, "ipg 403")
        await wait_for(pilot, lambda: app.screen.question is not None, what="the first question")
        placeholder = app.screen.query_one("#code-input").placeholder
        assert "chapters A-H, J-N, P-Z" in placeholder and "A, B, C" not in placeholder


async def test_search_rows_say_a_guidance_was_replaced_or_withdrawn(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await pilot.press(*"ipg 103")
        await wait_for(pilot, lambda: app.screen.shown_query == "ipg 103", what="results")
        rows = app.screen.query_one("#results").lines()
        row = next(r for r in rows if "IPG103" in r)
        assert "REPLACED" in row          # the whole "replaced by IPG489 (May 2014)" when it fits
        await pilot.press(*["backspace"] * 7, *"ipg 7")
        await wait_for(pilot, lambda: app.screen.shown_query == "ipg 7", what="results")
        rows = app.screen.query_one("#results").lines()
        assert any("IPG7 " in r and "WITHDRAWN" in r for r in rows)
