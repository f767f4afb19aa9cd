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


def _set_meta(path: Path, **values: str) -> None:
    conn = sqlite3.connect(path)
    conn.executemany("UPDATE meta SET value = ? WHERE key = ?", [(v, k) for k, v in values.items()])
    conn.commit()
    conn.close()


def test_a_stale_prebuilt_database_is_ignored(template: Path, tmp_path: Path) -> None:
    # Built from other fixtures: neither their file stats nor their content match.
    _set_meta(template, fixtures_hash="something else", stat_fingerprint="other files")
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


def test_new_file_times_alone_do_not_make_it_stale(template: Path, tmp_path: Path) -> None:
    # A fresh checkout gives the same fixtures new mtimes: the content hash decides.
    _set_meta(template, stat_fingerprint="files touched since")
    assert prebuilt.copy_if_current(tmp_path / "copy.db") is True


def test_an_other_builder_or_schema_version_is_stale(template: Path, tmp_path: Path) -> None:
    _set_meta(template, builder_version="0")
    assert prebuilt.copy_if_current(tmp_path / "copy.db") is False
    _set_meta(template, builder_version=refdb.BUILDER_VERSION)
    conn = sqlite3.connect(template)
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    assert prebuilt.copy_if_current(tmp_path / "copy.db") is False


def test_the_copy_is_private_and_not_the_template(template: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(refdb, "build_reference_db", _no_build)
    target = tmp_path / "home" / "reference.db"
    refdb.open_reference_db(target).close()
    assert target.stat().st_mode & 0o777 == 0o600
    assert not target.samefile(template)
    template_conn = sqlite3.connect(f"file:{template}?mode=ro", uri=True)
    try:
        assert template_conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    finally:
        template_conn.close()
