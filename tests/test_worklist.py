"""The worklist: importing a PAS extract, refusing bad rows by line, never duplicating, queries, links."""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from pathlib import Path

import pytest

from workbench.core.episodes import CodedEntry, Coding, EpisodeDetails, EpisodeLog, LogError
from workbench.core.episodes.worklist import Worklist
from workbench.core.episodes.worklist_file import WorklistFileError, parse_map, read_rows

HEADER = ["Patient ID", "NHS Number", "Episode Ref", "Start Date", "End Date", "Specialty",
          "Consultant", "Sex", "Age"]


def nhs_number(rng: random.Random) -> str:
    while True:
        digits = [rng.randint(0, 9) for _ in range(9)]
        check = 11 - sum(d * w for d, w in zip(digits, range(10, 1, -1), strict=True)) % 11
        check = 0 if check == 11 else check
        if check != 10:
            return "".join(map(str, digits)) + str(check)


def write_extract(path: Path, rows: int, bad: dict[int, tuple[int, str]], delimiter: str = ",") -> Path:
    rng = random.Random(7)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(HEADER)
        for i in range(rows):
            start = dt.date(2025, 1, 1) + dt.timedelta(days=i % 300)
            row = [f"P{i:05d}", nhs_number(rng), f"E{i:05d}", start.strftime("%d/%m/%Y"),
                   (start + dt.timedelta(days=1)).isoformat(), rng.choice(["Cardiology", "Urology"]),
                   f"C{i % 5}", rng.choice("MF"), str(rng.randint(1, 99))]
            if i in bad:
                column, value = bad[i]
                row[column] = value
            writer.writerow(row)
    return path


@pytest.fixture
def log(tmp_path: Path):
    with EpisodeLog(tmp_path / "episodes.db") as opened:
        yield opened


def test_a_thousand_rows_with_three_bad_ones(log: EpisodeLog, tmp_path: Path) -> None:
    # Data rows start on line 2: row i is on line i + 2.
    extract = write_extract(tmp_path / "extract.csv", 1000,
                            {10: (3, "31/02/2025"), 500: (0, ""), 900: (1, "1234567890")})
    report = Worklist(log).import_file(extract)
    assert report.imported == 997 and report.already == 0
    assert [(r.line, r.problem) for r in report.refused] == [
        (12, "start date: not a real calendar date"), (502, "patient: required"),
        (902, "NHS number: the check digit does not match (mistyped?)")]
    again = Worklist(log).import_file(extract)
    assert again.imported == 0 and again.already == 997
    assert len(Worklist(log).items()) == 997


def test_tab_separated_iso_dates_and_a_department_map(log: EpisodeLog, tmp_path: Path) -> None:
    path = tmp_path / "pas.txt"
    path.write_text("Hosp No\tSpell\tAdm\tTFC\nK123\tS1\t2025-03-04\t320\nK124\tS2\t4/3/25\t\n", encoding="utf-8")
    report = Worklist(log).import_file(path, parse_map(["Hosp No=patient,Adm=start_date"]))
    assert report.imported == 2 and not report.refused
    first, second = Worklist(log).items()
    assert (first.patient, first.episode, first.start_date, first.specialty) == ("K123", "S1", dt.date(2025, 3, 4), "320")
    assert second.start_date == dt.date(2025, 3, 4) and second.specialty is None


def test_a_missing_column_names_the_field_and_imports_nothing(log: EpisodeLog, tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("patient,episode\nP1,E1\n", encoding="utf-8")
    with pytest.raises(WorklistFileError, match="no column for start_date"):
        Worklist(log).import_file(path)
    with pytest.raises(WorklistFileError, match="--map 'oops'"):
        parse_map(["oops"])


def test_refusals_never_repeat_identifiers(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("patient,episode,start,age,sex\nSECRET1,E1,2099-01-01,,\nSECRET2,E2,1/1/2024,200,\n"
                    "SECRET3,E3,1/1/2024,,Q\n", encoding="utf-8")
    good, refused = read_rows(path)
    assert not good and [r.line for r in refused] == [2, 3, 4]
    assert "SECRET" not in " ".join(str(r) for r in refused)


def test_an_episode_already_in_the_log_is_not_listed(log: EpisodeLog, tmp_path: Path) -> None:
    coding = Coding([CodedEntry("K57.8", "opcs4", "x")], [])
    log.save(EpisodeDetails("P00000", "E00000", dt.date(2025, 1, 1)), coding, coder="c")
    report = Worklist(log).import_file(write_extract(tmp_path / "e.csv", 3, {}))
    assert report.imported == 2 and report.already == 1


def test_query_link_and_next_open(log: EpisodeLog, tmp_path: Path) -> None:
    worklist = Worklist(log)
    worklist.import_file(write_extract(tmp_path / "e.csv", 4, {}))
    first, second, third, _ = worklist.items()
    assert worklist.next_open().id == first.id
    queried = worklist.mark_query(second.id, "stent count?")
    assert queried.status == "query" and queried.note == "stent count?"
    with pytest.raises(LogError, match="note"):
        worklist.mark_query(first.id, " ")
    assert worklist.next_open(after=first.id).id == third.id
    saved = log.save(EpisodeDetails(first.patient, first.episode, first.start_date),
                     Coding([CodedEntry("K57.8", "opcs4", "x")], []), coder="c")
    worklist.link(first.id, saved.id)
    assert worklist.get(first.id).status == "coded" and worklist.get(first.id).episode_id == saved.id
    assert [i.id for i in worklist.items(status="todo")] == [second.id, third.id, _.id]
    assert worklist.reopen(second.id).status == "open"
    assert worklist.items(specialty="cardio")
    with pytest.raises(LogError, match="no such item"):
        worklist.get(9999)


def test_cli_import_list_show_query(tmp_path: Path, capsys) -> None:
    from workbench.cli import main

    extract = write_extract(tmp_path / "e.csv", 5, {2: (3, "31/02/2025")})
    base = ["--log", str(tmp_path / "episodes.db"), "worklist"]
    assert main([*base, "import", str(extract), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report == {"imported": 4, "already_listed": 0, "updated": 0, "coded_unchanged": 0, "vanished": [],
                      "unmapped_columns": [],
                      "refused": [{"line": 4, "problem": "start date: not a real calendar date"}]}
    assert main([*base, "list", "--json"]) == 0
    items = json.loads(capsys.readouterr().out)
    assert len(items) == 4 and items[0]["start_date"] == "2025-01-01"
    assert main([*base, "query", str(items[0]["id"]), "--note", "which side?", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "query"
    assert main([*base, "show", str(items[0]["id"]), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["note"] == "which side?" and [e["kind"] for e in shown["history"]] == ["query"]
    assert main([*base, "list", "--status", "query", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 1
    assert main([*base, "query", "1"]) == 2
    assert "--note" in capsys.readouterr().err
    assert main([*base, "query", "1", "--resolve", "--reopen"]) == 2
    assert "one at a time" in capsys.readouterr().err
