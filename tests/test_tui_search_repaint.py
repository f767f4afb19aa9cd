"""A search keystroke reaches the terminal as one repaint (issue 17, "repaint only what changed").

The search screen holds the repaint of a typed letter until its results are ready, so the
letter and the rows it brings go out together; the hold always ends, whether the results
come, fail, or never come. The box's frame belongs to a container, so typing repaints the
one line of text and never the frame.
"""

from __future__ import annotations

import threading

from tests.tui_flows import SIZE, quiet, wait_for, wait_ready
from workbench.tui.screens import search as search_screen


async def test_results_release_the_held_repaint(make_app, monkeypatch) -> None:
    # A hold that only the results can end in the time of this test.
    monkeypatch.setattr(search_screen, "HOLD_FRAME_FOR_RESULTS", 60.0)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await pilot.press(*"angioplasty")
        await wait_for(pilot, lambda: app.screen.shown_query == "angioplasty", what="results")
        await quiet(pilot)
        assert app.screen.hits
        assert app.screen._held is None
        assert app._batch_count == 0   # nothing left suspending the app's repaints


async def test_a_search_that_never_answers_cannot_freeze_the_screen(make_app, monkeypatch) -> None:
    """A stuck database: the letter still shows once the hold runs out."""
    gate = threading.Event()
    real_search = __import__("workbench.core.search", fromlist=["search"]).search

    def stuck(conn, query, **kwargs):
        gate.wait(10)
        return real_search(conn, query, **kwargs)

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        monkeypatch.setattr("workbench.core.search.search", stuck)
        await pilot.press("x")
        await pilot.pause(search_screen.HOLD_FRAME_FOR_RESULTS * 4)
        assert app._batch_count == 0
        assert app.screen._held is None
        assert app.screen.query_one("#search").value == "x"
        gate.set()
        await wait_for(pilot, lambda: app.screen.shown_query == "x", what="results after the stall")


async def test_typing_never_dirties_the_search_frame(make_app) -> None:
    """The frame (the container's border) is not repainted by a keystroke: only the input is."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await quiet(pilot)
        box = app.screen.query_one("#search-box")
        refreshed: list[str] = []
        original = type(box).refresh

        def spy(self, *args, **kwargs):
            refreshed.append(self.id or "")
            return original(self, *args, **kwargs)

        type(box).refresh = spy
        try:
            await pilot.press(*"stent")
            await wait_for(pilot, lambda: app.screen.shown_query == "stent", what="results")
        finally:
            type(box).refresh = original
        assert "search-box" not in refreshed
        search_input = app.screen.query_one("#search")
        assert search_input.region.height == 1 and box.region.height == 3


async def test_the_search_is_warmed_up_once_loaded(make_app, monkeypatch) -> None:
    """The first keystroke must not pay for importing and first running the search (~90 ms):
    once "Loaded:" is on screen, a throwaway search runs in a worker before any key."""
    import workbench.core.search as search_module

    queries: list[str] = []
    real = search_module.search

    def recording(conn, query, **kwargs):
        queries.append(query)
        return real(conn, query, **kwargs)

    monkeypatch.setattr(search_module, "search", recording)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await wait_for(pilot, lambda: bool(queries), what="the warm-up search")
        assert app.screen.query_one("#search").value == ""   # no key was pressed
        assert app.screen.hits == []                         # and nothing was shown for it
