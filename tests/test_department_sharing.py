"""A department's SQLite log on one server: two Unix users of a group save at once, each with
their own umask, and nothing is lost; a third user outside the group cannot read it.

The users and the group are created for the test (groupadd/useradd, removed afterwards), so
it needs root; elsewhere it skips with the reason. Every other test of the log runs as one
user: this one is where group modes, SQLite's -wal/-shm and the -lock file meet.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from workbench.core.episodes import EpisodeLog

WRITER = r"""
import datetime as dt, getpass, os, sys, time
from pathlib import Path
from workbench.core.episodes import CodedEntry, Coding, EpisodeDetails, LogError, open_episode_log, resolve_coder
path, count, go = sys.argv[1], int(sys.argv[2]), sys.argv[3]
log = open_episode_log(path)
for warning in log.warnings:
    print("WARNING", warning, flush=True)
print("ready", flush=True)
while not Path(go).exists():
    time.sleep(0.005)
me = getpass.getuser()
coding = Coding([CodedEntry("L80.4", "opcs4", "4.10")], [CodedEntry("I70.2", "icd10", "2019")])
for n in range(count):
    try:
        saved = log.save(EpisodeDetails(me, f"E{n}", dt.date(2024, 1, 1)), coding, coder=resolve_coder())
        if n % 5 == 0:
            log.save_draft(resolve_coder(), {"n": n})
    except LogError as exc:
        print("ERROR", exc, flush=True)
        sys.exit(3)
    print(saved.id, flush=True)
"""

SAVES = 60


def _python_for_others() -> str | None:
    """An interpreter other users may run: ours may live under /root (pyenv), which they cannot
    enter. The writers need only the standard library and the project on PYTHONPATH."""
    for candidate in (sys.executable, "/usr/bin/python3", "/usr/local/bin/python3"):
        real = os.path.realpath(candidate)
        if not os.path.exists(real):
            continue
        parts = Path(real).parents
        if all(os.stat(p).st_mode & stat.S_IXOTH for p in parts) and os.stat(real).st_mode & stat.S_IXOTH:
            check = subprocess.run([real, "-c", "import sys; assert sys.version_info >= (3, 11); "
                                    "import workbench.core.episodes"], capture_output=True, timeout=60,
                                   env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)))
            if check.returncode == 0:
                return real
    return None


def _tool(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True, timeout=60)


@pytest.fixture
def department():
    """A group with two members and one outsider, a base folder they can all enter, and each
    user's own private WORKBENCH_HOME whose config names the group."""
    if os.geteuid() != 0:
        pytest.skip("creating Unix users for the shared-log test needs root")
    if not shutil.which("useradd") or not shutil.which("groupadd"):
        pytest.skip("useradd/groupadd are not installed")
    python = _python_for_others()
    if python is None:
        pytest.skip("no Python 3.11+ that other users may run (this one is in a folder only root enters)")
    tag = f"{os.getpid() % 100000}"
    group, users = f"wbc{tag}", {"ann": f"wba{tag}", "bob": f"wbb{tag}", "eve": f"wbe{tag}"}
    base = Path(tempfile.mkdtemp(prefix="workbench-dept-"))
    os.chmod(base, 0o1777)     # like /tmp: any user may create the department folder in it
    made: list[str] = []
    try:
        _tool("groupadd", group)
        for who, name in users.items():
            extra = ["-G", group] if who != "eve" else []
            _tool("useradd", "-M", "-N", "-s", "/usr/sbin/nologin", *extra, name)
            made.append(name)
        homes = {}
        for who, name in users.items():
            home = base / f"home-{who}"
            home.mkdir(mode=0o700)
            (home / "config.toml").write_text(f'[log]\ngroup = "{group}"\n')
            account = pwd.getpwnam(name)
            for item in (home, home / "config.toml"):
                os.chown(item, account.pw_uid, account.pw_gid)
            homes[who] = home
        yield {"python": python, "group": group, "gid": grp.getgrnam(group).gr_gid, "users": users, "homes": homes,
               "log": base / "department" / "episodes.db"}
    finally:
        for name in made:
            subprocess.run(["userdel", name], capture_output=True, timeout=60)
        subprocess.run(["groupdel", group], capture_output=True, timeout=60)
        shutil.rmtree(base, ignore_errors=True)


def _as(department: dict, who: str, argv: list[str], umask: int) -> subprocess.Popen:
    account = pwd.getpwnam(department["users"][who])
    groups = [g.gr_gid for g in grp.getgrall() if account.pw_name in g.gr_mem]
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("WORKBENCH_", "PYTEST_"))}
    env.update(PYTHONPATH=str(REPO_ROOT), PYTHONDONTWRITEBYTECODE="1", HOME=str(department["homes"][who]),
               WORKBENCH_HOME=str(department["homes"][who]), USER=account.pw_name, LOGNAME=account.pw_name)
    return subprocess.Popen(argv, user=account.pw_uid, group=account.pw_gid, extra_groups=groups,
                            umask=umask, env=env, cwd=department["homes"][who], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_two_users_save_at_once_and_an_outsider_cannot_read(department: dict) -> None:
    log_path, gid = department["log"], department["gid"]
    go = log_path.parent.parent / "go"
    # Different umasks: 077 would make a private file, 002 a world-readable one; neither may win.
    writers = [_as(department, who, [department["python"], "-c", WRITER, str(log_path), str(SAVES), str(go)], umask)
               for who, umask in (("ann", 0o077), ("bob", 0o002))]
    deadline = time.monotonic() + 60
    while not log_path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)     # both have opened the log (the first one created it)
    go.touch()
    results = [w.communicate(timeout=300) for w in writers]
    for writer, (out, err) in zip(writers, results, strict=True):
        assert writer.returncode == 0, out + err
        assert "WARNING" not in out and "Traceback" not in err, out + err
    ids = sorted(int(line) for out, _ in results for line in out.split() if line.isdigit())
    assert ids == list(range(1, 2 * SAVES + 1))          # 0 lost, 0 duplicated

    # Modes: the folder 2770 and every file of the log 0660, all in the group, nothing for others.
    folder = log_path.parent.stat()
    assert stat.S_IMODE(folder.st_mode) == 0o2770 and folder.st_gid == gid
    files = [p for p in log_path.parent.iterdir()]
    assert log_path in files and log_path.with_name("episodes.db-lock") in files
    for item in files:
        info = item.stat()
        assert stat.S_IMODE(info.st_mode) == 0o660 and info.st_gid == gid, (item.name, oct(info.st_mode))

    # Each save carries its coder: the OS login of whoever saved it.
    with EpisodeLog(log_path) as log:
        assert log.verify().ok
        for who in ("ann", "bob"):
            name = department["users"][who]
            mine = log.list(patient=name)
            assert len(mine) == SAVES and {s.latest.coder for s in mine} == {name}

    # The outsider: neither the folder nor the file, by the workbench or by hand.
    reader = _as(department, "eve", [department["python"], "-m", "workbench", "--log", str(log_path), "log", "list"], 0o022)
    out, err = reader.communicate(timeout=60)
    assert reader.returncode != 0 and out == "" and "Traceback" not in err
    peek = _as(department, "eve", [department["python"], "-c", f"open({str(log_path)!r}, 'rb').read(16)"], 0o022)
    _, err = peek.communicate(timeout=60)
    assert peek.returncode != 0 and "PermissionError" in err


def test_a_coder_without_the_group_setting_never_locks_the_others_out(tmp_path: Path, monkeypatch) -> None:
    """One coder's config lacking [log] group is warned, but the companions keep the log's
    group access (a chmod 600 of -wal/-shm would lock every other coder out)."""
    from tests.log_backends import coding, details
    from workbench.core.episodes import open_episode_log

    group = grp.getgrgid(os.getegid()).gr_name          # a group this user is in
    monkeypatch.setenv("WORKBENCH_GROUP", group)
    path = tmp_path / "dept" / "episodes.db"
    keeper = open_episode_log(path)                       # holds the WAL open
    keeper.save(details(), coding(), coder="ann")
    companions = [path.with_name(path.name + s) for s in ("-wal", "-shm")]
    assert all(stat.S_IMODE(c.stat().st_mode) == 0o660 for c in companions)
    monkeypatch.delenv("WORKBENCH_GROUP")
    with open_episode_log(path) as other:
        assert any("[log] group" in w for w in other.warnings)
        other.save(details("P2"), coding(), coder="bob")
    assert all(stat.S_IMODE(c.stat().st_mode) == 0o660 for c in companions)
    keeper.close()
