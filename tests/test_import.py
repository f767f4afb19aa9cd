"""Importing full OPCS-4 and ICD-10 releases (all or nothing, survives rebuilds)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from tests.conftest import REFERENCE_DIR
from workbench.core import refdb
from workbench.core.classifications import (
    ICD10,
    OPCS4,
    ClassificationImportError,
    Classifications,
    import_icd10,
    import_opcs4,
)
from workbench.core.search import search


def _tsv(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_opcs4_with_and_without_dot_header_and_extra_columns(reference_db, tmp_path: Path) -> None:
    path = _tsv(tmp_path, "codes.txt", [
        "CODE\tTITLE\tEXTRA", "A011\tHemispherectomy\tx", "A01.2\tTotal lobectomy of brain\ty",
        "L80.4\tPercutaneous transluminal insertion of stent into pulmonary vein\tz"])
    report = import_opcs4(reference_db, path)
    assert (report.codes, report.classification) == (3, OPCS4)
    catalog = Classifications(reference_db)
    assert catalog.title(OPCS4, "A01.1") == "Hemispherectomy"
    assert catalog.lookup(OPCS4, "A01").needs_fourth_character
    # The embedded category title survives when the file has no category rows.
    assert catalog.title(OPCS4, "L80") == "Operations on individual pulmonary veins"
    assert not catalog.exists(OPCS4, "Y53.9")  # replaced, not merged
    assert catalog.edition(OPCS4) == report.edition and "codes.txt" in report.edition
    assert search(reference_db, "hemispherectomy")[0].code == "A01.1"
    assert search(reference_db, "Y53.9", kind="opcs4") == []
    row = reference_db.execute("SELECT classification, file, codes, categories FROM imports").fetchone()
    assert row == (OPCS4, str(path.resolve()), 3, 2)


def test_opcs4_without_header(reference_db, tmp_path: Path) -> None:
    path = _tsv(tmp_path, "plain.tsv", ["A01.1\tHemispherectomy"])
    assert import_opcs4(reference_db, path).codes == 1


@pytest.mark.parametrize(
    ("lines", "line", "reason"),
    [
        (["code\ttitle", "A01.1\tHemispherectomy", "XYZ\tNonsense"], 3, "letter and two digits"),
        (["A01.1\tHemispherectomy", "A01.2"], 2, "expected a code and a title"),
        (["A01.1\tHemispherectomy", "A01.2\t"], 2, "has no title"),
        (["A01.1\tHemispherectomy", "A01.1\tSomething else"], 2, "twice"),
        (["A01.1\tHemispherectomy", "I50.9\tHeart failure"], 2, "no chapter I"),
    ],
)
def test_bad_row_names_file_and_line_and_imports_nothing(
        reference_db, tmp_path: Path, lines: list[str], line: int, reason: str) -> None:
    path = _tsv(tmp_path, "bad.tsv", lines)
    before = reference_db.execute("SELECT count(*) FROM codes WHERE classification = 'opcs4'").fetchone()
    with pytest.raises(ClassificationImportError) as caught:
        import_opcs4(reference_db, path)
    assert caught.value.line == line and f"bad.tsv:{line}:" in str(caught.value)
    assert reason in str(caught.value)
    after = reference_db.execute("SELECT count(*) FROM codes WHERE classification = 'opcs4'").fetchone()
    assert before == after
    assert reference_db.execute("SELECT count(*) FROM imports").fetchone()[0] == 0


def test_missing_and_empty_files(reference_db, tmp_path: Path) -> None:
    with pytest.raises(ClassificationImportError, match="cannot read"):
        import_opcs4(reference_db, tmp_path / "absent.tsv")
    with pytest.raises(ClassificationImportError, match="no codes"):
        import_opcs4(reference_db, _tsv(tmp_path, "empty.tsv", ["code\ttitle"]))
    (tmp_path / "latin1.tsv").write_bytes("A01.1\tH\xe9mi\n".encode("latin-1"))
    with pytest.raises(ClassificationImportError, match="UTF-8"):
        import_opcs4(reference_db, tmp_path / "latin1.tsv")


def test_icd10_uk_release_header(reference_db, tmp_path: Path) -> None:
    path = _tsv(tmp_path, "icd.txt", [
        "CODE\tALT_CODE\tUSAGE\tDESCRIPTION", "I50.0\tI500\tDEFAULT\tCongestive heart failure",
        "I10X\tI10X\tDEFAULT\tEssential (primary) hypertension", "H19.8A\tH198A\tASTERISK\tCorneal disorder in disease"])
    report = import_icd10(reference_db, path)
    assert (report.codes, report.classification) == (2, ICD10)
    catalog = Classifications(reference_db)
    assert catalog.title(ICD10, "I10") == "Essential (primary) hypertension"
    assert not catalog.lookup(ICD10, "I10").needs_fourth_character
    assert catalog.lookup(ICD10, "I50").parent == "I30-I52"  # WHO blocks and chapters stay
    assert not catalog.exists(ICD10, "I50.9")
    assert catalog.title(OPCS4, "L80.4")  # the other classification is untouched


def test_icd10_header_needs_both_columns(reference_db, tmp_path: Path) -> None:
    with pytest.raises(ClassificationImportError, match=":1: the header"):
        import_icd10(reference_db, _tsv(tmp_path, "h.tsv", ["CODE\tUSAGE", "I50.0\tx"]))


def test_reimport_replaces_and_survives_a_rebuild(reference_db, tmp_path: Path) -> None:
    import_opcs4(reference_db, _tsv(tmp_path, "one.tsv", ["A01.1\tHemispherectomy", "A01.2\tLobectomy"]))
    second = import_opcs4(reference_db, _tsv(tmp_path, "two.tsv", ["A01.1\tHemispherectomy"]))
    reference_db.close()
    conn = refdb.open_reference_db(rebuild=True)
    catalog = Classifications(conn)
    assert catalog.exists(OPCS4, "A01.1") and not catalog.exists(OPCS4, "A01.2")
    assert catalog.edition(OPCS4) == second.edition
    assert conn.execute("SELECT count(*) FROM imports").fetchone()[0] == 2
    assert search(conn, "hemispherectomy")[0].code == "A01.1"
    assert catalog.exists(ICD10, "I50.9")  # only the imported classification was replaced


def test_full_opcs4_reference_file(reference_db: sqlite3.Connection) -> None:
    path = REFERENCE_DIR / "opcs4-codes-hes.tsv"
    if not path.exists():
        pytest.skip("../shared/reference/opcs4-codes-hes.tsv is not available")
    started = time.perf_counter()
    report = import_opcs4(reference_db, path)
    print(f"imported {report.codes} OPCS-4 codes in {time.perf_counter() - started:.2f} s")
    assert report.codes == 9857
    hits = search(reference_db, "hemispherectomy")
    assert (hits[0].kind, hits[0].code) == ("opcs4", "A01.1")
    assert search(reference_db, "l804")[0].title == "Percutaneous transluminal insertion of stent into pulmonary vein"


def test_hes_icd10_file_reports_its_placeholder_row(reference_db: sqlite3.Connection) -> None:
    path = REFERENCE_DIR / "icd10-codes-hes.tsv"
    if not path.exists():
        pytest.skip("../shared/reference/icd10-codes-hes.tsv is not available")
    # The statistics extract holds one 'NUL.L NULL' row: refused, nothing imported.
    with pytest.raises(ClassificationImportError, match=r"icd10-codes-hes\.tsv:\d+: 'NUL\.L'"):
        import_icd10(reference_db, path)
    assert Classifications(reference_db).edition(ICD10) == "ICD-10 WHO 2019"
