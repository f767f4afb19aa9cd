"""Pilot tests of whole episodes: the worklist, coding without guidance, two guidances in one
episode, hand codes kept through the wizard, drafts with details, keys past 9, copying."""

from __future__ import annotations

from pathlib import Path

from tests.tui_flows import (
    SIZE,
    Keys,
    add_by_search,
    answer,
    import_worklist,
    on_worklist,
    open_guidance,
    screen_name,
    start_wizard,
    wait_for,
    wait_for_screen,
    wait_ready,
    wizard_from_launch,
    worklist_free_coding,
    worklist_ipg655,
)
from workbench.core.episodes.identity import os_login

LOGIN = os_login()   # the identity every save and draft records


def log():
    from workbench.core.episodes import EpisodeLog
    from workbench.core.paths import log_path

    return EpisodeLog(log_path())


def worklist():
    from workbench.core.episodes.worklist import Worklist

    return Worklist(log())


def codes(summary) -> tuple[list[str], list[str]]:
    coding = summary.latest.coding
    return [e.code for e in coding.procedures], [e.code for e in coding.diagnoses]


async def test_worklist_episode_with_ipg655_in_at_most_8_keys_then_n_opens_the_next(
        make_app, isolated_home: Path) -> None:
    import_worklist(isolated_home)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        keys = Keys(pilot)
        await worklist_ipg655(pilot, keys)
        # Search text "655" is typed through Keys too: 3 of the count.
        assert keys.count - 3 <= 8, keys.pressed
        [saved] = log().list()
        assert saved.details.patient == "WL001" and saved.details.episode == "SP001"
        assert str(saved.details.date) == "2025-11-03" and saved.details.specialty == "Cardiology"
        first = worklist().items(status="coded")[0]
        assert first.episode_id == saved.id
        await pilot.press("n")
        await wait_for_screen(pilot, "SearchScreen")
        assert app.keeper.session.details["patient"] == "WL002"
        assert "WL002" in app.sub_title


async def test_worklist_episode_without_guidance_in_at_most_20_keys(make_app, isolated_home: Path) -> None:
    import_worklist(isolated_home)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        keys = Keys(pilot)
        typed = await worklist_free_coding(pilot, keys)
        assert typed == 16 and keys.count <= 20, keys.pressed
    [saved] = log().list()
    assert codes(saved) == (["K57.8", "Y53.4"], ["I50.0", "I48.9"])
    assert saved.latest.coding.guidance_id is None


async def test_hand_added_diagnosis_survives_a_changed_image_control_answer(
        make_app, isolated_home: Path) -> None:
    import_worklist(isolated_home)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        keys = Keys(pilot)
        await on_worklist(pilot)
        await keys.press("enter")
        await open_guidance(pilot, keys, "655")
        await start_wizard(pilot, keys)
        await answer(pilot, keys, "4", "1", "1")
        await wait_for_screen(pilot, "ReviewScreen")
        review = app.screen
        assert app.focused.id == "sequence"          # details filled: the code list has the focus
        await pilot.press("ctrl+n")                  # the procedures are highlighted: tab, the diagnoses
        await wait_for_screen(pilot, "AddCodeModal")
        await pilot.press("tab")
        await pilot.press(*"i489")
        await wait_for(pilot, lambda: app.screen.hits, what="add-code results")
        await pilot.press("enter")
        await wait_for_screen(pilot, "ReviewScreen")
        assert [r.code for r in app.screen.rows["icd10"]] == ["I50.0", "I48.9"]
        await pilot.press("escape")                  # into IPG655's wizard, at its last question
        await wait_for(pilot, lambda: screen_name(app) == "WizardScreen" and app.screen.question,
                       what="the wizard")
        assert app.screen.question.id == "congestive"
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert app.screen.question.id == "image_control"
        await pilot.press("2")                       # ultrasound instead of fluoroscopy
        await pilot.pause()
        await pilot.press("enter", "enter")          # the other answers still apply
        await wait_for_screen(pilot, "ReviewScreen")
        review = app.screen
        assert "Y53.2" in [r.code for r in review.rows["opcs4"]] and "Y53.4" not in [r.code for r in review.rows["opcs4"]]
        assert [(r.code, r.source) for r in review.rows["icd10"]] == [("I50.0", "IPG655"), ("I48.9", "hand")]
        await pilot.press("ctrl+s")
        await wait_for_screen(pilot, "WorklistScreen", 10.0)
    [saved] = log().list()
    assert codes(saved)[1] == ["I50.0", "I48.9"] and "Y53.2" in codes(saved)[0]


async def test_two_guidances_in_one_episode(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        keys = await wizard_from_launch(pilot, "655")
        await answer(pilot, keys, "4", "1", "1")
        await wait_for_screen(pilot, "ReviewScreen")
        await pilot.press("ctrl+g")                  # find another guidance for the same episode
        await wait_for_screen(pilot, "SearchScreen")
        await open_guidance(pilot, keys, "75")
        await start_wizard(pilot, keys)
        await answer(pilot, keys, "1", "3", "2", "enter", "4")
        await wait_for_screen(pilot, "ReviewScreen")
        review = app.screen
        sources = [(r.code, r.source) for r in review.rows["opcs4"]]
        assert sources[:2] == [("K57.8", "IPG655"), ("Y02.1", "IPG655")]
        assert ("L80.4", "IPG75") in sources
        assert "IPG655, IPG75" in str(review.query_one("#review-title").visual)
        await pilot.press(*"P2G", "tab", *"E2G", "tab", *"20/11/2025", "ctrl+s")
        await wait_for_screen(pilot, "SearchScreen", 10.0)
    [saved] = log().list()
    assert saved.latest.coding.guidance_id == "IPG655"
    assert saved.latest.coding.answers["@IPG75"]["stent"] == "yes"
    assert "L80.4" in codes(saved)[0] and str(saved.details.date) == "2025-11-20"


async def test_option_keys_past_nine_are_letters_and_shown(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wizard_from_launch(pilot, "655")
        choices = app.screen.query_one("#choices")
        labels = [str(choices.get_option_at_index(i).prompt) for i in range(choices.option_count)]
        assert labels[8].startswith("9 ") and "not stated (Y53.9)" in labels[8]
        assert labels[9].startswith("0 ") and labels[10].startswith("a ") and labels[12].startswith("c ")
        assert "(Y68.9)" in labels[12]
        await pilot.press("end")
        await pilot.pause(0.1)
        # At 80x24 all thirteen options are in view: the options take their room before the help.
        assert choices.highlighted == 12 and choices.size.height >= 13 and choices.scroll_offset.y == 0
        await pilot.press("b")
        await pilot.pause()
        assert app.screen.answers["image_control"] == "other_y68"


async def test_review_keys_work_from_the_form_and_focus_is_marked(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        keys = await wizard_from_launch(pilot, "655")
        await answer(pilot, keys, "4", "1", "1")
        await wait_for_screen(pilot, "ReviewScreen")
        review = app.screen
        assert app.focused.id == "patient"
        before = [r.code for r in review.rows["opcs4"]]
        await pilot.press("down", "shift+down")       # second procedure, one place down
        await pilot.pause()
        after = [r.code for r in review.rows["opcs4"]]
        assert after == [before[0], before[2], before[1], *before[3:]]
        await pilot.press("ctrl+x")
        await pilot.pause()
        assert len(review.rows["opcs4"]) == len(before) - 1
        assert app.focused.id == "patient" and app.focused.value == ""   # nothing typed into it
        label = review.query_one(".form-row:focus-within Label")
        assert "reverse" in str(label.styles.text_style)
        await pilot.press("ctrl+y")
        await pilot.pause()
        assert app.clipboard == " ".join([*[r.code for r in review.rows["opcs4"]], "I50.0"])


async def test_leaving_review_keeps_the_episode_and_its_details_in_the_draft(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        keys = await wizard_from_launch(pilot, "655")
        await answer(pilot, keys, "4", "1", "1")
        await wait_for_screen(pilot, "ReviewScreen")
        await pilot.press(*"PDRAFT", "tab", *"EDRAFT")
        await pilot.press("ctrl+l")                  # to the log: the episode stays current
        await wait_for_screen(pilot, "LogScreen")
        await pilot.press("ctrl+r")
        await wait_for_screen(pilot, "ReviewScreen")
        assert app.screen.query_one("#patient").value == "PDRAFT"
        await wait_for(pilot, lambda: any(d.state.get("details", {}).get("episode") == "EDRAFT"
                                          for d in log().drafts(LOGIN)), what="the draft")
    second = make_app(offer_drafts=True)
    async with second.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, "DraftModal", timeout=10)
        await pilot.press("enter")
        await wait_for_screen(pilot, "ReviewScreen")
        assert second.screen.query_one("#patient").value == "PDRAFT"
        assert second.screen.query_one("#episode").value == "EDRAFT"
        assert [r.source for r in second.screen.rows["icd10"]] == ["IPG655"]


async def test_every_draft_listed_resumable_and_discardable(make_app) -> None:
    with log() as opened:
        for patient in ("PA", "PB"):
            opened.save_draft(LOGIN, {"version": 2, "codes": [
                {"classification": "opcs4", "code": "K57.8", "source": "hand", "reason": "x"}],
                "details": {"patient": patient}, "packs": []})
    app = make_app(offer_drafts=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, "DraftModal", timeout=10)
        await pilot.press("o")
        await wait_for(pilot, lambda: screen_name(app) == "DraftsScreen" and app.screen.drafts, what="drafts")
        assert len(app.screen.drafts) == 2
        await pilot.press("d")                      # asks once: n keeps the draft
        await wait_for_screen(pilot, "ConfirmModal")
        await pilot.press("n")
        await wait_for_screen(pilot, "DraftsScreen")
        assert len(log().drafts(LOGIN)) == 2
        await pilot.press("d")
        await wait_for_screen(pilot, "ConfirmModal")
        await pilot.press("y")
        await wait_for(pilot, lambda: screen_name(app) == "DraftsScreen" and len(app.screen.drafts) == 1,
                       what="the discard")
        await pilot.press("enter")
        await wait_for_screen(pilot, "ReviewScreen")
        assert app.screen.query_one("#patient").value in ("PA", "PB")


async def test_worklist_query_and_filter(make_app, isolated_home: Path) -> None:
    import_worklist(isolated_home)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await on_worklist(pilot)
        await pilot.press("q")
        await wait_for_screen(pilot, "QueryModal")
        await pilot.press(*"Mr Patel", "enter", *"which stent?", "enter")
        await wait_for(pilot, lambda: screen_name(app) == "WorklistScreen"
                       and app.screen.items[0].status == "query", what="the query")
        assert app.screen.items[0].query.clinician == "Mr Patel"
        await pilot.press("f", *"urology", "enter")
        await wait_for(pilot, lambda: [i.patient for i in app.screen.items] == ["WL003"], what="the filter")
        await pilot.press("f")
        app.screen.query_one("#worklist-filter").value = "query"
        await pilot.press("enter")
        await wait_for(pilot, lambda: [i.patient for i in app.screen.items] == ["WL001"], what="queries")
    assert worklist().get(1).note == "which stent?"


async def test_palette_lists_the_screens_actions(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        keys = await wizard_from_launch(pilot, "655")
        await answer(pilot, keys, "4", "1", "1")
        await wait_for_screen(pilot, "ReviewScreen")
        from workbench.tui.commands import WorkbenchCommands

        provider = WorkbenchCommands(app.screen)
        titles = [title for title, _, _ in provider._commands()]
        for wanted in ("Save", "Add code", "Remove", "Copy the episode's codes", "Worklist", "Drafts"):
            assert wanted in titles, titles


async def test_adding_a_code_from_search_starts_an_episode(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await add_by_search(pilot, Keys(pilot), "k578", "K57.8")
        assert app.keeper.session.procedures == ["K57.8"]
        await pilot.press("ctrl+r")
        await wait_for_screen(pilot, "ReviewScreen")
        assert [(r.code, r.source) for r in app.screen.rows["opcs4"]] == [("K57.8", "hand")]


async def test_guidance_shows_its_source_and_opens_at_the_coding_section(make_app) -> None:
    from workbench.tui.screens.guidance import coding_section_line

    assert coding_section_line("intro\n\n  • OPCS4.6 Code(s)\n\nWith stenting") == "• OPCS4.6 Code(s)"
    assert coding_section_line("nothing about it") is None
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await open_guidance(pilot, Keys(pilot), "75")
        screen = app.screen
        assert "nice.org.uk/guidance/IPG75" in str(screen.query_one("#guidance-source").visual)
        await wait_for(pilot, lambda: screen.query_one("#guidance-text").scroll_offset.y > 0,
                       what="the scroll to the coding section")


async def test_one_enter_from_the_log_filter_to_the_history(make_app) -> None:
    from tests.tui_flows import code_ipg655

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await code_ipg655(pilot, Keys(pilot), patient="PONE")
        await code_ipg655(pilot, Keys(pilot), patient="PTWO")
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: screen_name(app) == "LogScreen" and len(app.screen.shown) == 2,
                       what="the log")
        await pilot.press("f", *"ptwo", "enter")
        await wait_for(pilot, lambda: screen_name(app) == "HistoryScreen" and app.screen.details,
                       what="the history")
        assert app.screen.details.patient == "PTWO"


async def test_enter_on_a_worklist_item_with_a_draft_resumes_it(make_app, isolated_home: Path) -> None:
    import_worklist(isolated_home)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        keys = Keys(pilot)
        await on_worklist(pilot)
        await keys.press("enter")
        await wait_for_screen(pilot, "SearchScreen")
        await add_by_search(pilot, keys, "k578", "K57.8")
        await wait_for(pilot, lambda: any(d.state.get("worklist_item") == 1 for d in log().drafts(LOGIN)),
                       what="the draft")
    again = make_app()
    async with again.run_test(size=SIZE) as pilot:
        await on_worklist(pilot)
        await pilot.press("enter")
        await wait_for_screen(pilot, "ReviewScreen")
        assert again.keeper.session.worklist_item == 1
        assert [r.code for r in again.screen.rows["opcs4"]] == ["K57.8"]


async def test_inside_an_amend_a_hand_code_survives_a_changed_answer(make_app) -> None:
    from workbench.core.episodes import CodedEntry, Coding, EpisodeDetails
    from workbench.tui.screens.history import HistoryScreen

    procedures = ["K57.8", "Y02.1", "Y53.4", "Z33.2", "Z33.6", "Z94.2"]
    coding = Coding([CodedEntry(c, "opcs4", "x") for c in procedures],
                    [CodedEntry(c, "icd10", "x") for c in ("I50.0", "I48.9")],
                    guidance_id="IPG655", pack_id="IPG655", pack_version="1.0",
                    answers={"image_control": "fluoroscopic", "right_atrial_lead": "yes", "congestive": "yes"})
    import datetime as dt

    with log() as opened:
        saved = opened.save(EpisodeDetails("PAM", "EAM", dt.date(2025, 11, 20)), coding, coder=LOGIN)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await pilot.press("ctrl+l")
        await wait_for_screen(pilot, "LogScreen")
        app.push_screen(HistoryScreen(saved.id))
        await wait_for(pilot, lambda: screen_name(app) == "HistoryScreen" and app.screen.versions, what="history")
        await pilot.press("a")
        await wait_for_screen(pilot, "ReviewScreen")
        assert [(r.code, r.source) for r in app.screen.rows["icd10"]] == [("I50.0", "IPG655"), ("I48.9", "hand")]
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen_name(app) == "WizardScreen" and app.screen.question, what="wizard")
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert app.screen.question.id == "image_control"
        await pilot.press("2", "enter", "enter")   # ultrasound
        await wait_for_screen(pilot, "ReviewScreen")
        assert [r.code for r in app.screen.rows["icd10"]] == ["I50.0", "I48.9"]
        assert "Y53.2" in [r.code for r in app.screen.rows["opcs4"]]
        await pilot.press("ctrl+s")
        await wait_for_screen(pilot, "TextModal")
        await pilot.press(*"method was ultrasound", "enter")
        await wait_for_screen(pilot, "LogScreen", 10.0)
    [amended] = log().list()
    assert amended.latest.version == 2 and codes(amended)[1] == ["I50.0", "I48.9"]
