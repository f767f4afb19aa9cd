"""Patient privacy on the command line: identifiers off the process list, out of error
messages, files private whatever the umask, and stored text that cannot drive the terminal."""

from __future__ import annotations

import io
import os
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from workbench.cli import main, redact_argparse_message
from workbench.core.paths import ensure_private_dir, exposure_warnings

PATIENT, NHS, EPISODE = "HOSP-123456", "943 476 5919", "SPELL-77"
DETAILS = f"patient={PATIENT}\nnhs={NHS}\nepisode={EPISODE}\ndate=2026-01-05\n"


def run(capsys, monkeypatch, *argv: str, stdin: str | None = None) -> tuple[int, str, str]:
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    try:
        code = main(list(argv))
    except SystemExit as exc:     # argparse
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


# ------------------------------------------------------------------ identifiers in, never echoed


def test_details_from_stdin_save_without_a_warning(capsys, monkeypatch, reference_db) -> None:
    code, out, err = run(capsys, monkeypatch, "log", "add", "--details", "-", "--procedures", "K57.8", "--diagnoses", "I50.0",
                         stdin=DETAILS)
    assert code == 0, err
    assert "saved episode 1" in out and "warning" not in err
    code, out, err = run(capsys, monkeypatch, "log", "list", "--nhs", "9434765919", "--json")
    assert f'"patient": "{PATIENT}"' in out and f'"episode": "{EPISODE}"' in out


def test_details_as_json_file(tmp_path, capsys, monkeypatch, reference_db) -> None:
    details = tmp_path / "details.json"
    details.write_text('{"patient": "P-1", "episode": "E-1", "date": "2026-01-05", "nhs": 9434765919}')
    code, out, err = run(capsys, monkeypatch, "log", "add", "--details", str(details), "--procedures", "K57.8", "--diagnoses", "I50.0")
    assert code == 0, err
    code, out, _ = run(capsys, monkeypatch, "log", "show", "1", "--json")
    assert '"nhs_number": "9434765919"' in out


def test_old_flags_still_work_and_warn(capsys, monkeypatch, reference_db) -> None:
    code, out, err = run(capsys, monkeypatch, "log", "add", "--patient", PATIENT, "--nhs", NHS,
                         "--episode", EPISODE, "--date", "2026-01-05", "--procedures", "K57.8", "--diagnoses", "I50.0")
    assert code == 0
    assert "--patient and --nhs and --episode on the command line" in err and "--details" in err
    assert PATIENT not in err and EPISODE not in err


@pytest.mark.parametrize("text, why", [
    ("patient=P\nJohn Smith\n", "stdin:2: expected key=value"),
    ("patient=P\nSmith=1\n", "stdin:2: unknown key"),
    ("patient=P\npatient=Q\n", "stdin:2: 'patient' is given twice"),
    ('{"patient": ["Smith"]}', "stdin:1: 'patient' must be text"),
    ('{"patient": "Smith"', "stdin:1: not valid JSON"),
    ("patient=Smith\n", "missing: episode, date"),
])
def test_bad_details_are_named_by_line_never_by_value(capsys, monkeypatch, text, why) -> None:
    code, _, err = run(capsys, monkeypatch, "log", "add", "--details", "-", "--procedures", "K57.8", "--diagnoses", "I50.0", stdin=text)
    assert code == 2 and why in err, err
    assert "Smith" not in err and "Traceback" not in err


def test_details_given_twice_is_refused(capsys, monkeypatch) -> None:
    code, _, err = run(capsys, monkeypatch, "log", "add", "--patient", "Smith", "--details", "-",
                       "--procedures", "K57.8", "--diagnoses", "I50.0", stdin=DETAILS)
    assert code == 2 and "patient is given both" in err and "Smith" not in err


def test_amend_reads_its_reason_from_details(capsys, monkeypatch, reference_db) -> None:
    assert run(capsys, monkeypatch, "log", "add", "--details", "-", "--procedures", "K57.8", "--diagnoses", "I50.0", stdin=DETAILS)[0] == 0
    code, out, err = run(capsys, monkeypatch, "log", "amend", "1", "--details", "-", "--procedures", "K57.8 Y02.1", "--diagnoses", "I50.0",
                         stdin="reason=Y code added after review\n")
    assert code == 0, err
    assert "amended episode 1, version 2" in out
    code, _, err = run(capsys, monkeypatch, "log", "amend", "1", "--procedures", "K57.8", "--diagnoses", "I50.0", stdin="")
    assert code == 2 and "missing: reason" in err


@pytest.mark.parametrize("argv", [
    ["log", "add", "--patient", "John", "Smith", "--episode", "E", "--date", "2026-01-01"],
    ["log", "list", "--status", "Smith"],
    ["Smith"],
    ["log", "show", "Smith"],
    ["log", "list", "--limit", "Smith"],
    ["search", "x", "--limit", "Smith"],
    ["log", "add", "--p=Smith"],        # ambiguous: --patient or --procedures
])
def test_argument_errors_never_repeat_a_value(capsys, monkeypatch, argv) -> None:
    code, out, err = run(capsys, monkeypatch, *argv, stdin="")
    assert code == 2
    assert "Smith" not in err + out, err
    assert "error" in err


def test_redaction_keeps_what_helps() -> None:
    assert redact_argparse_message("argument --status: invalid choice: 'x (choose from y)' "
                                   "(choose from 'final', 'voided')") == \
        "argument --status: invalid choice (choose from 'final', 'voided')"
    assert redact_argparse_message("argument id: invalid int value: 'Smith'") == "argument id: invalid int value"
    assert redact_argparse_message("the following arguments are required: --reason") == \
        "the following arguments are required: --reason"


def test_process_list_shows_no_identifier_while_a_save_waits(tmp_path, reference_db) -> None:
    """The documented safe form: `log add --details -`. A second process holds the write lock."""
    log = tmp_path / "shared.db"
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    first = subprocess.run([sys.executable, "-m", "workbench", "--log", str(log), "log", "add", "--details", "-",
                            "--procedures", "K57.8", "--diagnoses", "I50.0"], input="patient=A\nepisode=B\ndate=2026-01-01\n",
                           capture_output=True, text=True, env=env, timeout=120)
    assert first.returncode == 0, first.stderr
    holder = sqlite3.connect(log, isolation_level=None, timeout=10)
    holder.execute("BEGIN IMMEDIATE")
    try:
        saver = subprocess.Popen([sys.executable, "-m", "workbench", "--log", str(log), "log", "add",
                                  "--details", "-", "--procedures", "K57.8", "--diagnoses", "I50.0"], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        saver.stdin.write(DETAILS)
        saver.stdin.close()
        time.sleep(1.5)       # it is now waiting on the lock
        assert saver.poll() is None, "the save should be waiting for the lock"
        listed = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
        command_line = Path(f"/proc/{saver.pid}/cmdline").read_bytes().decode().replace("\0", " ")
        assert "--details -" in command_line
        for identifier in (PATIENT, "9434765919", NHS, EPISODE):
            assert identifier not in listed and identifier not in command_line
    finally:
        holder.execute("COMMIT")
        holder.close()
    saver.wait(timeout=120)
    out, err = saver.stdout.read(), saver.stderr.read()
    assert saver.returncode == 0, err
    assert "saved episode 2" in out


# ------------------------------------------------------------------ files private whatever the umask


def test_private_folders_whatever_the_umask(tmp_path) -> None:
    old = os.umask(0)
    try:
        ensure_private_dir(tmp_path / "a" / "b" / "c")
    finally:
        os.umask(old)
    for folder in ("a", "a/b", "a/b/c"):
        assert mode(tmp_path / folder) == 0o700, folder


def test_a_file_where_a_folder_should_be_is_refused(tmp_path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(NotADirectoryError):
        ensure_private_dir(tmp_path / "file")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    with pytest.raises(NotADirectoryError):
        ensure_private_dir(tmp_path / "dangling")


def test_log_and_folders_private_under_umask_000(tmp_path, reference_db) -> None:
    log = tmp_path / "x" / "y" / "episodes.db"
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    result = subprocess.run([sys.executable, "-c", "import os, sys; os.umask(0); from workbench.cli import main; "
                             "sys.exit(main(sys.argv[1:]))", "--log", str(log), "log", "add", "--details", "-",
                             "--procedures", "K57.8", "--diagnoses", "I50.0"], input=DETAILS, capture_output=True, text=True, env=env,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert mode(tmp_path / "x") == 0o700 and mode(log.parent) == 0o700
    assert mode(log) == 0o600
    for companion in (Path(f"{log}-wal"), Path(f"{log}-shm")):
        if companion.exists():
            assert mode(companion) == 0o600


def test_exposure_warnings_cover_folder_and_companions(tmp_path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o700)
    log = folder / "episodes.db"
    log.write_bytes(b"")
    log.chmod(0o600)
    assert exposure_warnings(log) == []
    folder.chmod(0o777)
    Path(f"{log}-wal").write_bytes(b"")
    Path(f"{log}-wal").chmod(0o644)
    warnings = exposure_warnings(log)
    assert any("folder" in w and "777" in w for w in warnings)
    assert any("-wal" in w and "644" in w for w in warnings)
    assert not any(w.startswith(f"{log} ") for w in warnings)


def test_cli_warns_about_an_open_folder(tmp_path, capsys, monkeypatch, reference_db) -> None:
    folder = tmp_path / "open"
    folder.mkdir()
    folder.chmod(0o777)
    code, _, err = run(capsys, monkeypatch, "--log", str(folder / "e.db"), "log", "list")
    assert code == 0
    assert "folder" in err and "chmod 700" in err


# ------------------------------------------------------------------ stored text cannot drive the terminal


def test_log_list_escapes_control_characters(capsys, monkeypatch, reference_db) -> None:
    stored = "patient=P\x1b[2J\u202eX\nepisode=E\x07\ndate=2026-01-05\n"
    assert run(capsys, monkeypatch, "log", "add", "--details", "-", "--procedures", "K57.8", "--diagnoses", "I50.0", stdin=stored)[0] == 0
    code, out, _ = run(capsys, monkeypatch, "log", "list")
    assert code == 0
    assert "\x1b" not in out and "\u202e" not in out and "\x07" not in out
    assert "P\\x1b[2J\\u202eX" in out and "E\\x07" in out
    code, out, _ = run(capsys, monkeypatch, "log", "show", "1", "--history")
    assert "\x1b" not in out and "P\\x1b[2J" in out


def test_ascii_only_output_falls_back_to_escapes(tmp_path, reference_db) -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), PYTHONIOENCODING="ascii")
    log = tmp_path / "e.db"
    base = [sys.executable, "-m", "workbench", "--log", str(log), "log"]
    added = subprocess.run([*base, "add", "--details", "-", "--procedures", "K57.8", "--diagnoses", "I50.0"],
                           input="patient=Zoë\nepisode=É1\ndate=2026-01-05\n".encode(), capture_output=True,
                           env=env, timeout=120)
    assert added.returncode == 0, added.stderr
    listed = subprocess.run([*base, "list"], capture_output=True, text=True, env=env, timeout=120)
    assert listed.returncode == 0 and "Traceback" not in listed.stderr
    assert "Zo\\xeb" in listed.stdout


def test_json_output_escapes_what_json_leaves_raw(capsys, monkeypatch, reference_db) -> None:
    import json

    stored = "patient=P\x9b2J\u202eX\x1b\nepisode=E\ndate=2026-01-05\n"
    assert run(capsys, monkeypatch, "log", "add", "--details", "-", "--procedures", "K57.8", "--diagnoses", "I50.0", stdin=stored)[0] == 0
    code, out, _ = run(capsys, monkeypatch, "log", "list", "--json")
    assert code == 0
    assert not any(ch in out for ch in "\x9b\u202e\x1b")
    assert json.loads(out)[0]["patient"] == "P\x9b2J\u202eX\x1b"


def test_every_file_the_workbench_writes_is_private_under_umask_000(tmp_path) -> None:
    """Issue 25: the log, its lock and checkpoints, the reference data, the import store, an export,
    a key file: all 0600 in 0700 folders, whatever the umask (the import store was 0644)."""
    home = tmp_path / "home"
    data = tmp_path / "data"
    release = tmp_path / "release.tsv"
    release.write_text("A01.1\tHemispherectomy\n")
    extract = tmp_path / "extract.csv"
    extract.write_text("patient,episode,start\nP9,E9,01/02/2025\n")
    steps = [["--log", str(data / "episodes.db"), "log", "add", "--details", "-", "--procedures", "K57.8",
              "--diagnoses", "I50.9"],
             ["--log", str(data / "episodes.db"), "log", "checkpoint"],
             ["--log", str(data / "episodes.db"), "log", "verify"],
             ["--log", str(data / "episodes.db"), "log", "export", "-o", str(data / "export.csv")],
             ["--log", str(data / "episodes.db"), "worklist", "import", str(extract)],
             ["import", "opcs4", str(release), "--replace"],
             ["log", "key", "--new", str(home / "keys" / "department.key")]]
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), WORKBENCH_HOME=str(home))
    for argv in steps:
        done = subprocess.run([sys.executable, "-c", "import os, sys; os.umask(0); from workbench.cli import main; "
                               "sys.exit(main(sys.argv[1:]))", *argv], input=DETAILS, capture_output=True,
                              text=True, env=env, timeout=300)
        assert done.returncode == 0, (argv, done.stderr)
    seen = set()
    for top in (home, data):
        for folder, _dirs, files in os.walk(top):
            assert mode(Path(folder)) == 0o700, folder
            for name in files:
                assert mode(Path(folder) / name) == 0o600, (folder, name)
                seen.add(name)
    assert {"episodes.db", "episodes.db-lock", "export.csv", "reference.db", "reference.imports.db",
            "department.key"} <= seen
    assert any(name.endswith(".jsonl") for name in seen)
