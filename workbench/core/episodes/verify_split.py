"""A full verify of a big log, its version chain split between processes.

Hashing is Python, and a full verify of a million versions is minutes of it on one core. The
chain is cut into ranges at existing rows; each range is checked (and its derived index rows
probed) by a fresh interpreter (:mod:`chain_worker`), and the results are merged in order: the
same as one pass (a test holds the two equal).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from workbench.core.episodes.chain import ChainResult, Start, version_start
from workbench.core.episodes.keys import DepartmentKey
from workbench.core.episodes.model import BrokenEpisode

#: A full verify of a log with more version rows than this splits the chain pass between processes.
PARALLEL_MIN_ROWS = 150_000


def worth_splitting(conn: sqlite3.Connection) -> bool:
    rows = conn.execute("SELECT coalesce(max(id), 0) FROM version").fetchone()[0]
    return rows >= PARALLEL_MIN_ROWS and (os.cpu_count() or 1) > 1


def versions_in_parallel(conn: sqlite3.Connection, path: Path, start: Start,
                          key: DepartmentKey | None) -> ChainResult:
    """The version chain cut into ranges at existing rows, one process each (hashing is Python,
    and a full verify of a million versions is minutes of it on one core); the same result as
    one pass, in order. The ranges end at this snapshot's head: rows saved since are not ours."""
    import json
    import subprocess
    import sys
    from dataclasses import asdict

    from workbench.core.episodes.chain_worker import result_from

    head = conn.execute("SELECT coalesce(max(id), 0) FROM version").fetchone()[0]
    parts = min(os.cpu_count() or 1, 4)
    starts = [start]
    # In id order, stopping at the first: each range must know whether keyed rows began before it.
    keyed = conn.execute("SELECT id FROM version WHERE mac IS NOT NULL ORDER BY id LIMIT 1").fetchone()
    first_keyed = keyed[0] if keyed else 2**63 - 1
    for k in range(1, parts):
        boundary = start.id + (head - start.id) * k // parts
        row = conn.execute("SELECT max(id) FROM version WHERE id <= ?", (boundary,)).fetchone()[0]
        found = version_start(conn, row, first_keyed) if row and row > starts[-1].id else None
        if found is not None:
            starts.append(found)
    ends = [s.id for s in starts[1:]] + [head]
    workers = []
    for first, end in zip(starts, ends, strict=True):
        job = {"path": str(path), "start": asdict(first), "until": end,
               "secret": key.secret.hex() if key is not None else None}
        # A fresh interpreter (not a fork): no copy of this process's connections, locks or threads.
        worker = subprocess.Popen([sys.executable, "-m", "workbench.core.episodes.chain_worker"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True)
        worker.stdin.write(json.dumps(job))
        worker.stdin.close()
        workers.append(worker)
    found_parts = []
    for worker in workers:
        out = worker.stdout.read()
        err = worker.stderr.read()
        if worker.wait() != 0:
            raise sqlite3.DatabaseError(err.strip().splitlines()[-1] if err.strip() else "a verify worker stopped")
        found_parts.append(result_from(json.loads(out)))
    result = ChainResult(indexes_probed=True)
    for part in found_parts:
        result.problems += part.problems
        result.notices += part.notices
        result.rows += part.rows
        result.index_rows += part.index_rows
        for login, count in part.coders.items():
            result.coders[login] = result.coders.get(login, 0) + count
    result.head, result.head_mac = found_parts[-1].head, found_parts[-1].head_mac
    orphan = conn.execute("SELECT min(version_id) FROM version_code WHERE version_id > ?", (head,)).fetchone()[0]
    if orphan is not None:
        result.problems.append(BrokenEpisode(None, f"codes belong to missing version {orphan}"))
    return result
