"""Issue 23's day of coding, replayed from files: a PAS extract with the PAS's own column names
("Hosp No", "Spell No", "Epi No", "Adm Date", "Disch Date", "NHS No", "Spec", "Cons", "Ward",
"Adm Meth", "Sex", "Age" and two columns the workbench does not know), one spell with two
consultant episodes, and the next day's extract (one spell gone, one changed, one new).

Each friction of the issue gives the behaviour it asked for.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest

from workbench.core.episodes import CodedEntry, Coding, EpisodeDetails, EpisodeLog
from workbench.core.episodes.worklist import Worklist

DATA = Path(__file__).parent / "data"
DAY_1, DAY_2 = DATA / "pas-extract-day.csv", DATA / "pas-extract-day-2.csv"
CODING = Coding([CodedEntry("K57.8", "opcs4", "OPCS-4.10"), CodedEntry("Y02.1", "opcs4", "OPCS-4.10")],
                [CodedEntry("I50.0", "icd10", "ICD-10 5th")])


def cli(capsys, log: Path, *argv: str) -> tuple[int, str, str]:
    from workbench.cli import main

    code = main(["--log", str(log), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def save_from(log: EpisodeLog, item, coder: str = "ann"):
    details = EpisodeDetails(item.patient, item.episode, item.start_date, item.nhs_number, item.specialty,
                             fce=item.fce, end_date=item.end_date, consultant=item.consultant)
    return log.save(details, CODING, coder=coder, worklist_item=item.id)


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "episodes.db"


def test_the_day_replayed(capsys, log_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("WORKBENCH_CODER", "ann")
    # 1. Every row is one consultant episode: 12 items, the two-FCE spell is two of them.
    code, out, err = cli(capsys, log_path, "worklist", "import", str(DAY_1), "--json")
    report = json.loads(out)
    assert code == 0 and report["imported"] == 12 and report["already_listed"] == 0 and not report["refused"]
    # 2. Every column kept: the unknown ones are named, not dropped.
    assert report["unmapped_columns"] == ["Disch Meth", "Intended Mgmt"]
    code, out, _ = cli(capsys, log_path, "worklist", "list", "--json")
    items = json.loads(out)
    spell = [i for i in items if i["episode"] == "SP257002"]
    assert [(i["fce"], i["specialty"], i["consultant"]) for i in spell] == [
        ("1", "General Surgery", "C1122334"), ("2", "Cardiology", "C3345678")]
    ids = [i["id"] for i in items]
    assert ids.index(spell[1]["id"]) == ids.index(spell[0]["id"]) + 1      # linked: listed together
    first = spell[0]
    assert (first["end_date"], first["length_of_stay"], first["ward"], first["admission_method"]) == (
        "2025-11-14", 2, "Ward 7", "21")
    assert first["extra"] == {"Disch Meth": "1", "Intended Mgmt": "1"} and first["sex"] == "F"
    code, out, _ = cli(capsys, log_path, "worklist", "show", str(first["id"]))
    assert "Disch Meth: 1" in out and "Ward 7" in out

    with EpisodeLog(log_path) as log:
        worklist = Worklist(log, coder="ann")
        fce1, fce2 = worklist.get(spell[0]["id"]), worklist.get(spell[1]["id"])
        # 3. Both FCEs of the spell are coded: the second is not a duplicate of the first.
        saved1 = save_from(log, fce1)
        saved2 = save_from(log, fce2)
        assert worklist.get(fce1.id).status == "coded" and worklist.get(fce1.id).episode_id == saved1.id
        assert saved2.details.fce == "2" and saved2.details.consultant == "C3345678"
        assert log.verify().ok

    # 4. The next day's extract: new items added, uncoded ones refreshed, coded ones untouched,
    #    and the item no longer in the extract listed.
    code, out, _ = cli(capsys, log_path, "worklist", "import", str(DAY_2), "--json")
    second = json.loads(out)
    gone = next(i["id"] for i in items if i["episode"] == "SP257000")
    assert (second["imported"], second["updated"], second["vanished"]) == (1, 1, [gone])
    assert second["coded_unchanged"] == 2           # both FCEs of the coded spell, never touched
    code, out, _ = cli(capsys, log_path, "worklist", "show", str(first["id"]), "--json")
    assert json.loads(out)["consultant"] == "C1122334"
    changed = next(i["id"] for i in items if i["episode"] == "SP257001")
    code, out, _ = cli(capsys, log_path, "worklist", "show", str(changed), "--json")
    shown = json.loads(out)
    assert shown["specialty"] == "Colorectal Surgery"
    assert shown["history"][0]["kind"] == "updated" and shown["history"][0]["fields"] == ["specialty"]
    code, out, _ = cli(capsys, log_path, "worklist", "import", str(DAY_2))
    assert "1 uncoded item(s) no longer in this extract" in out and "Disch Meth" in out

    # 5. An item taken off with its reason kept.
    code, out, _ = cli(capsys, log_path, "worklist", "remove", str(gone), "--reason", "cancelled on the PAS",
                       "--json")
    assert code == 0 and json.loads(out)["status"] == "removed"
    code, out, _ = cli(capsys, log_path, "worklist", "show", str(gone), "--json")
    assert json.loads(out)["history"][-1] == {**json.loads(out)["history"][-1], "kind": "removed",
                                              "reason": "cancelled on the PAS"}

    # 6. Voiding an episode opens its item again.
    with EpisodeLog(log_path) as log:
        log.void(saved1.id, reason="coded from the wrong notes", coder="ann")
        reopened = Worklist(log).get(first["id"])
        assert reopened.status == "open" and reopened.episode_id is None
        assert [e.kind for e in Worklist(log).history(first["id"])] == ["coded", "reopened"]

    # 7. Queries tracked: to whom, sent, reply, resolved, reopened; waiting ones listed by age.
    asked = next(i["id"] for i in items if i["episode"] == "SP257004")
    sent = (dt.date.today() - dt.timedelta(days=10)).strftime("%d/%m/%Y")
    code, out, _ = cli(capsys, log_path, "worklist", "query", str(asked), "--to", "Mr C3345678",
                       "--note", "which stent?", "--sent", sent, "--json")
    assert json.loads(out)["query"]["to"] == "Mr C3345678"
    code, out, _ = cli(capsys, log_path, "worklist", "queries", "--older-than", "7d", "--json")
    assert [i["id"] for i in json.loads(out)] == [asked]
    code, out, _ = cli(capsys, log_path, "worklist", "queries", "--older-than", "2w", "--json")
    assert json.loads(out) == []
    for argv in (["--reply", "drug-eluting, two"], ["--resolve"], ["--reopen"]):
        assert cli(capsys, log_path, "worklist", "query", str(asked), *argv)[0] == 0
    code, out, _ = cli(capsys, log_path, "worklist", "show", str(asked), "--json")
    shown = json.loads(out)
    assert [e["kind"] for e in shown["history"]] == ["query", "reply", "resolved", "query-reopened"]
    assert shown["status"] == "query" and shown["query"]["reply"] == "drug-eluting, two"


def test_log_filter_and_export_use_the_same_dates_and_columns(log_path: Path, capsys) -> None:
    from workbench.core.episodes.filtering import first_page

    with EpisodeLog(log_path) as log:
        worklist = Worklist(log, coder="ann")
        worklist.import_file(DAY_1)
        for item in worklist.items():
            save_from(log, item)
        # 8. The log filter takes the dates every other box takes.
        one_day, _ = first_page(log, "14/11/2025", 50)
        assert {s.details.date for s in one_day} == {dt.date(2025, 11, 14)}
        ranged, _ = first_page(log, "from 10/11/2025 to 12/11/2025", 50)
        assert {s.details.date for s in ranged} == {dt.date(2025, 11, d) for d in (10, 11, 12)}
        assert len(ranged) == 7          # the two-FCE spell counts twice
        # 9. Exports carry discharge date, consultant, specialty, coder and FCE number, and
        #    apply the filter shown.
        out = io.StringIO()
        arguments = first_page(log, "SP257002", 50)[1]
        assert log.export(out, filters=arguments) == 2
        rows = list(csv.DictReader(io.StringIO(out.getvalue())))
        assert [(r["fce"], r["discharge_date"], r["consultant"], r["specialty"], r["coder"]) for r in rows] == [
            ("1", "2025-11-14", "C1122334", "General Surgery", "ann"),
            ("2", "2025-11-17", "C3345678", "Cardiology", "ann")]
        everything = io.StringIO()
        assert log.export(everything, format="json") == 12
        assert json.loads(everything.getvalue())[0]["discharge_date"] == "2025-11-11"


def test_copy_formats_for_a_pas() -> None:
    from workbench.core.episodes.copyout import copy_format, copy_parts

    procedures, diagnoses = ["K57.8", "Y02.1"], [("E10.3", "dagger"), ("H36.0", "asterisk")]
    default, problems = copy_format({})
    assert not problems
    assert copy_parts(default, procedures, diagnoses) == [("codes", "K57.8 Y02.1 E10.3\u2020 H36.0*")]
    plain, problems = copy_format({"copy": {"lists": "separate", "dots": False, "marks": False}})
    assert not problems
    assert copy_parts(plain, procedures, diagnoses) == [("procedures", "K578 Y021"), ("diagnoses", "E103 H360")]
    _fmt, problems = copy_format({"copy": {"dots": "no", "colour": 1}})
    assert problems == ["[copy] dots must be true or false", "unknown key 'colour' in [copy] (lists, dots, marks, "
                        "separator)"]


def test_nothing_identifying_in_refusals_or_arguments(capsys, log_path: Path, tmp_path: Path) -> None:
    text = DAY_1.read_text(encoding="utf-8").splitlines()
    bad = tmp_path / "bad.csv"
    # A wrong NHS check digit, a discharge before admission, an age out of range.
    rows = [text[0], text[1].replace("4109466857", "4109466858"), text[2].replace("12/11/2025,2347", "01/11/2025,2347"),
            text[3].replace(",F,36,", ",F,136,")]
    bad.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code, out, err = cli(capsys, log_path, "worklist", "import", str(bad))
    assert code == 1 and "line 2: NHS number" in err and "line 3: end date" in err and "line 4: age" in err
    for value in ("K500100", "K500101", "K500102", "SP2570", "4109466858", "2347039709"):
        assert value not in out + err
    # The commands of the day take ids and reasons, never a patient's identifiers.
    from workbench.cli import build_parser

    parser = build_parser()
    for command in ("import", "list", "show", "query", "queries", "remove"):
        options = {a.dest for a in parser._subparsers._group_actions[0].choices["worklist"]
                   ._subparsers._group_actions[0].choices[command]._actions}
        assert not options & {"patient", "nhs", "episode"}, command
