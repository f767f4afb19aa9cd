"""Keyset pages through the log, the log screen's filter words, and the query plans that
keep both fast at a million episodes whatever the log's shape (EXPLAIN QUERY PLAN)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from workbench.core.episodes import (
    CodedEntry,
    Coding,
    EpisodeDetails,
    EpisodeLog,
    LogError,
    bulk_load,
    queries,
)
from workbench.core.episodes.filtering import first_page, parse_filter
from workbench.core.episodes.queries import page_key


def _coding(n: int) -> Coding:
    return Coding([CodedEntry("K57.8", "opcs4", "4.10"), CodedEntry(f"Y53.{n % 10}", "opcs4", "4.10")],
                  [CodedEntry("I50.0", "icd10", "2019")])


@pytest.fixture
def log(tmp_path: Path):
    with EpisodeLog(tmp_path / "episodes.db") as opened:
        bulk_load(opened, ((EpisodeDetails(f"P{n % 40}", f"E{n}", dt.date(2023, 1, 1) + dt.timedelta(days=n % 300)),
                            _coding(n), "c") for n in range(1, 501)))
        yield opened


def _all_pages(log: EpisodeLog, size: int, **filters) -> list[int]:
    seen, after = [], None
    while True:
        page = log.list(limit=size, after=after, **filters)
        seen += [s.id for s in page]
        if len(page) < size:
            return seen
        after = page_key(page[-1])


def test_pages_cover_every_episode_once_newest_first(log: EpisodeLog) -> None:
    assert _all_pages(log, 37) == list(range(500, 0, -1))


@pytest.mark.parametrize("filters", [
    {"since": "2023-02-01", "until": "2023-06-30"}, {"code": "Y53.3"}, {"code": "Y53"},
    {"words": ["P7"]}, {"code": "K57.8", "since": "2023-03-01", "until": "2023-03-31"},
])
def test_pages_agree_with_one_unlimited_query(log: EpisodeLog, filters: dict) -> None:
    assert _all_pages(log, 13, **filters) == [s.id for s in log.list(**filters)]


def test_a_date_range_is_newest_date_first(log: EpisodeLog) -> None:
    dates = [s.details.date for s in log.list(since="2023-02-01", until="2023-06-30")]
    assert dates == sorted(dates, reverse=True) and len(dates) > 100


@pytest.mark.parametrize("text, expected", [
    ("", {}),
    ("l804", {"code": "l804"}),
    ("I50.0 voided", {"code": "I50.0", "status": "voided"}),
    ("ipg75", {"guidance": "ipg75"}),
    ("2024-03-01", {"since": "2024-03-01", "until": "2024-03-01"}),
    ("2024-02", {"since": "2024-02-01", "until": "2024-02-29"}),
    ("2023", {"since": "2023-01-01", "until": "2023-12-31"}),
    ("9434765919", {"nhs": "9434765919"}),
    ("HOSP-1 EP7", {"words": ["HOSP-1", "EP7"]}),
])
def test_filter_words(text: str, expected: dict) -> None:
    assert parse_filter(text) == expected


@pytest.mark.parametrize("text", ["2024-02-30", "9434765918"])
def test_filter_words_that_are_not_real_refuse_with_a_reason(text: str) -> None:
    with pytest.raises(LogError):
        parse_filter(text)


def test_filter_by_patient_or_episode_reference(log: EpisodeLog) -> None:
    assert {s.details.patient for s in log.list(**parse_filter("P7"))} == {"P7"}
    # "E42" is also an ICD-10 category: found as a reference when no episode has the code.
    page, arguments = first_page(log, "E42", 10)
    assert [s.id for s in page] == [42] and arguments == {"words": ["E42"]}
    page, arguments = first_page(log, "k578", 10)
    assert len(page) == 10 and arguments == {"code": "k578"}


class PlanSpy:
    """A connection wrapper that records EXPLAIN QUERY PLAN of each list query."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn, self.plans = conn, []

    def execute(self, sql: str, args=()):  # noqa: ANN001, ANN201 - mirrors sqlite3
        if sql.startswith("SELECT e.id") or sql.startswith("SELECT ci.episode_id"):
            self.plans.append(" | ".join(r[3] for r in self.conn.execute("EXPLAIN QUERY PLAN " + sql, args)))
        return self.conn.execute(sql, args)


@pytest.mark.parametrize("filters, index", [
    ({}, "INTEGER PRIMARY KEY"),
    ({"after": ("2023-05-01", 250)}, "INTEGER PRIMARY KEY (rowid<?)"),
    ({"since": "2023-01-01", "until": "2023-12-31"}, "episode_date"),
    ({"since": "2023-01-01", "until": "2023-12-31", "after": ("2023-05-01", 250)}, "episode_date"),
    ({"code": "K57.8"}, "SEARCH ci USING PRIMARY KEY (code=?)"),
    # A patient narrows first; the code is a primary-key check per episode, not a code walk.
    ({"code": "K57.8", "patient": "P7"}, "SEARCH ck USING PRIMARY KEY (code=? AND episode_id=? AND version_id=?)"),
    ({"code": "K57.8", "after": ("2023-05-01", 250)}, "SEARCH ci USING PRIMARY KEY (code=? AND episode_id<?)"),
    ({"code": "K57.8", "since": "2023-01-01", "until": "2023-03-01"},
     "SEARCH ci USING PRIMARY KEY (code=? AND start_date>? AND start_date<?)"),
    ({"code": "K57", "since": "2023-01-01", "until": "2023-03-01", "after": ("2023-02-01", 250)},
     "SEARCH ci USING PRIMARY KEY (code=? AND start_date>? AND start_date<?)"),
])
def test_list_plans_walk_an_index_and_never_sort(log: EpisodeLog, filters: dict, index: str) -> None:
    """Each page is an index walk in the order shown, stopping at LIMIT: no temporary
    B-tree (a sort of every match), whether dates rise with ids or not."""
    spy = PlanSpy(log.connection)
    queries.list_episodes(spy, limit=100, **filters)
    [plan] = spy.plans
    assert index in plan and "TEMP B-TREE" not in plan, plan
