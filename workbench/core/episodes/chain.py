"""The hash chain: every version row carries sha256(canonical content + previous row's hash).

The content covers the episode's details (patient, NHS number, reference, date,
specialty), the version's codes in order with classification and edition, the
guidance/pack/answers/overrides, coder, time, note and reason, and the row's own
ids. Changing any of them outside the app, deleting or inserting a version row,
breaks the chain at that row; :func:`verify` recomputes it in one streaming pass.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from typing import Any

from workbench.core.episodes import dialect
from workbench.core.episodes.model import BrokenEpisode, VerifyReport
from workbench.core.episodes.values import (
    READ_ERRORS,
    code_problems,
    episode_problems,
    version_problems,
)

GENESIS = "0" * 64

VERSION_COLUMNS = ("v.id, v.episode_id, v.version, v.status, v.guidance_id, v.pack_id, "
                   "v.pack_version, v.answers, v.overrides, v.coder, v.saved_at, v.note, v.reason, "
                   "v.prev_hash, v.hash, e.patient, e.nhs_number, e.episode_ref, e.start_date, e.specialty, "
                   "e.sex, e.age_years, e.fce, e.end_date, e.consultant, v.coder_name, v.coder_id")


def canonical(episode: dict[str, Any], version: dict[str, Any],
              codes: list[tuple[str, int, str, str, str]]) -> bytes:
    """One byte string per version; key order and spacing fixed so hashes are reproducible.

    ``codes`` are (kind, position, code, classification, edition) rows.
    ``version['answers']`` and ``['overrides']`` are the JSON texts as stored.
    """
    content = {
        "episode": episode,
        "version": version,
        "codes": [list(c) for c in sorted(codes, key=lambda c: (c[0], c[1]))],
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def version_hash(content: bytes, prev_hash: str) -> str:
    return hashlib.sha256(content + b"\n" + prev_hash.encode("ascii")).hexdigest()


def optional_details(sex: str | None, age: int | None, fce: str | None = None, end_date: str | None = None,
                     consultant: str | None = None) -> dict:
    """Sex and age (schema 3), FCE number, discharge date and consultant (schema 5) enter the
    hashed content only when given, so chains written before them still verify."""
    given = {"sex": sex, "age": age, "fce": fce, "end_date": end_date, "consultant": consultant}
    return {key: value for key, value in given.items() if value is not None}


def row_content(row: tuple, codes: list[tuple[str, int, str, str, str]]) -> bytes:
    """Canonical content of a row selected with VERSION_COLUMNS."""
    (vid, episode_id, number, status, guidance_id, pack_id, pack_version, answers, overrides,
     coder, saved_at, note, reason, _prev, _hash, patient, nhs, ref, date, specialty, sex, age,
     fce, end_date, consultant, *labels) = row
    episode = {"id": episode_id, "patient": patient, "nhs_number": nhs, "episode": ref,
               "date": date, "specialty": specialty,
               **optional_details(sex, age, fce, end_date, consultant)}
    version = {"id": vid, "version": number, "status": status, "guidance_id": guidance_id,
               "pack_id": pack_id, "pack_version": pack_version, "answers": answers,
               "overrides": overrides, "coder": coder, "saved_at": saved_at, "note": note,
               "reason": reason}
    # The coder's labels (schema 7) are hashed only when set, as writer.version_record does.
    name, coder_id = (labels + [None, None])[:2]
    if name is not None:
        version["coder_name"] = name
    if coder_id is not None:
        version["coder_id"] = coder_id
    return canonical(episode, version, codes)


def _codes_by_version(conn: sqlite3.Connection) -> Iterator[tuple[int, list[tuple]]]:
    """(version id, its codes) in version id order, streamed from the primary key."""
    cursor = dialect.stream(conn, "SELECT version_id, kind, position, code, classification, edition, "
                            "mark FROM version_code ORDER BY version_id, kind, position")
    current, bucket = None, []
    for version_id, *code in cursor:
        if version_id != current:
            if current is not None:
                yield current, bucket
            current, bucket = version_id, []
        bucket.append(tuple(code) if code[-1] is not None else tuple(code[:-1]))   # mark hashed when set
    if current is not None:
        yield current, bucket


def verify(conn: sqlite3.Connection, recorded: list | None = None) -> VerifyReport:
    """PRAGMA integrity_check, the whole chain, every stored value, the code index, and
    each checkpoint in ``recorded``, in one read snapshot. Never raises on bad content:
    every problem is reported, by episode where it can be tied to one."""
    from workbench.core.episodes.checkpoints import compare

    conn.execute("BEGIN")
    try:
        integrity = _integrity(conn)
        broken: list[BrokenEpisode] = []
        head = (0, GENESIS)
        for check in (_check_chain, _check_structure):
            try:
                found = check(conn)
            except sqlite3.DatabaseError as exc:
                broken.append(BrokenEpisode(None, f"a table could not be read to the end ({exc})"))
                continue
            if check is _check_chain:
                found, head = found
            broken += found
        broken += compare(conn, recorded or [])
        audit_records, audit_head = 0, GENESIS
        if _has_audit(conn):
            from workbench.core.audit import store as audit_store

            try:
                broken += [BrokenEpisode(None, p) for p in audit_store.verify_records(conn)]
                audit_records, audit_head = audit_store.head(conn)
            except sqlite3.DatabaseError as exc:
                broken.append(BrokenEpisode(None, f"the audit records could not be read to the end ({exc})"))
        checked = conn.execute("SELECT count(*) FROM version").fetchone()[0]
        episodes = conn.execute("SELECT count(*) FROM episode").fetchone()[0]
        try:   # who saved the versions: the OS logins recorded with them
            coders = {str(c): n for c, n in conn.execute(
                "SELECT coder, count(*) FROM version GROUP BY coder ORDER BY count(*) DESC, coder")}
        except sqlite3.DatabaseError:
            coders = {}
    finally:
        conn.execute("COMMIT")
    return VerifyReport(integrity=integrity, broken=_dedupe(broken), versions_checked=checked,
                        episodes=episodes, head_hash=str(head[1]),
                        checkpoints_checked=len(recorded or []), coders=coders,
                        audit_records=audit_records, audit_head=audit_head)


def _integrity(conn: sqlite3.Connection) -> list[str]:
    """Problems with the store itself: SQLite's integrity_check of the file; on a server, the
    guards that keep the log append-only (:func:`postgres.schema.guard_problems`)."""
    if dialect.dialect_of(conn) == dialect.POSTGRESQL:
        from workbench.core.episodes.postgres.schema import guard_problems

        return guard_problems(conn)
    try:
        found = [r[0] for r in conn.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as exc:
        found = [f"the file cannot be checked: {exc}"]
    return [] if found == ["ok"] else [str(line) for line in found]


def _check_chain(conn: sqlite3.Connection) -> tuple[list[BrokenEpisode], tuple[int, str]]:
    """Every version row in id order: contiguous ids, parsable values, hashes, times."""
    broken: list[BrokenEpisode] = []
    codes = _codes_by_version(conn)
    pending = next(codes, None)
    previous, previous_id, previous_time = GENESIS, 0, ""
    # LEFT JOIN: a version whose episode row was deleted is still checked (and fails).
    rows = dialect.stream(conn, f"SELECT {VERSION_COLUMNS} FROM version v "
                          "LEFT JOIN episode e ON e.id = v.episode_id ORDER BY v.id")
    for row in rows:
        vid, episode_id, prev_hash, stored = row[0], row[1], row[13], row[14]
        while pending is not None and pending[0] < vid:
            broken.append(BrokenEpisode(None, f"codes belong to missing version {pending[0]}"))
            pending = next(codes, None)
        mine: list[tuple] = []
        if pending is not None and pending[0] == vid:
            mine = pending[1]
            pending = next(codes, None)
        if vid != previous_id + 1:
            gap = f"{previous_id + 1}" if vid == previous_id + 2 else f"{previous_id + 1}-{vid - 1}"
            broken.append(BrokenEpisode(None, f"version rows {gap} are missing (deleted)"))
        if prev_hash != previous:
            broken.append(BrokenEpisode(episode_id, f"the chain is broken before version row {vid} "
                                                    "(a version was removed or inserted)"))
        if row[15] is None:
            broken.append(BrokenEpisode(episode_id, "the episode's details are missing"))
        else:
            broken += [BrokenEpisode(episode_id, p) for p in episode_problems(*row[15:20], end_date=row[23])]
        problems = version_problems(row[2], row[3], row[7], row[8], row[9], row[10], prev_hash, stored)
        problems += code_problems(mine)
        broken += [BrokenEpisode(episode_id, f"version row {vid}: {p}") for p in problems]
        try:
            same = version_hash(row_content(row, mine), str(prev_hash)) == stored
        except READ_ERRORS:
            same = False
        if not same:
            broken.append(BrokenEpisode(episode_id, f"version {row[2]} was changed outside the app"))
        if isinstance(row[10], str):
            if row[10] < previous_time:
                broken.append(BrokenEpisode(episode_id, f"version row {vid} is dated before the row "
                                                        "saved ahead of it (backdated or forged)"))
            previous_time = row[10]
        previous, previous_id = stored, vid
    if pending is not None:
        broken.append(BrokenEpisode(None, f"codes belong to missing version {pending[0]}"))
    return broken, (previous_id, previous)


def _check_structure(conn: sqlite3.Connection) -> list[BrokenEpisode]:
    """Episodes without versions, gaps in version numbers, a code index that disagrees."""
    broken = [BrokenEpisode(None, f"episode rows before episode {eid} are missing (deleted)")
              for (eid,) in conn.execute("SELECT id FROM episode e WHERE id > 1 AND NOT EXISTS "
                                         "(SELECT 1 FROM episode p WHERE p.id = e.id - 1)")]
    first = conn.execute("SELECT min(id) FROM episode").fetchone()[0]
    if first is not None and first != 1:
        broken.append(BrokenEpisode(None, f"episode rows 1-{first - 1} are missing (deleted)"))
    broken += [BrokenEpisode(eid, "the episode has no versions") for (eid,) in conn.execute(
        "SELECT id FROM episode WHERE NOT EXISTS (SELECT 1 FROM version v WHERE v.episode_id = episode.id)")]
    broken += [BrokenEpisode(eid, "its version numbers have a gap") for (eid,) in conn.execute(
        "SELECT episode_id FROM version GROUP BY episode_id HAVING max(version) != count(*)")]
    missing = conn.execute(
        "SELECT DISTINCT v.episode_id FROM version_code c JOIN version v ON v.id = c.version_id "
        "WHERE NOT EXISTS (SELECT 1 FROM code_index i WHERE i.code = c.code "
        "AND i.episode_id = v.episode_id AND i.version_id = c.version_id)")
    broken += [BrokenEpisode(eid, "the code search index is missing its codes") for (eid,) in missing]
    extra = conn.execute(
        "SELECT DISTINCT i.episode_id FROM code_index i WHERE NOT EXISTS (SELECT 1 FROM version_code c "
        "JOIN version v ON v.id = c.version_id WHERE c.version_id = i.version_id AND c.code = i.code "
        "AND v.episode_id = i.episode_id)")
    broken += [BrokenEpisode(eid, "the code search index lists codes it does not have") for (eid,) in extra]
    # code_date mirrors code_index with the episode's date (both derived; see db/log/README.md).
    mismatched = conn.execute(
        "SELECT DISTINCT i.episode_id FROM code_index i JOIN episode e ON e.id = i.episode_id "
        "WHERE NOT EXISTS (SELECT 1 FROM code_date d WHERE d.code = i.code AND d.start_date = e.start_date "
        "AND d.episode_id = i.episode_id AND d.version_id = i.version_id) "
        "UNION SELECT DISTINCT d.episode_id FROM code_date d WHERE NOT EXISTS (SELECT 1 FROM code_index i "
        "JOIN episode e ON e.id = i.episode_id WHERE i.code = d.code AND i.episode_id = d.episode_id "
        "AND i.version_id = d.version_id AND e.start_date = d.start_date)")
    broken += [BrokenEpisode(eid, "the code-by-date index disagrees with the codes") for (eid,) in mismatched]
    return broken


def _has_audit(conn: sqlite3.Connection) -> bool:
    return dialect.has_table(conn, "audit_record")


def _dedupe(items: list[BrokenEpisode]) -> list[BrokenEpisode]:
    seen, out = set(), []
    for item in items:
        if (item.episode_id, item.problem) not in seen:
            seen.add((item.episode_id, item.problem))
            out.append(item)
    return out
