"""Shared test set-up.

Every test runs with ``$WORKBENCH_HOME`` in a temporary folder, so no test ever
reads or writes the real user data folder.
"""

from __future__ import annotations

import contextlib
import itertools
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
    """A 512 KiB tmpfs: a really full disk (ENOSPC) after a few saves (a new log's schema is
    about 150 KiB, its WAL and shared memory file take more). Needs root and permission to mount;
    where that is missing the tests skip and say so (the max_page_count and RLIMIT_FSIZE
    tests cover the same code paths everywhere)."""
    import os
    import subprocess

    folder = tmp_path / "tiny"
    folder.mkdir()
    if os.geteuid() != 0:
        pytest.skip("a real full disk needs a tmpfs mount, which needs root")
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(folder)],
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


# --- PostgreSQL: one throwaway server per test session, one fresh database per test ---

CODER_ROLE_FOR_TESTS = "wb_test_coder"
_PG_DATABASES = itertools.count(1)


def _postgres_unavailable(reason: str) -> None:
    import os

    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must run the PostgreSQL half of the log tests, but: {reason}")
    pytest.skip(f"PostgreSQL half skipped: {reason}")


@pytest.fixture(scope="session")
def postgres_server():
    """An administrator's URL: ``$WORKBENCH_TEST_POSTGRES`` (a running server, as .ci/run
    starts one), else a throwaway cluster started here (tests/pg_cluster.py) and stopped at
    the end. Skips with the reason when none can be had; in CI (CI=true) that fails."""
    import os
    import shutil

    try:
        import psycopg  # noqa: F401
    except ImportError:
        _postgres_unavailable("the psycopg driver is not installed (pip install -e '.[dev]')")
    from tests import pg_cluster

    url = os.environ.get(pg_cluster.ENV_URL)
    if url:
        try:
            pg_cluster.wait_ready(url, 10)
        except Exception as exc:  # noqa: BLE001 - any reason is reported as the skip reason
            _postgres_unavailable(f"${pg_cluster.ENV_URL} names a server that does not answer ({exc})")
        yield url
        return
    try:
        cluster = pg_cluster.start()
    except Exception as exc:  # noqa: BLE001
        _postgres_unavailable(str(exc))
    try:
        yield cluster.url
    finally:
        pg_cluster.stop(cluster.folder)
        shutil.rmtree(cluster.folder, ignore_errors=True)


def _with_database(url: str, name: str) -> str:
    """The same server URL naming another database (a URL: the log is chosen by its scheme)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _as_role(url: str, role: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{role}@{host}"))


@pytest.fixture(scope="session")
def _postgres_template(postgres_server: str):
    """A database with ``db init`` applied and a coder login role, copied for each test."""
    import os

    import psycopg

    from workbench.core.episodes.postgres import schema

    name = f"wbt_template_{os.getpid()}"
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
        if not admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [CODER_ROLE_FOR_TESTS]).fetchone():
            # The other test worker may make it first.
            with contextlib.suppress(psycopg.errors.DuplicateObject, psycopg.errors.UniqueViolation):
                admin.execute(f"CREATE ROLE {CODER_ROLE_FOR_TESTS} LOGIN")
    schema.init(_with_database(postgres_server, name), grant=[CODER_ROLE_FOR_TESTS])
    yield name
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


class PostgresDatabase:
    """One test's database: ``admin_url`` (superuser: set-up and tampering), ``coder_url`` (a
    coder's login role, member of workbench_coder: what the app connects as)."""

    def __init__(self, server: str, name: str):
        self.name = name
        self.admin_url = _with_database(server, name)
        self.coder_url = _as_role(self.admin_url, CODER_ROLE_FOR_TESTS)

    def admin(self):
        import psycopg

        return psycopg.connect(self.admin_url, autocommit=True, options="-c search_path=workbench")


@pytest.fixture
def postgres_db(postgres_server: str, _postgres_template: str):
    import os

    import psycopg

    name = f"wbt_{os.getpid()}_{next(_PG_DATABASES)}"
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name} TEMPLATE {_postgres_template}")
    yield PostgresDatabase(postgres_server, name)
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
