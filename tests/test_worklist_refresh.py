"""The worklist's schema 5 pieces one at a time: the upgrade of a schema 4 log, refresh rules,
query states, filter words and date ranges."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from workbench.core.dates import DateError, parse_days, take_date_range
from workbench.core.episodes import EpisodeLog, LogError
from workbench.core.episodes.worklist import Worklist

HEADER = "Hosp No,Spell No,Epi No,Adm Date,Disch Date,Spec,Ward,Extra Col\n"


def extract(path: Path, *rows: str) -> Path:
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def test_a_schema_4_log_upgrades_with_its_items_and_query_notes(tmp_path: Path) -> None:
    from workbench.core.episodes.storage import APPLICATION_ID, migrations, split_statements

    path = tmp_path / "episodes.db"
    conn = sqlite3.connect(path, isolation_level=None)
    for version, script in migrations():
        if version <= 4:
            for statement in split_statements(script.read_text(encoding="utf-8")):
                conn.execute(statement)
    conn.execute("PRAGMA user_version = 4")
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("INSERT INTO worklist_item (patient, episode_ref, start_date, status, note, imported_at) "
                 "VALUES ('P1', 'S1', '2025-11-03', 'query', 'which stent?', '2025-11-04T09:00:00+00:00'), "
                 "('P2', 'S2', '2025-11-04', 'open', NULL, '2025-11-04T09:00:00+00:00')")
    conn.close()
    with EpisodeLog(path) as log:
        worklist = Worklist(log, coder="ann")
        first, second = worklist.get(1), worklist.get(2)
        assert first.status == "query" and first.note == "which stent?" and first.query.sent_on == dt.date(2025, 11, 4)
        assert second.status == "open" and second.fce is None
        assert worklist.resolve(1).status == "open"
        # The old items are found again by a new extract without FCE numbers: nothing doubled.
        report = worklist.import_file(extract(tmp_path / "x.csv", "P2,S2,,04/11/2025,,Urology,,"))
        assert (report.imported, report.updated) == (0, 1)


def test_refresh_touches_only_uncoded_items_and_reports_each_change(tmp_path: Path) -> None:
    with EpisodeLog(tmp_path / "episodes.db") as log:
        worklist = Worklist(log, coder="ann")
        worklist.import_file(extract(tmp_path / "a.csv", "P1,S1,1,03/11/2025,,Urology,W1,x",
                                     "P1,S1,2,03/11/2025,,Cardiology,W2,", "P2,S2,1,04/11/2025,,Urology,W3,"))
        assert [(i.reference, i.extra) for i in worklist.items()] == [
            ("S1/1", {"Extra Col": "x"}), ("S1/2", {}), ("S2/1", {})]
        worklist.remove(3, "duplicate on the PAS")
        with pytest.raises(LogError, match="already removed"):
            worklist.remove(3, "again")
        with pytest.raises(LogError, match="reason"):
            worklist.remove(1, " ")
        report = worklist.import_file(extract(tmp_path / "b.csv", "P1,S1,1,03/11/2025,05/11/2025,Urology,W1,y",
                                              "P2,S2,1,04/11/2025,,Renal,W3,"))
        assert (report.updated, report.kept_coded, report.vanished) == (1, 1, [2])
        assert [e.detail["fields"] for e in worklist.history(1) if e.kind == "updated"] == [["end_date", "extra"]]
        assert worklist.get(1).length_of_stay == 2 and worklist.get(3).specialty == "Urology"   # removed: kept


def test_query_states_refuse_what_does_not_apply(tmp_path: Path) -> None:
    with EpisodeLog(tmp_path / "episodes.db") as log:
        worklist = Worklist(log, coder="ann")
        worklist.import_file(extract(tmp_path / "a.csv", "P1,S1,1,03/11/2025,,Urology,W1,"))
        for action in (lambda: worklist.record_reply(1, "x"), lambda: worklist.resolve(1),
                       lambda: worklist.reopen_query(1)):
            with pytest.raises(LogError):
                action()
        with pytest.raises(LogError, match="future"):
            worklist.raise_query(1, "which side?", sent_on=dt.date.today() + dt.timedelta(days=1))
        worklist.raise_query(1, "which side?", to="Ms Shah")
        with pytest.raises(LogError, match="already has a query waiting"):
            worklist.raise_query(1, "and the stent?")
        assert worklist.waiting(7) == [] and [i.id for i in worklist.waiting()] == [1]


def test_the_filter_words_of_the_worklist() -> None:
    from workbench.tui.screens.worklist import parse_filter

    parsed, problem = parse_filter("cardio from 1/11/2025 to 30/11/2025")
    assert not problem and (parsed.specialty, parsed.since, parsed.until) == (
        "cardio", dt.date(2025, 11, 1), dt.date(2025, 11, 30))
    parsed, problem = parse_filter("waiting 2w")
    assert not problem and (parsed.status, parsed.waiting_days) == ("query", 14)
    assert parse_filter("from 31/02/2025")[1].startswith("date:")


def test_dates_in_filters_and_spans_of_days() -> None:
    assert take_date_range(["11/2025"])[:2] == (dt.date(2025, 11, 1), dt.date(2025, 11, 30))
    assert take_date_range(["from", "fred"]) == (None, None, ["from", "fred"])
    with pytest.raises(DateError):
        take_date_range(["from", "15/11/2025", "to", "10/11/2025"])
    with pytest.raises(DateError):
        take_date_range(["11/20/2025"])
    assert [parse_days(t) for t in ("7d", "7", "2w", "10 days")] == [7, 7, 14, 10]
    with pytest.raises(DateError):
        parse_days("soon")


def test_log_add_takes_the_fce_discharge_and_consultant_from_the_details(tmp_path: Path, capsys) -> None:
    import json

    from workbench.cli import main

    details = tmp_path / "details.txt"
    details.write_text("patient=P1\nepisode=S1\nfce=02\nend_date=5/11/2025\nconsultant=C123\ndate=3/11/2025\n",
                       encoding="utf-8")
    argv = ["--log", str(tmp_path / "episodes.db"), "log", "add", "--details", str(details),
            "--procedures", "K57.8", "--diagnoses", "I50.0", "--json"]
    assert main(argv) == 0
    saved = json.loads(capsys.readouterr().out)
    assert (saved["fce"], saved["end_date"], saved["consultant"]) == ("2", "2025-11-05", "C123")
    details.write_text(details.read_text(encoding="utf-8").replace("fce=02", "fce=1"), encoding="utf-8")
    assert main(argv) == 0                 # the spell's other consultant episode: not a duplicate
    capsys.readouterr()
    details.write_text(details.read_text(encoding="utf-8").replace("fce=1\n", ""), encoding="utf-8")
    assert main(argv) == 2                 # no FCE number: it may be either, so it is refused as a twin
    assert "already has this patient" in capsys.readouterr().err
