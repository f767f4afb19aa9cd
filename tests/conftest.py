"""Shared test set-up.

Every test runs with ``$WORKBENCH_HOME`` in a temporary folder, so no test ever
reads or writes the real user data folder.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"
REFERENCE_DIR = SHARED_DIR / "reference"
SEEDS_DIR = SHARED_DIR / "seeds"
GUIDANCE_LIBRARY = SHARED_DIR / "guidance-library" / "nice-ipg-coding.jsonl"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--long", action="store_true", help="run the long fault and fuzz tests too")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--long"):
        return
    skip_long = pytest.mark.skip(reason="long fault/fuzz run: enable with --long (make test-long)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip_long)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private WORKBENCH_HOME per test; the log and config variables are cleared."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    monkeypatch.delenv("WORKBENCH_LOG", raising=False)
    monkeypatch.delenv("WORKBENCH_EXIT_ON_READY", raising=False)
    monkeypatch.delenv("WORKBENCH_HEADLESS", raising=False)
    # Who codes is the OS login (workbench.core.episodes.identity); nothing to set.
    return home


# --- Reference database fixtures (owned by the classifications/refdb engineer) ---

@pytest.fixture(scope="session")
def _built_reference_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One reference database built per test session (per xdist worker), copied by tests."""
    from workbench.core.refdb import build_reference_db

    target = tmp_path_factory.mktemp("refdb-cache") / "reference.db"
    build_reference_db(target)
    return target


@pytest.fixture(scope="session")
def shared_reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One reference database the app tests share (per xdist worker), so each starts in a blink."""
    from workbench.core.refdb import open_reference_db

    path = tmp_path_factory.mktemp("reference") / "reference.db"
    open_reference_db(path).close()
    return path


@pytest.fixture
def make_app(shared_reference: Path):
    """Make the app on the shared reference database, with no draft offered at start."""
    from workbench.tui.app import WorkbenchApp

    def make(**kwargs):
        kwargs.setdefault("offer_drafts", False)
        return WorkbenchApp(reference=shared_reference, **kwargs)

    return make


@pytest.fixture
def reference_db(_built_reference_db: Path, isolated_home: Path):
    """A sqlite3 connection to a fresh copy of the built reference DB in this test's WORKBENCH_HOME."""
    import shutil

    from workbench.core.paths import reference_db_path
    from workbench.core.refdb import open_reference_db

    target = reference_db_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_built_reference_db, target)
    conn = open_reference_db(target)
    yield conn
    conn.close()


@pytest.fixture
def catalog(reference_db):
    """Classifications over the test's reference database."""
    from workbench.core.classifications import Classifications

    return Classifications(reference_db)


@pytest.fixture
def tiny_disk(tmp_path: Path):
    """A 256 KiB tmpfs: a really full disk (ENOSPC). Needs root and permission to mount;
    where that is missing the tests skip and say so (the max_page_count and RLIMIT_FSIZE
    tests cover the same code paths everywhere)."""
    import os
    import subprocess

    folder = tmp_path / "tiny"
    folder.mkdir()
    if os.geteuid() != 0:
        pytest.skip("a real full disk needs a tmpfs mount, which needs root")
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(folder)],
                      capture_output=True).returncode:
        pytest.skip("this machine does not allow mounting a tmpfs")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True, capture_output=True)


@contextlib.contextmanager
def read_only_folder_of(path: Path):
    """Make the folder holding a finished log read-only for the duration: file modes, or for
    root (who ignores modes) a read-only bind mount; skips with the reason when neither works.
    The log is checkpointed first so it is one self-contained file."""
    import os
    import sqlite3
    import subprocess

    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    for side in ("-wal", "-shm"):
        Path(f"{path}{side}").unlink(missing_ok=True)
    folder = path.parent
    if os.geteuid() != 0:
        path.chmod(0o444)
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    if subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True).returncode:
        pytest.skip("root ignores file modes, and this machine does not allow a read-only bind mount")
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)], check=True, capture_output=True)
        yield
    finally:
        subprocess.run(["umount", str(folder)], check=True, capture_output=True)


@pytest.fixture
def terminal(isolated_home: Path):
    """A private tmux server at 80x24 running the real `workbench` (tests/tmux_terminal.py)."""
    from tests.tmux_terminal import Terminal

    term = Terminal(isolated_home)
    yield term
    term.kill_server()
