"""The CSV export's cells, worked out by SQLite (workbench/core/episodes/export.py), are exactly
what a row-by-row Python export makes of the same log, hostile values included: a formula at
the start of any text cell is neutralised, commas, quotes and line breaks are quoted, marks
stay on their codes, empty values are empty cells, damaged overrides are shown as stored."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sqlite3
from itertools import groupby
from pathlib import Path

from tests.test_log_cli import coding
from workbench.core.episodes import EpisodeDetails, EpisodeLog
from workbench.core.episodes.export import (
    CSV_FIXED_COLUMNS,
    CSV_PATIENT_COLUMNS,
    CSV_TAIL_COLUMNS,
    _overrides_text,
    export_csv,
)
from workbench.core.episodes.export_file import neutralise_cell
from workbench.core.safetext import visible

HOSTILE = ["=1+1", "+cmd|calc", "-2+3", "@SUM(A1)", "\tTAB", "\rCR", 'a,b "c"', "line\nbreak", "é ünï", ""]


def reference_csv(conn: sqlite3.Connection, all_versions: bool = False) -> str:
    """The export as a plain Python loop over rows and cells (what the SQL must reproduce), the
    file's control characters escaped as every export escapes them (layout kept)."""
    latest = "" if all_versions else " WHERE v.id = (SELECT max(id) FROM version WHERE episode_id = v.episode_id)"
    rows = conn.execute(
        "SELECT v.id, e.id, e.patient, e.nhs_number, e.episode_ref, e.start_date, e.specialty, v.version, "
        "v.status, e.sex, e.age_years, e.fce, e.end_date, e.consultant, v.guidance_id, v.pack_id, v.pack_version, v.coder, v.saved_at, v.note, "
        "v.reason, v.overrides, v.coder_name, v.coder_id FROM version v JOIN episode e ON e.id = v.episode_id"
        f"{latest} ORDER BY v.id").fetchall()
    marks = {"dagger": "†", "asterisk": "*"}
    codes = {vid: list(group) for vid, group in groupby(conn.execute(
        "SELECT version_id, kind, code, mark FROM version_code ORDER BY version_id, kind, position"),
        key=lambda r: r[0])}
    width = max([sum(1 for c in group if c[1] == "procedure") for group in codes.values()] + [1])
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_FIXED_COLUMNS + CSV_PATIENT_COLUMNS + [f"procedure_{i}" for i in range(1, width + 1)]
                    + CSV_TAIL_COLUMNS)
    for (vid, eid, patient, nhs, ref, date, specialty, version, status, sex, age, fce, end_date, consultant,
         guidance, pack, pack_version, coder, saved_at, note, reason, overrides, coder_name, coder_id) in rows:
        found = codes.get(vid, [])
        procs = [c + marks.get(m, "") for _, k, c, m in found if k == "procedure"]
        diags = [c + marks.get(m, "") for _, k, c, m in found if k == "diagnosis"]
        cells = [eid, patient, nhs, ref, date, specialty, version, status, diags[0] if diags else "",
                 " ".join(diags[1:]), sex, age, fce, end_date, consultant, *procs, *[""] * (width - len(procs)), guidance, pack, pack_version,
                 coder, saved_at, note, reason, _overrides_text(overrides), coder_name, coder_id]
        writer.writerow(["" if cell is None else neutralise_cell(cell) for cell in cells])
    return visible(out.getvalue(), layout=True)


def hostile_log(path: Path) -> sqlite3.Connection:
    """A log saved by the app, then given hostile values behind its back (as a damaged or
    tampered file would hold them): every text column, codes with marks, overrides."""
    with EpisodeLog(path) as log:
        for n in range(len(HOSTILE)):
            log.save(EpisodeDetails(f"P{n}", f"E{n}", dt.date(2024, 1, 1 + n)), coding("L80.4 Y53.4"),
                     coder="ann")
        log.amend(1, coding("K57.8"), reason="fixed", coder="ann")
    conn = sqlite3.connect(path, isolation_level=None)
    for n, text in enumerate(HOSTILE, start=1):
        conn.execute("UPDATE episode SET patient = ?, episode_ref = ?, specialty = ?, nhs_number = ?, sex = ?, "
                     "age_years = ?, consultant = ?, fce = ? WHERE id = ?",
                     (text, text, text or None, text, text, text if n % 2 else n, text, n if n % 3 else text, n))
        conn.execute("UPDATE version SET note = ?, reason = ?, coder = ?, guidance_id = ?, coder_name = ?, "
                     "coder_id = ?, pack_version = ? WHERE episode_id = ?", (text, text, text, text, text, text,
                                                                           text, n))
        conn.execute("UPDATE version_code SET code = ? WHERE version_id = ? AND kind = 'procedure' AND position = 2",
                     (text or "X", n))
    latest = conn.execute("SELECT max(id) FROM version WHERE episode_id = 1").fetchone()[0]
    conn.execute("DELETE FROM version_code WHERE version_id = ? AND kind = 'diagnosis'", (latest,))
    conn.execute("INSERT INTO version_code (version_id, kind, position, code, classification, edition, mark) "
                 "VALUES (?1, 'diagnosis', 1, 'Q90.0', 'icd10', 'x', 'dagger'), "
                 "(?1, 'diagnosis', 2, 'H19.8', 'icd10', 'x', 'asterisk'), "
                 "(?1, 'diagnosis', 3, '=EVIL', 'icd10', 'x', NULL)", (latest,))
    conn.execute("UPDATE version SET overrides = ? WHERE id = 2", (json.dumps([["E1", "=why, so"], ["E2", "b"]]),))
    conn.execute("UPDATE version SET overrides = 'not json' WHERE id = 3")
    return conn


def test_the_sql_cells_are_the_row_by_row_cells(tmp_path: Path) -> None:
    conn = hostile_log(tmp_path / "log.db")
    for all_versions in (True, False):
        out = io.StringIO()
        count = export_csv(conn, out, all_versions=all_versions)
        assert out.getvalue() == reference_csv(conn, all_versions)
        assert count == len(HOSTILE) + all_versions          # episode 1 was amended: two versions
        parsed = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
        assert len(parsed) == count + 1
    formulas = [cell for row in parsed[1:] for cell in row if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert formulas == []                      # every formula-like cell was neutralised
    first = next(dict(zip(parsed[0], row, strict=True)) for row in parsed[1:] if row[0] == "1")
    assert (first["primary_diagnosis"], first["secondary_diagnoses"]) == ("Q90.0†", "H19.8* =EVIL")
    assert first["patient"] == "'=1+1"
    second = next(dict(zip(parsed[0], row, strict=True)) for row in parsed[1:] if row[0] == "2")
    assert second["procedure_2"] == "'+cmd|calc" and second["note"] == "'+cmd|calc"


def test_progress_is_reported_and_the_count_kept(tmp_path: Path) -> None:
    conn = hostile_log(tmp_path / "log.db")
    seen: list[tuple[int, int]] = []
    out = io.StringIO()
    count = export_csv(conn, out, progress=lambda done, total: seen.append((done, total)))
    assert count == len(HOSTILE) and seen[-1] == (count, count)
    assert out.getvalue() == reference_csv(conn)
