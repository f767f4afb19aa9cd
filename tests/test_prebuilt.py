"""The install-time reference database: used for a first run only when it matches the fixtures."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from workbench.core import prebuilt, refdb


@pytest.fixture
def template(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "package" / "reference.db"
    monkeypatch.setattr(prebuilt, "PREBUILT_DIR", path.parent)
    monkeypatch.setattr(prebuilt, "PREBUILT_DB", path)
    assert prebuilt.ensure_prebuilt() is True
    assert prebuilt.ensure_prebuilt() is False          # current: not built again
    return path


def _no_build(*args, **kwargs):
    raise AssertionError("the reference database was built instead of copied")


def test_a_first_run_copies_the_prebuilt_database(template: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(refdb, "build_reference_db", _no_build)
    target = tmp_path / "home" / "reference.db"
    conn = refdb.open_reference_db(target)
    try:
        assert conn.execute("SELECT title FROM codes WHERE classification = 'opcs4' AND code = 'L80.4'"
                            ).fetchone()[0].startswith("Percutaneous transluminal insertion of stent")
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


def test_a_stale_prebuilt_database_is_ignored(template: Path, tmp_path: Path) -> None:
    conn = sqlite3.connect(template)
    conn.execute("UPDATE meta SET value = 'something else' WHERE key = 'fixtures_hash'")
    conn.commit()
    conn.close()
    assert prebuilt.copy_if_current(tmp_path / "copy.db") is False
    built = refdb.open_reference_db(tmp_path / "home" / "reference.db")
    try:
        assert built.execute("SELECT value FROM meta WHERE key = 'fixtures_hash'").fetchone()[0] \
            == refdb.content_hash()
    finally:
        built.close()


def test_imported_releases_are_re_applied_by_a_real_build(template: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from workbench.core.classifications.import_store import store_path

    target = tmp_path / "home" / "reference.db"
    target.parent.mkdir()
    store_path(target).write_bytes(b"")   # an import store exists: its imports must be re-applied
    monkeypatch.setattr(refdb, "build_reference_db", _no_build)
    with pytest.raises(AssertionError, match="built instead of copied"):
        refdb.open_reference_db(target)
