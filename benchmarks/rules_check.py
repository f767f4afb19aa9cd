"""`workbench rules check` over every shipped pack: from nothing cached, and with nothing changed.

Each figure is the median of several runs of the real command as a child process in a private
home whose reference database is built first. "Nothing cached" deletes the linter's cache file
before the run (so it lints all 137 packs, every answer path through the validation edits, and
writes the cache); "nothing changed" runs again with the cache in place. The baseline is the same
command's start-up floor, `workbench --version`, alternated run by run with the other two; the
goals are absolute (issue 24: under 1 s; issue 28: under 0.2 s when nothing changed). CPU time
(user + system of the child, from wait4) is reported beside the wall time: on a shared machine
the wall time also holds the time spent waiting for a core, and the note gives the load.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.common import Result, at_most, child_env, median, ratio

COLD_GOAL = 1.0      # seconds
WARM_GOAL = 0.2


def _timed(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of the child, stdout)."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = child.stdout.read() if child.stdout else ""
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    if child.stdout:
        child.stdout.close()
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(argv[1:])} exited {child.returncode}")
    return wall, usage.ru_utime + usage.ru_stime, out


def run(work: Path, repeats: int = 7) -> list[Result]:
    home = work / "rules-check"
    home.mkdir(parents=True, exist_ok=True)
    env = child_env(home)
    command = [sys.executable, "-m", "workbench"]
    _timed([*command, "--version"], env)                 # the reference database, built once
    cache = home / "rules-check-cache.json"
    walls: dict[str, list[float]] = {"cold": [], "warm": [], "floor": []}
    cpus: dict[str, list[float]] = {"cold": [], "warm": [], "floor": []}
    checked = ""
    for _ in range(repeats):
        cache.unlink(missing_ok=True)
        for kind, argv in (("cold", [*command, "rules", "check"]), ("warm", [*command, "rules", "check"]),
                           ("floor", [*command, "--version"])):
            wall, cpu, out = _timed(argv, env)
            walls[kind].append(wall)
            cpus[kind].append(cpu)
            if kind == "cold":
                checked = out.strip().splitlines()[-1] if out.strip() else ""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    floor = median(walls["floor"])
    note = (f"{checked}; median of {repeats}, alternating with `workbench --version` (the baseline); "
            f"CPU {{cpu:.2f}} s (user+sys); {os.cpu_count()} CPUs, load average {load}")
    cold, warm = median(walls["cold"]), median(walls["warm"])
    return [
        Result("rules check: every pack, nothing cached (median)", cold * 1000, "ms", floor * 1000,
               ratio(cold, floor), f"<= {COLD_GOAL * 1000:.0f} ms", at_most(cold, COLD_GOAL),
               note.format(cpu=median(cpus["cold"]))),
        Result("rules check: every pack, nothing changed (median)", warm * 1000, "ms", floor * 1000,
               ratio(warm, floor), f"<= {WARM_GOAL * 1000:.0f} ms", at_most(warm, WARM_GOAL),
               note.format(cpu=median(cpus["warm"]))),
    ]
