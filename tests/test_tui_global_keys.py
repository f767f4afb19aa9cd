"""Every global key works from every focusable widget of every screen (README: "Everywhere").

A text field takes the printable keys typed into it; a global key must not be one of them,
except `/` in a field where a slash is text (a date, a filter, a free-text reason), which
says so (workbench/tui/widgets/line_input.py: ``slash_is_text``).

Each global key's app action is replaced by a recorder, so pressing it changes nothing and
the test only asks: did the key reach its action, from here?
"""

from __future__ import annotations

from textual.widget import Widget
from textual.widgets import Input

from tests.test_tui_flows import KINDS_PACK
from tests.tui_flows import SIZE, wait_for, wait_ready
from workbench.tui import keymap
from workbench.tui.widgets.line_input import slash_is_text

GLOBAL = [(key.key.split(",")[0], key.action) for key in keymap.APP]


def record_global_actions(app) -> list[str]:
    """Replace each global key's action on the app by a recorder; returns the record."""
    called: list[str] = []
    for _, action in GLOBAL:
        setattr(app, f"action_{action}", lambda action=action: called.append(action))
    return called


async def press_everywhere(pilot, called: list[str], where: str) -> list[str]:
    """Press every global key in every focusable widget of the current screen; the misses."""
    app = pilot.app
    screen = app.screen
    misses = []
    widgets: list[Widget] = list(screen.focus_chain)
    assert widgets, f"{where}: nothing can take the focus"
    for widget in widgets:
        for key, action in GLOBAL:
            widget.focus()
            await pilot.pause()
            assert app.focused is widget, f"{where}: {widget!r} did not take the focus"
            before = widget.value if isinstance(widget, Input) else None
            called.clear()
            await pilot.press(key)
            await pilot.pause()
            name = f"{where} {type(widget).__name__}#{widget.id}"
            if key == "slash" and slash_is_text(widget):
                if called or not widget.value.endswith("/"):
                    misses.append(f"{name}: / should be typed here (a slash is text)")
                widget.value = before or ""
            elif called != [action]:
                misses.append(f"{name}: {key} did not reach {action} (got {called})")
            if isinstance(widget, Input) and widget.value != (before or ""):
                misses.append(f"{name}: {key} changed the text to {widget.value!r}")
                widget.value = before or ""
            assert app.screen is screen, f"{where}: {key} left the screen"
    return misses


async def visit(pilot, opener, name: str, ready=lambda screen: True) -> object:
    app = pilot.app
    opener()
    await wait_for(pilot, lambda: type(app.screen).__name__ == name and ready(app.screen), 10, name)
    return app.screen


async def test_every_global_key_reaches_its_action_from_every_field(make_app) -> None:
    from workbench.core.rules import load_pack_text
    from workbench.tui.screens.add_code import AddCodeModal
    from workbench.tui.screens.audit import AuditSamplesScreen
    from workbench.tui.screens.drafts import DraftsScreen
    from workbench.tui.screens.log import LogScreen
    from workbench.tui.screens.modals import TextModal
    from workbench.tui.screens.stats import StatsScreen
    from workbench.tui.screens.wizard import WizardScreen
    from workbench.tui.screens.worklist import WorklistScreen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        called = record_global_actions(app)
        misses = await press_everywhere(pilot, called, "search")

        await visit(pilot, lambda: app.open_guidance("IPG655"), "GuidanceScreen", lambda s: s.view)
        misses += await press_everywhere(pilot, called, "guidance")
        app.pop_screen()
        await visit(pilot, lambda: app.open_code("opcs4", "L80.4"), "CodeScreen", lambda s: s.view)
        misses += await press_everywhere(pilot, called, "code")
        app.pop_screen()

        # The wizard: a multiple choice, a number and a code question.
        pack = load_pack_text(KINDS_PACK, "kinds.yaml")
        app.packs[pack.id] = pack
        app.keeper.current().start_pack(pack.id, pack.guidance_id)
        wizard = await visit(pilot, lambda: app.push_screen(WizardScreen(pack.id, pack=pack)), "WizardScreen",
                             lambda s: s.question)
        misses += await press_everywhere(pilot, called, "wizard (multi)")
        wizard.answer(["leads"])
        await pilot.pause()
        misses += await press_everywhere(pilot, called, "wizard (number)")
        wizard.answer("2")
        await pilot.pause()
        misses += await press_everywhere(pilot, called, "wizard (code)")
        wizard.answer("K57.8")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ReviewScreen", 10, "the review")
        await pilot.pause()
        misses += await press_everywhere(pilot, called, "review")

        await visit(pilot, lambda: app.push_screen(AddCodeModal()), "AddCodeModal")
        misses += await press_everywhere(pilot, called, "add a code")
        app.pop_screen()
        await visit(pilot, lambda: app.push_screen(TextModal("Why", "Why?", placeholder="reason")), "TextModal")
        misses += await press_everywhere(pilot, called, "reason")
        app.pop_screen()

        await visit(pilot, lambda: app.push_screen(LogScreen()), "LogScreen")
        misses += await press_everywhere(pilot, called, "log")
        app.pop_screen()
        await visit(pilot, lambda: app.push_screen(WorklistScreen()), "WorklistScreen")
        misses += await press_everywhere(pilot, called, "worklist")
        app.pop_screen()
        await visit(pilot, lambda: app.push_screen(DraftsScreen()), "DraftsScreen")
        misses += await press_everywhere(pilot, called, "drafts")
        app.pop_screen()
        await visit(pilot, lambda: app.push_screen(AuditSamplesScreen()), "AuditSamplesScreen")
        misses += await press_everywhere(pilot, called, "audit samples")
        app.pop_screen()
        await visit(pilot, lambda: app.push_screen(StatsScreen()), "StatsScreen")
        misses += await press_everywhere(pilot, called, "manager's figures")
        assert not misses, "\n".join(misses)


async def test_slash_from_the_review_form_opens_the_search(make_app) -> None:
    """The README's `/` search, from the Patient field: not a slash in the identifier."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        app.show_review()
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ReviewScreen", 10, "the review")
        await pilot.pause()
        review = app.screen
        assert app.focused is review.query_one("#patient")
        await pilot.press(*"P1", "slash")
        await wait_for(pilot, lambda: app.screen is app.get_default_screen_instance(), 10, "the search")
        assert app.focused is app.screen.query_one("#search")
        assert app.keeper.current().details.get("patient") == "P1"
        # In the date, a slash is part of the date.
        app.action_current_episode()
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ReviewScreen", 10, "the review again")
        app.screen.query_one("#date").focus()
        await pilot.press(*"01/03/2024")
        await pilot.pause()
        assert app.screen.query_one("#date", Input).value == "01/03/2024"
