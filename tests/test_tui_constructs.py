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
    wizard_from_launch,
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


# ---- issue 24: the same keys everywhere, a guidance's population, replaced numbers ----------------

async def test_an_answer_keeps_its_key_in_every_pack(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        keys = await guidance_then_c(pilot, "ipg 387")
        await wait_for(pilot, lambda: app.screen.question is not None, what="the first question")
        choices = app.screen.query_one("#choices")
        labels = [str(choices.get_option_at_index(i).prompt) for i in range(choices.option_count)]
        assert labels[0].startswith("1 One level") and labels[1].startswith("9 Levels not stated")
        await keys.press("2")                        # no option has key 2 here: nothing is answered
        await pilot.pause()
        assert app.screen.question.id == "levels"
        await keys.press("9")
        await wait_for(pilot, lambda: app.screen.question.id == "image_control", what="the image control question")
        labels = [str(choices.get_option_at_index(i).prompt) for i in range(choices.option_count)]
        assert labels[0].startswith("4 Fluoroscopy") and labels[1].startswith("9 Method not stated")
        await keys.press("4")
        await wait_for(pilot, lambda: app.screen.question.id == "further", what="the next question")
        assert app.screen.answers["levels"] == "not_stated" and app.screen.answers["image_control"] == "fluoroscopic"


async def test_a_guidance_for_infants_says_so_for_an_adult_episode(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        app.keeper.current().details.update(age="58", sex="m")
        keys = Keys(pilot)
        await open_guidance(pilot, keys, "ipg 75")
        await wait_for(pilot, lambda: "CAUTION" in text_of(app, "#pack-status"), what="the caution")
        assert "IPG75 is for infants (aged 1 or under); this patient is aged 58" in text_of(app, "#pack-status")
        await keys.press("c")
        await wait_for_screen(pilot, "WizardScreen")
        await wait_for(pilot, lambda: app.screen.query_one("#wizard-caution").display, what="the caution line")
        assert "is for infants" in text_of(app, "#wizard-caution")


async def test_without_age_or_sex_nothing_is_said(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wizard_from_launch(pilot, "ipg75")
        assert not app.screen.query_one("#wizard-caution").display      # IPG75 is approved and complete


async def test_a_replaced_number_finds_the_guidance_that_replaced_it(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await pilot.press(*"ipg 124")
        await wait_for(pilot, lambda: app.screen.shown_query == "ipg 124", what="results")
        rows = app.screen.query_one("#results").lines()
        assert "IPG476" in rows[0] and "replaces IPG124" in rows[0]


async def test_a_further_spinal_operation_is_typed_then_its_level_and_method_chosen(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        keys = await guidance_then_c(pilot, "ipg 387")
        await wait_for(pilot, lambda: app.screen.question is not None, what="the first question")
        await keys.press("1", "4", "1")                  # one level, fluoroscopy, further operations: yes
        await wait_for(pilot, lambda: app.screen.question and app.screen.question.id == "operations.1.operation",
                       what="the further operation's code")
        await keys.press(*"v252", "enter")
        await wait_for(pilot, lambda: app.screen.question.id == "operations.1.operation_levels", what="its level")
        await keys.press("2", "9")                       # two levels; method not stated (Y53.9, key 9)
        await wait_for(pilot, lambda: app.screen.question.id == "operations.1.operation_site", what="a site?")
        await keys.press("2")                            # no site code (asked, no default: review of issue 24)
        await wait_for(pilot, lambda: app.screen.question.id == "operations.1.another", what="another?")
        await keys.press("enter")                        # no other operation (the default)
        await wait_for_screen(pilot, "ReviewScreen")
        codes = [r.code for r in app.screen.rows["opcs4"]]
        assert codes == ["V33.8", "V55.1", "Y53.4", "V38.8", "V55.1", "Y53.4", "Z67.6", "V25.2", "V55.2", "Y53.9"]
