"""Pilot tests of the coders' flows: search, code, review, save, log, amend, void, export, drafts."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from tests.tui_flows import (
    KEY_BUDGET,
    SIZE,
    Keys,
    code_ipg75,
    code_ipg655,
    screen_name,
    wait_for,
    wait_for_screen,
    wait_ready,
    wizard_from_launch,
)
from workbench.core.episodes import VOIDED
from workbench.core.episodes.identity import os_login

LOGIN = os_login()   # the identity every save and draft records


def episodes() -> list:
    from workbench.core.episodes import EpisodeLog
    from workbench.core.paths import log_path

    return EpisodeLog(log_path()).list()


def codes_of(summary) -> tuple[list[str], list[str]]:
    coding = summary.latest.coding
    return [e.code for e in coding.procedures], [e.code for e in coding.diagnoses]


# ------------------------------------------------------------------ search


async def test_search_finds_ipg655_as_typed_and_quits(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await pilot.press(*"ipg655")
        screen = app.screen
        await wait_for(pilot, lambda: screen.shown_query == "ipg655", what="results")
        assert screen.hits[0].kind == "guidance"
        assert screen.hits[0].code == "IPG655"
        await pilot.press("ctrl+q")
    assert app.return_code == 0


async def test_search_by_code_opens_the_code_screen(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await pilot.press(*"l804")
        await wait_for(pilot, lambda: app.screen.shown_query == "l804", what="results")
        codes = [(h.kind, h.code) for h in app.screen.hits]
        assert ("opcs4", "L80.4") in codes
        index = codes.index(("opcs4", "L80.4"))
        for _ in range(index):
            await pilot.press("down")
        await pilot.press("enter")
        await wait_for_screen(pilot, "CodeScreen")
        await wait_for(pilot, lambda: app.screen.view is not None, what="the code")
        assert app.screen.view.info.title
        assert "IPG75" in [g.id for g in app.screen.view.guidance]
        # `/` goes back to the search from anywhere.
        await pilot.press("slash")
        await wait_for_screen(pilot, "SearchScreen")


# ------------------------------------------------------------------ the seed flows


async def test_ipg655_end_to_end_within_the_key_budget(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        keys = Keys(pilot)
        await code_ipg655(pilot, keys, patient="PAT655", episode="EP1", date="2024-03-01")
        assert keys.count <= KEY_BUDGET, keys.pressed
        assert any("saved" in n.message for n in app._notifications)
        assert app.screen.query_one("#search").value == ""
        # The episode is in the log screen too.
        await pilot.press("ctrl+l")
        await wait_for_screen(pilot, "LogScreen")
        await wait_for(pilot, lambda: app.screen.shown, what="the log rows")
        assert app.screen.shown[0].details.patient == "PAT655"
    [saved] = episodes()
    assert codes_of(saved) == (["K57.8", "Y02.1", "Y53.4", "Z33.2", "Z33.6", "Z94.2"], ["I50.0"])
    assert saved.details.episode == "EP1"
    assert str(saved.details.date) == "2024-03-01"
    assert saved.latest.coding.guidance_id == "IPG655"


async def test_ipg75_two_drug_eluting_stents_within_the_key_budget(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        keys = Keys(pilot)
        await code_ipg75(pilot, keys)
        # The guidance in 12 keys, then ctrl+n and Enter for the primary diagnosis IPG75 does not give
        # (issue 21: a finished episode has one; its search text is typed uncounted, as the worklist flows do).
        assert keys.count <= KEY_BUDGET + 2, keys.pressed
    [saved] = episodes()
    assert codes_of(saved) == (["L80.4", "L89.1", "Y53.4"], ["I28.8"])


async def test_a_code_added_from_a_list_goes_to_that_list(make_app) -> None:
    """The issue's e119: added from the diagnoses it is ICD-10 E11.9, from the procedures OPCS-4
    E11.9, which the checks then question (almost never recorded, ICD-10 E11.9 2.4 million times)."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        review = await review_ipg655(pilot, "1", "2", "2")
        sequence = review.query_one("#sequence")
        sequence.highlighted = next(i for i, where in enumerate(review.index) if where and where[0] == "icd10")
        await pilot.press("ctrl+n")
        await wait_for_screen(pilot, "AddCodeModal")
        assert app.screen.target == "icd10"
        await pilot.press(*"e119")
        await wait_for(pilot, lambda: app.screen.hits, what="ICD-10 results")
        assert (app.screen.hits[0].kind, app.screen.hits[0].code) == ("icd10", "E11.9")
        await pilot.press("enter")
        await wait_for_screen(pilot, "ReviewScreen")
        assert [r.code for r in review.rows["icd10"]][-1] == "E11.9" and "E11.9" not in review.session.procedures
        sequence.highlighted = 1                      # the first procedure
        await pilot.press("ctrl+n")
        await wait_for_screen(pilot, "AddCodeModal")
        await pilot.press(*"e119")
        await wait_for(pilot, lambda: app.screen.hits, what="OPCS-4 results")
        assert {h.kind for h in app.screen.hits} == {"opcs4"}
        await pilot.press("enter")
        await wait_for_screen(pilot, "ReviewScreen")
        await wait_for(pilot, lambda: any(e.id == "likely-other-classification" for e in review.edits),
                       what="the likelier classification named")
        assert "ICD-10 E11.9" in str(review.query_one("#edits").visual)


# ------------------------------------------------------------------ wizard


async def test_going_back_changes_the_sequence(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wizard_from_launch(pilot, "655")
        wizard = app.screen
        await pilot.press("4")                       # fluoroscopy (4 in every pack)
        await pilot.pause()
        assert wizard.question.id == "right_atrial_lead"
        assert "Y53.4" in [e.code for e in wizard.evaluation.procedures]
        await pilot.press("escape")                  # back to image control
        await pilot.pause()
        assert wizard.question.id == "image_control"
        assert wizard.query_one("#choices").highlighted == 3   # the kept answer
        await pilot.press("0")                       # no image control (0 in every pack)
        await pilot.pause()
        assert wizard.question.id == "right_atrial_lead"
        assert not any(e.code.startswith("Y53") for e in wizard.evaluation.procedures)
        assert wizard.query_one("#progress").visual is not None


async def test_going_back_keeps_later_answers_that_still_apply(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wizard_from_launch(pilot, "655")
        wizard = app.screen
        await pilot.press("4", "1")                  # fluoroscopy, right-atrial lead
        await pilot.pause()
        assert wizard.question.id == "congestive"
        await pilot.press("escape", "escape")        # back two questions
        await pilot.pause()
        assert wizard.question.id == "image_control"
        await pilot.press("1")                       # radiological instead
        await pilot.pause()
        # The right-atrial answer still applies: it is offered again, highlighted.
        assert wizard.question.id == "right_atrial_lead"
        assert wizard.query_one("#choices").highlighted == 0
        await pilot.press("enter", "2")              # keep yes; not congestive
        await wait_for_screen(pilot, "ReviewScreen")
        codes = [r.code for r in app.screen.rows["opcs4"]]
        assert codes == ["K57.8", "Y02.1", "Y53.1", "Z33.2", "Z33.6", "Z94.2"]
        assert [r.code for r in app.screen.rows["icd10"]] == ["I50.9"]


async def test_every_question_kind(make_app) -> None:
    """multi (space toggles, Enter confirms), number, and a code slot with search."""
    from workbench.core.rules import load_pack_text
    from workbench.tui.screens.wizard import WizardScreen

    pack = load_pack_text(KINDS_PACK, "kinds.yaml")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        app.packs[pack.id] = pack
        app.keeper.current().start_pack(pack.id, pack.guidance_id)
        app.push_screen(WizardScreen(pack.id, pack=pack))
        await wait_for(pilot, lambda: screen_name(app) == "WizardScreen" and app.screen.question,
                       what="the first question")
        wizard = app.screen
        assert wizard.question.kind == "multi"
        await pilot.press("1", "down", "space", "enter")    # tick options 1 and 2
        await pilot.pause()
        assert wizard.answers["extras"] == ["leads", "battery"]
        assert wizard.question.kind == "number"
        await pilot.press("9", "enter")                      # above the maximum: refused
        await pilot.pause()
        assert wizard.question.kind == "number"
        assert "3 or less" in str(wizard.query_one("#answer-error").visual)
        await pilot.press("backspace", "2", "enter")
        await pilot.pause()
        assert wizard.answers["levels"] == 2
        assert wizard.question.kind == "code"
        await pilot.press(*"y531", "enter")                 # outside the scope [K]
        await pilot.pause()
        assert wizard.question.kind == "code"
        assert "outside" in str(wizard.query_one("#answer-error").visual)
        wizard.query_one("#code-input").value = ""
        await pilot.press(*"k578")
        await wait_for(pilot, lambda: wizard.query_one("#slot-results").option_count, what="code search")
        await pilot.press("enter")
        await wait_for_screen(pilot, "ReviewScreen")
        codes = [r.code for r in app.screen.rows["opcs4"]]
        assert codes == ["K57.8", "Y02.1", "Z33.2"]


KINDS_PACK = """
id: KINDS
guidance: IPG655
title: Every question kind
version: "0.1"
status: draft
questions:
  - id: extras
    kind: multi
    prompt: What else was done?
    options:
      - {value: leads, label: Leads, code: Y02.1}
      - {value: battery, label: Battery change}
      - {value: other, label: Other}
  - id: levels
    kind: number
    prompt: How many levels?
    min: 1
    max: 3
    examples: [1, 3]
  - id: main
    kind: code
    prompt: The chapter K code
    scope: [K]
    examples: [K57.8]
procedures:
  - from: main
  - from: extras
  - code: Z33.2
    when: {levels: {min: 2}}
    reason: Two or more levels
"""


# ------------------------------------------------------------------ review


async def review_ipg655(pilot, *answers: str):
    """From launch to IPG655's review screen with the given answer keys; returns the screen."""
    await wizard_from_launch(pilot, "655")
    await pilot.press(*answers)
    await wait_for_screen(pilot, "ReviewScreen")
    return pilot.app.screen


async def test_review_validates_the_form_and_needs_an_override_reason(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        review = await review_ipg655(pilot, "4", "2", "2")
        assert app.focused.id == "patient"
        await pilot.press(*"P1", "tab", *"E1", "tab", *"2024-13-01", "ctrl+s")
        await pilot.pause()
        assert "not a real date" in str(review.query_one("#date-message").visual)
        assert app.focused.id == "date"
        assert episodes() == []
        review.query_one("#date").value = "2024-03-01"
        # Remove K57.8 so that Y02.1 comes first: an edit error.
        await pilot.press("ctrl+o")
        review.query_one("#sequence").highlighted = 1
        await pilot.press("x")
        await wait_for(pilot, lambda: any(e.id == "y-z-first" for e in review.edits), what="the edits")
        await pilot.press("ctrl+s")
        await wait_for_screen(pilot, "TextModal")
        await pilot.press(*"device only", "enter")
        await wait_for_screen(pilot, "SearchScreen", timeout=10)
    [saved] = episodes()
    assert codes_of(saved)[0][0] == "Y02.1"
    # The pack-aware edits explain the same move too; every overridden edit keeps the reason.
    overrides = [(o.edit_id, o.reason) for o in saved.latest.coding.overrides]
    assert ("y-z-first", "device only") in overrides and {r for _, r in overrides} == {"device only"}


async def test_review_adds_and_moves_a_code(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        review = await review_ipg655(pilot, "1", "2", "2")
        await pilot.press("ctrl+n")              # a procedure is highlighted: tab adds to the diagnoses
        await wait_for_screen(pilot, "AddCodeModal")
        assert app.screen.target == "opcs4"
        await pilot.press("tab")
        await pilot.press(*"i500")
        await wait_for(pilot, lambda: app.screen.hits, what="code search")
        assert {h.kind for h in app.screen.hits} == {"icd10"}
        await pilot.press("enter")
        await wait_for_screen(pilot, "ReviewScreen")
        assert [r.code for r in review.rows["icd10"]] == ["I50.9", "I50.0"]
        await pilot.press("ctrl+o")
        await pilot.press("u")                   # I50.0 moves above I50.9
        await pilot.pause()
        assert [r.code for r in review.rows["icd10"]] == ["I50.0", "I50.9"]
        # Moving Y02.1 above K57.8 re-runs the edits: a chapter Y code may not come first.
        assert not any(e.id == "y-z-first" for e in review.edits)
        review.query_one("#sequence").highlighted = 2
        await pilot.press("u")
        await wait_for(pilot, lambda: any(e.id == "y-z-first" for e in review.edits), what="the edits re-run")
        assert [r.code for r in review.rows["opcs4"]][:2] == ["Y02.1", "K57.8"]


# ------------------------------------------------------------------ log


async def _saved_ipg655(app, pilot) -> None:
    await wait_ready(pilot)
    await code_ipg655(pilot, Keys(pilot))
    await pilot.press("ctrl+l")
    await wait_for_screen(pilot, "LogScreen")
    await wait_for(pilot, lambda: app.screen.shown, what="the log rows")


async def _history_of_saved_ipg655(app, pilot) -> None:
    await _saved_ipg655(app, pilot)
    await pilot.press("enter")
    await wait_for_screen(pilot, "HistoryScreen")
    await wait_for(pilot, lambda: app.screen.versions, what="the history")


async def test_amend_goes_back_into_the_review_with_its_answers(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _history_of_saved_ipg655(app, pilot)
        await pilot.press("a")
        await wait_for_screen(pilot, "ReviewScreen")
        assert [r.code for r in app.screen.rows["icd10"]] == ["I50.0"]
        await pilot.press("escape")                  # into the wizard, at the last question
        await wait_for_screen(pilot, "WizardScreen")
        assert app.screen.question.id == "congestive"
        await pilot.press("2")                       # not congestive after all
        await wait_for_screen(pilot, "ReviewScreen")
        await pilot.press("ctrl+s")
        await wait_for_screen(pilot, "TextModal")
        await pilot.press(*"coding query", "enter")
        await wait_for_screen(pilot, "LogScreen", timeout=10)   # back where the amend began
    [amended] = episodes()
    assert amended.latest.version == 2
    assert codes_of(amended)[1] == ["I50.9"]


async def test_void_with_a_reason(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _history_of_saved_ipg655(app, pilot)
        await pilot.press("v")
        await wait_for_screen(pilot, "TextModal")
        await pilot.press(*"wrong patient", "enter")
        history = app.screen
        await wait_for(pilot, lambda: history.versions and history.versions[-1].status == VOIDED,
                       what="the void")
    [voided] = episodes()
    assert voided.latest.status == VOIDED
    assert voided.latest.reason == "wrong patient"


async def test_export_the_listed_episodes(make_app, tmp_path: Path) -> None:
    app = make_app()
    target = tmp_path / "out.json"
    async with app.run_test(size=SIZE) as pilot:
        await _saved_ipg655(app, pilot)
        await pilot.press("e")
        await wait_for_screen(pilot, "TextModal")
        app.screen.query_one("#modal-input").value = str(target)
        await pilot.press("enter")
        await wait_for(pilot, target.exists, what="the export")
    data = json.loads(target.read_text())
    assert len(data) == 1
    assert data[0]["patient"] == "PAT655"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


async def test_log_filter(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _saved_ipg655(app, pilot)
        await pilot.press("f", *"nobody")
        await wait_for(pilot, lambda: app.screen.shown == [], what="no episode for nobody")
        app.screen.query_one("#log-filter").value = "i509"
        await wait_for(pilot, lambda: "of 1 episode" in str(app.screen.query_one("#log-status").render()),
                       what="the filtered page")
        assert app.screen.shown == []
        # Codes are typed as anywhere else: with or without the dot, any case.
        for typed in ("I50.0", "i500"):
            app.screen.query_one("#log-filter").value = typed
            await wait_for(pilot, lambda: len(app.screen.shown) == 1, what=f"the filter {typed}")


# ------------------------------------------------------------------ drafts


async def test_resume_a_draft_after_an_abrupt_exit(make_app) -> None:
    first = make_app()
    async with first.run_test(size=SIZE) as pilot:
        await wizard_from_launch(pilot, "655")
        await pilot.press("4")
        await wait_for(pilot, lambda: first.keeper._saved_seq >= 1, what="the draft")
        # No save, no clean-up: the process could die here.
    second = make_app(offer_drafts=True)
    async with second.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, "DraftModal", timeout=10)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(second) == "WizardScreen" and second.screen.question,
                       what="the resumed wizard")
        assert second.screen.question.id == "right_atrial_lead"
        assert second.screen.answers == {"image_control": "fluoroscopic"}
        await pilot.press("1", "1")
        await wait_for_screen(pilot, "ReviewScreen")
        await pilot.press(*"P9", "tab", *"E9", "tab", *"2024-03-05", "ctrl+s")
        await wait_for_screen(pilot, "SearchScreen", timeout=10)
    from workbench.core.episodes import EpisodeLog
    from workbench.core.paths import log_path

    assert EpisodeLog(log_path()).drafts(LOGIN) == []
    assert codes_of(episodes()[0])[0][2] == "Y53.4"


async def test_discard_a_draft(make_app) -> None:
    from workbench.core.episodes import EpisodeLog
    from workbench.core.paths import log_path

    EpisodeLog(log_path()).save_draft(LOGIN, {"version": 1, "stage": "wizard", "guidance_id": "IPG75",
                                                    "pack_id": "IPG75", "answers": {"stent": "yes"}})
    app = make_app(offer_drafts=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, "DraftModal", timeout=10)
        await pilot.press("d")
        await wait_for_screen(pilot, "ConfirmModal")      # asked once
        await pilot.press("y")
        await wait_for(pilot, lambda: not EpisodeLog(log_path()).drafts(LOGIN), what="the discard")
        assert screen_name(app) == "SearchScreen"


# ------------------------------------------------------------------ everywhere


async def test_help_palette_and_keymap_from_config(make_app, isolated_home: Path) -> None:
    (isolated_home / "config.toml").write_text('[keys]\n"app.log" = "f9"\n')
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await pilot.press("f1")
        await wait_for_screen(pilot, "HelpScreen")
        await pilot.press("escape")
        await wait_for_screen(pilot, "SearchScreen")
        await pilot.press("f9")                      # remapped from ctrl+l
        await wait_for_screen(pilot, "LogScreen")
        await pilot.press("ctrl+p")
        await wait_for_screen(pilot, "CommandPalette")
        await pilot.press(*"quit")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
    assert app.return_code == 0


async def test_a_broken_log_is_a_notification_not_a_traceback(make_app, tmp_path: Path) -> None:
    bad = tmp_path / "log.db"
    bad.write_bytes(b"this is not a database" * 100)
    app = make_app(log=str(bad))
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: any(n.severity == "error" for n in app._notifications),
                       what="the error notification")
        assert screen_name(app) == "LogScreen"


# ------------------------------------------------------------------ partial and draft packs


async def test_a_partial_pack_says_so_in_the_wizard_and_the_review(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        keys = await wizard_from_launch(pilot, "ipg147")
        caution = app.screen.query_one("#wizard-caution")
        assert caution.display
        assert "PARTIAL" in str(caution.render()) and "DRAFT" in str(caution.render())
        await keys.press("1")
        await wait_for_screen(pilot, "ReviewScreen")
        review_caution = app.screen.query_one("#review-caution")
        await wait_for(pilot, lambda: review_caution.display, what="the review's caution")
        assert "PARTIAL" in str(review_caution.render())


async def test_an_approved_complete_pack_shows_no_caution(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wizard_from_launch(pilot, "ipg75")
        assert not app.screen.query_one("#wizard-caution").display


async def app_keys_search(pilot, query: str) -> None:
    await pilot.press(*query)
    await wait_for(pilot, lambda: pilot.app.screen.shown_query == query, what="results")


async def test_no_color_marks_the_highlighted_row_by_style(make_app, monkeypatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await app_keys_search(pilot, "l80")
        results = app.screen.query_one("#results")
        assert results.highlighted is not None
        style = results.get_component_rich_style("result-rows--highlight")
        assert style.underline and style.bold
