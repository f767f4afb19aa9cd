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
from itertools import groupby
from operator import itemgetter
from typing import Any, TextIO

from workbench.core.episodes.export_file import neutralise_cell
from workbench.core.episodes.validate import parse_date

CSV_FIXED_COLUMNS = ["episode_id", "patient", "nhs_number", "episode", "date", "specialty",
                     "version", "status", "primary_diagnosis", "secondary_diagnoses"]
CSV_TAIL_COLUMNS = ["guidance", "pack", "pack_version", "coder", "saved_at", "note", "reason",
                    "overrides", "coder_name", "coder_id"]
CSV_PATIENT_COLUMNS = ["sex", "age"]      # between the diagnoses and the procedures
Progress = Callable[[int, int], None]


def _where(since: Any, until: Any, all_versions: bool) -> tuple[str, list[str]]:
    clauses, params = [], []
    if not all_versions:
        clauses.append("v.id = (SELECT max(id) FROM version WHERE episode_id = v.episode_id)")
    if since:
        clauses.append("e.start_date >= ?")
        params.append(parse_date(since, "since").isoformat())
    if until:
        clauses.append("e.start_date <= ?")
        params.append(parse_date(until, "until").isoformat())
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def _records(conn: sqlite3.Connection, since: Any, until: Any, all_versions: bool,
             progress: Progress | None) -> Iterator[tuple[tuple, list[str], list[str]]]:
    """(version row, procedure codes, diagnosis codes), in the order versions were saved."""
    where, params = _where(since, until, all_versions)
    total = 0
    if progress:
        total = conn.execute(f"SELECT count(*) FROM version v JOIN episode e ON e.id = v.episode_id{where}",
                             params).fetchone()[0]
    rows = conn.execute(
        "SELECT v.id, e.id, e.patient, e.nhs_number, e.episode_ref, e.start_date, e.specialty, "
        "v.version, v.status, v.guidance_id, v.pack_id, v.pack_version, v.coder, v.saved_at, "
        "v.note, v.reason, v.overrides, e.sex, e.age_years, v.coder_name, v.coder_id FROM version v JOIN episode e ON e.id = v.episode_id"
        f"{where} ORDER BY v.id", params)
    # Dagger and asterisk codes are exported with their mark: Q90.0†, H19.8*.
    codes = conn.execute("SELECT version_id, kind = 'diagnosis', code || CASE mark WHEN 'dagger' THEN '†' "
                         "WHEN 'asterisk' THEN '*' ELSE '' END FROM version_code "
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


def _procedure_width(conn: sqlite3.Connection) -> int:
    """The longest procedure list in the log (an index lookup), at least one column."""
    widest = conn.execute("SELECT max(position) FROM version_code WHERE kind = 'procedure'").fetchone()[0]
    return max(int(widest or 0), 1)


def _in_snapshot(conn: sqlite3.Connection, work: Callable[[], int]) -> int:
    conn.execute("BEGIN")
    try:
        return work()
    finally:
        conn.execute("COMMIT")


def export_csv(conn: sqlite3.Connection, out: TextIO, *, since: dt.date | str | None = None,
               until: dt.date | str | None = None, all_versions: bool = False,
               progress: Progress | None = None) -> int:
    """Write CSV (header + one row per episode, or per version); returns the row count."""

    def work() -> int:
        width = _procedure_width(conn)
        writer = csv.writer(out)
        writer.writerow(CSV_FIXED_COLUMNS + CSV_PATIENT_COLUMNS + [f"procedure_{i}" for i in range(1, width + 1)]
                        + CSV_TAIL_COLUMNS)
        count = 0
        for row, procs, diags in _records(conn, since, until, all_versions, progress):
            (_vid, eid, patient, nhs, ref, date, specialty, version, status, guidance, pack,
             pack_version, coder, saved_at, note, reason, overrides, sex, age, coder_name, coder_id) = row
            cells = [eid, patient, nhs or "", ref, date, specialty or "", version, status,
                     diags[0] if diags else "", " ".join(diags[1:]),
                     sex or "", "" if age is None else age, *procs, *[""] * (width - len(procs)),
                     guidance or "", pack or "", pack_version or "", coder, saved_at,
                     note or "", reason or "", _overrides_text(overrides), coder_name or "", coder_id or ""]
            writer.writerow([neutralise_cell(cell) for cell in cells])
            count += 1
        return count

    return _in_snapshot(conn, work)


def export_json(conn: sqlite3.Connection, out: TextIO, *, since: dt.date | str | None = None,
                until: dt.date | str | None = None, all_versions: bool = False,
                progress: Progress | None = None) -> int:
    """Write a JSON array of objects, one at a time; returns the count."""

    def work() -> int:
        out.write("[")
        count = 0
        for row, procs, diags in _records(conn, since, until, all_versions, progress):
            (_vid, eid, patient, nhs, ref, date, specialty, version, status, guidance, pack,
             pack_version, coder, saved_at, note, reason, overrides, sex, age, coder_name, coder_id) = row
            item = {"id": eid, "patient": patient, "nhs_number": nhs, "episode": ref, "date": date,
                    "specialty": specialty, "version": version, "status": status,
                    "procedures": procs, "diagnoses": diags, "guidance": guidance,
                    "pack_id": pack, "pack_version": pack_version, "coder": coder,
                    "coder_name": coder_name, "coder_id": coder_id, "saved_at": saved_at, "note": note, "reason": reason,
                    "overrides": _overrides_list(overrides),
                    "sex": sex, "age": age}
            out.write(("\n" if count == 0 else ",\n") + json.dumps(item, ensure_ascii=False))
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
