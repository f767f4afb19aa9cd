"""One key to add (issue 22 item 6) and adding from a list (item 2), in the app under Pilot."""

from __future__ import annotations

from pathlib import Path

from tests.tui_flows import (
    SIZE,
    Keys,
    add_by_search,
    run_worklist_flow,
    screen_name,
    to_review,
    wait_for,
    wait_for_screen,
    wait_ready,
)


async def _type(pilot, text: str) -> None:
    await Keys(pilot).type_text(text)
    await wait_for(pilot, lambda: getattr(pilot.app.screen, "shown_query", None) == text, what=f"results for {text}")


async def test_while_coding_enter_adds_a_code_and_opens_a_category(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await add_by_search(pilot, Keys(pilot), "k578", "K57.8")   # the first code starts the episode
        assert "Enter adds" in str(app.screen.query_one("#search-status").visual)
        await _type(pilot, "e11")
        assert (app.screen.hits[0].kind, app.screen.hits[0].code) == ("icd10", "E11")
        await pilot.press("enter")           # a category needs a 4th character: its codes, most used first
        await wait_for(pilot, lambda: app.screen.shown_query == "E11"
                       and app.screen.query_one("#results").highlighted == 1, what="E11's codes")
        assert app.screen.hits[1].code == "E11.9" and app.keeper.session.diagnoses == []
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.keeper.session.diagnoses == ["E11.9"], what="E11.9 added")
        assert app.keeper.session.procedures == ["K57.8"] and not app.screen.shown_query


async def test_ctrl_o_reads_a_code_without_adding_it(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await add_by_search(pilot, Keys(pilot), "k578", "K57.8")
        await _type(pilot, "htn")
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: screen_name(app) == "CodeScreen" and app.screen.view, what="the code I10")
        head = str(app.screen.query_one("#code-head").visual)
        assert "I10" in head and "recorded 6.4 million times in 2023/24" in head
        assert app.keeper.session.diagnoses == []


async def test_result_rows_show_how_common_a_code_is(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await _type(pilot, "htn")
        rows = app.screen.query_one("#results").rows
        assert rows[0].plain.startswith("ICD-10   I10") and rows[0].plain.rstrip().endswith("6.4M")
        assert len(rows[0].plain) <= 80


async def test_ctrl_n_adds_to_the_highlighted_list_in_its_classification(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await to_review(pilot)
        review = app.screen
        sequence = review.query_one("#sequence")
        sequence.highlighted = next(i for i, where in enumerate(review.index) if where and where[0] == "icd10")
        await pilot.pause()
        assert review.target_list() == "icd10"
        await pilot.press("ctrl+n")
        await wait_for_screen(pilot, "AddCodeModal")
        modal = app.screen
        assert "diagnoses (ICD-10)" in str(modal.query_one("#add-target").visual)
        await Keys(pilot).type_text("e119")
        await wait_for(pilot, lambda: modal.hits and modal.hits[0].code == "E11.9", what="results")
        assert {h.kind for h in modal.hits} == {"icd10"}    # the list never takes the other classification
        await pilot.press("enter")
        await wait_for_screen(pilot, "ReviewScreen")
        assert app.keeper.session.diagnoses[-1] == "E11.9" and "E11.9" not in app.keeper.session.procedures


async def test_the_dialog_opens_a_categorys_codes_and_reads_one(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await to_review(pilot)
        app.screen.query_one("#sequence").highlighted = 1    # the first procedure
        await pilot.press("ctrl+n")
        await wait_for_screen(pilot, "AddCodeModal")
        modal = app.screen
        assert "procedures (OPCS-4)" in str(modal.query_one("#add-target").visual)
        await Keys(pilot).type_text("w37")
        await wait_for(pilot, lambda: modal.hits and modal.hits[0].code == "W37", what="W37")
        await pilot.press("enter")          # the category: its codes, the most used first
        await wait_for(pilot, lambda: modal.query_one("#add-results").highlighted == 1
                       and modal.hits[1].code == "W37.1", what="W37's codes")
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: screen_name(app) == "CodeScreen" and app.screen.view, what="W37.1")
        await pilot.press("a")              # adds through the dialog, back to the review
        await wait_for_screen(pilot, "ReviewScreen")
        assert "W37.1" in app.keeper.session.procedures


async def test_a_free_coded_three_code_episode_takes_at_most_12_keys(tmp_path: Path, shared_reference: Path) -> None:
    keys, typed = await run_worklist_flow("worklist three codes", str(tmp_path / "log.db"), reference=shared_reference)
    assert keys <= 12, keys
    assert typed == len("lap chole") + len("gallstones") + len("e11")
