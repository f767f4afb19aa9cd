"""Importing OPCS-4 and ICD-10 release files: their real shapes, refusals that change nothing,
metadata, and imports that survive rebuilds of the reference database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from workbench.core import refdb
from workbench.core.classifications import (
    ICD10,
    OPCS4,
    ClassificationImportError,
    Classifications,
    import_icd10,
    import_opcs4,
)
from workbench.core.classifications.import_store import active_imports, store_path
from workbench.core.search import search

ICD10_HEADER = ("CODE\tALT_CODE\tUSAGE\tUSAGE_UK\tDESCRIPTION\tMODIFIER_4\tMODIFIER_5\tQUALIFIERS"
                "\tGENDER_MASK\tMIN_AGE\tMAX_AGE\tTREE_DESCRIPTION")


def write(tmp_path: Path, name: str, lines: list[str], newline: str = "\n") -> Path:
    path = tmp_path / name
    path.write_bytes((newline.join(lines) + newline).encode("utf-8"))
    return path


def embedded_rows(conn: sqlite3.Connection, classification: str) -> list[tuple[str, str]]:
    return conn.execute("SELECT code, title FROM codes WHERE classification = ? AND level IN ('category', 'code')"
                        " ORDER BY id", (classification,)).fetchall()


def opcs4_release(conn: sqlite3.Connection, tmp_path: Path, extra: list[str] = (), drop: int = 0) -> Path:
    """An OPCS-4.10 CodesAndTitles file: no header, CRLF, dotted codes, category rows included."""
    rows = embedded_rows(conn, OPCS4)[drop:]
    return write(tmp_path, "OPCS410 CodesAndTitles.txt", [f"{c}\t{t}" for c, t in rows] + list(extra), "\r\n")


def icd10_release(conn: sqlite3.Connection, tmp_path: Path, extra: list[str] = ()) -> Path:
    """An ICD-10 5th edition CodesAndTitlesAndMetadata file: 12 columns, header, I10 written I10X."""
    lines = [ICD10_HEADER]
    for code, title in embedded_rows(conn, ICD10):
        written = code + "X" if len(code) == 3 and code in ("I10", "C61") else code
        sex, low, high = {"C61": ("1", "", ""), "O80.0": ("2", "10", "55"), "P07.3": ("", "0", "0")}.get(
            code, ("", "", ""))
        usage = {"H19.8": "ASTERISK", "Q90.0": "DAGGER"}.get(code, "DEFAULT")
        lines.append(f"{written}\t{written.replace('.', '')}\t{usage}\t3\t{title}\t\t\t\t{sex}\t{low}\t{high}\t{title}")
    return write(tmp_path, "ICD10_Edition5_CodesAndTitlesAndMetadata_GB_20160401.txt", lines + list(extra))


def counts(conn: sqlite3.Connection) -> tuple:
    return (conn.execute("SELECT classification, count(*), group_concat(title_source) IS NOT NULL FROM codes"
                         " GROUP BY classification").fetchall(),
            conn.execute("SELECT * FROM editions ORDER BY 1").fetchall(),
            conn.execute("SELECT count(*) FROM imports").fetchone())


def test_opcs4_codes_and_titles_release(reference_db, tmp_path: Path) -> None:
    path = opcs4_release(reference_db, tmp_path, extra=["Z99.7\tA new code of this release"])
    report = import_opcs4(reference_db, path)
    assert (report.classification, report.codes, report.removed) == (OPCS4, 9_858, 0)
    catalog = Classifications(reference_db)
    assert catalog.title(OPCS4, "Z99.7") == "A new code of this release"
    assert catalog.judge(OPCS4, "A01").status == "needs_fourth"
    assert catalog.edition(OPCS4) == report.edition and "CodesAndTitles" in report.edition
    assert search(reference_db, "hemispherectomy")[0].code == "A01.1"
    assert catalog.lookup(OPCS4, "A01.1").last_fy == 2023          # HES years kept for codes that stay
    row = reference_db.execute("SELECT classification, file, codes FROM imports").fetchone()
    assert row == (OPCS4, str(path.resolve()), 9_858)


def test_opcs4_metadata_file_is_stored(reference_db, tmp_path: Path) -> None:
    codes = opcs4_release(reference_db, tmp_path)
    meta = write(tmp_path, "OPCS410 Metadata.txt", ["OPCS-4.10 metadata", "A011  M F  0 120", "L804  X   18 99"])
    report = import_opcs4(reference_db, codes, metadata=meta)
    assert report.metadata == 2
    rows = reference_db.execute("SELECT code, raw FROM code_metadata WHERE classification = 'opcs4'").fetchall()
    assert dict(rows)["A01.1"] == '{"line": "M F  0 120"}'


def test_icd10_release_with_metadata(reference_db, tmp_path: Path) -> None:
    report = import_icd10(reference_db, icd10_release(reference_db, tmp_path))
    assert report.removed == 0 and report.metadata == report.codes + report.categories
    catalog = Classifications(reference_db)
    assert catalog.judge(ICD10, "I10").codable and catalog.judge(ICD10, "I50").status == "needs_fourth"
    metadata = {code: rest for code, *rest in reference_db.execute(
        "SELECT code, usage, sex, min_age, max_age FROM code_metadata WHERE classification = 'icd10'")}
    assert metadata["C61"] == ["DEFAULT", "male", None, None]
    assert metadata["O80.0"] == ["DEFAULT", "female", 10, 55]
    assert metadata["H19.8"][0] == "ASTERISK" and metadata["Q90.0"][0] == "DAGGER"
    assert catalog.title(OPCS4, "L80.4")  # the other classification is untouched


def test_an_opcs4_file_imported_as_icd10_is_refused(reference_db, tmp_path: Path) -> None:
    path = opcs4_release(reference_db, tmp_path)
    before = counts(reference_db)
    with pytest.raises(ClassificationImportError, match="looks like an OPCS-4 file"):
        import_icd10(reference_db, path, replace=True)
    assert counts(reference_db) == before
    assert active_imports(store_path(refdb_path(reference_db))) == []


def test_an_import_that_removes_more_than_5_percent_needs_replace(reference_db, tmp_path: Path) -> None:
    small = write(tmp_path, "one.txt", ["A01.1\tHemispherectomy"])
    before = counts(reference_db)
    with pytest.raises(ClassificationImportError, match=r"remove 11451 of the 11453 .*--replace"):
        import_opcs4(reference_db, small)
    assert counts(reference_db) == before
    report = import_opcs4(reference_db, small, replace=True)
    assert report.removed == 11_451   # A01.1 and its category A01 stay
    assert not Classifications(reference_db).exists(OPCS4, "Y53.9")


def test_dropping_a_few_codes_is_allowed(reference_db, tmp_path: Path) -> None:
    # The first 20 rows: categories A01 and A02 (implied again by their codes) and 18 codes.
    assert import_opcs4(reference_db, opcs4_release(reference_db, tmp_path, drop=20)).removed == 19


@pytest.mark.parametrize(("extra", "reason"), [
    ("A99.\u0663\tArabic-Indic digit", "non-ASCII digit"),
    ("A99.1\tTitle with \u0662 digit", "non-ASCII digit"),
    ("A99.1\tTitle with a \x07 bell", "control character"),
    ("A99.1\tLine\u2028separator", "control character"),
])
def test_non_ascii_digits_and_control_characters_are_refused(reference_db, tmp_path: Path, extra, reason) -> None:
    path = opcs4_release(reference_db, tmp_path, extra=[extra])
    before = counts(reference_db)
    with pytest.raises(ClassificationImportError, match=reason) as caught:
        import_opcs4(reference_db, path)
    assert caught.value.line == 11_454
    assert counts(reference_db) == before


def test_a_file_of_mostly_other_shapes_is_refused_as_a_whole(reference_db, tmp_path: Path) -> None:
    path = write(tmp_path, "notes.txt", ["A01.1\tHemispherectomy", "hello\tworld", "patient list\tx"])
    with pytest.raises(ClassificationImportError, match=r"most codes \(2 of 3\) do not have the shape of OPCS-4"):
        import_opcs4(reference_db, path, replace=True)


@pytest.mark.parametrize(
    ("lines", "line", "reason"),
    [
        (["A01.1\tHemispherectomy", "A01.2\tLobectomy", "XYZ\tNonsense"], 3, "letter and two digits"),
        (["A01.1\tHemispherectomy", "A01.2"], 2, "expected a code and a title"),
        (["A01.1\tHemispherectomy", "A01.2\t"], 2, "has no title"),
        (["A01.1\tHemispherectomy", "A01.1\tSomething else"], 2, "twice"),
        (["A01.1\tHemispherectomy", "I50.9\tHeart failure"], 2, "no chapter I"),
    ],
)
def test_bad_row_names_file_and_line_and_imports_nothing(reference_db, tmp_path, lines, line, reason) -> None:
    path = write(tmp_path, "bad.tsv", lines)
    before = counts(reference_db)
    with pytest.raises(ClassificationImportError) as caught:
        import_opcs4(reference_db, path, replace=True)
    assert caught.value.line == line and f"bad.tsv:{line}:" in str(caught.value) and reason in str(caught.value)
    assert counts(reference_db) == before


def test_missing_empty_and_non_utf8_files(reference_db, tmp_path: Path) -> None:
    with pytest.raises(ClassificationImportError, match="cannot read"):
        import_opcs4(reference_db, tmp_path / "absent.tsv")
    with pytest.raises(ClassificationImportError, match="no codes"):
        import_opcs4(reference_db, write(tmp_path, "empty.tsv", ["code\ttitle"]))
    (tmp_path / "latin1.tsv").write_bytes("A01.1\tH\xe9mi\n".encode("latin-1"))
    with pytest.raises(ClassificationImportError, match="UTF-8"):
        import_opcs4(reference_db, tmp_path / "latin1.tsv")


def test_icd10_header_needs_both_columns(reference_db, tmp_path: Path) -> None:
    with pytest.raises(ClassificationImportError, match=":1: the header"):
        import_icd10(reference_db, write(tmp_path, "h.tsv", ["CODE\tUSAGE", "I50.0\tx"]))


def refdb_path(conn: sqlite3.Connection) -> Path:
    return Path(conn.execute("PRAGMA database_list").fetchone()[2])


def test_imports_live_in_their_own_file_and_survive_a_rebuild(reference_db, tmp_path: Path) -> None:
    first = import_opcs4(reference_db, write(tmp_path, "one.tsv", ["A01.1\tHemispherectomy", "A01.2\tLobectomy"]),
                         replace=True)
    second = import_opcs4(reference_db, write(tmp_path, "two.tsv", ["A01.1\tHemispherectomy"]), replace=True)
    path = refdb_path(reference_db)
    reference_db.close()
    path.unlink()                                  # the reference database is only a cache
    conn = refdb.open_reference_db(path)
    catalog = Classifications(conn)
    assert catalog.exists(OPCS4, "A01.1") and not catalog.exists(OPCS4, "A01.2")
    assert catalog.edition(OPCS4) == second.edition != first.edition
    assert conn.execute("SELECT count(*) FROM imports").fetchone()[0] == 2
    assert search(conn, "hemispherectomy")[0].code == "A01.1"
    assert catalog.exists(ICD10, "I50.9")  # only the imported classification was replaced


def test_a_damaged_reference_database_is_rebuilt_with_the_imports_and_says_so(reference_db, tmp_path) -> None:
    import_icd10(reference_db, icd10_release(reference_db, tmp_path, extra=[
        "U99.9\tU999\tDEFAULT\t3\tA code only the release has\t\t\t\t\t\t\tx"]))
    path = refdb_path(reference_db)
    reference_db.close()
    refdb.take_notices()
    with open(path, "r+b") as handle:              # two bytes of the header
        handle.seek(0)
        handle.write(b"XX")
    conn = refdb.open_reference_db(path)
    [notice] = refdb.take_notices()
    assert "damaged" in notice and "re-applied ICD-10 from ICD10_Edition5" in notice
    assert Classifications(conn).title(ICD10, "U99.9") == "A code only the release has"
    assert conn.execute("SELECT count(*) FROM code_metadata").fetchone()[0] > 12_000


def test_a_stale_reference_database_rebuilds_quietly(reference_db, tmp_path: Path) -> None:
    path = refdb_path(reference_db)
    reference_db.execute("UPDATE meta SET value = 'x' WHERE key IN ('fixtures_hash', 'stat_fingerprint')")
    reference_db.close()
    refdb.take_notices()
    refdb.open_reference_db(path).close()
    assert refdb.take_notices() == []


# ------------------------------------------------------------------ the import store kept safe (issue 25)


def _rebuild_after(conn: sqlite3.Connection) -> Path:
    path = refdb_path(conn)
    conn.close()
    path.unlink()                                  # any rebuild: a fixture update, a deletion, damage
    return path


@pytest.mark.parametrize("damage", ["truncated", "junk", "export"])
def test_a_damaged_import_store_is_reported_by_the_rebuild(reference_db, tmp_path: Path, capsys,
                                                          monkeypatch, damage: str) -> None:
    """The reproduction: the store overwritten (by a forced export, or damaged) made the next rebuild
    drop the imported release silently; the reason was kept where nothing read it."""
    from workbench.cli import main

    import_opcs4(reference_db, write(tmp_path, "one.tsv", ["A01.1\tHemispherectomy", "A01.2\tLobectomy"]),
                 replace=True)
    store = store_path(refdb_path(reference_db))
    if damage == "export":
        from workbench.core.episodes import EpisodeLog

        EpisodeLog(tmp_path / "episodes.db").close()
        code = main(["--log", str(tmp_path / "episodes.db"), "log", "export", "-o", str(store), "--force"])
        assert code == 2 and "never writes there" in capsys.readouterr().err
        assert active_imports(store)                # refused: the store is untouched
        return
    store.write_bytes(b"" if damage == "truncated" else b"not a database at all\n" * 50)
    path = _rebuild_after(reference_db)
    refdb.take_notices()
    monkeypatch.setattr("sys.argv", ["workbench"])
    code = main(["search", "hemispherectomy", "--json"])       # any command that opens the reference data
    err = capsys.readouterr().err
    assert code == 0 and "imported releases" in err and "could not be re-applied" in err
    assert str(store) in err and len([line for line in err.splitlines() if line]) == 1
    assert refdb.build_problems(refdb.open_reference_db(path))


def test_the_import_store_is_private_whatever_the_umask(reference_db, tmp_path: Path) -> None:
    import os
    import stat

    store = store_path(refdb_path(reference_db))
    store.unlink(missing_ok=True)
    old = os.umask(0)
    try:
        import_opcs4(reference_db, write(tmp_path, "one.tsv", ["A01.1\tHemispherectomy"]), replace=True)
    finally:
        os.umask(old)
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
