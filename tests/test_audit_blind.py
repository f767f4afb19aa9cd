"""The audit is blind: until the auditor saves an audit coding of a sampled episode, no screen
and no command shows the auditor that episode's codes, coder or checks. Every command and every
screen reachable by the auditor is tried; once an episode's audit coding is saved, its original
is shown (which proves the same checks would catch a leak)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest

from tests.tui_flows import wait_for, wait_for_screen, wait_ready
from workbench.core.audit import AuditCoding, Audits, checked_method
from workbench.core.episodes import CodedEntry, Coding, EpisodeDetails, EpisodeLog, bulk_load
from workbench.core.episodes.identity import os_login
from workbench.core.episodes.worklist import Worklist

LOGIN = os_login()                              # the auditor running every command and the app
SECRET_CODES = ("K57.8", "Y02.1", "I48.9")      # only the sampled episodes carry these
SECRET_CODER = "secret.coder"                   # and only they were saved by this login
SAMPLED = 6


def leaks(text: str) -> list[str]:
    return [s for s in (*SECRET_CODES, SECRET_CODER) if s in text]


@pytest.fixture
def audited_log(isolated_home: Path) -> Path:
    path = isolated_home / "episodes.db"
    secret = Coding([CodedEntry("K57.8", "opcs4", "OPCS-4.10"), CodedEntry("Y02.1", "opcs4", "OPCS-4.10")],
                    [CodedEntry("I48.9", "icd10", "ICD-10"), CodedEntry("I10", "icd10", "ICD-10")],
                    guidance_id="IPG655")
    plain = Coding([CodedEntry("K63.1", "opcs4", "OPCS-4.10")], [CodedEntry("I25.1", "icd10", "ICD-10")])
    with EpisodeLog(path) as log:
        bulk_load(log, [(EpisodeDetails(f"SAMPLED{n}", f"S{n}", dt.date(2025, 2, n + 1), specialty="cardiology"),
                         secret, SECRET_CODER) for n in range(SAMPLED)])
        sample = Audits(log).new_sample(checked_method(SAMPLED, 1), drawn_by=LOGIN)
        assert sample.size == SAMPLED and sample.auditor == LOGIN
        log.save(EpisodeDetails("VISIBLE", "V1", dt.date(2025, 3, 1), specialty="cardiology"), plain,
                 coder="other.coder")
        extract = path.parent / "extract.csv"
        extract.write_text("patient,episode,start_date\nSAMPLED0,S0,02/02/2025\nNEW,N1,03/03/2025\n")
        Worklist(log).import_file(extract)
    return path


def run(capsys, group: str, *argv: str, stdin: str = "") -> tuple[int, str]:
    """One CLI command as cli.main runs it; returns (exit code, everything printed)."""
    import sys

    from workbench import cli
    from workbench.commands import UserError, report_error

    del group
    sys.stdin = io.StringIO(stdin)
    try:
        args = cli.build_parser().parse_args(list(argv))
        try:
            code = int(args.handler(args) or 0)
        except UserError as exc:
            code = report_error(str(exc), exc.exit_code)
    finally:
        sys.stdin = sys.__stdin__
    out, err = capsys.readouterr()
    return code, out + err


COMMANDS = [
    ["log", "list"], ["log", "list", "--json"], ["log", "list", "--code", "K57.8"],
    ["log", "list", "--code", "K57.8", "--json"], ["log", "list", "--coder", SECRET_CODER],
    ["log", "list", "--guidance", "IPG655", "--json"], ["log", "list", "--status", "final"],
    ["log", "list", "--patient", "SAMPLED0", "--json"], ["log", "list", "--since", "2025-01-01"],
    ["log", "show", "1"], ["log", "show", "1", "--history"], ["log", "show", "1", "--json"],
    ["log", "show", "1", "--history", "--json"], ["log", "export"], ["log", "export", "--format", "json"],
    ["log", "export", "--all-versions"], ["log", "drafts"], ["log", "drafts", "--json"],
    ["worklist", "list", "--status", "all"], ["worklist", "show", "1", "--json"],
    ["audit", "list"], ["audit", "list", "--json"], ["audit", "show", "1"], ["audit", "show", "1", "--json"],
    ["audit", "compare", "1", "1"], ["audit", "compare", "1", "1", "--json"],
    ["audit", "review", "1", "1", "1", "--note", "x"], ["audit", "report", "1"], ["audit", "report", "1", "--json"],
    ["audit", "report", "1", "--csv", "-"], ["audit", "report", "1", "--html", "-"],
    ["stats", "--since", "2000-01-01", "--by", "specialty"], ["stats", "--since", "2000-01-01", "--json"],
]


@pytest.mark.parametrize("argv", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_no_command_shows_the_original_before_the_audit_coding(capsys, audited_log: Path, argv) -> None:
    code, printed = run(capsys, argv[0], *argv)
    assert "Traceback" not in printed and "internal error" not in printed
    assert not leaks(printed), f"{' '.join(argv)} showed {leaks(printed)}:\n{printed}"


def test_refusals_say_why(capsys, audited_log: Path) -> None:
    code, printed = run(capsys, "log", "log", "show", "3")
    assert code == 2 and "re-coding blind" in printed
    code, printed = run(capsys, "log", "log", "export")
    assert code == 2 and "blind for an audit" in printed
    code, printed = run(capsys, "audit", "audit", "compare", "1", "3")
    assert code == 2 and "not audited yet" in printed
    code, printed = run(capsys, "log", "log", "list")
    assert printed.count("(hidden: in your blind audit)") == SAMPLED and "K63.1" in printed


def test_after_the_audit_coding_the_original_is_shown(capsys, audited_log: Path) -> None:
    with EpisodeLog(audited_log) as log:
        Audits(log).save_coding(1, 1, AuditCoding(["K57.8"], ["I48.9"], [None], [], {}, []), auditor=LOGIN)
    code, printed = run(capsys, "audit", "audit", "compare", "1", "1")
    assert code == 0 and "K57.8 Y02.1" in printed and SECRET_CODER in printed
    code, printed = run(capsys, "log", "log", "show", "1", "--history")
    assert code == 0 and "K57.8" in printed
    code, printed = run(capsys, "log", "log", "show", "2")
    assert code == 2, "episode 2 is still blind"


def test_another_login_sees_the_log_as_it_is(capsys, audited_log: Path) -> None:
    with EpisodeLog(audited_log) as log:
        assert Audits(log).blind_episodes("someone.else") == set()
        assert len(Audits(log).blind_episodes(LOGIN)) == SAMPLED


async def test_no_screen_shows_the_original_before_the_audit_coding(make_app, audited_log: Path) -> None:
    def shown(app) -> str:
        """The screen's text (the SVG screenshot without its markup)."""
        import html
        import re

        svg = app.export_screenshot()
        body = svg[svg.find("<g class"):] if "<g class" in svg else svg
        return html.unescape(re.sub(r"<[^>]+>", "", body)).replace("\xa0", " ")

    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_ready(pilot)
        seen: dict[str, str] = {}

        async def visit(name: str, typed: str = "") -> None:
            await pilot.pause(0.3)
            text = shown(app)
            seen[name] = text.replace(typed, "(typed)", 1) if typed else text   # what the auditor typed

        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: "hidden: blind audit" in shown(app), what="the log's rows")
        await visit("log")
        await pilot.press("e")
        await visit("log export refused")
        await pilot.press("f")
        for text in ("K57.8", " IPG655", " final", " secret"):
            await pilot.press(*text)
            await visit(f"log filter {text}", text.strip())
            for _ in text:
                await pilot.press("backspace")
        await pilot.press("escape")
        app.push_screen(__import__("workbench.tui.screens.history", fromlist=["HistoryScreen"]).HistoryScreen(1))
        await wait_for(pilot, lambda: "re-coding blind" in shown(app), what="the hidden history")
        await visit("history")
        await pilot.press("a")
        await visit("history amend")
        await pilot.press("v")
        await visit("history void")
        await pilot.press("escape", "escape")
        await pilot.press("f2")
        await wait_for_screen(pilot, "WorklistScreen")
        await pilot.press("f")
        await pilot.press(*"all", "enter")
        await visit("worklist")
        await pilot.press("escape")
        await pilot.press("f5")
        await wait_for_screen(pilot, "StatsScreen")
        await pilot.press("f", *"from 1/1/2000 by specialty", "enter")
        await visit("stats")
        await pilot.press("escape")
        await pilot.press("f4")
        await wait_for_screen(pilot, "AuditSamplesScreen")
        await wait_for(pilot, lambda: "Audit sample 1" in shown(app), what="the samples")
        await visit("audit samples")
        await pilot.press("enter")
        await wait_for_screen(pilot, "AuditSampleScreen")
        await wait_for(pilot, lambda: "to code" in shown(app), what="the items")
        await visit("audit sample")
        await pilot.press("r")
        await wait_for_screen(pilot, "AuditReportScreen")
        await visit("audit report")
        await pilot.press("escape")
        await wait_for_screen(pilot, "AuditSampleScreen")
        await pilot.press("enter")                       # code the first one blind
        await wait_for(pilot, lambda: app.keeper.session is not None and app.keeper.session.audit,
                       what="the audit coding")
        await visit("search while auditing")
        await pilot.press("ctrl+r")
        await wait_for_screen(pilot, "ReviewScreen")
        await wait_for(pilot, lambda: "Audit coding (blind)" in shown(app), what="the review")
        await visit("review while auditing")
        await pilot.press("ctrl+s")
        await visit("save without codes")
        await pilot.press("f3")
        await wait_for_screen(pilot, "DraftsScreen")
        await visit("drafts")
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await visit("command palette")
        await pilot.press("escape")
        for name, text in seen.items():
            assert not leaks(text), f"{name} showed {leaks(text)}"
        assert "hidden: blind audit" in seen["log"] and "K63.1" in seen["log"]
        # The positive control: once saved, the comparison shows the original beside the audit.
        for typed, code, to in (("k631", "K63.1", "opcs4"), ("i251", "I25.1", "icd10")):
            await pilot.press("ctrl+n")                  # adds to the highlighted list; tab the other
            await wait_for_screen(pilot, "AddCodeModal")
            if app.screen.target != to:
                await pilot.press("tab")
            await pilot.press(*typed)
            await wait_for(pilot, lambda code=code: code in shown(app), what="the hit")
            await pilot.press("enter")
            await pilot.pause(0.3)
        await pilot.press("ctrl+s")
        await wait_for_screen(pilot, "AuditCompareScreen", timeout=10)
        await wait_for(pilot, lambda: "K57.8" in shown(app), what="the original, now shown")
        assert SECRET_CODER in shown(app)
        with EpisodeLog(audited_log) as log:
            assert log.count() == SAMPLED + 1 and log.get(1).latest.version == 1   # the log is untouched
