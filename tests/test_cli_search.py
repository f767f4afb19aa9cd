"""`workbench search` and `workbench import` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import REFERENCE_DIR
from workbench.cli import main


def _json(capsys, *argv: str) -> list[dict]:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_search_json_acceptance(reference_db, capsys) -> None:
    hits = _json(capsys, "search", "pulmonary vein stent", "--json")
    assert [h for h in hits if h["kind"] == "guidance"][0]["code"] == "IPG75"
    assert "L80.4" in [h["code"] for h in hits if h["kind"] != "guidance"][:3]
    assert set(hits[0]) >= {"kind", "code", "title", "score"}

    hits = _json(capsys, "search", "l804", "--json")
    assert hits[0] == {**hits[0], "kind": "opcs4", "code": "L80.4",
                       "title": "Percutaneous transluminal insertion of stent into pulmonary vein"}
    assert "IPG75" in [h["code"] for h in hits if h["kind"] == "guidance"]

    codes = [h["code"] for h in _json(capsys, "search", "heart failure", "--kind", "icd10", "--json")]
    assert {"I50.0", "I50.9"} <= set(codes)


@pytest.mark.parametrize("query", ['NEAR("(', '"', "AND OR NOT", "*", "-", "(", ":", "x" * 10_000, "\u202e🫀"])
def test_hostile_queries_exit_0_with_json(reference_db, capsys, query: str) -> None:
    assert isinstance(_json(capsys, "search", query, "--json"), list)


def test_plain_output_is_an_aligned_table(reference_db, capsys) -> None:
    assert main(["search", "Y53"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:2] == ["OPCS-4", "Y53"]
    assert any(line.startswith("guidance") for line in lines)
    assert len({line.index(line.split()[1]) for line in lines}) == 1  # codes in one column


def test_how_a_hit_matched_is_said_in_text_and_json(reference_db, capsys) -> None:
    assert main(["search", "angiplasty", "--limit", "3"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert "angioplasty" in first.lower() and first.endswith("(matched 'angioplasty')")
    hits = _json(capsys, "search", "DVT", "--kind", "icd10", "--json")
    assert hits[0]["match_note"] == "abbreviation DVT"
    assert _json(capsys, "search", "l804", "--json")[0]["match_note"] == ""


def test_nothing_found_and_limit(reference_db, capsys) -> None:
    assert main(["search", "zzqxv"]) == 0
    assert "Nothing found" in capsys.readouterr().out
    assert len(_json(capsys, "search", "operation", "--limit", "2", "--json")) == 2


def test_bad_limit_is_a_usage_error(reference_db, capsys) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["search", "x", "--limit", "0"])
    assert caught.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_import_errors_without_traceback(reference_db, capsys, tmp_path: Path) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text("A01.1\tHemispherectomy\nnope\tNope\n", encoding="utf-8")
    assert main(["import", "opcs4", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.tsv:2:" in err and "nothing imported" in err and "Traceback" not in err
    assert main(["import", "icd10", str(tmp_path / "absent.tsv")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_import_then_search(reference_db, capsys, tmp_path: Path) -> None:
    path = REFERENCE_DIR / "opcs4-codes-hes.tsv"
    if not path.exists():
        pytest.skip("../shared/reference/opcs4-codes-hes.tsv is not available")
    report = _json(capsys, "import", "opcs4", str(path), "--json")
    assert report["codes"] == 9857
    hits = _json(capsys, "search", "hemispherectomy", "--json")
    assert (hits[0]["kind"], hits[0]["code"]) == ("opcs4", "A01.1")
