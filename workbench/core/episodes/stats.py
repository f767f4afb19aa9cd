"""Productivity figures for a coding manager: what was coded, how long it took, what is waiting.

Over the versions saved between two dates (by save time, UTC), optionally by coder (the OS
login that saved), specialty or day:

- episodes coded: first saves; amended and voided: later versions;
- time per episode: from the start of the episode's draft (the first change the coder made)
  to its save, for saves that came from a draft (the app's; ``log add`` has none); median
  and 90th percentile (nearest rank), in minutes. A draft left open overnight counts as it
  happened: the median is what to read;
- queries raised in the period (worklist, by who raised them) and how many still wait;
- guidance used: first saves coded with at least one guidance, and the most used;
- edits overridden: versions saved with a failing check overridden, and which checks.

One indexed range scan of ``version`` by ``saved_at`` (schema 7), aggregated in Python.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import sqlite3
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from workbench.core.episodes.model import LogError

GROUPINGS = ("coder", "specialty", "day")


@dataclass
class StatsRow:
    key: str
    episodes: int = 0
    amended: int = 0
    voided: int = 0
    durations: list[float] = field(default_factory=list, repr=False)   # seconds, first saves from drafts
    queries_raised: int = 0
    queries_outstanding: int = 0
    with_guidance: int = 0
    guidance: Counter = field(default_factory=Counter)
    overridden: int = 0
    overridden_edits: Counter = field(default_factory=Counter)

    @property
    def median_minutes(self) -> float | None:
        return round(statistics.median(self.durations) / 60, 1) if self.durations else None

    @property
    def p90_minutes(self) -> float | None:
        if not self.durations:
            return None
        ordered = sorted(self.durations)
        return round(ordered[math.ceil(0.9 * len(ordered)) - 1] / 60, 1)

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "episodes": self.episodes, "amended": self.amended, "voided": self.voided,
                "timed": len(self.durations), "median_minutes": self.median_minutes,
                "p90_minutes": self.p90_minutes, "queries_raised": self.queries_raised,
                "queries_outstanding": self.queries_outstanding, "with_guidance": self.with_guidance,
                "guidance": dict(self.guidance.most_common(5)), "overridden": self.overridden,
                "overridden_edits": dict(self.overridden_edits.most_common())}


@dataclass
class Stats:
    since: dt.date
    until: dt.date
    by: str | None
    total: StatsRow
    groups: list[StatsRow]

    def as_dict(self) -> dict[str, Any]:
        return {"since": self.since.isoformat(), "until": self.until.isoformat(), "by": self.by,
                "total": self.total.as_dict(), "groups": [g.as_dict() for g in self.groups]}


def _bounds(since: dt.date, until: dt.date) -> tuple[str, str]:
    """[since 00:00, the day after until 00:00) as stored times compare (ISO text, UTC)."""
    start = dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC).isoformat()
    if until >= dt.date.max:      # 9999-12-31 has no day after it (found by the fuzz suite)
        return start, "9999-12-31T23:59:59.999999+00:00~"
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC).isoformat()
    return start, end


def productivity(conn: sqlite3.Connection, since: dt.date, until: dt.date, by: str | None = None) -> Stats:
    if by is not None and by not in GROUPINGS:
        raise LogError(f"--by: one of {', '.join(GROUPINGS)}")
    if since > until:
        raise LogError("dates: --since is after --until")
    start, end = _bounds(since, until)
    total = StatsRow("all")
    groups: dict[str, StatsRow] = defaultdict(lambda: StatsRow(""))
    conn.execute("BEGIN")
    try:
        rows = conn.execute(
            "SELECT v.version, v.status, v.coder, v.saved_at, v.guidance_id, v.answers, v.overrides, "
            "e.specialty, (SELECT d.started_at FROM draft_consumed d WHERE d.episode_id = v.episode_id "
            "AND v.version = 1 ORDER BY d.draft_id LIMIT 1) "
            "FROM version v INDEXED BY version_saved JOIN episode e ON e.id = v.episode_id "
            "WHERE v.saved_at >= ? AND v.saved_at < ?", (start, end))
        for number, status, coder, saved_at, guidance, answers, overrides, specialty, started in rows:
            key = _key(by, coder, specialty, saved_at)
            targets = (total, groups[key]) if by else (total,)
            packs = _guidance(guidance, answers) if number == 1 else []
            edits = _overrides(overrides)
            seconds = _seconds(started, saved_at) if number == 1 else None
            for row in targets:
                if status == "voided":
                    row.voided += 1
                elif number == 1:
                    row.episodes += 1
                    if packs:
                        row.with_guidance += 1
                        row.guidance.update(packs)
                    if seconds is not None:
                        row.durations.append(seconds)
                else:
                    row.amended += 1
                if edits:
                    row.overridden += 1
                    row.overridden_edits.update(edits)
        _queries(conn, start, end, by, total, groups)
    finally:
        conn.execute("COMMIT")
    for key, row in groups.items():
        row.key = key
    return Stats(since, until, by, total, sorted(groups.values(), key=lambda r: r.key))


def _key(by: str | None, coder: str, specialty: str | None, when: str | None) -> str:
    if by == "coder":
        return str(coder)
    if by == "specialty":
        return specialty or "(none)"
    if by == "day":
        return str(when or "")[:10]
    return "all"


def _guidance(first: str | None, answers: str) -> list[str]:
    found = [first] if first else []
    if answers and '"@' in answers:      # further guidance of the episode: "@<pack id>" keys
        with contextlib.suppress(TypeError, ValueError, AttributeError):
            found += [k[1:] for k in json.loads(answers) if k.startswith("@")]
    return found


def _overrides(stored: str) -> list[str]:
    if not stored or stored == "[]":
        return []
    try:
        return [str(item[0]) for item in json.loads(stored)]
    except (TypeError, ValueError, IndexError, KeyError):
        return ["(unreadable)"]


def _seconds(started: str | None, saved: str) -> float | None:
    if not started:
        return None
    try:
        seconds = (dt.datetime.fromisoformat(saved) - dt.datetime.fromisoformat(started)).total_seconds()
    except (TypeError, ValueError):
        return None
    return seconds if seconds >= 0 else None


def _queries(conn: sqlite3.Connection, start: str, end: str, by: str | None, total: StatsRow,
             groups: dict[str, StatsRow]) -> None:
    rows = conn.execute("SELECT status, query_by, specialty, query_at FROM worklist_item "
                        "WHERE query_at >= ? AND query_at < ?", (start, end))
    for status, who, specialty, when in rows:
        key = _key(by, who or "(unknown)", specialty, when)
        for row in ((total, groups[key]) if by else (total,)):
            row.queries_raised += 1
            if status == "query":
                row.queries_outstanding += 1
