"""The command line around imports: editions shown, refusals that exit non-zero, damage reported."""

from __future__ import annotations

import json
from pathlib import Path

from workbench.cli import main


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_version_json_names_the_loaded_editions(capsys, reference_db) -> None:
    code, out, _ = cli(capsys, "--version", "--json")
    facts = json.loads(out)
    assert code == 0 and facts["version"]
    assert facts["editions"]["icd10"] == {"edition": "ICD-10 UK (HES 2012-2024)", "source": "embedded",
                                          "codable_codes": 12_357}
    assert facts["editions"]["opcs4"]["codable_codes"] == 9_857


def test_an_opcs4_file_as_icd10_exits_non_zero_and_changes_nothing(capsys, reference_db, tmp_path: Path) -> None:
    rows = reference_db.execute("SELECT code, title FROM codes WHERE classification = 'opcs4'"
                                " AND level = 'code'").fetchall()
    path = tmp_path / "OPCS410 CodesAndTitles.txt"
    path.write_bytes("".join(f"{c}\t{t}\r\n" for c, t in rows).encode())
    before = reference_db.execute("SELECT count(*), max(id) FROM codes").fetchone()
    code, _, err = cli(capsys, "import", "icd10", str(path))
    assert code != 0 and "nothing imported" in err and "looks like an OPCS-4 file" in err
    assert reference_db.execute("SELECT count(*), max(id) FROM codes").fetchone() == before
    code, out, err = cli(capsys, "import", "opcs4", str(path), "--json")
    assert code == 0, err
    assert json.loads(out)["removed"] == 0
    code, out, _ = cli(capsys, "--version", "--json")
    assert json.loads(out)["editions"]["opcs4"]["source"] == "imported"


def test_the_command_after_damage_says_what_it_rebuilt(capsys, reference_db, tmp_path: Path) -> None:
    path = tmp_path / "codes.txt"
    path.write_text("A01.1\tHemispherectomy\n", encoding="utf-8")
    assert cli(capsys, "import", "opcs4", str(path), "--replace")[0] == 0
    database = Path(reference_db.execute("PRAGMA database_list").fetchone()[2])
    reference_db.close()
    with open(database, "r+b") as handle:
        handle.write(b"\x00\x01")
    code, out, err = cli(capsys, "search", "hemispherectomy", "--json")
    assert code == 0
    assert "was damaged" in err and "re-applied OPCS-4 from codes.txt" in err
    assert json.loads(out)[0]["code"] == "A01.1"
    code, out, _ = cli(capsys, "search", "hemispherectomy", "--kind", "opcs4", "--json")
    assert [hit["code"] for hit in json.loads(out)] == ["A01.1"]     # only the imported code is there
