"""`log list` prints from a streamed, light listing: it must show exactly what the full
summaries (`EpisodeLog.list`, also behind `--json`) hold, in the same order, for every filter."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.test_log_cli import run
from workbench.core.episodes import CodedEntry, Coding, EpisodeDetails, EpisodeLog, listing
from workbench.core.safetext import visible

FILTERS = [
    {},
    {"since": "2024-02-01", "until": "2024-03-15"},
    {"code": "L80"},
    {"code": "L80.4", "since": "2024-01-10"},
    {"code": "L80", "since": "2024-01-20", "until": "2024-03-01"},   # arms merged by date (column 5)
    {"code": "A17.0"},
    {"patient": "P3"},
    {"guidance": "ipg75"},
    {"status": "amended"},
    {"since": "2024-01-01", "limit": 7},
    {"code": "Z99.9"},
]


def _coding(n: int) -> Coding:
    procedures = [CodedEntry(c, "opcs4", "4.10") for c in ("L80.4 Y53.9 Z94.2" if n % 3 else "L80.2").split()]
    diagnoses = [CodedEntry("I70.2", "icd10", "2019")]
    if n % 4 == 0:      # a dagger-asterisk pair: marks are part of what a line shows
        diagnoses = [CodedEntry("A17.0", "icd10", "2019", "dagger"), CodedEntry("G01", "icd10", "2019", "asterisk")]
    return Coding(procedures, diagnoses, guidance_id="IPG75" if n % 5 == 0 else None)


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    path = tmp_path / "episodes.db"
    with EpisodeLog(path) as log:
        for n in range(1, 41):
            log.save(EpisodeDetails(f"P{n % 7}", f"E{n}", dt.date(2024, 1, 1) + dt.timedelta(days=(n * 37) % 90)),
                     _coding(n), coder="ann")
        log.amend(3, Coding([CodedEntry("L80.3", "opcs4", "4.10")], [CodedEntry("I70.2", "icd10", "2019")]),
                  reason="cutting balloon", coder="bob")
        log.void(5, reason="wrong patient", coder="bob")
        log.save(EpisodeDetails("esc\x1b[2J", "E\u202e99", dt.date(2024, 2, 2)), _coding(1), coder="ann")
    return path


def _expected_line(s) -> str:  # noqa: ANN001 - EpisodeSummary
    """The line as `log list` printed it from full summaries before it was streamed."""
    d, v = s.details, s.latest

    def codes(entries: list) -> str:
        return visible(" ".join(e.shown() for e in entries) or "-")

    return (f"{s.id:>7}  {d.date}  {visible(d.patient):<12} {visible(d.episode):<12} {v.status:<8} "
            f"v{v.version}  {visible(v.coding.guidance_id or '-'):<7} {codes(v.coding.procedures)} | "
            f"{codes(v.coding.diagnoses)}")


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: ",".join(f"{k}={v}" for k, v in f.items()) or "all")
def test_the_listing_matches_the_full_summaries(log_path: Path, filters: dict) -> None:
    with EpisodeLog(log_path) as log:
        full = log.list(**filters)
        light = list(log.listing(**filters))
    assert [e.id for e in light] == [s.id for s in full]
    for e, s in zip(light, full, strict=True):
        assert e.date == s.details.date.isoformat() and e.status == s.latest.status
        assert e.procedures == " ".join(c.shown() for c in s.latest.coding.procedures)
        assert e.diagnoses == " ".join(c.shown() for c in s.latest.coding.diagnoses)


@pytest.mark.parametrize("batch", [1, 3, 1000])
def test_log_list_prints_every_line_as_before_across_batches(capsys, monkeypatch, log_path: Path,
                                                             batch: int) -> None:
    monkeypatch.setattr(listing, "BATCH", batch)
    with EpisodeLog(log_path) as log:
        for filters in FILTERS:
            argv = [part for key, value in filters.items() for part in (f"--{key}", str(value))]
            code, out, err = run(capsys, log_path, "list", *argv)
            expected = [_expected_line(s) for s in log.list(**filters)]
            assert code == 0 and out.splitlines() == expected, filters
            assert ("no episodes match" in err) == (not expected)
    assert "\x1b" not in out and "\\x1b[2J" in run(capsys, log_path, "list", "--patient", "esc\x1b[2J")[1]


def test_a_damaged_episode_is_named_and_the_rest_still_listed(capsys, log_path: Path) -> None:
    import sqlite3

    conn = sqlite3.connect(log_path)
    conn.execute("UPDATE episode SET start_date = 'soon' WHERE id = 7")
    conn.commit()
    conn.close()
    code, out, err = run(capsys, log_path, "list")
    assert code == 0 and "episode 7 has a damaged stored value" in err
    ids = [int(line.split()[0]) for line in out.splitlines()]
    assert 7 not in ids and len(ids) == 40


def test_a_bad_date_filter_is_a_clear_message(capsys, log_path: Path) -> None:
    code, out, err = run(capsys, log_path, "list", "--since", "31/02/2024")
    assert code == 2 and out == "" and "since" in err and "Traceback" not in err


def test_every_listing_starts_with_the_key_columns() -> None:
    from workbench.core.episodes import queries, rows

    # The summaries' columns are the key columns and the rest, in that order (see queries.KEY_COLS).
    assert f"{queries.KEY_COLS}, {queries.SUMMARY_REST}" == f"{rows.EPISODE_COLS}, {rows.VERSION_COLS}"
