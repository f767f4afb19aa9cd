"""A throwaway PostgreSQL cluster for the tests and the benchmark, and the test databases in it.

    python -m tests.pg_cluster start DIR     # prints the admin URL (used by .ci/run)
    python -m tests.pg_cluster stop DIR

A cluster is ``initdb`` + ``pg_ctl start`` in a temporary folder, listening only on a unix
socket in that folder (no TCP port, nothing reachable from outside), run as a non-root user
(PostgreSQL refuses to run as root: as root we run it as ``nobody``). Durable settings are
the server's defaults; the tests' cluster turns fsync off (``fast=True``) because it is thrown
away. ``$WORKBENCH_TEST_POSTGRES`` (an administrator's URL) points the tests at a server that
is already running instead (``.ci/run`` starts one that way).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ENV_URL = "WORKBENCH_TEST_POSTGRES"
SUPERUSER = "postgres"


def binaries() -> Path | None:
    """The folder holding initdb and pg_ctl (PATH, else the newest Debian install), or None."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(os.path.realpath(found)).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                      key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    return Path(versions[-1]).parent if versions else None


@dataclass
class Cluster:
    folder: Path
    url: str                  # the superuser's URL (trust over the private socket)
    run_as: tuple[int, int] | None

    @property
    def socket_dir(self) -> Path:
        return self.folder / "socket"

    def url_for(self, role: str, database: str) -> str:
        return f"postgresql://{role}@/{database}?host={self.socket_dir}"


def _runner() -> tuple[tuple[int, int] | None, dict]:
    """Who runs the server: ourselves, or ``nobody`` when we are root."""
    if os.geteuid() != 0:
        return None, {}
    user = pwd.getpwnam("nobody")
    return (user.pw_uid, user.pw_gid), {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}


def start(folder: Path | None = None, *, fast: bool = True) -> Cluster:
    """Start a cluster; RuntimeError with the reason when it cannot be."""
    bindir = binaries()
    if bindir is None:
        raise RuntimeError("PostgreSQL is not installed (no initdb/pg_ctl on PATH or in "
                           "/usr/lib/postgresql; apt-get install postgresql)")
    folder = Path(folder or tempfile.mkdtemp(prefix="workbench-pg-"))
    folder.mkdir(parents=True, exist_ok=True)
    # The server's user must reach the folder: the temporary folder is made 0755.
    os.chmod(folder, 0o755)
    run_as, as_user = _runner()
    data, socket, logs = folder / "data", folder / "socket", folder / "logs"
    for sub in (data, socket, logs):
        sub.mkdir(exist_ok=True)
        if run_as:
            os.chown(sub, *run_as)
    env = dict(os.environ, LC_ALL="C", LANG="C")
    env.pop("PGDATA", None)

    def run(*args: str) -> None:
        done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120,
                              cwd=folder, **as_user)
        if done.returncode:
            raise RuntimeError(f"{Path(args[0]).name} failed: {(done.stderr or done.stdout).strip()[-800:]}")

    if not (data / "PG_VERSION").exists():
        run(str(bindir / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=trust",
            "-E", "UTF8", "--locale=C", "--no-sync")
    settings = ["listen_addresses=''", f"unix_socket_directories='{socket}'", "max_connections=120",
                "shared_buffers=64MB"]
    if fast:
        settings += ["fsync=off", "synchronous_commit=off", "full_page_writes=off"]
    options = " ".join(f"-c {s}" for s in settings)
    run(str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(logs / "server.log"),
        "-w", "-t", "60", "start")
    return Cluster(folder, f"postgresql://{SUPERUSER}@/postgres?host={socket}", run_as)


def stop(folder: Path) -> None:
    bindir = binaries()
    if bindir is None or not (folder / "data" / "PG_VERSION").exists():
        return
    _, as_user = _runner()
    subprocess.run([str(bindir / "pg_ctl"), "-D", str(folder / "data"), "-m", "immediate", "-w", "stop"],
                   capture_output=True, timeout=60, **as_user)


def wait_ready(url: str, seconds: float = 30.0) -> None:
    import psycopg

    deadline = time.monotonic() + seconds
    while True:
        try:
            psycopg.connect(url, connect_timeout=3).close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("start", "stop"):
        print("usage: python -m tests.pg_cluster start|stop DIR", file=sys.stderr)
        return 2
    folder = Path(argv[1])
    if argv[0] == "stop":
        stop(folder)
        return 0
    try:
        cluster = start(folder, fast=True)
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        print(f"pg_cluster: {exc}", file=sys.stderr)
        return 1
    print(cluster.url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
