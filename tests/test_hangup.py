"""No app process outlives its terminal.

The terminal is killed (tmux kill-server, as when an SSH connection drops) at a random
moment from launch to two seconds after, while the app is still starting, loading the
reference database or idle. Each time, the app's process must be gone within a couple of
seconds and the episode log must still verify. Several private tmux servers run at once
to keep the suite short; ``--long`` runs 100 launches instead of 20.
"""

from __future__ import annotations

import random
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.tmux_terminal import NEEDS_TMUX, WORKBENCH, Terminal

pytestmark = [
    *NEEDS_TMUX,
    pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads process state from /proc (Linux only)"),
]

#: An orderly exit gets 0.8 s (workbench.tui.lifetime); allow for a loaded machine on top.
GONE_WITHIN_SECONDS = 5.0


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _launch_and_hang_up(home: Path, delay: float) -> int | None:
    """Kill the terminal ``delay`` seconds after launch; the app's pid if it is still running."""
    term = Terminal(home)
    term.launch()
    shown = term.tmux("display-message", "-p", "-t", term.session, "#{pane_pid}", check=False).stdout
    time.sleep(delay)
    term.kill_server()
    if not shown.strip():
        return None  # the app had already ended (it cannot have: it would be a failure to start)
    pid = int(shown)
    deadline = time.monotonic() + GONE_WITHIN_SECONDS
    while _running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _running(pid):
        subprocess.run(["kill", "-9", str(pid)], check=False)
        return pid
    return None


def _hang_up_many(home: Path, launches: int) -> None:
    rng = random.Random(launches)
    delays = [rng.uniform(0.0, 2.0) for _ in range(launches)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        left = [pid for pid in pool.map(lambda d: _launch_and_hang_up(home, d), delays) if pid]
    assert not left, f"{len(left)} of {launches} launches outlived their terminal"
    log = home / "episodes.db"
    if log.exists():
        verified = subprocess.run([str(WORKBENCH), "log", "verify"], capture_output=True, text=True,
                                  timeout=60)
        assert verified.returncode == 0, verified.stdout + verified.stderr


def test_no_process_outlives_its_terminal(isolated_home: Path) -> None:
    _hang_up_many(isolated_home, 20)


@pytest.mark.slow
def test_no_process_outlives_its_terminal_long(isolated_home: Path) -> None:
    _hang_up_many(isolated_home, 100)
