"""Keystrokes from launch to saved for the two seed episodes, counted by the TUI's Pilot flows.

Reuses tests/tui_flows.py (the same driver the app's flow tests use), which counts
every key pressed except the characters of the identifiers (patient, episode
reference, date). No baseline: the goal is an absolute count.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from benchmarks.common import Result, at_most

KEY_GOAL = 12
#: IPG75 gives no diagnosis: its flow adds the primary diagnosis from the review (ctrl+n, Enter;
#: the search text typed apart), which a finished episode needs (issue 21).
FLOW_GOALS = {"IPG655": KEY_GOAL, "IPG75": KEY_GOAL + 2}
#: The coder's day (issue 14): from the worklist to saved, search text counted apart.
WORKLIST_GOALS = {"worklist IPG655": 8, "worklist without guidance": 20,
                  # issue 22: one key to add; a category's codes one key away
                  "worklist three codes": 12}


def run(work: Path) -> list[Result]:
    from tests.tui_flows import FLOWS, run_flow

    log = work / "keystrokes" / "log.db"
    log.parent.mkdir(parents=True, exist_ok=True)
    results = []
    for name in FLOWS:
        keys = asyncio.run(run_flow(name, log=str(log)))
        goal = FLOW_GOALS.get(name, KEY_GOAL)
        results.append(Result(f"keystrokes to code and save {name}", float(keys), "keys", None, None,
                              f"<= {goal}", at_most(keys, goal),
                              "tests/tui_flows.py Pilot flow, identifiers (and IPG75's diagnosis search "
                              "text) not counted"))
    from tests.tui_flows import WORKLIST_FLOWS, run_worklist_flow

    for name in WORKLIST_FLOWS:
        log = work / "keystrokes" / name.replace(" ", "-") / "log.db"
        log.parent.mkdir(parents=True, exist_ok=True)
        keys, typed = asyncio.run(run_worklist_flow(name, str(log)))
        goal = WORKLIST_GOALS[name]
        results.append(Result(f"keystrokes {name} to saved", float(keys), "keys", None, None,
                              f"<= {goal} (+{typed} chars of search text)", at_most(keys, goal),
                              "tests/tui_flows.py Pilot flow from the worklist, search text apart"))
    return results
