"""Drive the app through the coders' main flows with Textual's Pilot, counting keys.

Shared by the Pilot tests and the benchmarks (which report the key counts)::

    from tests.tui_flows import measure_flows
    counts = asyncio.run(measure_flows())      # {"IPG655": 11, "IPG75": 12}

Keys are counted from launch to saved. Typing the identifiers (patient, episode
reference, date) is not counted, as in the acceptance criteria.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from textual.pilot import Pilot

from workbench.tui.app import WorkbenchApp

KEY_BUDGET = 12
SIZE = (80, 24)


@dataclass
class Keys:
    """Presses keys through a Pilot and counts them; identifiers are typed uncounted."""

    pilot: Pilot
    count: int = 0
    pressed: list[str] = field(default_factory=list)

    async def press(self, *keys: str) -> None:
        for key in keys:
            self.count += 1
            self.pressed.append(key)
            await self.pilot.press(key)

    async def type_text(self, text: str) -> None:
        """Characters of an identifier: not counted, and typed in one go to keep tests fast."""
        focused = self.pilot.app.focused
        if hasattr(focused, "insert_text_at_cursor"):
            focused.insert_text_at_cursor(text)
            await self.pilot.pause()
        else:
            await self.pilot.press(*text)


async def wait_for(pilot: Pilot, condition: Callable[[], object], timeout: float = 5.0,
                   what: str = "condition") -> None:
    """Let the app run until ``condition()`` holds (workers finish, screens switch)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; screen is {type(pilot.app.screen).__name__}")
        await pilot.pause(0.02)
    await pilot.pause()


def screen_name(app: WorkbenchApp) -> str:
    return type(app.screen).__name__


async def wait_for_screen(pilot: Pilot, name: str, timeout: float = 5.0) -> None:
    await wait_for(pilot, lambda: screen_name(pilot.app) == name, timeout, f"screen {name}")


async def wait_ready(pilot: Pilot) -> None:
    """The reference database is open (a fresh home builds it first)."""
    await wait_for(pilot, lambda: pilot.app.sub_title != "", 20.0, "the reference database")


async def open_guidance(pilot: Pilot, keys: Keys, query: str) -> None:
    """Type the query and press Enter on the top result; wait for the guidance to load."""
    await keys.press(*query)
    await keys.press("enter")
    await wait_for_screen(pilot, "GuidanceScreen")
    await wait_for(pilot, lambda: pilot.app.screen.view is not None, what="the guidance text")


async def start_wizard(pilot: Pilot, keys: Keys) -> None:
    await keys.press("c")
    await wait_for(pilot, lambda: screen_name(pilot.app) == "WizardScreen" and pilot.app.screen.question,
                   what="the first question")


async def answer(pilot: Pilot, keys: Keys, *presses: str) -> None:
    for key in presses:
        await keys.press(key)
        await pilot.pause()


async def fill_and_save(pilot: Pilot, keys: Keys, patient: str, episode: str, date: str) -> None:
    """On the review screen (focus in the patient field): type, Tab, type, Tab, type, ctrl+s."""
    await wait_for_screen(pilot, "ReviewScreen")
    await keys.type_text(patient)
    await keys.press("tab")
    await keys.type_text(episode)
    await keys.press("tab")
    await keys.type_text(date)
    await keys.press("ctrl+s")
    await wait_for(pilot, lambda: screen_name(pilot.app) == "SearchScreen", 10.0, "the save")


async def code_ipg655(pilot: Pilot, keys: Keys, patient: str = "PAT655", episode: str = "EP1",
                      date: str = "2024-03-01") -> None:
    """Fluoroscopy, right-atrial lead, congestive heart failure."""
    await open_guidance(pilot, keys, "655")
    await start_wizard(pilot, keys)
    await answer(pilot, keys, "4")      # image control: fluoroscopy (Y53.4), 4 in every pack
    await answer(pilot, keys, "1")      # right-atrial lead: yes (Z33.6)
    await answer(pilot, keys, "1")      # congestive heart failure: yes (I50.0)
    await fill_and_save(pilot, keys, patient, episode, date)


async def add_in_review(pilot: Pilot, keys: Keys, text: str, code: str) -> None:
    """ctrl+n on the review (the highlighted list), the search text typed uncounted, Enter."""
    await keys.press("ctrl+n")
    await wait_for_screen(pilot, "AddCodeModal")
    await keys.type_text(text)
    await wait_for(pilot, lambda: pilot.app.screen.hits and pilot.app.screen.hits[0].code == code,
                   what=f"{code} in the add-code results")
    await keys.press("enter")
    await wait_for_screen(pilot, "ReviewScreen")


async def code_ipg75(pilot: Pilot, keys: Keys, patient: str = "PAT75", episode: str = "EP2",
                     date: str = "2024-03-02") -> None:
    """Two drug-eluting stents under fluoroscopy; the primary diagnosis (pulmonary vein stenosis,
    I28.8), which IPG75 does not give, added from the review's empty diagnoses list."""
    await open_guidance(pilot, keys, "75")
    await start_wizard(pilot, keys)
    await answer(pilot, keys, "1")      # stent inserted: yes
    await answer(pilot, keys, "3")      # type: drug-eluting
    await answer(pilot, keys, "2")      # number: two
    await answer(pilot, keys, "enter")  # another type? the default, no
    await answer(pilot, keys, "4")      # image control: fluoroscopy
    await wait_for_screen(pilot, "ReviewScreen")
    await add_in_review(pilot, keys, "i288", "I28.8")
    await fill_and_save(pilot, keys, patient, episode, date)


FLOWS = {"IPG655": code_ipg655, "IPG75": code_ipg75}


# ------------------------------------------------------------------ screens for snapshots


async def quiet(pilot: Pilot) -> None:
    """No toasts, no pending work and no blinking cursor in a picture (a text cursor caught
    mid-blink made the review snapshot fail about half the time on a loaded machine)."""
    from textual.widgets import Input

    await pilot.pause(0.1)
    pilot.app.clear_notifications()
    for text_input in pilot.app.screen.query(Input):
        text_input.cursor_blink = False          # the cursor stays shown where there is focus
    await pilot.pause()


async def to_search(pilot: Pilot) -> None:
    await wait_ready(pilot)
    await pilot.press(*"655")
    await wait_for(pilot, lambda: pilot.app.screen.shown_query == "655", what="results")
    await quiet(pilot)


async def to_guidance(pilot: Pilot) -> None:
    await wait_ready(pilot)
    await open_guidance(pilot, Keys(pilot), "655")
    await quiet(pilot)


async def to_code(pilot: Pilot) -> None:
    await wait_ready(pilot)
    await pilot.press(*"l804")
    await wait_for(pilot, lambda: pilot.app.screen.shown_query == "l804", what="results")
    index = next(i for i, h in enumerate(pilot.app.screen.hits) if h.code == "L80.4")
    pilot.app.screen._open(index)
    await wait_for(pilot, lambda: screen_name(pilot.app) == "CodeScreen" and pilot.app.screen.view,
                   what="the code")
    await quiet(pilot)


async def wizard_from_launch(pilot: Pilot, query: str) -> Keys:
    """Launch, open the guidance the query finds first, start coding; returns the key counter."""
    await wait_ready(pilot)
    keys = Keys(pilot)
    await open_guidance(pilot, keys, query)
    await start_wizard(pilot, keys)
    return keys


async def to_wizard(pilot: Pilot) -> None:
    """IPG75 after 'stent: yes': the type-of-stent question, L80.4 in the panel."""
    keys = await wizard_from_launch(pilot, "75")
    await answer(pilot, keys, "1")
    await quiet(pilot)


async def to_partial_wizard(pilot: Pilot) -> None:
    """IPG147, a draft pack from a cut-short source: the caution line above the question."""
    await wizard_from_launch(pilot, "147")
    await quiet(pilot)


async def to_review(pilot: Pilot) -> None:
    keys = await wizard_from_launch(pilot, "655")
    await answer(pilot, keys, "4", "1", "1")
    await wait_for_screen(pilot, "ReviewScreen")
    await wait_for(pilot, lambda: pilot.app.screen.edits is not None and pilot.app.screen.checked,
                   what="the edits")
    await quiet(pilot)


async def to_log(pilot: Pilot) -> None:
    await wait_ready(pilot)
    await code_ipg655(pilot, Keys(pilot))
    await pilot.press("ctrl+l")
    await wait_for(pilot, lambda: screen_name(pilot.app) == "LogScreen" and pilot.app.screen.shown,
                   what="the log")
    await quiet(pilot)


async def to_help(pilot: Pilot) -> None:
    await wait_ready(pilot)
    await pilot.press("f1")
    await wait_for_screen(pilot, "HelpScreen")
    await quiet(pilot)


async def to_worklist(pilot: Pilot) -> None:
    """Three PAS episodes, the first marked as a query."""
    import os

    import_worklist(Path(os.environ["WORKBENCH_HOME"]))
    await wait_ready(pilot)
    pilot.app.action_open_worklist()
    await wait_for(pilot, lambda: screen_name(pilot.app) == "WorklistScreen" and pilot.app.screen.items,
                   what="the worklist")
    pilot.app.screen.change(pilot.app.screen.items[0].id, "raise_query", "stent count not in the notes",
                            to="Mr C3345678")
    await wait_for(pilot, lambda: pilot.app.screen.items[0].status == "query", what="the query")
    await quiet(pilot)


SCREENS = {"search": to_search, "guidance": to_guidance, "code": to_code, "wizard": to_wizard,
           "partial_wizard": to_partial_wizard, "review": to_review, "log": to_log, "help": to_help,
           "worklist": to_worklist}


async def run_flow(name: str, log: str | None = None, reference: Path | None = None) -> int:
    """Launch the app, code one seed flow to saved, and return the keys it took."""
    app = WorkbenchApp(log=log, offer_drafts=False, reference=reference)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        keys = Keys(pilot)
        await FLOWS[name](pilot, keys)
        return keys.count


async def measure_flows(log: str | None = None, reference: Path | None = None) -> dict[str, int]:
    """Key counts of every seed flow (WORKBENCH_HOME must point at a scratch folder)."""
    return {name: await run_flow(name, log, reference) for name in FLOWS}


if __name__ == "__main__":
    print(asyncio.run(measure_flows()))


# ------------------------------------------------------------------ the coder's day: worklist episodes

WORKLIST_CSV = ("patient,nhs_number,episode,start_date,end_date,specialty,consultant\n"
                "WL001,,SP001,03/11/2025,04/11/2025,Cardiology,C1\n"
                "WL002,,SP002,04/11/2025,05/11/2025,Cardiology,C2\n"
                "WL003,,SP003,05/11/2025,,Urology,C3\n")


def import_worklist(folder: Path, text: str = WORKLIST_CSV, log: str | None = None) -> None:
    """Put three uncoded episodes on the worklist of the log (default: under WORKBENCH_HOME)."""
    from workbench.core.episodes import EpisodeLog
    from workbench.core.episodes.worklist import Worklist
    from workbench.core.paths import log_path

    extract = folder / "worklist.csv"
    extract.write_text(text, encoding="utf-8")
    with EpisodeLog(log_path(log)) as log:
        report = Worklist(log).import_file(extract)
    assert report.imported == text.count("\n") - 1, report


async def on_worklist(pilot: Pilot) -> None:
    await wait_ready(pilot)
    await wait_for(pilot, lambda: screen_name(pilot.app) == "WorklistScreen" and pilot.app.screen.items,
                   10.0, "the worklist")


async def worklist_ipg655(pilot: Pilot, keys: Keys) -> None:
    """Worklist to saved with IPG655: Enter, 655, Enter, c, 4 1 1, ctrl+s (details are filled in)."""
    await on_worklist(pilot)
    await keys.press("enter")
    await wait_for_screen(pilot, "SearchScreen")
    await open_guidance(pilot, keys, "655")
    await start_wizard(pilot, keys)
    await answer(pilot, keys, "4", "1", "1")
    await wait_for_screen(pilot, "ReviewScreen")
    await keys.press("ctrl+s")
    await wait_for_screen(pilot, "WorklistScreen", 10.0)


async def add_by_search(pilot: Pilot, keys: Keys, text: str, code: str) -> None:
    """Search text (not counted), Enter on the top hit: the code joins the episode (issue 22: one key)."""
    await keys.type_text(text)
    await wait_for(pilot, lambda: pilot.app.screen.shown_query == text, what=f"results for {text}")
    assert pilot.app.screen.hits[0].code == code, pilot.app.screen.hits[:3]
    session = pilot.app.keeper.session
    before = len(session.codes) if session is not None else 0
    await keys.press("enter")
    if session is None:   # no episode yet: Enter opens the code, `a` starts an episode with it
        await wait_for(pilot, lambda: screen_name(pilot.app) == "CodeScreen" and pilot.app.screen.view,
                       what=f"the code {code}")
        await keys.press("a")
    await wait_for(pilot, lambda: screen_name(pilot.app) == "SearchScreen" and pilot.app.keeper.session is not None
                   and len(pilot.app.keeper.session.codes) == before + 1 and not pilot.app.screen.shown_query,
                   what=f"{code} added")


async def worklist_free_coding(pilot: Pilot, keys: Keys) -> int:
    """Worklist to saved without guidance: two procedures and two diagnoses by search.

    Returns the characters of search text typed (not counted in ``keys``).
    """
    await on_worklist(pilot)
    await keys.press("enter")
    await wait_for_screen(pilot, "SearchScreen")
    searches = [("k578", "K57.8"), ("y534", "Y53.4"), ("i500", "I50.0"), ("i489", "I48.9")]
    for text, code in searches:
        await add_by_search(pilot, keys, text, code)
    await keys.press("ctrl+r")
    await wait_for_screen(pilot, "ReviewScreen")
    await keys.press("ctrl+s")
    await wait_for_screen(pilot, "WorklistScreen", 10.0)
    return sum(len(text) for text, _ in searches)


async def worklist_three_codes(pilot: Pilot, keys: Keys) -> int:
    """Worklist to saved, coded freely: a procedure and two diagnoses typed as words and codes, one
    of them a category (Enter lists its codes, most used first; Enter adds the first)."""
    await on_worklist(pilot)
    await keys.press("enter")
    await wait_for_screen(pilot, "SearchScreen")
    await add_by_search(pilot, keys, "lap chole", "J18.3")
    await add_by_search(pilot, keys, "gallstones", "K80.2")
    typed = len("lap chole") + len("gallstones")
    await keys.type_text("e11")
    await wait_for(pilot, lambda: pilot.app.screen.shown_query == "e11", what="results for e11")
    assert (pilot.app.screen.hits[0].kind, pilot.app.screen.hits[0].code) == ("icd10", "E11")
    await keys.press("enter")          # a category: its codes, the most used first, highlighted
    await wait_for(pilot, lambda: pilot.app.screen.shown_query == "E11"
                   and pilot.app.screen.query_one("#results").highlighted == 1, what="E11's codes")
    assert pilot.app.screen.hits[1].code == "E11.9"
    await keys.press("enter")
    await wait_for(pilot, lambda: len(pilot.app.keeper.session.codes) == 3, what="E11.9 added")
    await keys.press("ctrl+r")
    await wait_for_screen(pilot, "ReviewScreen")
    await keys.press("ctrl+s")
    await wait_for_screen(pilot, "WorklistScreen", 10.0)
    return typed + len("e11")


async def run_worklist_flow(name: str, log: str, reference: Path | None = None) -> tuple[int, int]:
    """A worklist flow on a fresh log: (keys pressed, characters of search text typed)."""
    import_worklist(Path(log).parent, log=log)
    app = WorkbenchApp(log=log, offer_drafts=False, reference=reference)
    async with app.run_test(size=SIZE) as pilot:
        keys = Keys(pilot)
        if name == "worklist IPG655":
            await worklist_ipg655(pilot, keys)
            return keys.count - 3, 3          # "655" went through Keys.press
        if name == "worklist three codes":
            typed = await worklist_three_codes(pilot, keys)
            return keys.count, typed
        typed = await worklist_free_coding(pilot, keys)
        return keys.count, typed


WORKLIST_FLOWS = ("worklist IPG655", "worklist without guidance", "worklist three codes")
