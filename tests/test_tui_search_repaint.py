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


WARM_UP_CHILD = """
import asyncio, json, sys
from pathlib import Path
from workbench.tui.app import WorkbenchApp

async def main():
    app = WorkbenchApp(reference=Path(sys.argv[1]), offer_drafts=False)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(500):
            if "workbench.core.search" in sys.modules and app.sub_title:
                break
            await pilot.pause(0.01)
        await pilot.pause(0.2)
        print(json.dumps({"search": "workbench.core.search" in sys.modules,
                          "rapidfuzz": "rapidfuzz" in sys.modules, "typed": app.screen.query_one("#search").value}))

asyncio.run(main())
"""


def test_the_search_is_imported_once_loaded_and_the_typo_corrector_is_not(shared_reference, isolated_home) -> None:
    """The first keystroke must not pay for importing the search: once "Loaded:" is painted a
    worker imports it, before any key. The typo corrector (about 4 MB) is left for the first
    misspelt word, so the app's memory once ready stays near the bare app's."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    done = subprocess.run([sys.executable, "-c", WARM_UP_CHILD, str(shared_reference)], capture_output=True,
                          text=True, timeout=120, cwd=Path(__file__).parents[1])
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.splitlines()[-1])
    assert found == {"search": True, "rapidfuzz": False, "typed": ""}
