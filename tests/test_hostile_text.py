"""Stored and imported text never drives the terminal (issue 25): ESC, BEL, OSC, CSI, the C1
CSI U+009B and the right-to-left override U+202E fed through every field of every output,
in the commands (this file) and on the app's screens (test_hostile_text_app.py).

Every output is checked for the raw characters; each field's text must still be there,
shown with escapes (safetext.visible), so nothing is silently dropped either.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.cli_run import run

# Each field gets its own marker so the test can find it, escaped, in the output.
ATTACKS = ["\x1b[2J", "\x07", "\x1b]0;owned\x07", "\x1b[31m", "\x9b31m", "\u202e"]
RAW = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]|\r(?!\n)")


def hostile(name: str) -> str:
    return f"{name}" + "".join(ATTACKS) + "end"


def escaped(name: str) -> str:
    """How a field shows once escaped (the start of it: the marker and the first escape)."""
    return f"{name}\\x1b[2J\\x07"


def assert_clean(out: str, err: str, what: object) -> None:
    found = RAW.search(out + err)
    assert found is None, (what, repr(found.group()), (out + err)[max(0, found.start() - 40): found.end() + 40])


@pytest.fixture
def hostile_log(tmp_path, monkeypatch, capsys, reference_db) -> Path:
    """A log whose every text field, and a worklist whose every text field, is hostile."""
    log = tmp_path / "episodes.db"
    # (The coder is the OS login, and the config's labels refuse control characters.)
    details = (f"patient={hostile('PATIENT')}\nepisode={hostile('EPISODE')}\ndate=2025-01-02\n"
               f"specialty={hostile('SPECIALTY')}\nnote={hostile('NOTE')}\n")
    code, _, err = run(capsys, monkeypatch, "--log", str(log), "log", "add", "--details", "-",
                       "--procedures", "Y53.4 K57.8", "--diagnoses", "I50.9", "--override", hostile("OVERRIDE"), stdin=details)
    assert code == 0, err
    code, _, err = run(capsys, monkeypatch, "--log", str(log), "log", "amend", "1", "--details", "-",
                       "--procedures", "K57.8 Y53.4", "--diagnoses", "I50.9", stdin=f"reason={hostile('REASON')}\n")
    assert code == 0, err
    extract = tmp_path / "extract.csv"
    fields = {k: hostile("W" + k.upper()) for k in ("patient", "episode", "specialty", "consultant")}
    extract.write_text("patient,episode,start,specialty,consultant\n"
                       + ",".join([fields["patient"], fields["episode"], "01/02/2025", fields["specialty"],
                                   fields["consultant"]]) + "\n", encoding="utf-8")
    code, _, err = run(capsys, monkeypatch, "--log", str(log), "worklist", "import", str(extract))
    assert code == 0, err
    return log


COMMANDS = [
    (["log", "list"], ["PATIENT", "EPISODE"]),
    (["log", "list", "--json"], ["PATIENT", "EPISODE", "SPECIALTY", "REASON"]),
    (["log", "show", "1"], []),
    (["log", "show", "1", "--history"], ["PATIENT", "EPISODE", "REASON"]),
    (["log", "show", "1", "--history", "--json"], ["PATIENT", "NOTE", "REASON", "OVERRIDE"]),
    (["log", "export"], ["PATIENT", "EPISODE", "SPECIALTY", "REASON"]),
    (["log", "export", "--all-versions"], ["NOTE", "REASON", "OVERRIDE"]),
    (["log", "export", "--format", "json", "--all-versions"], ["PATIENT", "SPECIALTY", "NOTE", "OVERRIDE"]),
    (["log", "verify"], []),
    (["worklist", "list"], ["WPATIENT", "WEPISODE", "WSPECIALTY"]),
    (["worklist", "list", "--json"], ["WPATIENT", "WEPISODE", "WSPECIALTY", "WCONSULTANT"]),
    (["worklist", "show", "1"], ["WPATIENT", "WEPISODE", "WSPECIALTY", "WCONSULTANT"]),
    (["worklist", "show", "1", "--json"], ["WCONSULTANT"]),
    (["worklist", "query", "1", "--note", hostile("QUERY")], ["WPATIENT", "QUERY"]),
    (["worklist", "query", "1", "--note", hostile("QUERY"), "--json"], ["QUERY"]),
]


@pytest.mark.parametrize("argv, fields", COMMANDS, ids=[" ".join(c[0][:3]) for c in COMMANDS])
def test_every_log_and_worklist_output_escapes_stored_text(capsys, monkeypatch, hostile_log: Path,
                                                          argv: list[str], fields: list[str]) -> None:
    code, out, err = run(capsys, monkeypatch, "--log", str(hostile_log), *argv)
    assert code == 0, err
    assert_clean(out, err, argv)
    for field in fields:
        if "--json" in argv or "json" in argv:
            assert f"{field}\\u001b[2J\\u0007" in out, (field, out[:500])
        else:
            assert escaped(field) in out, (field, out[:500])


def test_json_keeps_the_data_exactly(capsys, monkeypatch, hostile_log: Path) -> None:
    for argv, who in ((["log", "list", "--json"], "PATIENT"), (["log", "export", "--format", "json"], "PATIENT"),
                      (["worklist", "list", "--json"], "WPATIENT")):
        code, out, _ = run(capsys, monkeypatch, "--log", str(hostile_log), *argv)
        assert json.loads(out)[0]["patient"] == hostile(who), argv


def test_an_export_file_is_escaped_like_the_terminal(capsys, monkeypatch, hostile_log: Path, tmp_path) -> None:
    for name in ("out.csv", "out.json"):
        code, _, err = run(capsys, monkeypatch, "--log", str(hostile_log), "log", "export", "-o", str(tmp_path / name))
        assert code == 0, err
        text = (tmp_path / name).read_bytes().decode("utf-8")
        assert_clean(text, "", name)
        assert "PATIENT" in text and ("\r\n" in text or name.endswith(".json"))


@pytest.fixture
def hostile_pack(tmp_path, monkeypatch) -> str:
    """IPG655's pack with its title, prompts, labels, notes and reasons made hostile."""
    from workbench.core.rules import files, loader

    source = (files.PACKS_DIR / "IPG655.yaml").read_text(encoding="utf-8")
    bad = '\\e[2J\\a\\e]0;owned\\a\\e[31m\\x9b31m\\u202e'
    source = source.replace("title: Cardiac contractility", f'title: "TITLE{bad}end Cardiac contractility')
    source = source.replace("for heart failure\nversion", 'for heart failure"\nversion', 1)
    source = source.replace("prompt: Image control", f'prompt: "PROMPT{bad}end"')
    source = source.replace("label: No image control used", f'label: "LABEL{bad}end"')
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "IPG655.yaml").write_text(source, encoding="utf-8")
    monkeypatch.setattr(loader, "PACKS_DIR", folder)
    monkeypatch.setattr(files, "PACKS_DIR", folder)
    return "IPG655"


@pytest.mark.parametrize("argv", [["rules", "list"], ["rules", "show", "IPG655"], ["rules", "list", "--json"],
                                  ["rules", "show", "IPG655", "--json"], ["code", "IPG655"],
                                  ["code", "IPG655", "--json"], ["rules", "paths", "IPG655"]])
def test_rule_pack_text_is_escaped(capsys, monkeypatch, reference_db, hostile_pack: str, argv) -> None:
    code, out, err = run(capsys, monkeypatch, *argv)
    assert code in (0, 1), err
    assert_clean(out, err, argv)
    if "paths" not in argv:
        assert "TITLE" in out or "PROMPT" in out or "LABEL" in out, out[:300]
