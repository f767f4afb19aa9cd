"""Every reproduction from the hostile-input trial ends with a clear message and exit 1 or 2,
quickly, and never a traceback: huge numbers, broken config files, special files, branchy
rule packs, no terminal, non-ASCII digits."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_run import run
from tests.conftest import REPO_ROOT
from workbench.core.safetext import canonical, fold_digits, visible

HUGE = "99999999999999999999"


def run_process(*argv: str, stdin=subprocess.DEVNULL, env: dict | None = None, timeout: float = 60):
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), **(env or {}))
    return subprocess.run([sys.executable, "-m", "workbench", *argv], stdin=stdin, capture_output=True,
                          text=True, env=env, timeout=timeout, cwd=REPO_ROOT)


# ------------------------------------------------------------------ numbers


@pytest.mark.parametrize("argv", [
    ["log", "list", "--limit", HUGE], ["log", "show", HUGE], ["log", "void", HUGE, "--reason", "x"],
    ["log", "amend", HUGE, "--reason", "x", "--procedures", "K57.8", "--diagnoses", "I50.0"], ["log", "drafts", "--discard", HUGE],
    ["search", "x", "--limit", HUGE], ["log", "list", "--limit", "0"], ["log", "show", "-1"],
    ["log", "show", "1e400"], ["search", "x", "--limit", "-" + HUGE],
])
def test_numbers_out_of_range_are_refused(capsys, monkeypatch, argv) -> None:
    code, _, err = run(capsys, monkeypatch, *argv)
    assert code == 2 and ("must be from" in err or "must be a whole number" in err), err


def test_the_largest_id_is_simply_not_found(capsys, monkeypatch) -> None:
    code, _, err = run(capsys, monkeypatch, "log", "show", str(2**63 - 1))
    assert code == 2 and "no episode" in err


# ------------------------------------------------------------------ config files


@pytest.mark.parametrize("content, expected", [
    (b'log = "string"\n', "config.toml:1: 'log' must be a table, not text"),
    (b"# mine\n[log]\npath = 5\n", "config.toml:3: 'log.path' must be text, not a number"),
    (b'[log]\npath = "\xff"\n', "config.toml:2: the config file is not UTF-8 text"),
    (b"[coder]\nname = [1]\n", "config.toml:2: 'coder.name' must be text, not a list"),
    (b"keys = 3\n", "config.toml:1: 'keys' must be a table"),
    (b"[log\n", "config.toml: "),
])
def test_config_mistakes_name_file_key_and_line(capsys, monkeypatch, isolated_home, content, expected) -> None:
    (isolated_home / "config.toml").write_bytes(content)
    code, _, err = run(capsys, monkeypatch, "log", "list")
    assert code == 2 and expected in err, err
    assert len(err.strip().splitlines()) == 1


def test_a_config_fifo_is_refused_without_hanging(capsys, monkeypatch, isolated_home) -> None:
    os.mkfifo(isolated_home / "config.toml")
    code, _, err = run(capsys, monkeypatch, "log", "list")
    assert code == 2 and "named pipe" in err


async def test_app_starts_with_defaults_and_says_why(isolated_home, reference_db) -> None:
    from tests.tui_flows import wait_ready
    from workbench.tui.app import WorkbenchApp

    (isolated_home / "config.toml").write_bytes(b'[log]\npath = "\xff"\n')
    app = WorkbenchApp(offer_drafts=False)
    async with app.run_test() as pilot:
        await wait_ready(pilot)
        messages = [n.message for n in app._notifications]
        assert any("config.toml:2" in m and "UTF-8" in m for m in messages), messages


# ------------------------------------------------------------------ special files


@pytest.mark.parametrize("make, kind", [
    (lambda p: os.mkfifo(p), "named pipe"),
    (lambda p: p.mkdir(), "folder"),
])
def test_special_files_are_refused_as_the_log(tmp_path, capsys, monkeypatch, make, kind) -> None:
    target = tmp_path / "episodes.db"
    make(target)
    code, _, err = run(capsys, monkeypatch, "--log", str(target), "log", "list")
    assert code == 2 and kind in err, err


def test_a_device_is_refused_as_the_log(capsys, monkeypatch) -> None:
    code, _, err = run(capsys, monkeypatch, "--log", "/dev/zero", "log", "list")
    assert code == 2 and "character device" in err


def finishes(work, seconds: float = 60):
    """Run ``work`` in a thread; its result, or a failure if it blocks (a hang, not a slow run)."""
    import threading

    box: list = []
    thread = threading.Thread(target=lambda: box.append(work()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "blocked: the file was opened before its type was checked"
    return box[0]


@pytest.mark.parametrize("target", ["/dev/zero", "fifo", "folder"])
def test_special_files_are_refused_as_rule_packs(tmp_path, target) -> None:
    from workbench.core.rules.lint import lint_file

    if target == "fifo":
        target = tmp_path / "pack.yaml"
        os.mkfifo(target)
    elif target == "folder":
        target = tmp_path
    messages = finishes(lambda: lint_file(Path(target), None))
    assert [m.severity for m in messages] == ["error"]
    assert "cannot be used as the rule pack" in messages[0].message


def test_rules_check_dev_zero_through_the_cli(capsys, monkeypatch, reference_db) -> None:
    code, out, _ = run(capsys, monkeypatch, "rules", "check", "/dev/zero")
    assert code == 1 and "/dev/zero:1: error: /dev/zero is a character device" in out


def test_a_huge_rule_pack_is_refused_by_size(tmp_path, capsys, monkeypatch) -> None:
    pack = tmp_path / "big.yaml"
    pack.write_text("id: X\n" + "# padding\n" * 30_000)
    code, out, _ = run(capsys, monkeypatch, "rules", "check", str(pack))
    assert code == 1 and "too large to be a rule pack" in out


def branchy_pack(questions: int) -> str:
    lines = ["id: IPG9001", "guidance: IPG9001", "title: Branchy", 'version: "1.0"', "status: draft",
             "source: x", "questions:"]
    for i in range(questions):
        lines += [f"  - id: q{i}", "    kind: yesno", f"    prompt: Question {i}?", "    source: s"]
    lines += ["procedures:", "  - code: A09.1", "    reason: r", "    source: s"]
    for i in range(questions):
        lines += ["  - code: Z01.6", f"    when: q{i}", "    reason: r", "    source: s"]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("questions", [16, 40, 300])
def test_branchy_packs_stop_with_a_clear_message(tmp_path, questions) -> None:
    from workbench.core.rules.lint import lint_file

    pack = tmp_path / "IPG9001.yaml"
    pack.write_text(branchy_pack(questions))
    messages = lint_file(pack, None)
    assert any("too many answer paths" in m.message and m.severity == "error" for m in messages), messages[:3]


def test_rule_paths_stop_on_a_work_bound_not_a_clock() -> None:
    from workbench.core.rules.loader import load_pack_text
    from workbench.core.rules.paths import TooManyPaths, enumerate_paths

    pack = load_pack_text(branchy_pack(9))
    assert len(enumerate_paths(pack, max_work=10**9)) == 2**9
    with pytest.raises(TooManyPaths, match="too many answer paths"):
        enumerate_paths(pack, max_work=1000)


# ------------------------------------------------------------------ no terminal, encodings


@pytest.mark.parametrize("stdin, term", [(subprocess.DEVNULL, "xterm-256color"), (subprocess.DEVNULL, "dumb")])
def test_app_refuses_to_start_without_a_terminal(stdin, term) -> None:
    result = run_process(stdin=stdin, env={"TERM": term}, timeout=20)
    assert result.returncode == 2
    assert "the app needs a terminal" in result.stderr and len(result.stderr.splitlines()) == 1
    assert "\x1b" not in result.stdout + result.stderr


def test_app_refuses_with_stdin_closed() -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    result = subprocess.run(f"exec {sys.executable} -m workbench <&-", shell=True, capture_output=True,
                            text=True, env=env, timeout=20, cwd=REPO_ROOT)
    assert result.returncode == 2 and "the app needs a terminal" in result.stderr, result.stderr


def test_non_ascii_digits_fold_and_all_same_numbers_are_refused(capsys, monkeypatch, reference_db) -> None:
    full_width = "patient=P\nnhs=９４３４７６５９１９\nepisode=E\ndate=2026-01-05\n"
    assert run(capsys, monkeypatch, "log", "add", "--details", "-", "--procedures", "K57.8", "--diagnoses", "I50.0", stdin=full_width)[0] == 0
    code, out, _ = run(capsys, monkeypatch, "log", "list", "--nhs", "٩٤٣٤٧٦٥٩١٩", "--json")
    assert code == 0 and '"nhs_number": "9434765919"' in out
    zeros = "patient=P\nnhs=0000000000\nepisode=E\ndate=2026-01-05\n"
    code, _, err = run(capsys, monkeypatch, "log", "add", "--details", "-", "--procedures", "K57.8", "--diagnoses", "I50.0", stdin=zeros)
    assert code == 2 and "identical digits" in err and "0000000000" not in err


def test_codes_typed_in_other_digits_are_read_as_ascii(capsys, monkeypatch, reference_db) -> None:
    details = "patient=P\nepisode=E\ndate=2026-01-05\n"
    code, out, err = run(capsys, monkeypatch, "log", "add", "--details", "-", "--procedures", "K٥٧.٨", "--diagnoses", "I50.0", stdin=details)
    assert code == 0, err
    assert "procedures K57.8" in out


def test_the_same_identifier_typed_two_ways_matches(capsys, monkeypatch, reference_db) -> None:
    decomposed = "Zoe\u0308"
    stdin = f"patient={decomposed}\nepisode=E\ndate=2026-01-05\n"
    assert run(capsys, monkeypatch, "log", "add", "--details", "-", "--procedures", "K57.8", "--diagnoses", "I50.0", stdin=stdin)[0] == 0
    code, out, _ = run(capsys, monkeypatch, "log", "list", "--patient", "Zo\u00eb", "--json")
    assert '"patient": "Zo\u00eb"' in out


def test_safetext_helpers() -> None:
    assert visible("a\x1b[2Jb\x9b\u202e\x7f\ud800") == "a\\x1b[2Jb\\x9b\\u202e\\x7f\\ud800"
    assert visible("Zoë L80.4 ٣") == "Zoë L80.4 ٣"
    assert fold_digits("９٤३ 5") == "943 5" and fold_digits("abc") == "abc"
    assert canonical("e\u0301") == "\u00e9"


def test_an_unreadable_log_folder_is_a_message(monkeypatch, tmp_path) -> None:
    from workbench.core import paths

    def refused(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(paths.os, "stat", refused)
    with pytest.raises(paths.ConfigError, match="folder cannot be entered"):
        paths.log_path(tmp_path / "locked" / "episodes.db")


# Found by the fuzz suite (tests/test_fuzz_cli.py): an option given "=--" reached the command
# as an empty list, and a name too long for the file system raised OSError from pathlib.
@pytest.mark.parametrize("argv", [
    ["search", "x", "--limit=--"], ["log", "list", "--patient=--"],
    ["rules", "check", "x" * 300], ["import", "opcs4", "x" * 300], ["--log", "x" * 300, "log", "list"],
    ["--log", "/etc/hostname/log.db", "log", "list"],
])
def test_fuzz_findings_end_in_a_message(capsys, monkeypatch, reference_db, argv) -> None:
    code, _, err = run(capsys, monkeypatch, *argv)
    assert code in (1, 2) and "workbench" in err.splitlines()[-1], err


@pytest.mark.parametrize("argv, expected", [
    (["worklist", "show", HUGE], "an id must be from"),
    (["worklist", "import", "/dev/zero"], "character device"),
    (["worklist", "list", "--specialty", "\ud800"], "not valid UTF-8"),   # found by the fuzz suite
])
def test_worklist_hostile_inputs(capsys, monkeypatch, argv, expected) -> None:
    code, _, err = run(capsys, monkeypatch, *argv)
    assert code == 2 and expected in err, err


def test_a_worklist_fifo_is_refused_without_hanging(tmp_path) -> None:
    from workbench.core.episodes.worklist_file import WorklistFileError, read_rows

    os.mkfifo(tmp_path / "extract.csv")

    def attempt() -> str:
        try:
            read_rows(tmp_path / "extract.csv")
        except WorklistFileError as exc:
            return str(exc)
        return "read"

    assert "named pipe" in finishes(attempt)


# ------------------------------------------------------------------ ~user, FIFOs, devices, huge (issue 25)


@pytest.mark.parametrize("home", ["~nosuchuser", "~nosuchuser/wb", "/etc/hostname", "/dev/null", "fifo"])
@pytest.mark.parametrize("argv", [["log", "list"], ["search", "x"], ["worklist", "list"], ["log", "verify"], []])
def test_an_unusable_home_is_one_line_in_every_command_and_the_app(tmp_path, home, argv) -> None:
    """The reproduction: WORKBENCH_HOME='~nosuchuser' gave a raw traceback (the crash handler failed too)."""
    if home == "fifo":
        home = str(tmp_path / "fifo")
        os.mkfifo(home)
    result = run_process(*argv, env={"WORKBENCH_HOME": home, "WORKBENCH_HEADLESS": "1",
                                     "WORKBENCH_EXIT_ON_READY": "1"}, timeout=60)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "WORKBENCH_HOME" in result.stderr


@pytest.mark.parametrize("argv", [
    ["--log", "~nosuchuser/e.db", "log", "list"],
    ["log", "verify", "--checkpoints", "~nosuchuser/c.jsonl"],
    ["log", "checkpoint", "--checkpoints", "~nosuchuser/c.jsonl"],
    ["log", "export", "-o", "~nosuchuser/out.csv"],
    ["log", "verify", "--key-file", "~nosuchuser/k"],
    ["log", "key", "--new", "~nosuchuser/k"],
    ["log", "add", "--details", "~nosuchuser/d.txt", "--procedures", "K57.8"],
    ["worklist", "import", "~nosuchuser/x.csv"],
    ["import", "opcs4", "~nosuchuser/x.tsv"],
    ["rules", "check", "~nosuchuser/p.yaml"],
])
def test_a_tilde_user_in_any_path_option_is_one_line(capsys, monkeypatch, reference_db, argv) -> None:
    from workbench.core.episodes import EpisodeLog
    from workbench.core.paths import log_path

    EpisodeLog(log_path()).close()
    code, _, err = run(capsys, monkeypatch, *argv)
    assert code in (1, 2) and len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize("key, value", [("path", "~nosuchuser/e.db"), ("checkpoints", "~nosuchuser/c.jsonl"),
                                        ("key_file", "~nosuchuser/k")])
def test_a_tilde_user_in_the_config_is_one_line(capsys, monkeypatch, isolated_home, key, value) -> None:
    (isolated_home / "config.toml").write_text(f'[log]\n{key} = "{value}"\n')
    (isolated_home / "config.toml").chmod(0o600)
    for argv in (["log", "list"], ["log", "verify"]):
        code, _, err = run(capsys, monkeypatch, *argv)
        if key == "key_file" and argv == ["log", "list"]:
            assert code == 0       # the key is read when a command needs it (saves, verify)
            continue
        assert code in (1, 2) and len(err.strip().splitlines()) == 1 and "nosuchuser" in err, (argv, err)


def test_a_worklist_field_over_128_kb_is_one_line(tmp_path, capsys, monkeypatch) -> None:
    extract = tmp_path / "extract.csv"
    extract.write_text("patient,episode,start\nP1,E1,01/02/2025\nP2," + "x" * 140_000 + ",01/02/2025\n")
    code, _, err = run(capsys, monkeypatch, "worklist", "import", str(extract))
    assert code == 2 and "line 3" in err and "too long" in err and "xxxx" not in err
    assert len(err.strip().splitlines()) == 1


async def test_the_app_export_box_takes_a_tilde_user_or_markup_without_stopping(make_app, tmp_path) -> None:
    import datetime as dt

    from tests.tui_flows import screen_name, wait_for, wait_for_screen, wait_ready
    from workbench.core.episodes import CodedEntry, Coding, EpisodeDetails, EpisodeLog
    from workbench.core.paths import log_path

    with EpisodeLog(log_path()) as log:
        log.save(EpisodeDetails("P", "E", dt.date(2025, 1, 2)), Coding([CodedEntry("K57.8", "opcs4", "4")], []),
                 coder="c")
    app = make_app()
    async with app.run_test() as pilot:
        await wait_ready(pilot)
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: screen_name(app) == "LogScreen" and app.screen.shown, what="the log")
        for name in ("~nosuchuser/out.csv", f"{tmp_path}/[/]x.csv", str(tmp_path / "fifo")):
            if name.endswith("fifo"):
                os.mkfifo(name)
            await pilot.press("e")
            await wait_for_screen(pilot, "TextModal")
            app.screen.query_one("#modal-input").value = name
            await pilot.press("enter")
            await wait_for(pilot, lambda: any(n.title == "Not exported" for n in app._notifications)
                           or any("Exported" in n.message for n in app._notifications), what="the export")
            app._notifications.clear()
        assert screen_name(app) == "LogScreen"
