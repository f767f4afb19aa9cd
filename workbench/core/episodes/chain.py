"""The hash chain: every version row carries sha256(canonical content + previous row's hash).

The content covers the episode's details (patient, NHS number, reference, date,
specialty, sex, age), the version's codes in order with classification and edition,
the guidance/pack/answers/overrides, coder, time (and the clock's reading when it was
behind), note and reason, and the row's own ids. Changing any of them outside the app,
deleting or inserting a version row, breaks the chain at that row; :func:`check_versions`
recomputes it in one streaming pass. Everything here is Python over plain rows, so any
database that returns the same values gives the same hashes.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import groupby
from json.encoder import encode_basestring as _json_text
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from workbench.core.episodes import dialect
from workbench.core.episodes.model import BrokenEpisode
from workbench.core.episodes.values import (
    READ_ERRORS,
    FastChecks,
    code_problems,
    episode_problems,
    version_problems,
)

if TYPE_CHECKING:
    from workbench.core.episodes.checkpoint_stream import LineStream
    from workbench.core.episodes.keys import DepartmentKey

GENESIS = "0" * 64

VERSION_COLUMNS = ("v.id, v.episode_id, v.version, v.status, v.guidance_id, v.pack_id, "
                   "v.pack_version, v.answers, v.overrides, v.coder, v.saved_at, v.note, v.reason, "
                   "v.prev_hash, v.hash, e.patient, e.nhs_number, e.episode_ref, e.start_date, e.specialty, "
                   "e.sex, e.age_years, e.fce, e.end_date, e.consultant, v.coder_name, v.coder_id, "
                   "v.clock_at, v.mac")
#: Positions in a row selected with VERSION_COLUMNS.
SAVED_AT, PREV_HASH, HASH, PATIENT, END_DATE, CLOCK_AT, MAC = 10, 13, 14, 15, 23, 27, 28


def optional_details(sex: str | None, age: int | None, fce: str | None = None, end_date: str | None = None,
                     consultant: str | None = None) -> dict:
    """Sex and age (schema 3), FCE number, discharge date and consultant (schema 5) enter the
    hashed content only when given, so chains written before them still verify."""
    given = {"sex": sex, "age": age, "fce": fce, "end_date": end_date, "consultant": consultant}
    return {key: value for key, value in given.items() if value is not None}


def canonical(episode: dict[str, Any], version: dict[str, Any],
              codes: list[tuple[str, int, str, str, str]]) -> bytes:
    """One byte string per version; key order and spacing fixed so hashes are reproducible.

    ``codes`` are (kind, position, code, classification, edition[, mark]) rows.
    ``version['answers']`` and ``['overrides']`` are the JSON texts as stored.
    This is the definition; :func:`row_content` produces the same bytes faster.
    """
    content = {
        "episode": episode,
        "version": version,
        "codes": [list(c) for c in sorted(codes, key=lambda c: (c[0], c[1]))],
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def version_hash(content: bytes, prev_hash: str) -> str:
    return hashlib.sha256(content + b"\n" + prev_hash.encode("ascii")).hexdigest()


def _j(value: object) -> str:
    """One value as json.dumps writes it inside :func:`canonical` (str, int and None fast)."""
    kind = type(value)
    if kind is str:
        return _json_text(value)
    if kind is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    return json.dumps(value, ensure_ascii=False)    # floats, booleans; TypeError for bytes


_BY_KIND_AND_POSITION = itemgetter(0, 1)


def _code_text(code: tuple) -> str:
    return "[" + ",".join(map(_j, code)) + "]"


def row_content(row: tuple, codes: list[tuple], code_texts: dict[tuple, str] | None = None) -> bytes:
    """Canonical content of a row selected with VERSION_COLUMNS: exactly :func:`canonical`'s
    bytes for the same values (a test holds the two equal), built without the dicts.
    ``code_texts`` remembers code rows already written (they repeat across a log)."""
    (vid, episode_id, number, status, guidance_id, pack_id, pack_version, answers, overrides,
     coder, saved_at, note, reason, _prev, _hash, patient, nhs, ref, date, specialty, sex, age,
     *more) = row
    fce, end_date, consultant, name, coder_id, clock_at = (list(more) + [None] * 6)[:6]
    ordered = sorted(codes, key=_BY_KIND_AND_POSITION) if len(codes) > 1 else codes
    if code_texts is None:
        code_text = ",".join(map(_code_text, ordered))
    else:
        parts = []
        for code in ordered:
            text = code_texts.get(code)
            if text is None:
                text = _code_text(code)
                if len(code_texts) < 100_000:
                    code_texts[code] = text
            parts.append(text)
        code_text = ",".join(parts)
    # The keys in sorted order; the optional ones (schemas 3 and 5) only when set.
    episode = (('"age":' + _j(age) + "," if age is not None else "")
               + ('"consultant":' + _j(consultant) + "," if consultant is not None else "")
               + '"date":' + _j(date) + (',"end_date":' + _j(end_date) if end_date is not None else "")
               + ',"episode":' + _j(ref) + (',"fce":' + _j(fce) if fce is not None else "")
               + ',"id":' + _j(episode_id) + ',"nhs_number":' + _j(nhs) + ',"patient":' + _j(patient)
               + (',"sex":' + _j(sex) if sex is not None else "") + ',"specialty":' + _j(specialty))
    # clock_at (schema 6) and the coder's labels (schema 7) are hashed only when set, as
    # writer.version_record does; the keys in sorted order.
    version = ('"answers":' + _j(answers) + (',"clock_at":' + _j(clock_at) if clock_at is not None else "")
               + ',"coder":' + _j(coder) + (',"coder_id":' + _j(coder_id) if coder_id is not None else "")
               + (',"coder_name":' + _j(name) if name is not None else "")
               + ',"guidance_id":' + _j(guidance_id) + ',"id":' + _j(vid)
               + ',"note":' + _j(note) + ',"overrides":' + _j(overrides) + ',"pack_id":' + _j(pack_id)
               + ',"pack_version":' + _j(pack_version) + ',"reason":' + _j(reason)
               + ',"saved_at":' + _j(saved_at) + ',"status":' + _j(status) + ',"version":' + _j(number))
    return ('{"codes":[' + code_text + '],"episode":{' + episode + '},"version":{' + version + "}}").encode()


def codes_by_version(conn: sqlite3.Connection, after: int = 0,
                     until: int = 2**63 - 1) -> Iterator[tuple[int, list[tuple]]]:
    """(version id, its codes) in version id order from the primary key; the mark is hashed
    only when set (as the writer does)."""
    cursor = dialect.stream(conn, "SELECT version_id, kind, position, code, classification, edition, mark "
                            "FROM version_code WHERE version_id > ? AND version_id <= ? "
                            "ORDER BY version_id, kind, position", (after, until))
    for version_id, group in groupby(cursor, key=itemgetter(0)):
        yield version_id, [r[1:] if r[6] is not None else r[1:6] for r in group]


@dataclass
class ChainResult:
    """What a pass over one append-only table found."""

    problems: list[BrokenEpisode] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    rows: int = 0                        # rows checked in this pass
    head: tuple[int, str] = (0, GENESIS)
    head_mac: str | None = None          # the department key's hash of the head row
    index_rows: int = 0                  # distinct (code, version) pairs seen: the derived indexes' size
    coders: dict[str, int] = field(default_factory=dict)   # versions per OS login
    indexes_probed: bool = False         # the derived indexes were probed for these rows already


@dataclass(frozen=True)
class Start:
    """Where a pass over a chain begins: the row before its first (id 0: the genesis)."""

    id: int = 0
    hash: str = GENESIS
    mac: str | None = None
    saved_at: str = ""
    clock_at: str | None = None
    keyed: bool = False                  # that row or one before it carries the department key's hash


def version_start(conn: sqlite3.Connection, row_id: int, first_keyed: int | None = None) -> Start | None:
    """Version row ``row_id`` as the start of a pass; None when it is missing. ``first_keyed``
    is the first row with a department key hash; without it the row's own is taken (right for
    a verified mark: a pass that found keyed rows followed by an unkeyed one did not pass)."""
    row = conn.execute("SELECT hash, mac, saved_at, clock_at FROM version WHERE id = ?", (row_id,)).fetchone()
    if row is None:
        return None
    keyed = row[1] is not None if first_keyed is None else first_keyed <= row_id
    return Start(row_id, row[0], row[1], row[2] if isinstance(row[2], str) else "", row[3], keyed)


def check_versions(conn: sqlite3.Connection, *, start: Start = Start(), key: DepartmentKey | None = None,
                   stream: LineStream | None = None, until: int | None = None) -> ChainResult:
    """Every version row after ``start`` (up to ``until``) in id order: contiguous ids, parsable
    values, hashes, times, the department key's hashes, and each checkpoint line the stream
    holds for these rows. Never raises on bad content."""
    result = ChainResult()
    broken = result.problems.append
    previous_id, previous, previous_mac, previous_time = start.id, start.hash, start.mac, start.saved_at
    keyed = start.keyed                  # from the first keyed row on, every row must be keyed
    previous_clock: object = start.clock_at
    last = until if until is not None else 2**63 - 1
    codes = codes_by_version(conn, previous_id, last)
    pending = next(codes, None)
    fast, code_texts, sha256, coders = FastChecks(), {}, hashlib.sha256, result.coders
    want = stream.next_rows() if stream is not None else None
    # LEFT JOIN: a version whose episode row was deleted is still checked (and fails).
    rows = dialect.stream(conn, f"SELECT {VERSION_COLUMNS} FROM version v LEFT JOIN episode e "
                          "ON e.id = v.episode_id WHERE v.id > ? AND v.id <= ? ORDER BY v.id", (previous_id, last))
    for row in rows:
        vid, episode_id, prev_hash, stored = row[0], row[1], row[PREV_HASH], row[HASH]
        while pending is not None and pending[0] < vid:
            broken(BrokenEpisode(None, f"codes belong to missing version {pending[0]}"))
            pending = next(codes, None)
        mine: list[tuple] = []
        if pending is not None and pending[0] == vid:
            mine = pending[1]
            pending = next(codes, None)
            result.index_rows += len({c[2] for c in mine})
        if vid != previous_id + 1:
            gap = f"{previous_id + 1}" if vid == previous_id + 2 else f"{previous_id + 1}-{vid - 1}"
            broken(BrokenEpisode(None, f"version rows {gap} are missing (deleted)"))
        if prev_hash != previous:
            broken(BrokenEpisode(episode_id, f"the chain is broken before version row {vid} "
                                             "(a version was removed or inserted)"))
        try:
            same = sha256(row_content(row, mine, code_texts) + b"\n" + prev_hash.encode("ascii")).hexdigest() == stored
        except READ_ERRORS:
            same = False
        # Every stored value parses: the common shapes are recognised from a cache, the rest explained.
        if row[PATIENT] is None:
            broken(BrokenEpisode(episode_id, "the episode's details are missing"))
        elif not fast.episode_ok(*row[15:20], end_date=row[END_DATE]):
            for problem in episode_problems(*row[15:20], end_date=row[END_DATE]):
                broken(BrokenEpisode(episode_id, problem))
        if not (same and prev_hash == previous and fast.version_ok(row[2], row[3], row[7], row[8], row[9],
                                                                   row[SAVED_AT])
                and (not mine or fast.codes_ok(mine))):
            problems = version_problems(row[2], row[3], row[7], row[8], row[9], row[SAVED_AT], prev_hash, stored)
            if mine:
                problems += code_problems(mine)
            for problem in problems:
                broken(BrokenEpisode(episode_id, f"version row {vid}: {problem}"))
        if not same:
            broken(BrokenEpisode(episode_id, f"version {row[2]} was changed outside the app"))
        saved_at, clock_at, mac = row[SAVED_AT], row[CLOCK_AT], row[MAC]
        if isinstance(saved_at, str):
            if saved_at < previous_time:
                broken(BrokenEpisode(episode_id, f"version row {vid} is dated before the row "
                                                 "saved ahead of it (backdated or forged)"))
            previous_time = saved_at
        if clock_at is not None and previous_clock is None:
            result.notices.append(f"version row {vid}: saved while the clock read {clock_at}, behind "
                                  "the row before it (a clock stepped back, or another computer's "
                                  "clock is ahead); it is timed just after that row")
        previous_clock = clock_at
        if key is not None and (keyed or mac is not None):
            keyed = True
            if mac is None:
                broken(BrokenEpisode(episode_id, f"version row {vid} has no department key hash "
                                                 "although the rows before it do (added without the key: forged?)"))
            elif not key.checks(stored, mac):
                broken(BrokenEpisode(episode_id, f"version row {vid}: its department key hash is wrong "
                                                 "(forged or changed outside the app)"))
        while want is not None and want <= vid:
            if want == vid:
                for problem in stream.match(vid, stored, mac):
                    broken(BrokenEpisode(None, problem))
            want = stream.next_rows()
        previous, previous_id, previous_mac = stored, vid, mac
        result.rows += 1
        login = str(row[9])
        coders[login] = coders.get(login, 0) + 1
    if pending is not None:
        broken(BrokenEpisode(None, f"codes belong to missing version {pending[0]}"))
    result.head, result.head_mac = (previous_id, previous), previous_mac
    return result
