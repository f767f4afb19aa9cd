"""An extract applied to the worklist set-wise: its rows are streamed into a temporary table,
then a few statements add the new FCEs, refresh uncoded items, leave coded and removed ones
alone, and find the uncoded items the extract no longer holds.

Set-wise, because a year's extract is 100,000 rows: one lookup, compare and write per row
from Python took most of the import's time, where SQLite does the same work in C. Runs in
the import's one write transaction (:meth:`Worklist.import_file`).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from workbench.core.episodes.dialect import POSTGRESQL, SQLITE, dialect_of
from workbench.core.episodes.worklist_file import RefusedRow, WorklistRow
from workbench.core.episodes.worklist_items import DETAIL_FIELDS, record_event

_EXTRA_JSON = json.JSONEncoder(ensure_ascii=False).encode   # extras in the extract's column order
_KEY = "w.patient = r.patient AND w.episode_ref = r.episode_ref AND w.fce = r.fce"
# "Differs, NULL included": SQLite's IS NOT; the server's IS DISTINCT FROM (SQLite has it only
# since 3.39, and Python may bring an older one).
_DIFFERS = {SQLITE: " OR ".join(f"w.{name} IS NOT r.{name}" for name in DETAIL_FIELDS),
            POSTGRESQL: " OR ".join(f"w.{name} IS DISTINCT FROM r.{name}" for name in DETAIL_FIELDS)}
_STAGED = ", ".join(DETAIL_FIELDS)


@dataclass
class Applied:
    rows: int = 0
    added: int = 0
    updated: int = 0
    already: int = 0
    kept: int = 0                        # coded or removed items listed again: untouched
    vanished: tuple[int, ...] = ()


def _staged(rows: Iterable[WorklistRow | RefusedRow], refused: list[RefusedRow], count: list[int]) -> Iterator[tuple]:
    for row in rows:
        if isinstance(row, RefusedRow):
            refused.append(row)
            continue
        count[0] += 1
        yield (row.patient, row.episode, row.fce, row.nhs_number, row.start_date.isoformat(),
               row.end_date.isoformat() if row.end_date else None, row.specialty, row.consultant,
               row.admission_method, row.ward, row.sex, row.age, _EXTRA_JSON(row.extra) if row.extra else "{}")


def apply_extract(conn: sqlite3.Connection, rows: Iterable[WorklistRow | RefusedRow], refused: list[RefusedRow],
                  now: str, coder: str) -> Applied:
    _stage_table(conn)
    conn.execute("DELETE FROM temp.import_row")
    count = [0]
    conn.executemany(f"INSERT INTO temp.import_row (patient, episode_ref, fce, {_STAGED}) "
                     f"VALUES ({', '.join('?' * (len(DETAIL_FIELDS) + 3))})", _staged(rows, refused, count))
    _stage_index(conn)
    # The same FCE twice in one extract: its last row is the one that counts.
    # (A seek per row in the key index: no list of every row is built in memory.)
    conn.execute("DELETE FROM temp.import_row WHERE EXISTS (SELECT 1 FROM temp.import_row later WHERE "
                 "later.patient = import_row.patient AND later.episode_ref = import_row.episode_ref "
                 "AND later.fce = import_row.fce AND later.seq > import_row.seq)")
    done = Applied(rows=count[0])
    done.kept = conn.execute(f"SELECT count(*) FROM temp.import_row r JOIN worklist_item w ON {_KEY} "
                             "WHERE w.status IN ('coded', 'removed')").fetchone()[0]
    # Uncoded items whose details changed: few, so each is updated with its own event.
    changed = conn.execute(
        f"SELECT w.id, {', '.join(f'w.{n}' for n in DETAIL_FIELDS)}, {', '.join(f'r.{n}' for n in DETAIL_FIELDS)} "
        f"FROM temp.import_row r JOIN worklist_item w ON {_KEY} "
        f"WHERE w.status IN ('open', 'query') AND ({_DIFFERS[dialect_of(conn)]})").fetchall()
    width = len(DETAIL_FIELDS)
    for item_id, *pair in changed:
        old, new = pair[:width], pair[width:]
        names = [name for name, a, b in zip(DETAIL_FIELDS, old, new, strict=True) if a != b]
        conn.execute(f"UPDATE worklist_item SET {', '.join(f'{n} = ?' for n in names)}, updated_at = ? "
                     "WHERE id = ?", (*(b for a, b in zip(old, new, strict=True) if a != b), now, item_id))
        record_event(conn, item_id, coder, "updated", fields=names)
    done.updated = len(changed)
    # New FCEs, unless one is in the log already (saved by hand, or listed before schema 5).
    done.added = conn.execute(
        f"INSERT INTO worklist_item (patient, episode_ref, fce, {_STAGED}, imported_at) "
        f"SELECT r.patient, r.episode_ref, r.fce, {', '.join(f'r.{n}' for n in DETAIL_FIELDS)}, ? "
        "FROM temp.import_row r WHERE NOT EXISTS (SELECT 1 FROM worklist_item w WHERE "
        f"{_KEY}) AND NOT EXISTS (SELECT 1 FROM episode e WHERE e.patient = r.patient AND "
        "e.episode_ref = r.episode_ref AND coalesce(e.fce, '') = r.fce) ORDER BY r.seq", (now,)).rowcount
    done.already = done.rows - done.added - done.updated - done.kept
    done.vanished = tuple(r[0] for r in conn.execute(
        "SELECT w.id FROM worklist_item w WHERE w.status IN ('open', 'query') AND NOT EXISTS "
        f"(SELECT 1 FROM temp.import_row r WHERE {_KEY}) ORDER BY w.id"))
    conn.execute("DELETE FROM temp.import_row")
    return done


def _stage_table(conn: sqlite3.Connection) -> None:
    """The temporary table an extract is staged in, with its key index (this connection's own).
    The server needs column types, and collations that match worklist_item's for the joins."""
    if dialect_of(conn) == POSTGRESQL:
        key = ", ".join(f'{name} text COLLATE "C"' for name in ("patient", "episode_ref", "fce"))
        typed = {"age": "integer", "nhs_number": 'text COLLATE "C"', "start_date": 'text COLLATE "C"',
                 "end_date": 'text COLLATE "C"'}
        columns = ", ".join(f"{name} {typed.get(name, 'text')}" for name in DETAIL_FIELDS)
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS import_row (seq bigint GENERATED ALWAYS AS IDENTITY "
                     f"PRIMARY KEY, {key}, {columns})")
        return
    conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS import_row (seq INTEGER PRIMARY KEY, patient, episode_ref, "
                 f"fce, {_STAGED})")


def _stage_index(conn: sqlite3.Connection) -> None:
    """The staged rows' key index, made once they are in (faster than one row at a time)."""
    qualified = "" if dialect_of(conn) == POSTGRESQL else "temp."     # the server places it itself
    conn.execute(f"CREATE INDEX IF NOT EXISTS {qualified}import_row_key ON import_row (patient, episode_ref, fce)")
