"""Fuzz suite of issue 25: worklist extracts, release files, checkpoint files, hostile homes and
paths through the commands, and text typed into every text box of the app.

Whatever the input: exit 0, 1 or 2 with no traceback and no "internal error", within a bound
(each command runs in a thread; one that does not finish is a hang and fails). The short
runs are derandomised and run in the normal suite; ``--long`` (make test-long) runs about
2,100 more cases: 500 extracts, 300 release files, 500 checkpoint files, 500 homes and
paths, and 300 strings typed into the app's boxes.
"""

from __future__ import annotations

import json
import os
import random
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_fuzz_cli import BOUND_SECONDS, captured

SHORT = settings(max_examples=15, derandomize=True, deadline=None, database=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def long(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def bounded_run(argv: list[str], stdin: str = "") -> tuple[int, str, str]:
    """``workbench ARGV`` in-process, in a thread: a hang is a failure, not a stuck suite."""
    from workbench.cli import main

    box: dict[str, object] = {}

    def work() -> None:
        with captured(stdin) as (out, err):
            try:
                box["code"] = main(argv)
            except SystemExit as exc:
                box["code"] = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
            box["out"], box["err"] = out.getvalue(), err.getvalue()

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(BOUND_SECONDS)
    assert not thread.is_alive(), f"hang: {argv!r}"
    code, out, err = box["code"], str(box["out"]), str(box["err"])
    assert code in (0, 1, 2), (argv, code, err)
    assert "Traceback (most recent call last)" not in err and "internal error" not in err, (argv, err)
    return int(code), out, err


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


NASTY = ["", "\x00", "\x1b[2J", "\u202e", "\ufeff", "\r", "\n", '"', "'", ",", "\t", "é", "９", "[/]",
         "x" * 140_000, "2025-02-30", "01/02/2025", "943 476 5919", "0000000000", "M", "F", "130", "-1"]
CELL = st.one_of(st.sampled_from(NASTY), st.text(max_size=10), st.sampled_from(["P1", "E1", "01/02/2025"]))


@st.composite
def extracts(draw) -> bytes:
    header = draw(st.sampled_from(["patient,episode,start", "patient\tepisode\tstart\tnhs\tsex\tage",
                                   "Hosp No,Spell,Adm", "", "\ufeffpatient,episode,start,end,specialty",
                                   "patient,patient,episode,start"]))
    rows = draw(st.lists(st.lists(CELL, min_size=0, max_size=7), max_size=5))
    separator = "\t" if "\t" in header else ","
    text = header + "\n" + "\n".join(separator.join(r) for r in rows)
    encoding = draw(st.sampled_from(["utf-8", "utf-16", "latin-1"]))
    return text.encode(encoding, "replace") + draw(st.binary(max_size=8))


def check_extract(tmp_path: Path, content: bytes) -> None:
    extract = tmp_path / "extract.csv"
    extract.write_bytes(content)
    bounded_run(["--log", str(tmp_path / "episodes.db"), "worklist", "import", str(extract)])
    bounded_run(["--log", str(tmp_path / "episodes.db"), "worklist", "list"])


@SHORT
@given(content=extracts())
def test_fuzz_worklist_extracts(tmp_path: Path, content: bytes) -> None:
    check_extract(tmp_path, content)


@pytest.mark.slow
@long(500)
@given(content=extracts())
def test_fuzz_worklist_extracts_long(tmp_path: Path, content: bytes) -> None:
    check_extract(tmp_path, content)


RELEASE_LINES = ["A01.1\tHemispherectomy", "A01\tcategory", "I10X\tI10X\tDEFAULT\t3\tHypertension\t\t\t\t\t\t\tx",
                 "CODE\tALT_CODE\tUSAGE\tUSAGE_UK\tDESCRIPTION\tMODIFIER_4\tMODIFIER_5\tQUALIFIERS\tGENDER_MASK"
                 "\tMIN_AGE\tMAX_AGE\tTREE_DESCRIPTION", "L80.4\t\x1b[2J", "Z99.9", "\t", "L8٠.4\tdigits",
                 "x" * 5000]


@st.composite
def releases(draw) -> tuple[str, bytes, bool]:
    lines = draw(st.lists(st.one_of(st.sampled_from(RELEASE_LINES), st.text(max_size=20)), max_size=8))
    content = "\r\n".join(lines).encode("utf-8", "surrogatepass") + draw(st.binary(max_size=6))
    return draw(st.sampled_from(["opcs4", "icd10"])), content, draw(st.booleans())


def check_release(tmp_path: Path, release: tuple[str, bytes, bool]) -> None:
    classification, content, replace = release
    path = tmp_path / "release.txt"
    path.write_bytes(content)
    bounded_run(["import", classification, str(path), *(["--replace"] if replace else [])])


@SHORT
@given(release=releases())
def test_fuzz_release_files(tmp_path: Path, reference_db, release) -> None:
    check_release(tmp_path, release)


@pytest.mark.slow
@long(300)
@given(release=releases())
def test_fuzz_release_files_long(tmp_path: Path, reference_db, release) -> None:
    check_release(tmp_path, release)


def _line() -> st.SearchStrategy[str]:
    field = st.one_of(st.integers(-5, 10**20), st.text(max_size=8), st.none(), st.booleans(),
                      st.sampled_from(["0" * 64, "f" * 64, "2025-01-01T00:00:00+00:00", [1, "x"], {"a": 1}]))
    item = st.fixed_dictionaries({}, optional={"versions": field, "head": field, "at": field, "log": field,
                                               "mac": field, "key": field, "sig": field, "verified": field,
                                               "tables": st.one_of(field, st.dictionaries(st.text(max_size=3),
                                                                                          st.lists(field, max_size=3),
                                                                                          max_size=2)),
                                               "episodes": field})
    return st.one_of(item.map(lambda d: json.dumps(d, default=str)), st.text(max_size=30),
                     st.sampled_from(['{"versions": 3, "he', "[]", "null", "x" * 20_000]))


@st.composite
def checkpoint_files(draw) -> tuple[bytes, str]:
    lines = draw(st.lists(_line(), max_size=6))
    tail = draw(st.sampled_from(["\n", "", "\n\n", "\r\n"]))
    command = draw(st.sampled_from(["verify", "checkpoint", "add", "verify --incremental", "list"]))
    return ("\n".join(lines) + tail).encode("utf-8", "surrogatepass"), command


def check_checkpoints(tmp_path: Path, case: tuple[bytes, str]) -> None:
    from workbench.core.episodes import EpisodeLog

    content, command = case
    log = tmp_path / "episodes.db"
    if not log.exists():
        EpisodeLog(log).close()
    file = tmp_path / "checkpoints.jsonl"
    file.write_bytes(content)
    argv = ["--log", str(log), "log", *command.split(), "--checkpoints", str(file)]
    if command == "add":
        argv = ["--log", str(log), "log", "add", "--details", "-", "--procedures", "K57.8"]
        os.environ["WORKBENCH_CHECKPOINTS"] = str(file)
        try:
            bounded_run(argv, stdin="patient=P\nepisode=E\ndate=2025-01-02\n")
        finally:
            del os.environ["WORKBENCH_CHECKPOINTS"]
        return
    if command == "list":
        argv = argv[:-2]
    bounded_run(argv)


@SHORT
@given(case=checkpoint_files())
def test_fuzz_checkpoint_files(tmp_path: Path, reference_db, case) -> None:
    check_checkpoints(tmp_path, case)


@pytest.mark.slow
@long(500)
@given(case=checkpoint_files())
def test_fuzz_checkpoint_files_long(tmp_path: Path, reference_db, case) -> None:
    check_checkpoints(tmp_path, case)


def hostile_paths(folder: Path) -> st.SearchStrategy[str]:
    return st.sampled_from(["~nosuchuser", "~nosuchuser/x", "~", "~/", str(folder / "fifo"), "/dev/zero",
                            "/dev/null", str(folder), str(folder / "file.txt"), "x" * 300, f"{folder}/a\nb",
                            f"{folder}/\x1b[2J.db", str(folder / "missing" / "deep.db"), "-", "", ".",
                            "/proc/self/mem", str(folder / "link")])


@st.composite
def path_cases(draw, folder: Path) -> tuple[dict[str, str], list[str]]:
    env = {}
    if draw(st.booleans()):
        env["WORKBENCH_HOME"] = draw(hostile_paths(folder))
    path = draw(hostile_paths(folder))
    argv = draw(st.sampled_from([
        ["--log", path, "log", "list"], ["log", "verify", "--checkpoints", path], ["log", "checkpoint",
                                                                                 "--checkpoints", path],
        ["log", "export", "-o", path], ["log", "verify", "--key-file", path], ["log", "key", "--new", path],
        ["worklist", "import", path], ["import", "opcs4", path], ["rules", "check", path], ["search", "k57"],
        ["log", "add", "--details", path, "--procedures", "K57.8"], ["--log", path, "log", "verify"]]))
    return env, argv


@pytest.fixture
def hostile_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "file.txt").write_text("not a database\n")
    (tmp_path / "link").symlink_to(tmp_path / "fifo")
    return tmp_path


def check_paths(case: tuple[dict[str, str], list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    env, argv = case
    with monkeypatch.context() as patched:
        for name, value in env.items():
            if "\x00" in value:
                continue
            patched.setenv(name, value)
        bounded_run(argv)


@SHORT
@given(data=st.data())
def test_fuzz_homes_and_paths(hostile_folder: Path, reference_db, monkeypatch, data) -> None:
    check_paths(data.draw(path_cases(hostile_folder)), monkeypatch)


@pytest.mark.slow
@long(500)
@given(data=st.data())
def test_fuzz_homes_and_paths_long(hostile_folder: Path, reference_db, monkeypatch, data) -> None:
    check_paths(data.draw(path_cases(hostile_folder)), monkeypatch)


# ------------------------------------------------------------------ the app's text boxes

TYPED = ["~nosuchuser/x.csv", "[/]", "[bold]x", "\x1b[2J", "\u202e", "/dev/zero", "%s", "{}", "9" * 40,
         "-1", "31/02/2025", "today", "l804", "ipg 655", "x" * 500, "é", "😀", "\\", "'", '"', " ", "from to"]


def typed_strings(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    alphabet = "".join(TYPED[:8]) + "abcXYZ019./-~ [](){}:;,\\"
    out = list(TYPED)
    while len(out) < count:
        out.append("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))))
    return out[:count]


async def type_into_every_box(make_app, isolated_home: Path, count: int, seed: int) -> None:
    """Each string into the search box, the worklist and log filters, the review form's fields
    and the export box; the app must stay up (no crash screen, the screen still answers)."""
    import datetime as dt

    from tests.tui_flows import import_worklist, screen_name, wait_for, wait_for_screen, wait_ready
    from workbench.core.episodes import CodedEntry, Coding, EpisodeDetails, EpisodeLog
    from workbench.core.paths import log_path

    import_worklist(isolated_home)
    with EpisodeLog(log_path()) as log:
        log.save(EpisodeDetails("P", "E", dt.date(2025, 1, 2)), Coding([CodedEntry("K57.8", "opcs4", "4")], []),
                 coder="c")
    app = make_app()
    strings = typed_strings(count, seed)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_ready(pilot)
        for n, text in enumerate(strings):
            box = n % 5
            if box == 0:
                app.go_home(clear=False)
                await wait_for_screen(pilot, "SearchScreen")
                app.screen.query_one("Input").value = text
            elif box == 1:
                app.action_open_worklist()
                await wait_for_screen(pilot, "WorklistScreen")
                app.screen.query_one("#worklist-filter").value = text
                app.screen.query_one("#worklist-filter").focus()
                await pilot.press("enter")
            elif box == 2:
                await pilot.press("ctrl+l")
                await wait_for_screen(pilot, "LogScreen")
                await pilot.press("e")
                await wait_for_screen(pilot, "TextModal")
                app.screen.query_one("#modal-input").value = text
                await pilot.press("enter")
            elif box == 3:
                app.keeper.current().details.update({"patient": text, "episode": text[::-1]})
                app.show_review()
                await wait_for_screen(pilot, "ReviewScreen")
                for field in ("patient", "date", "nhs", "age"):
                    app.screen.query_one(f"#{field}").value = text
            else:
                await pilot.press("ctrl+l")
                await wait_for_screen(pilot, "LogScreen")
                await pilot.press("f", *[ch for ch in text[:20] if ch.isprintable() and len(ch) == 1], "enter")
            await pilot.pause()
            await wait_for(pilot, lambda: screen_name(app) != "", what="a screen")
            assert app.is_running, (n, text)
        assert app.return_code in (None, 0)


async def test_fuzz_app_text_boxes(make_app, isolated_home: Path) -> None:
    await type_into_every_box(make_app, isolated_home, 25, seed=25)


@pytest.mark.slow
async def test_fuzz_app_text_boxes_long(make_app, isolated_home: Path) -> None:
    await type_into_every_box(make_app, isolated_home, 300, seed=int.from_bytes(os.urandom(2), "big"))
