"""Turning rows into domain objects, and domain objects into rows."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from workbench.core.episodes.model import (
    CodedEntry,
    Coding,
    EpisodeDetails,
    EpisodeSummary,
    EpisodeVersion,
    LogError,
    Override,
)

# Columns every summary/version query selects, in this order.
EPISODE_COLS = ("e.id, e.patient, e.nhs_number, e.episode_ref, e.start_date, e.specialty, e.sex, e.age_years, "
                "e.fce, e.end_date, e.consultant")
VERSION_COLS = ("v.id, v.version, v.status, v.guidance_id, v.pack_id, v.pack_version, v.answers, "
                "v.overrides, v.coder, v.saved_at, v.note, v.reason, v.coder_name, v.coder_id")
N_EPISODE = 11


def to_json(value: Any) -> str:
    """Stored JSON: stable key order so the same answers always hash the same."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def details_from(row: tuple) -> EpisodeDetails:
    _id, patient, nhs, ref, date, specialty, sex, age, fce, end, consultant = row[:N_EPISODE]
    return EpisodeDetails(patient=patient, episode=ref, date=dt.date.fromisoformat(date),
                          nhs_number=nhs, specialty=specialty, sex=sex, age=age, fce=fce,
                          end_date=dt.date.fromisoformat(end) if end else None, consultant=consultant)


def version_from(row: tuple, codes: list[tuple]) -> EpisodeVersion:
    """``row`` is VERSION_COLS; ``codes`` are (kind, position, code, classification, edition)."""
    (_vid, number, status, guidance_id, pack_id, pack_version, answers, overrides, coder,
     saved_at, note, reason, coder_name, coder_id) = row
    procedures = [CodedEntry(*c[2:6]) for c in codes if c[0] == "procedure"]
    diagnoses = [CodedEntry(*c[2:6]) for c in codes if c[0] == "diagnosis"]
    coding = Coding(procedures=procedures, diagnoses=diagnoses, guidance_id=guidance_id,
                    pack_id=pack_id, pack_version=pack_version,
                    answers=json.loads(answers) if answers != "{}" else {},
                    overrides=[Override(str(e), str(r)) for e, r in json.loads(overrides)]
                    if overrides != "[]" else [])
    return EpisodeVersion(version=number, status=status, coding=coding, coder=coder,
                          saved_at=dt.datetime.fromisoformat(saved_at), note=note, reason=reason,
                          coder_name=coder_name, coder_id=coder_id)


def codes_for(conn: sqlite3.Connection, version_ids: Iterable[int]) -> dict[int, list[tuple]]:
    """Codes of many versions, ordered by kind and position, in a few queries."""
    ids = list(version_ids)
    found: dict[int, list[tuple]] = defaultdict(list)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(
                "SELECT version_id, kind, position, code, classification, edition, mark FROM version_code "
                f"WHERE version_id IN ({marks}) ORDER BY version_id, kind, position", chunk):
            found[row[0]].append(row[1:])
    return found


class Summaries(list):
    """Summaries in the order asked for; ``damaged`` holds the ids of episodes whose stored
    values did not parse (skipped, so one bad row never hides the others)."""

    damaged: list[int]


def summaries_from(conn: sqlite3.Connection, rows: list[tuple]) -> Summaries:
    """Rows of EPISODE_COLS + VERSION_COLS -> summaries, codes fetched in bulk."""
    from workbench.core.episodes.values import READ_ERRORS

    codes = codes_for(conn, (r[N_EPISODE] for r in rows))
    found = Summaries()
    found.damaged = []
    for r in rows:
        try:
            found.append(EpisodeSummary(id=r[0], details=details_from(r),
                                        latest=version_from(r[N_EPISODE:], codes.get(r[N_EPISODE], []))))
        except READ_ERRORS:
            found.damaged.append(r[0])
    return found


def damaged_episode(episode_id: int) -> LogError:
    return LogError(f"episode {episode_id} has a damaged stored value and cannot be shown; "
                    "run 'workbench log verify' to see what is wrong")


def code_rows(coding: Coding) -> list[tuple]:
    """(kind, position, code, classification, edition[, mark]) for storage and hashing; the
    mark only when set, so codes saved before marks existed hash as they did."""
    rows = [("procedure", i, e.code, e.classification, e.edition, *((e.mark,) if e.mark else ()))
            for i, e in enumerate(coding.procedures, start=1)]
    rows += [("diagnosis", i, e.code, e.classification, e.edition, *((e.mark,) if e.mark else ()))
             for i, e in enumerate(coding.diagnoses, start=1)]
    return rows
