"""`workbench rules check` remembers what it said about packs that have not changed (issue 28 item 6).

The cache lives in the user's data folder, keyed on each file's content (looked at when its size or
time changed), the linter's code and the classifications; anything else lints again.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pytest

from workbench.core.rules import lint_cache
from workbench.core.rules.lint import lint_files
from workbench.core.rules.lint_cache import lint_files_cached
from workbench.core.rules.loader import PACKS_DIR

SOME = ("IPG75", "IPG655", "IPG387", "IPG328")


@pytest.fixture
def packs(tmp_path: Path) -> Path:
    folder = tmp_path / "packs"
    folder.mkdir()
    for name in SOME:
        shutil.copy(PACKS_DIR / f"{name}.yaml", folder / f"{name}.yaml")
    return folder


def as_text(messages) -> list[str]:
    return sorted(map(str, messages))


def test_an_unchanged_pack_is_replayed_and_says_the_same(packs: Path, catalog, tmp_path: Path) -> None:
    cache = tmp_path / "cache.json"
    count, first, replayed = lint_files_cached([packs], catalog, cache)
    assert (count, replayed) == (4, 0)
    count, second, replayed = lint_files_cached([packs], catalog, cache)
    assert (count, replayed) == (4, 4)
    assert as_text(second) == as_text(first) == as_text(lint_files([packs], catalog)[1])
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600


def test_a_changed_pack_is_linted_again_and_a_touched_one_is_not(packs: Path, catalog, tmp_path: Path) -> None:
    cache = tmp_path / "cache.json"
    lint_files_cached([packs], catalog, cache)
    broken = packs / "IPG75.yaml"
    broken.write_text(broken.read_text(encoding="utf-8").replace("code: L80.2", "code: L80.0"), encoding="utf-8")
    touched = packs / "IPG655.yaml"
    os.utime(touched, ns=(touched.stat().st_atime_ns, touched.stat().st_mtime_ns + 10**9))
    _, messages, replayed = lint_files_cached([packs], catalog, cache)
    assert replayed == 3                               # IPG655 touched, same content: replayed
    assert any("IPG75.yaml" in m.path and m.severity == "error" for m in messages)
    # The fix is seen at once: the cache never hides a change.
    broken.write_text((PACKS_DIR / "IPG75.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    _, messages, _ = lint_files_cached([packs], catalog, cache)
    assert not [m for m in messages if m.severity == "error"]


def test_other_code_or_other_classifications_lint_everything_again(packs: Path, catalog, tmp_path: Path,
                                                                     monkeypatch) -> None:
    cache = tmp_path / "cache.json"
    lint_files_cached([packs], catalog, cache)
    monkeypatch.setattr(lint_cache, "code_fingerprint", lambda: "another version of the linter")
    assert lint_files_cached([packs], catalog, cache)[2] == 0
    assert lint_files_cached([packs], catalog, cache)[2] == 4
    assert lint_files_cached([packs], None, cache)[2] == 0          # codes not checked: another result
    catalog.conn.execute("UPDATE editions SET label = label || ' (imported)'")
    assert lint_files_cached([packs], catalog, cache)[2] == 0


@pytest.mark.parametrize("content", [b"", b"not json", b'{"version": 1, "key": 3, "packs": []}',
                                     b'{"version": 1, "packs": {"x": {"messages": [[1]]}}}', b"\x00\xff"])
def test_a_damaged_cache_file_only_means_linting_again(packs: Path, catalog, tmp_path: Path, content: bytes) -> None:
    cache = tmp_path / "cache.json"
    cache.write_bytes(content)
    count, messages, replayed = lint_files_cached([packs], catalog, cache)
    assert (count, replayed) == (4, 0) and as_text(messages) == as_text(lint_files([packs], catalog)[1])
    assert json.loads(cache.read_text())["version"] == lint_cache.CACHE_VERSION


def test_an_unwritable_data_folder_still_checks(packs: Path, catalog, tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        count, _, replayed = lint_files_cached([packs], catalog, folder / "cache.json")
        assert (count, replayed) == (4, 0)
    finally:
        folder.chmod(0o700)


def test_the_command_uses_the_cache_in_the_data_folder(capsys, reference_db, isolated_home: Path) -> None:
    from workbench.cli import main

    assert main(["rules", "check", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    cache = isolated_home / lint_cache.CACHE_NAME
    assert cache.exists() and stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert main(["rules", "check", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == first
    assert first["checked"] == 137 and first["errors"] == 0
    assert main(["rules", "check", "--no-cache"]) == 0
    assert "137 packs checked: 0 errors" in capsys.readouterr().out


def test_workers_say_what_one_process_says(catalog, monkeypatch) -> None:
    """On several cores the packs are shared among forked workers, each with its own connection."""
    from workbench.core.rules.lint_cache import expand, lint_all

    files = expand(None)[:30]
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    calls = []
    real = lint_cache._lint_in_workers
    monkeypatch.setattr(lint_cache, "_lint_in_workers", lambda *args: calls.append(args[2]) or real(*args))
    shared = lint_all(files, catalog)
    assert calls == [2]
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    alone = lint_all(files, catalog)
    assert list(shared) == list(alone) == files
    assert {f: as_text(m) for f, m in shared.items()} == {f: as_text(m) for f, m in alone.items()}


def test_a_fifo_is_never_read_for_the_cache(tmp_path: Path, catalog) -> None:
    fifo = tmp_path / "IPG998.yaml"
    os.mkfifo(fifo)
    cache = tmp_path / "cache.json"
    count, messages, replayed = lint_files_cached([fifo], catalog, cache)   # returns: nothing blocks
    assert (count, replayed) == (1, 0) and "named pipe" in messages[0].message
    assert not cache.exists() or str(fifo) not in json.loads(cache.read_text())["packs"]
