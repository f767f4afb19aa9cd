"""Allocation in the commands and the app: assign, claim, release, the coder's own items
first, and a second coder told who is coding an item (the core rules run on both stores in
tests/test_log_contract.py)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_worklist import write_extract
from tests.tui_flows import SIZE, import_worklist, on_worklist, screen_name, wait_for
from workbench.core.episodes.identity import os_login


def test_cli_assign_claim_release_and_mine_first(tmp_path: Path, capsys) -> None:
    from workbench.cli import main
    from workbench.core.episodes import EpisodeLog
    from workbench.core.episodes.allocation import Allocations
    from workbench.core.episodes.identity import os_login

    me = os_login()
    extract = write_extract(tmp_path / "e.csv", 4, {})
    base = ["--log", str(tmp_path / "episodes.db"), "worklist"]
    assert main([*base, "import", str(extract)]) == 0
    capsys.readouterr()
    assert main([*base, "assign", "3", "--to", me, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["assigned_to"] == me
    assert main([*base, "claim", "1"]) == 0
    assert "yours to code until" in capsys.readouterr().out
    assert main([*base, "release", "1"]) == 0
    with EpisodeLog(tmp_path / "episodes.db") as log:        # bob, at his own terminal
        Allocations(log).claim(2, "bob")
    capsys.readouterr()
    assert main([*base, "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [i["id"] for i in listed] == [3, 1, 4, 2]          # mine, the free ones, bob's
    assert listed[3]["claimed_by"] == "bob"
    assert main([*base, "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert f"[for {me}]" in lines[0] and "[coding: bob]" in lines[3]
    assert main([*base, "list", "--mine", "--json"]) == 0
    assert [i["id"] for i in json.loads(capsys.readouterr().out)] == [3]
    assert main([*base, "claim", "2"]) == 1
    assert "being coded by bob" in capsys.readouterr().err
    assert main([*base, "release", "2"]) == 2
    assert "claimed by bob, not you" in capsys.readouterr().err
    assert main([*base, "release", "2", "--anyone"]) == 0
    assert main([*base, "claim", "2"]) == 0
    assert main([*base, "assign", "3", "--nobody"]) == 0
    assert "no one's list" in capsys.readouterr().out


def _claim_as(coder: str, item_id: int) -> None:
    from workbench.core.episodes import EpisodeLog
    from workbench.core.episodes.allocation import Allocations
    from workbench.core.paths import log_path

    with EpisodeLog(log_path()) as log:
        Allocations(log).claim(item_id, coder)


def _holder(item_id: int) -> str | None:
    from workbench.core.episodes import EpisodeLog
    from workbench.core.episodes.allocation import Allocations
    from workbench.core.paths import log_path

    with EpisodeLog(log_path()) as log:
        return Allocations(log).get(item_id).claimed_by


async def test_app_claims_on_enter_and_tells_the_second_coder_who_has_it(make_app, isolated_home: Path) -> None:
    import_worklist(isolated_home)
    _claim_as("bob", 1)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await on_worklist(pilot)
        # Bob's item goes last on this coder's list; put the cursor on it and press Enter.
        await wait_for(pilot, lambda: app.screen.items and app.screen.items[-1].id == 1, what="bob's item last")
        table = app.screen.query_one("#worklist-table")
        assert "bob" in str(table.get_row_at(len(app.screen.items) - 1))      # who is coding it, in the row
        table.move_cursor(row=len(app.screen.items) - 1)
        notes: list[str] = []
        original = app.notify
        app.notify = lambda message, **kw: (notes.append(str(message)), original(message, **kw))[1]
        await pilot.press("enter")
        await wait_for(pilot, lambda: any("being coded by bob" in n for n in notes), what="who has it")
        assert screen_name(app) == "WorklistScreen" and app.keeper.session is None
        # The first item on the list is free: Enter claims it and starts coding.
        table.move_cursor(row=0)
        first = app.screen.items[0].id
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(app) == "SearchScreen", what="coding started")
        assert _holder(first) == os_login()


async def test_c_claims_and_lets_go(make_app, isolated_home: Path) -> None:
    import_worklist(isolated_home)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await on_worklist(pilot)
        await wait_for(pilot, lambda: bool(app.screen.items), what="the list")
        item = app.screen.items[0].id
        await pilot.press("c")
        await wait_for(pilot, lambda: _holder(item) == os_login(), what="the claim")
        await wait_for(pilot, lambda: "mine" in str(app.screen.query_one("#worklist-table").get_row_at(0)),
                       what="shown in the row")
        assert f"coding: {os_login()} until" in str(app.screen.query_one("#worklist-detail").render())
        await pilot.press("c")
        await wait_for(pilot, lambda: _holder(item) is None, what="let go")
