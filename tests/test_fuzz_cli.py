"""Fuzz suite: every CLI command, config files and rule pack files, with hostile arguments.

Whatever is typed, the command ends with exit code 0, 1 or 2, in bounded time, with no
traceback (and no "internal error" from the last-resort guard), and never repeats a
patient identifier on stderr. Identifiers are marked values (``Qxj...``) placed in the
identifying options, in --details content and as stray words, so a leak is visible.

The CLI runs in-process (one ``main(argv)`` per example) to keep the normal suite cheap;
the short runs are derandomised, the long runs (--long) explore many more examples.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.cli import main

#: A hang detector, not a performance figure: a normal example takes well under a second.
BOUND_SECONDS = 20
SHORT = settings(max_examples=25, derandomize=True, deadline=None, database=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
LONG = settings(max_examples=1500, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

PIECES = ["", " ", "-", "--", "=", "'", '"', "\x00", "\x1b[2J", "\u202e", "\ud800", "٣", "９", "é", "e\u0301",
          "😀", "\t", "\n", "%s", "{}", "[b]", "L80.4", "l804", "K57.8 Y02.1", "IPG655", "IPG75", "ipg 75",
          "2026-01-01", "2026-02-30", "9999-12-31", "943 476 5919", "0000000000", "99999999999999999999",
          "-99999999999999999999", "1e400", "0x10", "1_000", "NaN", "x" * 300]
TEXT = st.one_of(st.sampled_from(PIECES),
                 st.text(st.characters(blacklist_categories=("Cs",)), max_size=12),
                 st.lists(st.sampled_from(PIECES), max_size=4).map("".join))
NUMBER = st.one_of(st.integers(-(10**22), 10**22).map(str), st.sampled_from(PIECES))
IDENTIFIER = st.builds(lambda a, b: f"Qxj{a}{b}", st.text("ABCDEFGHJKLMNPRSTUVWXYZ", min_size=3, max_size=6),
                       st.sampled_from(["", " Smithq", "-77", "\x1b[1m", "é"]))


def marked_words(identifier: str) -> list[str]:
    """The parts of an identifier that must not reach stderr."""
    return [w for w in identifier.replace("\x1b[1m", " ").split() if len(w) >= 4]


@contextlib.contextmanager
def captured(stdin: str = ""):
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            yield out, err
    finally:
        sys.stdin = saved


def check_run(argv: list[str], identifiers: list[str], name: str, stdin: str = "") -> tuple[int, str, str]:
    started = time.monotonic()
    with captured(stdin) as (out, err):
        try:
            code = main(argv)
        except SystemExit as exc:       # argparse: --help, --version, usage errors
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    elapsed = time.monotonic() - started
    stderr = err.getvalue()
    assert code in (0, 1, 2), (name, argv, code, stderr)
    assert "Traceback (most recent call last)" not in stderr, (argv, stderr)
    assert "internal error" not in stderr, (argv, stderr)
    for identifier in identifiers:
        for word in marked_words(identifier):
            assert word not in stderr, (argv, word, stderr)
    assert elapsed < BOUND_SECONDS, (argv, elapsed)
    return code, out.getvalue(), stderr


@st.composite
def options(draw, spec: dict[str, st.SearchStrategy], most: int = 6) -> list[str]:
    """Some of the options in ``spec`` in random order, each with a drawn value (None: a flag)."""
    names = draw(st.lists(st.sampled_from(sorted(spec)), unique=True, max_size=min(most, len(spec))))
    argv: list[str] = []
    for name in names:
        value = draw(spec[name]) if spec[name] is not None else None
        argv += [name] if value is None else ([f"{name}={value}"] if draw(st.booleans()) else [name, value])
    return argv


FLAG = None
MOSTLY = st.sampled_from([True, True, True, False])    # hypothesis leans to the first: "usually"


def paths_in(folder: Path) -> st.SearchStrategy[str]:
    """Files that exist, do not, or are special; all inside the test's folder (or devices)."""
    return st.sampled_from([str(folder / "missing.db"), str(folder / "new" / "deep" / "log.db"), str(folder),
                            str(folder / "fifo"), "/dev/zero", "/dev/null", str(folder / "text.txt"),
                            str(folder / "pack.yaml"), ""])


@pytest.fixture(autouse=True)
def _relative_paths_land_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fuzzed text becomes relative file names (`--log l804`, `path = "x.db"`): keep them out of the repo."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def playground(tmp_path: Path, reference_db) -> Path:
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "text.txt").write_text("not a database\n")
    (tmp_path / "pack.yaml").write_text("id: IPG1\nguidance: IPG1\n")
    return tmp_path


# ------------------------------------------------------------------ command groups


def log_add_argv(draw) -> tuple[list[str], list[str], str]:
    patient, episode = draw(IDENTIFIER), draw(IDENTIFIER)
    spec = {"--nhs": NUMBER, "--date": TEXT, "--specialty": TEXT, "--note": TEXT, "--procedures": TEXT,
            "--diagnoses": TEXT, "--guidance": TEXT, "--answer": TEXT, "--override": TEXT, "--json": FLAG}
    argv = ["log", "add", *draw(options(spec, most=2))]
    # Mostly a usable episode, so that the examples reach the rules, the checks and the save.
    if draw(MOSTLY):
        argv += ["--procedures", draw(st.sampled_from(["K57.8", "L80.4 Y53.9", "Y53.9 L80.4", "K٥٧.٨",
                                                       "L80.4 L80.4", "I10"]))]
    stdin = ""
    if draw(st.booleans()):
        argv += ["--patient", patient, "--episode", episode, "--date", "2026-01-05"]
    elif draw(MOSTLY):
        argv += ["--details", "-"]
        stdin = draw(st.sampled_from([
            f"patient={patient}\nepisode={episode}\ndate=2026-01-05\n",
            f'{{"patient": "{patient}", "episode": "{episode}", "date": "2026-01-05"}}',
            f"{patient}\n", f"patient={patient}\nwho={episode}\n", f'{{"patient": ["{patient}"]}}',
            f'{{"patient": "{patient}"', f"patient={patient}\npatient={episode}\n"]))
    if not draw(MOSTLY):
        argv.append(draw(IDENTIFIER).split()[0])   # a stray word, as from an unquoted name
    return argv, [patient, episode], stdin


@st.composite
def log_commands(draw, folder: Path):
    action = draw(st.sampled_from(["add", "list", "show", "amend", "void", "export", "verify", "drafts"]))
    patient = draw(IDENTIFIER)
    if action == "add":
        argv, identifiers, stdin = log_add_argv(draw)
    else:
        stdin, identifiers = "", [patient]
        spec: dict[str, st.SearchStrategy | None] = {"--json": FLAG}
        positional: list[str] = []
        if action == "list":
            spec |= {"--patient": st.just(patient), "--nhs": NUMBER, "--code": TEXT, "--guidance": TEXT,
                     "--coder": TEXT, "--since": TEXT, "--until": TEXT, "--status": TEXT, "--limit": NUMBER}
        elif action in ("show", "amend", "void"):
            positional = [draw(NUMBER)]
            spec |= {"--history": FLAG} if action == "show" else {"--reason": TEXT}
            if action == "amend":
                spec |= {"--note": TEXT, "--procedures": TEXT, "--diagnoses": TEXT, "--override": TEXT,
                         "--details": st.sampled_from(["-", str(folder / "fifo"), "/dev/zero", str(folder)])}
                stdin = draw(st.sampled_from(["", "reason=checked\n", f"{patient}\n", "reason=\x1b[2J\n"]))
        elif action == "export":
            spec = {"--format": TEXT, "--since": TEXT, "--until": TEXT, "--all-versions": FLAG,
                    "--output": st.sampled_from([str(folder / "out.csv"), str(folder / "new" / "out.json"),
                                                 str(folder), str(folder / "fifo")])}
        elif action == "drafts":
            spec |= {"--discard": NUMBER}
        argv = ["log", action, *positional, *draw(options(spec))]
    if draw(st.booleans()):
        argv = ["--log", draw(st.one_of(paths_in(folder), paths_in(folder), TEXT)), *argv]
    return argv, identifiers, stdin


@settings(SHORT, max_examples=60)
@given(data=st.data())
def test_fuzz_log_commands(playground: Path, data) -> None:
    argv, identifiers, stdin = data.draw(log_commands(playground))
    check_run(argv, identifiers, "log", stdin)


@pytest.mark.slow
@LONG
@given(data=st.data())
def test_fuzz_log_commands_long(playground: Path, data) -> None:
    argv, identifiers, stdin = data.draw(log_commands(playground))
    check_run(argv, identifiers, "log (long)", stdin)


GROUPS = ["search", "code", "rules", "import", "worklist", "audit", "stats", "top"]


@st.composite
def other_commands(draw, folder: Path, group: str):
    if group == "search":
        argv = ["search", draw(TEXT), *draw(options({"--kind": TEXT, "--limit": NUMBER, "--json": FLAG}))]
    elif group == "code":
        argv = ["code", draw(st.one_of(TEXT, st.sampled_from(["IPG655", "IPG75", "ipg 75", "655"]))),
                *draw(options({"--answer": TEXT, "-a": st.sampled_from(["stent=yes", "x=", "=", "image_control=9"]),
                               "--json": FLAG}))]
    elif group == "rules":
        action = draw(st.sampled_from(["list", "show", "paths", "check"]))
        positional = [draw(st.one_of(TEXT, paths_in(folder)))] if action != "list" else []
        argv = ["rules", action, *positional, *draw(options({"--json": FLAG}))]
    elif group == "import":
        argv = ["import", draw(st.sampled_from(["opcs4", "icd10", "x"])), draw(st.one_of(paths_in(folder), TEXT)),
                *draw(options({"--json": FLAG}))]
    elif group == "worklist":
        action = draw(st.sampled_from(["import", "list", "show", "query", "queries", "remove"]))
        spec: dict[str, st.SearchStrategy | None] = {"--json": FLAG}
        positional: list[str] = []
        if action == "import":
            extract = folder / "extract.csv"
            patient = draw(IDENTIFIER)
            identifiers = [patient]
            extract.write_text(draw(st.sampled_from([
                f"patient,episode,start\n{patient},E1,01/02/2026\n", f"patient,episode\n{patient},E1\n",
                f"patient,episode,start,nhs\n{patient},E1,31/02/2026,0000000000\n", "",
                f"Hosp No,Spell,Adm\n{patient},S,2026-01-01\n",
                f"Hosp No,Spell No,Epi No,Adm Date,Disch Date,Odd\n{patient},S,2,1/1/2026,3/1/2026,\x1b[2J\n"])))
            positional = [draw(st.sampled_from([str(extract), str(folder / "fifo"), "/dev/zero", str(folder)]))]
            spec |= {"--map": st.sampled_from(["Hosp No=patient", "Spell=episode", "x", "=", "Adm=start_date"])}
            argv = ["worklist", action, *positional, *draw(options(spec))]
            return argv, identifiers, ""
        if action == "list":
            spec |= {"--status": TEXT, "--specialty": TEXT, "--since": TEXT, "--until": TEXT}
        elif action == "queries":
            spec |= {"--older-than": st.one_of(TEXT, st.sampled_from(["7d", "2w", "0", "-1"]))}
        else:
            positional = [draw(NUMBER)]
            if action == "query":
                spec |= {"--note": TEXT, "--to": TEXT, "--sent": TEXT, "--reply": TEXT, "--resolve": FLAG,
                         "--reopen": FLAG}
            elif action == "remove":
                spec |= {"--reason": TEXT}
        argv = ["worklist", action, *positional, *draw(options(spec))]
    elif group == "audit":
        action = draw(st.sampled_from(["new", "list", "show", "compare", "review", "report", "code"]))
        positional = [draw(NUMBER) for _ in range({"new": 0, "list": 0, "show": 1, "report": 1}.get(action, 2))]
        spec = {"--json": FLAG}
        if action == "new":
            spec |= {"--size": NUMBER, "--since": TEXT, "--until": TEXT, "--coder": TEXT, "--specialty": TEXT,
                     "--guidance": TEXT, "--seed": NUMBER, "--stratify": TEXT, "--name": TEXT, "--auditor": TEXT}
        elif action == "review":
            positional.append(draw(NUMBER))
            spec |= {"--error-type": TEXT, "--note": TEXT, "--agree": FLAG}
        elif action == "code":
            spec |= {"--procedures": TEXT, "--diagnoses": TEXT, "--guidance": TEXT, "--override": TEXT}
        elif action == "report":
            spec |= {"--csv": st.sampled_from([str(folder / "r.csv"), "-", str(folder), "/dev/zero"]),
                     "--html": st.sampled_from([str(folder / "r.html"), str(folder / "fifo")])}
        argv = ["audit", action, *positional, *draw(options(spec))]
    elif group == "stats":
        argv = ["stats", *draw(options({"--since": TEXT, "--until": TEXT, "--by": TEXT, "--json": FLAG}))]
    else:
        argv = draw(st.lists(st.one_of(TEXT, st.sampled_from(["--log", "--theme", "--version", "-h", "log"])),
                             max_size=4))
    return argv, [], ""


@pytest.mark.parametrize("group", GROUPS)
@SHORT
@given(data=st.data())
def test_fuzz_other_commands(playground: Path, group: str, data) -> None:
    argv, identifiers, stdin = data.draw(other_commands(playground, group))
    check_run(argv, identifiers, group, stdin)


@pytest.mark.slow
@pytest.mark.parametrize("group", GROUPS)
@LONG
@given(data=st.data())
def test_fuzz_other_commands_long(playground: Path, group: str, data) -> None:
    argv, identifiers, stdin = data.draw(other_commands(playground, group))
    check_run(argv, identifiers, group, stdin)


# ------------------------------------------------------------------ config files

CONFIG_LINES = ['log = "string"', "[log]", "path = 5", 'path = "x.db"', "path = ''", "[coder]", "name = 7",
                'name = "me"', "[keys]", '"review.save" = "ctrl+s"', '"x" = 5', "theme = 3", 'theme = "nope"',
                "log = [1, 2]", "[[log]]", "= =", "[log", 'path = "\\u0000"', "keys = {}", "[log.path]"]
CONFIG = st.one_of(
    st.lists(st.sampled_from(CONFIG_LINES), max_size=6).map(lambda lines: "\n".join(lines).encode()),
    st.binary(max_size=60),
    st.text(max_size=60).map(lambda t: t.encode("utf-8", "surrogatepass")),
)


def check_config(home: Path, content: bytes, name: str) -> None:
    (home / "config.toml").write_bytes(content)
    code, _, stderr = check_run(["log", "list"], [], name)
    if code == 2:
        assert len(stderr.strip().splitlines()) == 1 and "config.toml" in stderr or "log" in stderr, stderr


@SHORT
@given(content=CONFIG)
def test_fuzz_config_files(isolated_home: Path, content: bytes) -> None:
    check_config(isolated_home, content, "config")


@pytest.mark.slow
@LONG
@given(content=CONFIG)
def test_fuzz_config_files_long(isolated_home: Path, content: bytes) -> None:
    check_config(isolated_home, content, "config (long)")


# ------------------------------------------------------------------ rule pack files

PACK_LINES = ["id: IPG9002", "guidance: IPG9002", "title: T", 'version: "1.0"', "status: draft", "source: s",
              "questions:", "  - id: q", "    kind: yesno", "    kind: choice", "    prompt: P?", "    options:",
              "      - value: a", "procedures:", "  - code: A09.1", "    when: q", "    reason: r", "    when: q == 'a'",
              "  - each: g", "&a [*a, *a]", "- *a", "!!python/object:os.system", "? [x]", "\t- bad", "{", "'"]
PACK = st.one_of(
    st.lists(st.sampled_from(PACK_LINES), max_size=20).map(lambda lines: "\n".join(lines).encode()),
    st.binary(max_size=80),
)


@SHORT
@given(content=PACK)
def test_fuzz_rule_pack_files(tmp_path: Path, reference_db, content: bytes) -> None:
    pack = tmp_path / "fuzz.yaml"
    pack.write_bytes(content)
    code, out, _ = check_run(["rules", "check", str(pack)], [], "rule pack")
    assert code in (0, 1) and "1 pack checked" in out


@pytest.mark.slow
@LONG
@given(content=PACK)
def test_fuzz_rule_pack_files_long(tmp_path: Path, reference_db, content: bytes) -> None:
    pack = tmp_path / "fuzz.yaml"
    pack.write_bytes(content)
    check_run(["rules", "check", str(pack)], [], "rule pack (long)")


def test_the_fuzz_identifier_check_can_fail(monkeypatch) -> None:
    """The leak check is real: with argparse's own messages back, the stray word is caught."""
    import workbench.cli

    assert marked_words("QxjABC Smithq") == ["QxjABC", "Smithq"]
    argv = ["log", "add", "--patient", "QxjABCD", "QxjLEAK"]
    check_run(argv, ["QxjLEAK"], "self-test")
    monkeypatch.setattr(workbench.cli, "redact_argparse_message", lambda message: message)
    with pytest.raises(AssertionError, match="QxjLEAK"):
        check_run(argv, ["QxjLEAK"], "self-test")
