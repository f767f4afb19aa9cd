"""Keys typed ahead reach the screen they were meant for (workbench/tui/typeahead.py).

Over SSH a fast typist's keys arrive in one read. Here every key is handed to the app at once,
as the terminal driver hands over the keys of one read, before the app has handled the first:
from the search box to the review's form, none may be lost or land on the wrong screen.
The real-terminal version (one tmux send-keys) is in tests/test_e2e_typeahead.py.
"""

from __future__ import annotations

from textual import events
from textual.widgets import Input

from tests.tui_flows import SIZE, wait_for, wait_for_screen, wait_ready

#: (key, character) as the driver reports them.
SEARCH_TO_FORM = ([(c, c) for c in "655"] + [("enter", "\r"), ("c", "c"), ("4", "4"), ("1", "1"), ("1", "1")]
                  + [(c.lower() if c.isalpha() else c, c) for c in "PAT28"] + [("tab", "\t")]
                  + [(c.lower() if c.isalpha() else c, c) for c in "EP28"] + [("tab", "\t")]
                  + [("slash" if c == "/" else c, c) for c in "01/03/2024"])


def one_read(app, keys: list[tuple[str, str]]) -> None:
    """Every key handed to the app in one go, as the driver does with the keys of one read."""
    for key, character in keys:
        event = events.Key(key, character)
        event.set_sender(app)
        app._driver.send_message(event)


def field(app, name: str) -> str:
    return app.screen.query_one(f"#{name}", Input).value


async def test_keys_of_one_read_reach_the_review_form(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        one_read(app, SEARCH_TO_FORM)
        await wait_for_screen(pilot, "ReviewScreen", timeout=10)
        await wait_for(pilot, lambda: field(app, "date") == "01/03/2024", 10, "the date typed ahead")
        assert (field(app, "patient"), field(app, "episode")) == ("PAT28", "EP28")
        # The answers went to the three questions, not into the search box or the form.
        assert app.get_default_screen_instance().query_one("#search", Input).value == "655"
        session = app.keeper.current()
        assert [row.code for row in session.of("opcs4")][:1] == ["K57.8"]


async def test_keys_after_escape_go_to_the_screen_below(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await pilot.press(*"655")
        await pilot.press("enter")
        await wait_for_screen(pilot, "GuidanceScreen")
        await wait_for(pilot, lambda: app.screen.view is not None, 10, "the guidance")
        # Escape back to the search, then more of the query, in one read.
        one_read(app, [("escape", "\x1b"), ("backspace", "\x7f"), ("backspace", "\x7f"), ("backspace", "\x7f"),
                       ("7", "7"), ("5", "5")])
        await wait_for(pilot, lambda: app.screen is app.get_default_screen_instance()
                       and app.screen.query_one("#search", Input).value == "75", 10, "the search box to read 75")


async def test_a_key_that_opens_a_modal_hands_the_next_keys_to_it(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        app.show_review()
        await wait_for_screen(pilot, "ReviewScreen")
        await pilot.pause()
        one_read(app, [("ctrl+n", "\x0e"), ("k", "k"), ("5", "5"), ("7", "7"), ("8", "8")])
        await wait_for_screen(pilot, "AddCodeModal")
        await wait_for(pilot, lambda: app.screen.query_one("#add-input", Input).value == "k578", 10,
                       "the add-a-code box to read k578")
        review = app.screen_stack[-2]
        assert review.query_one("#patient", Input).value == ""   # nothing landed in the form below


async def test_enter_before_the_last_change_still_opens_the_top_result(make_app) -> None:
    """On a loaded machine a key's messages can be slow enough that the next key (Enter) is
    handled before the box's change for the previous one reaches the screen: that late change
    to the very text Enter was pressed on must not cancel the open; typing on still does."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        screen = app.screen
        box = screen.query_one("#search", Input)
        with box.prevent(Input.Changed):
            box.value = "655"                 # the text is in the box, its change not yet seen
        screen.action_open_result()           # Enter: the results for "655" are still to come
        assert screen.open_when_ready == "655"
        box.post_message(Input.Changed(box, "655"))   # the late change: it starts the search
        await wait_for_screen(pilot, "GuidanceScreen", timeout=10)
        assert screen.shown_query == "655"

        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, 10, "the search again")
        with box.prevent(Input.Changed):
            box.value = "75"
        screen.action_open_result()
        assert screen.open_when_ready == "75"
        box.value = "75 heart"                # typed on after Enter: nothing opens
        await wait_for(pilot, lambda: screen.shown_query == "75 heart", 10, "the new results")
        await pilot.pause(0.2)
        assert app.screen is screen and screen.open_when_ready is None
