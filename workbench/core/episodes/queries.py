"""Read queries: the latest version of matching episodes, and one episode's history.

How each filter finds its rows quickly on a large log (see db/log/README.md):
- patient / NHS number / episode reference: indexes on the episode table;
- date range: ``episode_date`` (start_date, then the row id) walked backwards, newest
  date first, so a LIMIT stops early wherever the range lies (dates rising with ids
  or not); pages continue from (start_date, id) (keyset, never OFFSET);
- code: ``code_index`` (code, episode_id, version_id), walked backwards so the newest
  episodes come first and a LIMIT stops early;
- "latest version": ``max(version.id)`` per episode, one seek in ``version_episode``.
- code + date range: ``code_date`` (code, start_date, episode_id, version_id), walked
  backwards from the range's end.
Results are newest episode first (episode id descending), or with a date range newest
start date first, then newest episode.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from typing import Any

from workbench.core.episodes.model import (
    STATUSES,
    EpisodeDetails,
    EpisodeNotFound,
    EpisodeSummary,
    EpisodeVersion,
    LogError,
)
from workbench.core.episodes.rows import (
    EPISODE_COLS,
    VERSION_COLS,
    codes_for,
    damaged_episode,
    details_from,
    summaries_from,
    version_from,
)
from workbench.core.episodes.validate import normalise_nhs_number, parse_date
from workbench.core.episodes.values import READ_ERRORS
from workbench.core.safetext import canonical

_LATEST = "(SELECT max(id) FROM version WHERE episode_id = {})"
# The first five columns of every listing: a merged code + date listing orders by column 5.
KEY_COLS = "e.id, e.patient, e.nhs_number, e.episode_ref, e.start_date"
SUMMARY_REST = EPISODE_COLS.removeprefix(KEY_COLS + ", ") + ", " + VERSION_COLS
_CODE = re.compile(r"([A-Z])(\d{2})(?:\.?(\d[0-9A-Z]?|-))?")   # ICD-10 may have a 5th character


def normalise_code_filter(text: str) -> tuple[str, bool]:
    """'l804' -> ('L80.4', False); 'L80', 'L80.-' -> ('L80', True) meaning the whole category."""
    cleaned = "".join(str(text).split()).upper()
    match = _CODE.fullmatch(cleaned)
    if not match:
        raise LogError("code: not a code (expected e.g. L80.4, l804, L80 or I50.9)")
    letter, digits, tail = match.groups()
    if tail is None or tail == "-":
        return f"{letter}{digits}", True
    return f"{letter}{digits}.{tail}", False


def list_episodes(conn: sqlite3.Connection, **filters: Any) -> list[EpisodeSummary]:
    """Latest versions of matching episodes: newest episode first, or with a date range,
    newest start date first (then newest episode), so every plan is an index walk that
    stops at ``limit`` whatever the log's shape. ``filters`` as :func:`list_query`."""
    query = list_query(conn, **filters)
    if query is None:
        return []
    return summaries_from(conn, conn.execute(*query).fetchall())


def list_query(conn: sqlite3.Connection, *, patient: str | None = None, nhs: str | None = None,
               code: str | None = None, guidance: str | None = None, coder: str | None = None,
               since: dt.date | str | None = None, until: dt.date | str | None = None,
               status: str | None = None, limit: int | None = None,
               words: list[str] | None = None, after: tuple[str, int] | None = None,
               rest: str = SUMMARY_REST) -> tuple[str, list[object]] | None:
    """The SQL and arguments of :func:`list_episodes`, or None when nothing can match.
    Rows are KEY_COLS (id, patient, NHS number, reference, start date), then ``rest``
    (columns of ``e`` and ``v``): by default the rest of EPISODE_COLS and VERSION_COLS.

    ``words``: each must equal the patient or the episode reference. ``after``: the
    (start date, id) of the last row of the previous page (see :func:`page_key`).
    """
    where: list[str] = []
    params: list[object] = []
    codes: list[str] = []
    dates = _date_bounds(since, until)
    if code:
        wanted, whole_category = normalise_code_filter(code)
        # A category ("L80") matches every code under it that the log holds.
        codes = _codes_in_category(conn, wanted) if whole_category else [wanted]
        if not codes:
            return None
    if codes and (patient is not None or nhs or words):
        # A patient, NHS number or word picks a handful of episodes from their own index:
        # start there and check the code, rather than walk every episode with the code.
        where.append(f"EXISTS (SELECT 1 FROM code_index ck WHERE ck.code IN ({','.join('?' * len(codes))}) "
                     "AND ck.episode_id = e.id AND ck.version_id = v.id)")
        params += codes
        codes = []
    if codes:
        # With a date range, code_date (code, start_date, episode) is walked instead.
        index = "code_date" if dates else "code_index"
        source = (f"{index} ci JOIN episode e ON e.id = ci.episode_id "
                  "JOIN version v ON v.id = ci.version_id")
        where.append(f"ci.version_id = {_LATEST.format('ci.episode_id')}")
    else:
        source = f"episode e JOIN version v ON v.id = {_LATEST.format('e.id')}"
    if patient is not None:
        where.append("e.patient = ?")
        params.append(canonical(patient).strip())   # stored NFC (validate.checked_details)
    for word in words or []:
        # Identifiers are matched whole, as typed or in capitals ("ptwo" finds PTWO): two
        # index seeks each, never a scan.
        word = canonical(word)
        where.append("(e.patient IN (?, ?) OR e.episode_ref IN (?, ?))")
        params += [word, word.upper(), word, word.upper()]
    if nhs:
        where.append("e.nhs_number = ?")
        params.append(normalise_nhs_number(nhs))
    by_date = bool(dates)
    date_col, id_col = ("ci.start_date", "ci.episode_id") if codes else ("e.start_date", "e.id")
    if by_date and after is not None:
        # The next page starts at the cursor's date: that becomes the upper bound the
        # index seeks to, so a deep page costs no more than the first.
        dates = [(op, value) for op, value in dates if op != "<="] + [("<=", str(after[0]))]
    for op, value in dates:
        where.append(f"{date_col} {op} ?")
        params.append(value)
    if after is not None:
        if by_date:
            where.append(f"({date_col}, {id_col}) < (?, ?)")
            params += [str(after[0]), int(after[1])]
        else:
            where.append(f"{id_col} < ?")
            params.append(int(after[1]))
    if guidance:
        where.append("v.guidance_id = ?")
        from workbench.core.rules.loader import guidance_key

        params.append(guidance_key(guidance))
    if coder:
        where.append("v.coder = ?")
        params.append(coder)
    if status:
        if status not in STATUSES:
            raise LogError(f"status: must be one of {', '.join(STATUSES)}")
        where.append("v.status = ?")
        params.append(status)
    tail = ""
    if limit is not None:
        tail = " LIMIT ?"
    if not codes:
        order = " ORDER BY e.start_date DESC, e.id DESC" if by_date else " ORDER BY e.id DESC"
        sql = (f"SELECT {KEY_COLS}, {rest} FROM {source}"
               + (f" WHERE {' AND '.join(where)}" if where else "") + order + tail)
        args = params
    else:
        # Select (and order by) ci.episode_id, not e.id: only then does SQLite see that
        # walking code_index backwards already gives newest-first order and stop at LIMIT.
        # A category gets one arm per code; UNION with ORDER BY merges the ordered arms
        # instead of sorting every match.
        columns = "ci.episode_id" + KEY_COLS.removeprefix("e.id")
        if by_date:   # ordered by (date, id) straight from code_date, as the arms are merged
            columns = columns.replace("e.start_date", "ci.start_date")
        arms = [f"SELECT {columns}, {rest} FROM {source} "
                f"WHERE ci.code = ? AND {' AND '.join(where)}" for _ in codes]
        if by_date:
            order = " ORDER BY 5 DESC, 1 DESC" if len(arms) > 1 else " ORDER BY ci.start_date DESC, ci.episode_id DESC"
        else:
            order = " ORDER BY 1 DESC" if len(arms) > 1 else " ORDER BY ci.episode_id DESC"
        sql = " UNION ".join(arms) + order + tail
        args = [value for one in codes for value in (one, *params)]
    if limit is not None:
        args = [*args, int(limit)]
    return sql, args


def page_key(summary: EpisodeSummary) -> tuple[str, int]:
    """The keyset cursor after ``summary``: pass it as ``after`` for the next page."""
    return summary.details.date.isoformat(), summary.id


def _codes_in_category(conn: sqlite3.Connection, category: str) -> list[str]:
    """The distinct codes under ``category`` in the log: one index seek per code found."""
    found: list[str] = []
    low, high = category, category + "/"       # "L80", "L80.0" ... "L80.9Z" sort before "L80/"
    row = conn.execute("SELECT code FROM code_index WHERE code >= ? AND code < ? ORDER BY code LIMIT 1",
                       (low, high)).fetchone()
    while row is not None:
        found.append(row[0])
        row = conn.execute("SELECT code FROM code_index WHERE code > ? AND code < ? "
                           "ORDER BY code LIMIT 1", (row[0], high)).fetchone()
    return found


def _date_bounds(since: dt.date | str | None, until: dt.date | str | None) -> list[tuple[str, str]]:
    bounds = []
    if since:
        bounds.append((">=", parse_date(since, "since").isoformat()))
    if until:
        bounds.append(("<=", parse_date(until, "until").isoformat()))
    return bounds


def get_summary(conn: sqlite3.Connection, episode_id: int) -> EpisodeSummary:
    rows = conn.execute(f"SELECT {EPISODE_COLS}, {VERSION_COLS} FROM episode e "
                        f"JOIN version v ON v.id = {_LATEST.format('e.id')} WHERE e.id = ?",
                        (episode_id,)).fetchall()
    if not rows:
        raise EpisodeNotFound(f"there is no episode {episode_id} in the log")
    found = summaries_from(conn, rows)
    if not found:
        raise damaged_episode(episode_id)
    return found[0]


def history(conn: sqlite3.Connection, episode_id: int) -> tuple[EpisodeDetails, list[EpisodeVersion]]:
    """The episode's details and every version, oldest first."""
    row = conn.execute(f"SELECT {EPISODE_COLS} FROM episode e WHERE e.id = ?", (episode_id,)).fetchone()
    if row is None:
        raise EpisodeNotFound(f"there is no episode {episode_id} in the log")
    versions = conn.execute(f"SELECT {VERSION_COLS} FROM version v WHERE v.episode_id = ? "
                            "ORDER BY v.version", (episode_id,)).fetchall()
    codes = codes_for(conn, (v[0] for v in versions))
    try:
        return details_from(row), [version_from(v, codes.get(v[0], [])) for v in versions]
    except READ_ERRORS:
        raise damaged_episode(episode_id) from None
