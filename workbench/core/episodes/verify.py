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

import os
import sqlite3
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import chain as chained
from pathlib import Path

from workbench.core.episodes import checkpoints
from workbench.core.episodes.chain import GENESIS, ChainResult, Start, check_versions, version_start
from workbench.core.episodes.checkpoints import Checkpoint, LineStream
from workbench.core.episodes.keys import DepartmentKey
from workbench.core.episodes.model import BrokenEpisode, VerifyReport


@dataclass(frozen=True)
class AppendOnlyTable:
    """An append-only table with its own hash chain (rows 1..N, each hashing the one before)."""

    name: str                                                       # its key in checkpoint lines
    head: Callable[[sqlite3.Connection], tuple[int, str, str | None]]          # (rows, last hash, its mac)
    row: Callable[[sqlite3.Connection, int], Start | None]          # row N as a place to start from
    check: Callable[..., ChainResult]       # (conn, *, start: Start, key, stream) -> ChainResult


def _version_head(conn: sqlite3.Connection) -> tuple[int, str, str | None]:
    row = conn.execute("SELECT id, hash, mac FROM version ORDER BY id DESC LIMIT 1").fetchone()
    return (row[0], row[1], row[2]) if row else (0, GENESIS, None)


VERSIONS = AppendOnlyTable(checkpoints.VERSIONS, _version_head, version_start, check_versions)
#: A full verify of a log with more version rows than this splits the chain pass between processes.
PARALLEL_MIN_ROWS = 150_000


# The audit store (workbench.core.audit, log schema 8): records in a hash chain of their own.
def _has_audit(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'audit_record'").fetchone() is not None


def _audit_head(conn: sqlite3.Connection) -> tuple[int, str, str | None]:
    row = conn.execute("SELECT id, hash FROM audit_record ORDER BY id DESC LIMIT 1").fetchone() \
        if _has_audit(conn) else None
    return (row[0], row[1], None) if row else (0, GENESIS, None)


def _audit_row(conn: sqlite3.Connection, row_id: int) -> Start | None:
    row = conn.execute("SELECT hash, at FROM audit_record WHERE id = ?", (row_id,)).fetchone() \
        if _has_audit(conn) else None
    return Start(row_id, row[0], None, row[1] if isinstance(row[1], str) else "") if row else None


def _audit_check(conn: sqlite3.Connection, *, start: Start, key: DepartmentKey | None,
                 stream: LineStream) -> ChainResult:
    """The audit store's own check of its whole chain (it is small), and the checkpoint lines."""
    result = ChainResult()
    if not _has_audit(conn):
        return result
    from workbench.core.audit.store import verify_records

    result.problems = [BrokenEpisode(None, p) for p in verify_records(conn)]
    last = conn.execute("SELECT coalesce(max(id), 0) FROM audit_record").fetchone()[0]
    result.problems += _match_lines(conn, stream, 0, last, table="audit_record")
    result.rows = last
    head = _audit_head(conn)
    result.head = (head[0], head[1])
    return result


#: Further append-only tables: the audit store's, and any a later module registers.
OTHER_TABLES: list[AppendOnlyTable] = [AppendOnlyTable("audit", _audit_head, _audit_row, _audit_check)]
checkpoints.ROW_NAMES["audit"] = "audit record"


def register_table(table: AppendOnlyTable, row_name: str | None = None) -> None:
    """Make another append-only table part of every checkpoint line and every verify."""
    OTHER_TABLES[:] = [t for t in OTHER_TABLES if t.name != table.name] + [table]
    if row_name:
        checkpoints.ROW_NAMES[table.name] = row_name


def other_heads(conn: sqlite3.Connection) -> dict[str, list]:
    """The heads of the other append-only tables that have rows, for a checkpoint line."""
    heads = {}
    for table in OTHER_TABLES:
        rows, digest, mac = table.head(conn)
        if rows:
            heads[table.name] = [rows, digest, *([mac] if mac else [])]
    return heads


def verify_log(conn: sqlite3.Connection, path: Path, *, checkpoint_file: Path | None, log_id: str | None,
               key: DepartmentKey | None, expect: Iterable[Checkpoint] = (), incremental: bool = False,
               integrity: bool = True) -> VerifyReport:
    """Everything about the log at ``path`` that can be checked, read in one snapshot of ``conn``.
    Never raises on bad content: every problem is reported, by episode where it can be."""
    notices: list[str] = []
    since: tuple[Checkpoint, int] | None = None
    if incremental:
        since = checkpoints.last_verified(checkpoint_file) if checkpoint_file else None
        if since is None:
            notices.append("no full verify has passed yet (no verified mark in the checkpoint file): "
                           "this was a full verify")
            incremental = False
    checker = _IntegrityCheck(path) if integrity and not incremental else None
    if checker is not None:
        checker.start()
    broken: list[BrokenEpisode] = []
    checked_lines = 0
    conn.execute("BEGIN")
    try:
        head: tuple[int, str] = (0, GENESIS)
        result = ChainResult()
        tables: dict[str, list] = {}
        for table in (VERSIONS, *OTHER_TABLES):
            from_file = checkpoints.iter_lines(checkpoint_file, since[1] if since else 0) if checkpoint_file else ()
            lines = chained(from_file, expect)
            stream = LineStream(lines, table.name, log_id, key)
            start, found = _start(conn, table, since[0] if since else None)
            broken += found
            try:
                if table is VERSIONS and not incremental and _worth_splitting(conn):
                    outcome = _versions_in_parallel(conn, path, start, key)
                    broken += _match_lines(conn, stream, start.id, outcome.head[0])
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
            broken += _check_structure(conn, head[0], result.index_rows, after=start_of(since),
                                       probe=not result.indexes_probed)
        except sqlite3.DatabaseError as exc:
            broken.append(BrokenEpisode(None, f"a table could not be read to the end ({exc})"))
        episodes = conn.execute("SELECT coalesce(max(id), 0) FROM episode").fetchone()[0]
        notices += _key_notices(conn, key, head[0])
        coders = {} if incremental else dict(sorted(result.coders.items(), key=lambda c: (-c[1], c[0])))
    finally:
        conn.execute("COMMIT")
    integrity_lines = checker.finish() if checker is not None else []
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


def _worth_splitting(conn: sqlite3.Connection) -> bool:
    rows = conn.execute("SELECT coalesce(max(id), 0) FROM version").fetchone()[0]
    return rows >= PARALLEL_MIN_ROWS and (os.cpu_count() or 1) > 1


def _versions_in_parallel(conn: sqlite3.Connection, path: Path, start: Start,
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


def _match_lines(conn: sqlite3.Connection, stream: LineStream, after: int, until: int, *,
                 table: str = "version") -> list[BrokenEpisode]:
    """Each checkpoint line against the hash and key hash of the row it names (when the chain
    pass ran elsewhere): one walk of the table's ids, merged with the lines in order."""
    problems: list[str] = []
    want = stream.next_rows()
    mac_column = "mac" if table == "version" else "NULL"
    if want is not None:
        for vid, digest, mac in conn.execute(f"SELECT id, hash, {mac_column} FROM {table} WHERE id > ? AND id <= ? "
                                             "ORDER BY id", (after, until)):
            while want is not None and want <= vid:
                if want == vid:
                    problems += stream.match(vid, digest, mac)
                want = stream.next_rows()
            if want is None:
                break
    return [BrokenEpisode(None, p) for p in problems]


def _beyond(stream: LineStream, last_row: int, name: str) -> list[BrokenEpisode]:
    newest = stream.beyond
    if newest is None:
        return []
    rows = newest.entry(name)[0]
    what = checkpoints.row_name(name)
    first = last_row + 1
    missing = f"{what} {first} is" if first == rows else f"{what}s {first}-{rows} are"
    episodes = f" ({newest.episodes} episodes)" if name == checkpoints.VERSIONS else ""
    return [BrokenEpisode(None, (
        f"the checkpoint of {newest.at} recorded {rows} {what}s{episodes} but the log has {last_row}: "
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


def missing_from_indexes(conn: sqlite3.Connection, after: int, until: int) -> list[BrokenEpisode]:
    """Every (code, version) the versions in (after, until] hold must be in both derived indexes
    (code_index, and code_date with the episode's date): one probe of each per code row. Run by
    each process of a split verify for its own range."""
    missing = conn.execute(
        "SELECT DISTINCT v.episode_id, NOT EXISTS (SELECT 1 FROM code_index i WHERE i.code = c.code "
        "AND i.episode_id = v.episode_id AND i.version_id = c.version_id) FROM version_code c "
        "JOIN version v ON v.id = c.version_id JOIN episode e ON e.id = v.episode_id "
        "WHERE c.version_id > ? AND c.version_id <= ? AND (NOT EXISTS (SELECT 1 FROM code_index i "
        "WHERE i.code = c.code AND i.episode_id = v.episode_id AND i.version_id = c.version_id) "
        "OR NOT EXISTS (SELECT 1 FROM code_date d WHERE d.code = c.code AND d.start_date = e.start_date "
        "AND d.episode_id = v.episode_id AND d.version_id = c.version_id))", (after, until)).fetchall()
    return [BrokenEpisode(eid, "the code search index is missing its codes" if no_index
                          else "the code-by-date index disagrees with the codes") for eid, no_index in missing]


def _check_structure(conn: sqlite3.Connection, head: int, index_rows: int, *, after: int = 0,
                     probe: bool = True) -> list[BrokenEpisode]:
    """Episodes without versions, gaps in version numbers, derived indexes that disagree (rows
    after ``after`` only, for an incremental verify; ``probe=False`` when the processes of a
    split verify probed the indexes for their ranges)."""
    first_episode = 0
    if after:
        first_episode = conn.execute("SELECT coalesce(max(episode_id), 0) FROM version WHERE id <= ?",
                                     (after,)).fetchone()[0]
    broken = [BrokenEpisode(None, f"episode rows before episode {eid} are missing (deleted)")
              for (eid,) in conn.execute("SELECT id FROM episode e WHERE id > ? + 1 AND NOT EXISTS "
                                         "(SELECT 1 FROM episode p WHERE p.id = e.id - 1)", (first_episode,))]
    first = conn.execute("SELECT min(id) FROM episode").fetchone()[0]
    if first is not None and first != 1:
        broken.append(BrokenEpisode(None, f"episode rows 1-{first - 1} are missing (deleted)"))
    broken += [BrokenEpisode(eid, "the episode has no versions") for (eid,) in conn.execute(
        "SELECT id FROM episode WHERE id > ? AND NOT EXISTS "
        "(SELECT 1 FROM version v WHERE v.episode_id = episode.id)", (first_episode,))]
    broken += [BrokenEpisode(eid, "its version numbers have a gap") for (eid,) in conn.execute(
        "SELECT episode_id FROM version WHERE episode_id > ? GROUP BY episode_id "
        "HAVING max(version) != count(*)", (first_episode,))]
    if probe:
        broken += missing_from_indexes(conn, after, head)
    if after:
        return broken
    # ...and, holding all of them, an index with more rows than that holds rows of its own.
    index_count, date_count = conn.execute("SELECT (SELECT count(*) FROM code_index), "
                                           "(SELECT count(*) FROM code_date)").fetchone()
    if index_count > index_rows:
        broken += [BrokenEpisode(eid, "the code search index lists codes it does not have") for (eid,) in conn.execute(
            "SELECT DISTINCT i.episode_id FROM code_index i WHERE NOT EXISTS (SELECT 1 FROM version_code c "
            "JOIN version v ON v.id = c.version_id WHERE c.version_id = i.version_id AND c.code = i.code "
            "AND v.episode_id = i.episode_id)")] or [BrokenEpisode(None, "the code search index has extra rows")]
    if date_count > index_rows:
        broken += [BrokenEpisode(eid, "the code-by-date index disagrees with the codes") for (eid,) in conn.execute(
            "SELECT DISTINCT d.episode_id FROM code_date d WHERE NOT EXISTS (SELECT 1 FROM code_index i "
            "JOIN episode e ON e.id = i.episode_id WHERE i.code = d.code AND i.episode_id = d.episode_id "
            "AND i.version_id = d.version_id AND e.start_date = d.start_date)")] \
            or [BrokenEpisode(None, "the code-by-date index has extra rows")]
    return broken


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
