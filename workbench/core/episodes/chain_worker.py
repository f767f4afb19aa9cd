"""One range of the version chain, checked in a process of its own (``log verify`` on a big log).

Started by :func:`workbench.core.episodes.verify._versions_in_parallel` as
``python -m workbench.core.episodes.chain_worker`` with the job as JSON on stdin (the
department key never appears on a command line) and the result as JSON on stdout. A fresh
process, not a fork: it shares no connection, lock or thread with the one that started it.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from dataclasses import asdict

from workbench.core.episodes.chain import ChainResult, Start, check_versions
from workbench.core.episodes.keys import DepartmentKey
from workbench.core.episodes.model import BrokenEpisode


def run(job: dict) -> dict:
    from workbench.core.episodes.structure import missing_from_indexes

    start = Start(**job["start"])
    key = DepartmentKey(bytes.fromhex(job["secret"]), "verify") if job.get("secret") else None
    conn = sqlite3.connect(job["path"], timeout=10, isolation_level=None)
    try:
        conn.execute("BEGIN")
        result = check_versions(conn, start=start, key=key, until=job["until"])
        result.problems += missing_from_indexes(conn, start.id, job["until"])
    finally:
        conn.close()
    return {**asdict(result), "problems": [[b.episode_id, b.problem] for b in result.problems]}


def result_from(data: dict) -> ChainResult:
    return ChainResult(problems=[BrokenEpisode(e, p) for e, p in data["problems"]], notices=data["notices"],
                       rows=data["rows"], head=tuple(data["head"]), head_mac=data["head_mac"],
                       index_rows=data["index_rows"], coders=data["coders"], indexes_probed=True)


def main() -> int:
    try:
        json.dump(run(json.load(sys.stdin)), sys.stdout)
    except sqlite3.DatabaseError as exc:
        print(f"the version table could not be read to the end ({exc})", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
