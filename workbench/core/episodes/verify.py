"""``log verify``: is the log whole, unchanged and still everything its checkpoints recorded?

A full verify runs SQLite's ``PRAGMA integrity_check`` on its own connection in a thread
(SQLite releases the GIL, so on two cores it costs little extra wall time) while this
thread recomputes every hash of every append-only table, checks every stored value and
the derived indexes, and compares each checkpoint line with the row it names. A pass
writes a ``verified`` mark to the checkpoint file; an incremental verify starts from the
newest mark and checks only what was appended since (and that the marked row is still
there with the same hash), in well under a second.

Append-only tables besides the versions (the audit trail of a later issue) join by
registering an :class:`AppendOnlyTable`: their heads then go into every checkpoint line
and their chains into every verify.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from itertools import chain as chained
from pathlib import Path

from workbench.core.episodes import checkpoints, dialect
from workbench.core.episodes import tables as chains
from workbench.core.episodes.chain import GENESIS, ChainResult, Start
from workbench.core.episodes.checkpoint_stream import LineStream
from workbench.core.episodes.checkpoints import Checkpoint
from workbench.core.episodes.keys import DepartmentKey
from workbench.core.episodes.model import BrokenEpisode, VerifyReport
from workbench.core.episodes.structure import check_structure
from workbench.core.episodes.tables import VERSIONS, AppendOnlyTable, match_lines
from workbench.core.episodes.verify_split import versions_in_parallel, worth_splitting


def verify_log(conn: sqlite3.Connection, path: Path | str, *, checkpoint_file: Path | None,
               log_id: str | None, key: DepartmentKey | None, expect: Iterable[Checkpoint] = (),
               incremental: bool = False, integrity: bool = True, ordered: bool = True) -> VerifyReport:
    """Everything about the log at ``path`` that can be checked, read in one snapshot of ``conn``.
    Never raises on bad content: every problem is reported, by episode where it can be.
    On a server (``dialect``), the store's own check is its append-only guards, and the chain
    is checked in this process."""
    on_file = dialect.dialect_of(conn) == dialect.SQLITE
    notices: list[str] = []
    since: tuple[Checkpoint, int] | None = None
    if incremental:
        since = checkpoints.last_verified(checkpoint_file) if checkpoint_file else None
        if since is None:
            notices.append("no full verify has passed yet (no verified mark in the checkpoint file): "
                           "this was a full verify")
            incremental = False
    checker = _IntegrityCheck(Path(path)) if integrity and not incremental and on_file else None
    if checker is not None:
        checker.start()
    broken: list[BrokenEpisode] = []
    checked_lines = 0
    conn.execute("BEGIN")
    try:
        head: tuple[int, str] = (0, GENESIS)
        result = ChainResult()
        tables: dict[str, list] = {}
        for table in (VERSIONS, *chains.OTHER_TABLES):   # read now: modules register more
            from_file = checkpoints.iter_lines(checkpoint_file, since[1] if since else 0) if checkpoint_file else ()
            lines = chained(from_file, expect)
            stream = LineStream(lines, table.name, log_id, key, ordered=ordered)
            start, found = _start(conn, table, since[0] if since else None)
            broken += found
            try:
                if table is VERSIONS and not incremental and on_file and worth_splitting(conn):
                    outcome = versions_in_parallel(conn, path, start, key)
                    broken += match_lines(conn, stream, start.id, outcome.head[0])
                else:
                    outcome = table.check(conn, start=start, key=key, stream=stream)
            except sqlite3.DatabaseError as exc:
                broken.append(BrokenEpisode(None, f"the {table.name} table could not be read to the end ({exc})"))
                continue
            stream.finish(outcome.head[0])
            broken += outcome.problems + [BrokenEpisode(None, p) for p in stream.problems]
            broken += _beyond(stream, outcome.head[0], table.name)
            broken += _aside(conn, table, stream)
            notices += outcome.notices + stream.notices + _uncovered(stream, outcome.head[0], table.name,
                                                                       start.id, checkpoint_file)
            checked_lines += stream.checked + len(stream.aside)
            if table is VERSIONS:
                head, result = outcome.head, outcome
            elif outcome.head[0]:
                tables[table.name] = [*outcome.head, *([outcome.head_mac] if outcome.head_mac else [])]
        try:
            broken += check_structure(conn, head[0], result.index_rows, after=start_of(since),
                                       probe=not result.indexes_probed)
        except sqlite3.DatabaseError as exc:
            broken.append(BrokenEpisode(None, f"a table could not be read to the end ({exc})"))
        episodes = conn.execute("SELECT coalesce(max(id), 0) FROM episode").fetchone()[0]
        notices += _key_notices(conn, key, head[0])
        coders = {} if incremental else dict(sorted(result.coders.items(), key=lambda c: (-c[1], c[0])))
    finally:
        conn.execute("COMMIT")
    integrity_lines = checker.finish() if checker is not None else []
    if integrity and not on_file:
        integrity_lines = _server_problems(conn)
    if incremental:
        notices.append(f"incremental: {result.rows} version(s) appended since the verified mark of "
                       f"{since[0].at} were checked, and that row {since[0].versions} still has the "
                       "hash it had then; run a full verify to check the file's pages and older rows")
    return VerifyReport(integrity=integrity_lines, broken=_dedupe(broken), versions_checked=head[0],
                        episodes=episodes, head_hash=head[1], checkpoints_checked=checked_lines,
                        notices=notices, incremental=incremental, head_mac=result.head_mac, tables=tables,
                        coders=coders, audit_records=tables.get("audit", [0])[0],
                        audit_head=tables["audit"][1] if "audit" in tables else "")


def start_of(since: tuple[Checkpoint, int] | None) -> int:
    return since[0].versions if since else 0


def _start(conn: sqlite3.Connection, table: AppendOnlyTable,
           mark: Checkpoint | None) -> tuple[Start, list[BrokenEpisode]]:
    """Where a pass over ``table`` begins: the genesis, or the row the verified mark names."""
    entry = mark.entry(table.name) if mark is not None else None
    if entry is None or not entry[0]:
        return Start(), []
    found = table.row(conn, entry[0])
    if found is None:
        return Start(), [BrokenEpisode(None, (
            f"{checkpoints.row_name(table.name)} {entry[0]}, verified on {mark.at}, is missing: rows were "
            "deleted, the log was truncated or an older copy restored"))]
    return found, [BrokenEpisode(None, p) for p in checkpoints.differences(mark, table.name, found.hash, found.mac)]


def _beyond(stream: LineStream, last_row: int, name: str) -> list[BrokenEpisode]:
    newest = stream.beyond
    if newest is None:
        return []
    rows = newest.entry(name)[0]
    what = checkpoints.row_name(name)
    first = last_row + 1
    missing = f"{what} {first} is" if first == rows else f"{what}s {first}-{rows} are"
    versions = name == checkpoints.VERSIONS
    counted = f"{rows} versions ({newest.episodes} episodes)" if versions else f"{rows} {what}s"
    return [BrokenEpisode(None, (
        f"the checkpoint of {newest.at} recorded {counted} but the log has {last_row}: "
        f"{missing} missing (deleted, truncated, an older copy restored, or a damaged journal frame)"))]


def _uncovered(stream: LineStream, last_row: int, name: str, start: int, file: Path | None) -> list[str]:
    """Rows no checkpoint line vouches for: normal for a writer stopped between its commit and its
    line; rows added outside the workbench look the same, so they are pointed out."""
    covered = max(stream.highest, start)
    if file is None or covered >= last_row:
        return []
    what = checkpoints.row_name(name)
    if covered <= 0 and stream.highest < 0:
        return [f"no checkpoint covers this log's {what}s yet (the checkpoint file {file} has none "
                "for it): saves from now on are checkpointed"]
    rows = (f"{what} {last_row} was" if covered + 1 == last_row
            else f"{what}s {covered + 1}-{last_row} were")
    return [f"{rows} saved after the newest checkpoint (a writer stopped before writing it, or rows "
            "were added outside the workbench)"]


def _aside(conn: sqlite3.Connection, table: AppendOnlyTable, stream: LineStream) -> list[BrokenEpisode]:
    """The lines that were out of order, each looked up by its row."""
    problems = []
    for checkpoint in stream.aside:
        rows = checkpoint.entry(table.name)[0]
        if not rows:
            continue
        found = table.row(conn, rows)
        if found is None:
            problems.append(f"{checkpoints.row_name(table.name)} {rows}, recorded by the checkpoint of "
                            f"{checkpoint.at}, is missing")
        else:
            problems += checkpoints.differences(checkpoint, table.name, found.hash, found.mac)
    return [BrokenEpisode(None, p) for p in problems]


def _key_notices(conn: sqlite3.Connection, key: DepartmentKey | None, head: int) -> list[str]:
    if key is None:   # the newest row says whether the log is keyed (every row after the first keyed one is)
        keyed = conn.execute("SELECT mac IS NOT NULL FROM version ORDER BY id DESC LIMIT 1").fetchone()
        return ["versions carry the department key's hash; give the key (--key-file, or [log] key_file "
                "in the config) to check them"] if keyed and keyed[0] else []
    # In id order, stopping at the first: no index on mac is needed for this.
    row = conn.execute("SELECT id FROM version WHERE mac IS NOT NULL ORDER BY id LIMIT 1").fetchone()
    first = row[0] if row else None
    if first is None:
        return [f"no version carries the department key's hash yet (key {key.id}): they are added "
                "from the next save"] if head else []
    return [f"version rows 1-{first - 1} were saved before the department key was set: the key "
            "cannot vouch for them"] if first > 1 else []


def _server_problems(conn: sqlite3.Connection) -> list[str]:
    """A server's log: its append-only guards and grants (postgres.schema.guard_problems)."""
    from workbench.core.episodes.postgres.schema import guard_problems

    return guard_problems(conn)


class _IntegrityCheck(threading.Thread):
    """``PRAGMA integrity_check`` on a connection of its own, alongside the chain pass."""

    def __init__(self, path: Path):
        super().__init__(name="log-integrity-check", daemon=True)
        self.path = path
        self.lines: list[str] = []

    def run(self) -> None:
        try:
            conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        except sqlite3.Error as exc:
            self.lines = [f"the file cannot be checked: {exc}"]
            return
        try:
            found = [str(r[0]) for r in conn.execute("PRAGMA integrity_check")]
            self.lines = [] if found == ["ok"] else found
        except sqlite3.DatabaseError as exc:
            self.lines = [f"the file cannot be checked: {exc}"]
        finally:
            conn.close()

    def finish(self) -> list[str]:
        self.join()
        return self.lines


def _dedupe(items: list[BrokenEpisode]) -> list[BrokenEpisode]:
    seen, out = set(), []
    for item in items:
        if (item.episode_id, item.problem) not in seen:
            seen.add((item.episode_id, item.problem))
            out.append(item)
    return out
