"""Run one command and report its wall time and its own peak RSS, from a small process.

Why a separate process: on Linux a child's ru_maxrss starts from the resident size
of the process that spawned it (fork and vfork both carry the parent's high-water
mark into the child across exec). The harness grows large (reference databases,
million-row logs), which would inflate every child's figure. This script stays at
a few MB, well under anything it measures, so wait4's ru_maxrss is the child's own.

Input (stdin, JSON): {"argv": [...], "env": {...}, "cwd": str|null, "timeout": s,
"stdout": path, "stderr": path}. Output (stdout, JSON): wall, max_rss_kb,
returncode, and this spawner's own peak RSS (to check the floor is low).
"""

import json
import os
import resource
import subprocess
import sys
import threading
import time


def own_peak_kb() -> int:
    """This process's own high-water mark (VmHWM). ru_maxrss of RUSAGE_SELF would not do:
    it includes the mark inherited from the parent at exec, which is the problem itself."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main() -> None:
    job = json.load(sys.stdin)
    with open(job["stdout"], "wb") as out, open(job["stderr"], "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(job["argv"], env=job["env"], cwd=job.get("cwd"),
                                stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        killer = threading.Timer(job.get("timeout", 120), proc.kill)
        killer.start()
        try:
            _pid, status, usage = os.wait4(proc.pid, 0)   # returns the moment the child ends
        finally:
            killer.cancel()
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)   # reaped here: keep Popen from waiting
    own = own_peak_kb()
    json.dump({"wall": wall, "max_rss_kb": usage.ru_maxrss, "returncode": proc.returncode,
               "spawner_rss_kb": own}, sys.stdout)


if __name__ == "__main__":
    main()
