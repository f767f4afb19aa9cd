"""Productivity figures (workbench stats and the manager's screen's source)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from workbench.core.episodes import (
    CodedEntry,
    Coding,
    EpisodeDetails,
    EpisodeLog,
    Override,
    bulk_load,
)
from workbench.core.episodes.stats import productivity
from workbench.core.episodes.worklist import Worklist

DAY = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)


def coding(guidance: str | None = None, overrides: list[Override] | None = None,
           answers: dict | None = None) -> Coding:
    return Coding([CodedEntry("K57.8", "opcs4", "OPCS-4.10")], [CodedEntry("I48.9", "icd10", "ICD-10")],
                  guidance_id=guidance, pack_id=guidance, answers=answers or {}, overrides=overrides or [])


@pytest.fixture
def log(tmp_path: Path):
    """Ten first saves over two days by two coders (minutes of coding 1..10), then an amend."""
    path = tmp_path / "episodes.db"
    items = []
    for n in range(1, 11):
        saved = DAY + dt.timedelta(days=n // 6, minutes=30 * n)
        extra = {"answers": {"@IPG75": {"stent": "yes"}}} if n == 2 else {}
        items.append((EpisodeDetails(f"P{n}", f"E{n}", dt.date(2025, 3, 1), specialty="urology" if n % 2 else "ENT"),
                      coding("IPG655" if n <= 3 else None,
                             [Override("missing-4th-character", "as documented")] if n == 4 else None, **extra),
                      "ann" if n <= 6 else "bob", saved, saved - dt.timedelta(minutes=n)))
    with EpisodeLog(path) as opened:
        bulk_load(opened, items)
        yield opened


def test_counts_times_guidance_and_overrides(log: EpisodeLog) -> None:
    log.amend(1, coding(), reason="typo", coder="ann")       # saved now: outside March 2025
    stats = productivity(log.connection, dt.date(2025, 3, 1), dt.date(2025, 3, 31))
    t = stats.total
    assert (t.episodes, t.amended, t.voided) == (10, 0, 0)
    assert (t.median_minutes, t.p90_minutes, len(t.durations)) == (5.5, 9.0, 10)
    assert (t.with_guidance, dict(t.guidance)) == (3, {"IPG655": 3, "IPG75": 1})
    assert (t.overridden, dict(t.overridden_edits)) == (1, {"missing-4th-character": 1})
    by_coder = {g.key: (g.episodes, g.median_minutes, g.p90_minutes) for g in
                productivity(log.connection, dt.date(2025, 3, 1), dt.date(2025, 3, 31), "coder").groups}
    assert by_coder == {"ann": (6, 3.5, 6.0), "bob": (4, 8.5, 10.0)}
    by_day = {g.key: g.episodes for g in productivity(log.connection, dt.date(2025, 3, 1),
                                                      dt.date(2025, 3, 31), "day").groups}
    assert by_day == {"2025-03-03": 5, "2025-03-04": 5}
    by_specialty = {g.key: g.episodes for g in productivity(log.connection, dt.date(2025, 3, 3),
                                                            dt.date(2025, 3, 3), "specialty").groups}
    assert by_specialty == {"ENT": 2, "urology": 3}
    today = dt.date.today()
    assert productivity(log.connection, today, today).total.amended == 1


def test_queries_raised_and_outstanding(log: EpisodeLog, tmp_path: Path) -> None:
    extract = tmp_path / "x.csv"
    extract.write_text("patient,episode,start_date,specialty\nQ1,E1,01/03/2025,urology\nQ2,E2,01/03/2025,ENT\n")
    worklist = Worklist(log)
    worklist.import_file(extract)
    worklist.mark_query(1, "op note missing", "ann")
    worklist.mark_query(2, "histology", "bob")
    worklist.reopen(2)
    today = dt.date.today()
    stats = productivity(log.connection, today, today, "coder")
    assert {g.key: (g.queries_raised, g.queries_outstanding) for g in stats.groups} == {
        "ann": (1, 1), "bob": (1, 0)}


def test_a_save_from_a_draft_is_timed_from_the_draft(tmp_path: Path) -> None:
    with EpisodeLog(tmp_path / "e.db") as log:
        draft = log.save_draft("ann", {"version": 2, "codes": []})
        log.save(EpisodeDetails("P", "E", dt.date(2025, 3, 1)), coding(), coder="ann", draft_id=draft)
        log.save(EpisodeDetails("P2", "E2", dt.date(2025, 3, 1)), coding(), coder="ann")   # no draft: untimed
        today = dt.date.today()
        stats = productivity(log.connection, today, today)
        assert stats.total.episodes == 2 and len(stats.total.durations) == 1
        assert 0 <= stats.total.durations[0] < 60


def test_the_command(capsys, log: EpisodeLog) -> None:
    import argparse

    from workbench.commands import stats as stats_command

    parser = argparse.ArgumentParser(prog="workbench")
    parser.add_argument("--log")
    stats_command.register(parser.add_subparsers())
    args = parser.parse_args(["--log", str(log.path), "stats", "--since", "1/3/2025", "--until", "31/3/2025",
                              "--by", "coder", "--json"])
    assert args.handler(args) == 0
    figures = json.loads(capsys.readouterr().out)
    assert [(g["key"], g["episodes"]) for g in figures["groups"]] == [("ann", 6), ("bob", 4)]
    assert figures["total"]["median_minutes"] == 5.5
    args = parser.parse_args(["--log", str(log.path), "stats", "--since", "1/3/2025", "--until", "31/3/2025"])
    assert args.handler(args) == 0
    out = capsys.readouterr().out
    assert "all" in out and "5.5m" in out and "guidance used most: IPG655 3" in out
    args = parser.parse_args(["--log", str(log.path), "stats", "--since", "31/3/2025", "--until", "1/3/2025"])
    from workbench.commands import UserError

    with pytest.raises(UserError, match="--since is after --until"):
        args.handler(args)


def test_the_last_day_there_is_is_a_period_end(log: EpisodeLog) -> None:
    """Found by the fuzz suite: `stats --until 9999-12-31` overflowed computing the day after."""
    stats = productivity(log.connection, dt.date(2020, 1, 1), dt.date.max)
    assert stats.total.episodes == 0 or stats.total.episodes > 0
    assert stats.as_dict()["until"] == "9999-12-31"
