"""One line per episode, streamed: what ``workbench log list`` prints.

:func:`queries.list_episodes` builds a full :class:`EpisodeSummary` per episode (answers
and overrides parsed, every code an object), which is right for a page of the app and
for ``--json``, but a month of a large log is thousands of episodes and building them
cost ten times the query. Here the same query (same filters, order and index plans)
selects only what a line shows, with each version's codes joined by SQLite, and rows
are read a batch at a time, so memory stays flat however many episodes match.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Iterator
from typing import NamedTuple

from workbench.core.episodes.dialect import SQLITE, dialect_of, joined
from workbench.core.episodes.model import MARK_SIGNS
from workbench.core.episodes.queries import list_query

BATCH = 1000


class ListedEpisode(NamedTuple):
    """An episode's latest version as one listing line shows it (stored text, not yet
    made safe for a terminal: see :func:`safetext.visible`)."""

    id: int
    date: str                 # YYYY-MM-DD
    patient: str
    episode: str
    status: str
    version: int
    guidance: str | None
    procedures: str           # codes in order, space separated, with marks ('' if none)
    diagnoses: str


def _codes(kind: str, dialect: str) -> str:
    # version_code's key is (version_id, kind, position): the seek reads one version's codes
    # of one kind in position order, so SQLite's group_concat joins them in that order.
    shown = "c.code || CASE c.mark " + " ".join(
        f"WHEN '{mark}' THEN '{sign}'" for mark, sign in MARK_SIGNS.items()) + " ELSE '' END"
    return (f"(SELECT {joined(shown, ' ', 'c.position', dialect)} FROM version_code c "
            f"WHERE c.version_id = v.id AND c.kind = '{kind}')")


def shown_columns(dialect: str = SQLITE) -> str:
    """After the key columns (id, patient, NHS number, reference, date): only what a line shows."""
    return f"v.version, v.status, v.guidance_id, {_codes('procedure', dialect)}, {_codes('diagnosis', dialect)}"



def listed_episodes(conn: sqlite3.Connection, *, on_damaged: Callable[[int], None] | None = None,
                    **filters: object) -> Iterator[ListedEpisode]:
    """The episodes :func:`queries.list_episodes` would return with ``filters``, in the
    same order, as :class:`ListedEpisode`. An episode whose shown values do not parse is
    left out and its id passed to ``on_damaged``."""
    query = list_query(conn, rest=shown_columns(dialect_of(conn)), **filters)   # type: ignore[arg-type]
    if query is None:
        return
    cursor = conn.execute(*query)
    while rows := cursor.fetchmany(BATCH):
        for row in rows:
            line = _line(row)
            if line is not None:
                yield line
            elif on_damaged is not None:
                on_damaged(row[0])


def _line(row: tuple) -> ListedEpisode | None:
    episode_id, patient, _nhs, ref, date, version, status, guidance, procedures, diagnoses = row
    try:
        parsed = dt.date.fromisoformat(date)
    except (TypeError, ValueError):
        return None
    if not (isinstance(patient, str) and isinstance(ref, str) and isinstance(status, str)
            and isinstance(version, int) and (guidance is None or isinstance(guidance, str))):
        return None
    return ListedEpisode(episode_id, date if len(date) == 10 else parsed.isoformat(), patient, ref,
                         status, version, guidance, procedures or "", diagnoses or "")
