"""Fault suite: mutated copies of the shipped rule packs always get a linter message with a
line, never a traceback.

Two kinds of mutation, seeded so a failure can be replayed:
- breaking ones (a required key deleted, an unknown key, a bad status, an invalid code, a
  YAML syntax error, a NUL byte): the linter must report an error, on the right line where
  the mutation has one line;
- random ones (delete, duplicate, swap or edit lines): whatever they do, the linter must
  answer with messages that carry a line, and never fall back to "could not be checked".
The long variant (--long) runs many more of each; the CLI check runs `workbench rules check`
on a batch of mutants in a subprocess and looks for tracebacks.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from workbench.core.rules.lint import lint_file
from workbench.core.rules.loader import load_pack, pack_files
from workbench.core.rules.model import PackError

TOP_KEY = re.compile(r"^([a-z_]+):")
CODE_VALUE = re.compile(r"(\bcode: *)([A-Z]\d\d\.\d)")
REQUIRED = ("id", "guidance", "title", "version", "status")


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def breaking_mutation(text: str, rng: random.Random) -> tuple[str, str, int | None]:
    """(mutated text, what was done, the 1-based line the error belongs on, if one)."""
    lines = _lines(text)
    kind = rng.choice(["delete_required", "unknown_key", "bad_status", "bad_code", "yaml", "nul"])
    if kind == "delete_required":
        key = rng.choice(REQUIRED)
        index = next(i for i, line in enumerate(lines) if line.startswith(f"{key}:"))
        del lines[index]
        return "".join(lines), f"deleted '{key}'", None
    if kind == "unknown_key":
        index = rng.choice([i for i, line in enumerate(lines) if TOP_KEY.match(line)])
        lines[index] = "zz_" + lines[index]
        return "".join(lines), "unknown top-level key", index + 1
    if kind == "bad_status":
        index = next(i for i, line in enumerate(lines) if line.startswith("status:"))
        lines[index] = "status: maybe\n"
        return "".join(lines), "bad status", index + 1
    if kind == "bad_code":
        candidates = [i for i, line in enumerate(lines) if CODE_VALUE.search(line)]
        if candidates:
            index = rng.choice(candidates)
            lines[index] = CODE_VALUE.sub(lambda m: m.group(1) + m.group(2)[0] + "Q" + m.group(2)[2:], lines[index], 1)
            return "".join(lines), "invalid code", index + 1
    if kind == "nul":
        index = rng.randrange(len(lines))
        lines[index] = lines[index][:1] + "\x00" + lines[index][1:]
        return "".join(lines), "NUL byte", None
    index = rng.randrange(len(lines) + 1)
    lines.insert(index, "\t- [unclosed: {\n")         # a tab indent and an open flow: never YAML
    return "".join(lines), "YAML syntax error", None


def random_mutation(text: str, rng: random.Random) -> str:
    lines = _lines(text)
    for _ in range(rng.randint(1, 3)):
        if not lines:
            break
        index = rng.randrange(len(lines))
        action = rng.choice(["delete", "delete_block", "duplicate", "swap", "edit", "blank_value"])
        if action == "delete":
            del lines[index]
        elif action == "delete_block":
            del lines[index:index + rng.randint(2, 12)]
        elif action == "duplicate":
            lines.insert(index, lines[index])
        elif action == "swap" and index + 1 < len(lines):
            lines[index], lines[index + 1] = lines[index + 1], lines[index]
        elif action == "edit" and lines[index].strip():
            line = lines[index]
            at = rng.randrange(len(line))
            piece = rng.choice([":", "-", "{", "]", "#", "'", '"', "&a", "*a", "!!int", "0x", "é", "  ", "yes"])
            lines[index] = line[:at] + piece + line[at + rng.randint(0, 3):]
        elif action == "blank_value" and ":" in lines[index]:
            lines[index] = lines[index].split(":", 1)[0] + ":\n"
    return "".join(lines)


def assert_well_formed(messages, path: Path, text: str) -> None:
    last_line = len(_lines(text)) + 1
    for message in messages:
        assert message.path == str(path)
        assert 1 <= message.line <= last_line, (message, last_line)
        assert message.severity in ("error", "warning") and message.message.strip()
        assert "Traceback" not in message.message
        assert "could not be checked" not in message.message, message   # the linter's own crash net


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    return path


def loadable_packs() -> list[Path]:
    """Shipped packs that load as they are. A pack already broken (packs are being added as
    we go) reports its own first error, which could hide the mutation's; the rules tests
    catch those. The two seed packs must always be among them."""
    good = []
    for path in pack_files():
        try:
            load_pack(path)
        except PackError:
            continue
        good.append(path)
    assert {"IPG75.yaml", "IPG655.yaml"} <= {p.name for p in good}
    return good


def check_breaking(folder: Path, catalog, per_pack: int, seed: int | None) -> int:
    rng = random.Random(seed)
    checked = 0
    for source in loadable_packs():
        text = source.read_text(encoding="utf-8")
        for n in range(per_pack):
            mutated, what, line = breaking_mutation(text, rng)
            path = write(folder, f"{source.stem}-b{n}.yaml", mutated)
            messages = lint_file(path, catalog)
            assert_well_formed(messages, path, mutated)
            errors = [m for m in messages if m.severity == "error"]
            assert errors, f"{source.name}: {what} gave no error"
            if line is not None:
                assert line in {m.line for m in errors}, (source.name, what, line, errors)
            checked += 1
    return checked


def check_random(folder: Path, catalog, per_pack: int, seed: int | None) -> int:
    rng = random.Random(seed)
    checked = 0
    for source in pack_files():
        text = source.read_text(encoding="utf-8")
        for n in range(per_pack):
            mutated = random_mutation(text, rng)
            path = write(folder, f"{source.stem}-r{n}.yaml", mutated)
            assert_well_formed(lint_file(path, catalog), path, mutated)
            checked += 1
    return checked


def test_breaking_mutations_always_give_an_error_with_a_line(tmp_path: Path, catalog) -> None:
    assert check_breaking(tmp_path, catalog, per_pack=6, seed=1966) >= 6 * 2


def test_random_mutations_never_crash_the_linter(tmp_path: Path, catalog) -> None:
    assert check_random(tmp_path, catalog, per_pack=6, seed=655) == 6 * len(pack_files())


@pytest.mark.slow
def test_breaking_mutations_long(tmp_path: Path, catalog) -> None:
    check_breaking(tmp_path, catalog, per_pack=200, seed=None)


@pytest.mark.slow
def test_random_mutations_long(tmp_path: Path, catalog) -> None:
    check_random(tmp_path, catalog, per_pack=300, seed=None)


def test_cli_check_of_mutants_prints_lines_not_tracebacks(tmp_path: Path) -> None:
    rng = random.Random(75)
    files = []
    for source in loadable_packs():
        text = source.read_text(encoding="utf-8")
        files.append(write(tmp_path, f"{source.stem}-cli-b.yaml", breaking_mutation(text, rng)[0]))
        files.append(write(tmp_path, f"{source.stem}-cli-r.yaml", random_mutation(text, rng)))
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    result = subprocess.run([sys.executable, "-m", "workbench", "rules", "check", *map(str, files)],
                            capture_output=True, text=True, env=env, cwd=REPO_ROOT, timeout=300)
    assert "Traceback" not in result.stderr + result.stdout
    assert result.returncode == 1                          # the breaking mutants are errors
    reported = [line for line in result.stdout.splitlines() if ": error: " in line]
    assert reported and all(re.match(r"^.+\.yaml:\d+: error: \S", line) for line in reported)
    broken = {line.split(":", 1)[0] for line in reported}
    assert {str(f) for f in files if "-cli-b" in f.name} <= broken
