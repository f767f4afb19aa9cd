"""The log-integrity benchmarks run end to end at toy sizes (figures come from full runs)."""

from __future__ import annotations

from pathlib import Path

from benchmarks import logdata, logscale


def test_rising_dates_follow_ids_and_random_ones_do_not() -> None:
    rising = [d.date for d, _c, _coder in logdata.episodes(2000, shape="rising")]
    scattered = [d.date for d, _c, _coder in logdata.episodes(2000, shape="random")]
    assert rising[0] < rising[1000] < rising[-1]
    assert sum(a > b for a, b in zip(rising, rising[1:], strict=False)) < 1000
    assert sorted(scattered) != scattered


def test_integrity_rows(tmp_path: Path) -> None:
    rows = logscale.integrity(tmp_path, episodes=400, screen_sizes=(200, 400), writers=3, rounds=3)
    names = [r.name for r in rows]
    for shape in logdata.SHAPES:
        for name in ("date range", "oldest-year range", "code", "code + range"):
            assert f"log {name} p95, {shape} dates" in names
    for size in ("200", "400"):
        assert f"log screen open, {size} episodes" in names
        assert f"log screen peak RSS, {size} episodes" in names
    failed = next(r for r in rows if r.name == "contended saves failed")
    assert failed.value == 0 and failed.passed is True
    assert all(r.value >= 0 for r in rows)
