"""Streaming export: one pass over versions merged with one pass over their codes.

Both cursors walk primary keys in version-id order, so memory stays flat whatever
the size of the log (nothing is fetched all at once), and one read transaction
gives a consistent snapshot while other coders keep saving.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Iterator
from itertools import count, groupby
from operator import itemgetter
from typing import Any, TextIO

from workbench.core.episodes import dialect
from workbench.core.episodes.export_file import neutralise_cell
from workbench.core.episodes.validate import parse_date
from workbench.core.safetext import VisibleWriter, json_safe

CSV_FIXED_COLUMNS = ["episode_id", "patient", "nhs_number", "episode", "date", "specialty",
                     "version", "status", "primary_diagnosis", "secondary_diagnoses"]
CSV_TAIL_COLUMNS = ["guidance", "pack", "pack_version", "coder", "saved_at", "note", "reason",
                    "overrides", "coder_name", "coder_id"]
# Between the diagnoses and the procedures: the patient's sex and age, then the consultant
# episode's number in its spell, its discharge date and its consultant (schema 5).
CSV_PATIENT_COLUMNS = ["sex", "age", "fce", "discharge_date", "consultant"]
Progress = Callable[[int, int], None]


def _where(since: Any, until: Any, all_versions: bool, chosen: bool = False) -> tuple[str, list[str]]:
    clauses, params = [], []
    if chosen:
        clauses.append("e.id IN (SELECT id FROM temp.export_chosen)")
    if not all_versions:
        clauses.append("v.id = (SELECT max(id) FROM version WHERE episode_id = v.episode_id)")
    if since:
        clauses.append("e.start_date >= ?")
        params.append(parse_date(since, "since").isoformat())
    if until:
        clauses.append("e.start_date <= ?")
        params.append(parse_date(until, "until").isoformat())
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def choose_episodes(conn: sqlite3.Connection, filters: dict[str, Any]) -> None:
    """The episodes a log filter finds (as the log screen lists them), put in a temporary table
    the export joins: ids only, so memory stays small whatever the filter matches."""
    from workbench.core.episodes.queries import list_query

    conn.execute("CREATE TEMP TABLE IF NOT EXISTS export_chosen (id INTEGER PRIMARY KEY)")
    conn.execute("DELETE FROM temp.export_chosen")
    query = list_query(conn, **{k: v for k, v in filters.items() if k not in ("limit", "after")}, rest="v.id")
    if query is not None:
        conn.executemany("INSERT INTO temp.export_chosen (id) VALUES (?) ON CONFLICT DO NOTHING",
                         ((row[0],) for row in conn.execute(*query)))


def _records(conn: sqlite3.Connection, since: Any, until: Any, all_versions: bool,
             progress: Progress | None, filters: dict[str, Any] | None = None
             ) -> Iterator[tuple[tuple, list[str], list[str]]]:
    """(version row, procedure codes, diagnosis codes), in the order versions were saved.
    ``filters``: only the episodes a log filter finds (:func:`choose_episodes`)."""
    if filters:
        choose_episodes(conn, filters)
    where, params = _where(since, until, all_versions, bool(filters))
    total = 0
    if progress:
        total = conn.execute(f"SELECT count(*) FROM version v JOIN episode e ON e.id = v.episode_id{where}",
                             params).fetchone()[0]
    rows = dialect.stream(
        conn, "SELECT v.id, e.id, e.patient, e.nhs_number, e.episode_ref, e.start_date, e.specialty, "
        "v.version, v.status, v.guidance_id, v.pack_id, v.pack_version, v.coder, v.saved_at, "
        "v.note, v.reason, v.overrides, e.sex, e.age_years, e.fce, e.end_date, e.consultant, v.coder_name, "
        "v.coder_id FROM version v JOIN episode e ON e.id = v.episode_id"
        f"{where} ORDER BY v.id", params)
    # Dagger and asterisk codes are exported with their mark: Q90.0†, H19.8*.
    codes = dialect.stream(conn, "SELECT version_id, kind = 'diagnosis', code || CASE mark WHEN 'dagger' "
                           "THEN '†' WHEN 'asterisk' THEN '*' ELSE '' END FROM version_code "
                           "ORDER BY version_id, kind, position")
    # groupby and the cursor's own iterator keep the per-code work in C.
    grouped = groupby(codes, key=itemgetter(0))
    pending = next(grouped, None)
    done = 0
    for row in rows:
        vid = row[0]
        while pending is not None and pending[0] < vid:   # codes of versions filtered out
            pending = next(grouped, None)
        procedures, diagnoses = [], []
        if pending is not None and pending[0] == vid:
            for _vid, is_diagnosis, code in pending[1]:
                (diagnoses if is_diagnosis else procedures).append(code)
            pending = next(grouped, None)
        yield row, procedures, diagnoses
        done += 1
        if progress and done % 10_000 == 0:
            progress(done, total)
    if progress:
        progress(done, total)


def _in_snapshot(conn: sqlite3.Connection, work: Callable[[], int]) -> int:
    conn.execute("BEGIN")
    try:
        return work()
    finally:
        conn.execute("COMMIT")


def _neutral(expr: str) -> str:
    """``neutralise_cell`` in SQL: a text cell starting with =, +, -, @, tab or carriage return
    gets a leading quote (OWASP's spreadsheet-formula defence); NULL stays NULL (an empty cell)."""
    return f"CASE WHEN unicode({expr}) IN (61, 43, 45, 64, 9, 13) THEN '''' || {expr} ELSE {expr} END"


def _marked(alias: str) -> str:
    # Dagger and asterisk codes are exported with their mark: Q90.0†, H19.8*.
    return f"{alias}.code || CASE {alias}.mark WHEN 'dagger' THEN '†' WHEN 'asterisk' THEN '*' ELSE '' END"


def _csv_query(procedures: int, diagnoses: int, where: str) -> str:
    """One row per version with every cell worked out by SQLite: each code one primary-key
    look-up (a join per position, so a code is read once however often its cell uses it)."""
    joins = "".join(f" LEFT JOIN version_code {kind[0]}{i} ON {kind[0]}{i}.version_id = v.id"
                    f" AND {kind[0]}{i}.kind = '{kind}' AND {kind[0]}{i}.position = {i}"
                    for kind, width in (("procedure", procedures), ("diagnosis", diagnoses))
                    for i in range(1, width + 1))
    secondary = " || ".join(f"ifnull(' ' || {_marked(f'd{i}')}, '')" for i in range(2, diagnoses + 1)) or "''"
    cells = ["e.id", *map(_neutral, (
        "e.patient", "e.nhs_number", "e.episode_ref", "e.start_date", "e.specialty", "v.version", "v.status",
        _marked("d1") if diagnoses else "NULL", f"substr({secondary}, 2)", "e.sex", "e.age_years", "e.fce",
        "e.end_date", "e.consultant",
        *(_marked(f"p{i}") for i in range(1, procedures + 1)),
        "v.guidance_id", "v.pack_id", "v.pack_version", "v.coder", "v.saved_at", "v.note", "v.reason")),
        "CASE WHEN v.overrides = '[]' THEN '' ELSE export_overrides(v.overrides) END",
        *map(_neutral, ("v.coder_name", "v.coder_id"))]
    return (f"SELECT {', '.join(cells)} FROM version v JOIN episode e ON e.id = v.episode_id{joins}{where} "
            "ORDER BY v.id")


def _widths(conn: sqlite3.Connection) -> tuple[int, int]:
    """The longest procedure list in the log (at least one column) and diagnosis list (index look-ups)."""
    found = dict(conn.execute("SELECT 'procedure', max(position) FROM version_code WHERE kind = 'procedure' "
                              "UNION ALL SELECT 'diagnosis', max(position) FROM version_code WHERE kind = 'diagnosis'"))
    return max(int(found.get("procedure") or 0), 1), int(found.get("diagnosis") or 0)


def export_csv(conn: sqlite3.Connection, out: TextIO, *, since: dt.date | str | None = None,
               until: dt.date | str | None = None, all_versions: bool = False,
               progress: Progress | None = None, filters: dict[str, Any] | None = None) -> int:
    """Write CSV (header + one row per episode, or per version); returns the row count.

    On SQLite, SQLite works out every cell (_csv_query) and the csv module writes the rows
    straight from the cursor, both in C: no Python per row or per cell, so the export keeps a
    good share of sqlite3's own CSV output rate (the benchmark's baseline). A department's
    PostgreSQL log streams its rows through the row-by-row writer (_csv_rows)."""
    if dialect.dialect_of(conn) != dialect.SQLITE:
        return _in_snapshot(conn, lambda: _csv_rows(conn, out, since, until, all_versions, progress, filters))

    def work() -> int:
        procedures, diagnoses = _widths(conn)
        # Stored text reaches the file (or the terminal) with control characters escaped, a block
        # at a time (the csv module's rows gathered in a list, one regex pass per 64 KB).
        escaped = VisibleWriter(out)
        writer = csv.writer(escaped)
        writer.writerow(CSV_FIXED_COLUMNS + CSV_PATIENT_COLUMNS + [f"procedure_{i}" for i in range(1, procedures + 1)]
                        + CSV_TAIL_COLUMNS)
        conn.create_function("export_overrides", 1, lambda stored: neutralise_cell(_overrides_text(stored)),
                             deterministic=True)
        if filters:
            choose_episodes(conn, filters)
        where, params = _where(since, until, all_versions, bool(filters))
        rows = conn.execute(_csv_query(procedures, diagnoses, where), params)
        if progress is None:
            counted = count(1)
            writer.writerows(map(itemgetter(0), zip(rows, counted, strict=False)))   # counted in C too
            escaped.flush()
            return next(counted) - 1
        total = conn.execute(f"SELECT count(*) FROM version v JOIN episode e ON e.id = v.episode_id{where}",
                             params).fetchone()[0]
        done = 0
        while chunk := rows.fetchmany(10_000):
            writer.writerows(chunk)
            done += len(chunk)
            progress(done, total)
        progress(done, total)
        escaped.flush()
        return done

    return _in_snapshot(conn, work)


def _csv_rows(conn: Any, out: TextIO, since: Any, until: Any, all_versions: bool, progress: Progress | None,
              filters: dict[str, Any] | None) -> int:
    """The CSV a row at a time in Python (a server's log, whose SQL has no user functions)."""
    width = max(_widths(conn)[0], 1)
    escaped = VisibleWriter(out)   # stored text with control characters escaped, as on SQLite
    writer = csv.writer(escaped)
    writer.writerow(CSV_FIXED_COLUMNS + CSV_PATIENT_COLUMNS + [f"procedure_{i}" for i in range(1, width + 1)]
                    + CSV_TAIL_COLUMNS)
    written = 0
    for row, procs, diags in _records(conn, since, until, all_versions, progress, filters):
        (_vid, eid, patient, nhs, ref, date, specialty, version, status, guidance, pack,
         pack_version, coder, saved_at, note, reason, overrides, sex, age, fce, end_date, consultant,
         coder_name, coder_id) = row
        cells = [eid, patient, nhs or "", ref, date, specialty or "", version, status,
                 diags[0] if diags else "", " ".join(diags[1:]),
                 sex or "", "" if age is None else age, fce or "", end_date or "", consultant or "",
                 *procs, *[""] * (width - len(procs)),
                 guidance or "", pack or "", pack_version or "", coder, saved_at,
                 note or "", reason or "", _overrides_text(overrides), coder_name or "", coder_id or ""]
        writer.writerow([neutralise_cell(cell) for cell in cells])
        written += 1
    escaped.flush()
    return written


def export_json(conn: sqlite3.Connection, out: TextIO, *, since: dt.date | str | None = None,
                until: dt.date | str | None = None, all_versions: bool = False,
                progress: Progress | None = None, filters: dict[str, Any] | None = None) -> int:
    """Write a JSON array of objects, one at a time; returns the count."""

    def work() -> int:
        out.write("[")
        count = 0
        for row, procs, diags in _records(conn, since, until, all_versions, progress, filters):
            (_vid, eid, patient, nhs, ref, date, specialty, version, status, guidance, pack,
             pack_version, coder, saved_at, note, reason, overrides, sex, age, fce, end_date, consultant,
             coder_name, coder_id) = row
            item = {"id": eid, "patient": patient, "nhs_number": nhs, "episode": ref, "date": date,
                    "specialty": specialty, "version": version, "status": status,
                    "procedures": procs, "diagnoses": diags, "guidance": guidance,
                    "pack_id": pack, "pack_version": pack_version, "coder": coder,
                    "coder_name": coder_name, "coder_id": coder_id, "saved_at": saved_at, "note": note,
                    "reason": reason,
                    "overrides": _overrides_list(overrides),
                    "sex": sex, "age": age, "fce": fce, "discharge_date": end_date,
                    "consultant": consultant}
            out.write(("\n" if count == 0 else ",\n") + json_safe(json.dumps(item, ensure_ascii=False)))
            count += 1
        out.write("\n]\n" if count else "]\n")
        return count

    return _in_snapshot(conn, work)


def _overrides_list(stored: object) -> list[dict[str, object]] | str:
    """Stored overrides as a list; a damaged value is exported as stored (verify names it)."""
    if stored == "[]":   # nearly every row: skip the JSON parse
        return []
    try:
        return [{"edit": edit, "reason": reason} for edit, reason in json.loads(stored)]
    except (TypeError, ValueError):
        return str(stored)


def _overrides_text(stored: object) -> str:
    found = _overrides_list(stored)
    if isinstance(found, str):
        return found
    return "; ".join(f"{item['edit']}: {item['reason']}" for item in found)
