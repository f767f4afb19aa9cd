"""Rule-pack metadata in the reference database, for cheap listing in the app.

The foundation engineer's reference build creates the table and calls
:func:`index_packs`; :func:`pack_summaries` reads it back without touching YAML.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from workbench.core.rules.model import PackError, PackSummary

TABLE_SQL = """
CREATE TABLE IF NOT EXISTS rule_packs (
    id TEXT PRIMARY KEY, guidance_id TEXT, title TEXT, status TEXT,
    partial INTEGER, version TEXT, path TEXT
)
"""


def index_packs(conn: sqlite3.Connection, directory: Path | None = None) -> list[PackError]:
    """Fill ``rule_packs`` from the pack files; returns the errors of packs that did not load.

    A broken pack is left out rather than stopping the build: the linter names it.
    """
    from workbench.core.rules.loader import load_shipped

    packs, errors = load_shipped(directory)
    conn.execute(TABLE_SQL)
    with conn:
        conn.execute("DELETE FROM rule_packs")
        conn.executemany(
            "INSERT OR REPLACE INTO rule_packs (id, guidance_id, title, status, partial, version, path)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(p.id, p.guidance_id, p.title, p.status, int(p.partial), p.version, p.path)
             for p in sorted(packs.values(), key=lambda p: p.id)],
        )
    return errors


def pack_summaries(conn: sqlite3.Connection | None = None) -> list[PackSummary]:
    """Every indexed pack, ordered by IPG number; falls back to the files without a table."""
    rows: list[tuple] = []
    if conn is not None:
        try:
            rows = conn.execute(
                "SELECT id, guidance_id, title, status, partial, version, path FROM rule_packs"
            ).fetchall()
        except sqlite3.Error:
            rows = []
    if not rows:
        from workbench.core.rules.loader import shipped_packs

        rows = [(p.id, p.guidance_id, p.title, p.status, int(p.partial), p.version, p.path)
                for p in shipped_packs().values()]
    summaries = [PackSummary(r[0], r[1], r[2], r[3], bool(r[4]), r[5], r[6] or "") for r in rows]
    return sorted(summaries, key=lambda s: _order_key(s.guidance_id))


def _order_key(guidance_id: str) -> tuple[int, str]:
    digits = "".join(ch for ch in guidance_id if ch.isdecimal())
    return (int(digits) if digits else 10**9, guidance_id)
