"""``workbench log copy --to postgresql://...``: move a SQLite log to the department's server.

Rows are copied as they are stored (ids, times, hashes), never saved again, so the server's
chain is the file's chain: the copy ends with the same version count and head hash, which is
how both ends are shown to agree. The order of events:

1. the source is verified (a damaged log is not carried across);
2. the server's log must be empty (a copy never merges two logs' chains);
3. every table is copied in one transaction under the write lock, from one read snapshot of
   the file: coders saving to the file meanwhile are not half-copied, and no one can save
   to the server until the copy has committed;
4. the server's log is verified, and its count and head compared with the file's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from workbench.core.episodes.model import LogError

#: Tables in the order their foreign keys need; tables added later follow, by name.
TABLE_ORDER = ("episode", "version", "version_code", "code_index", "code_date", "save_receipt",
               "draft_consumed", "draft", "worklist_item")
#: Not copied: the server's log keeps its own identity (checkpoint lines name the log they vouch for).
NOT_COPIED = ("log_meta",)
BATCH = 5000
Progress = Callable[[str, int], None]


@dataclass
class CopyReport:
    versions: int
    episodes: int
    head_hash: str
    rows: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"versions": self.versions, "episodes": self.episodes, "head_hash": self.head_hash,
                "rows": dict(self.rows), "verified": True}


def _sqlite_tables(conn: Any) -> list[str]:
    names = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    known = [t for t in TABLE_ORDER if t in names]
    return [t for t in known + sorted(set(names) - set(known)) if t not in NOT_COPIED]


def _columns_sqlite(conn: Any, table: str) -> list[str]:
    return [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]


def _columns_server(conn: Any, table: str) -> list[str]:
    from workbench.core.episodes.postgres.connection import SCHEMA

    return [r[0] for r in conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
        "ORDER BY ordinal_position", [SCHEMA, table]).fetchall()]


def copy_log(source: Any, target: Any, *, progress: Progress | None = None) -> CopyReport:
    """Copy the SQLite log ``source`` into the empty server log ``target`` (both open logs)."""
    before = source.verify()
    if not before.ok:
        raise LogError(f"{source.location} does not verify ({len(before.broken)} problem(s)); a "
                       "damaged log is not copied. Run 'workbench log verify' on it first")
    file = source.connection
    tables = _sqlite_tables(file)
    plan: list[tuple[str, list[str]]] = []
    server = target.connection
    for table in tables:
        have = _columns_server(server, table)
        columns = _columns_sqlite(file, table)
        missing = [c for c in columns if c not in have]
        if not have or missing:
            what = f"table {table}" if not have else f"column(s) {', '.join(missing)} of {table}"
            raise LogError(f"the server's log has no {what}: upgrade it with 'workbench db init "
                           "--postgres URL' (this workbench's schema), then copy again")
        plan.append((table, columns))

    def work(conn: Any) -> dict[str, int]:
        for table, _ in plan:
            if conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone():
                raise LogError(f"the server's log is not empty (table {table} has rows): a copy "
                               "never merges two logs. Copy into a new database")
        counts: dict[str, int] = {}
        file.execute("BEGIN")          # one snapshot of the file for every table
        try:
            for table, columns in plan:
                names = ", ".join(columns)
                marks = ", ".join("?" * len(columns))
                rows = file.execute(f"SELECT {names} FROM {table}")
                counts[table] = 0
                while chunk := list(islice(rows, BATCH)):
                    conn.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", chunk)
                    counts[table] += len(chunk)
                    if progress:
                        progress(table, counts[table])
        finally:
            file.execute("COMMIT")
        for table, columns in plan:
            # Rows copied with their ids: where the server numbers new rows (an identity
            # column), it continues after them.
            if "id" not in columns or not counts.get(table):
                continue
            sequence = conn.execute("SELECT pg_get_serial_sequence(?, 'id')", [f"workbench.{table}"]).fetchone()
            if sequence and sequence[0]:
                conn.execute(f"SELECT setval(?, (SELECT max(id) FROM {table}))", [sequence[0]])
        return counts

    counts = target.transaction(work)
    after = target.verify(use_checkpoint_file=False)
    if not after.ok or (after.versions_checked, after.head_hash) != (before.versions_checked, before.head_hash):
        raise LogError(f"the copy on {target.location} does not match the file "
                       f"({after.versions_checked} versions, head {after.head_hash[:12]}; the file: "
                       f"{before.versions_checked}, {before.head_hash[:12]}); do not use it")
    return CopyReport(after.versions_checked, after.episodes, after.head_hash, counts)
