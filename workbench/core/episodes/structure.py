"""What verify checks besides the chains: episodes and version numbers without gaps, and the
derived indexes (code_index, code_date) agreeing with the codes the versions hold."""

from __future__ import annotations

import sqlite3

from workbench.core.episodes.model import BrokenEpisode


def missing_from_indexes(conn: sqlite3.Connection, after: int, until: int) -> list[BrokenEpisode]:
    """Every (code, version) the versions in (after, until] hold must be in both derived indexes
    (code_index, and code_date with the episode's date): one probe of each per code row. Run by
    each process of a split verify for its own range."""
    missing = conn.execute(
        "SELECT DISTINCT v.episode_id, NOT EXISTS (SELECT 1 FROM code_index i WHERE i.code = c.code "
        "AND i.episode_id = v.episode_id AND i.version_id = c.version_id) FROM version_code c "
        "JOIN version v ON v.id = c.version_id JOIN episode e ON e.id = v.episode_id "
        "WHERE c.version_id > ? AND c.version_id <= ? AND (NOT EXISTS (SELECT 1 FROM code_index i "
        "WHERE i.code = c.code AND i.episode_id = v.episode_id AND i.version_id = c.version_id) "
        "OR NOT EXISTS (SELECT 1 FROM code_date d WHERE d.code = c.code AND d.start_date = e.start_date "
        "AND d.episode_id = v.episode_id AND d.version_id = c.version_id))", (after, until)).fetchall()
    return [BrokenEpisode(eid, "the code search index is missing its codes" if no_index
                          else "the code-by-date index disagrees with the codes") for eid, no_index in missing]


def check_structure(conn: sqlite3.Connection, head: int, index_rows: int, *, after: int = 0,
                     probe: bool = True) -> list[BrokenEpisode]:
    """Episodes without versions, gaps in version numbers, derived indexes that disagree (rows
    after ``after`` only, for an incremental verify; ``probe=False`` when the processes of a
    split verify probed the indexes for their ranges)."""
    first_episode = 0
    if after:
        first_episode = conn.execute("SELECT coalesce(max(episode_id), 0) FROM version WHERE id <= ?",
                                     (after,)).fetchone()[0]
    broken = [BrokenEpisode(None, f"episode rows before episode {eid} are missing (deleted)")
              for (eid,) in conn.execute("SELECT id FROM episode e WHERE id > ? + 1 AND NOT EXISTS "
                                         "(SELECT 1 FROM episode p WHERE p.id = e.id - 1)", (first_episode,))]
    first = conn.execute("SELECT min(id) FROM episode").fetchone()[0]
    if first is not None and first != 1:
        broken.append(BrokenEpisode(None, f"episode rows 1-{first - 1} are missing (deleted)"))
    broken += [BrokenEpisode(eid, "the episode has no versions") for (eid,) in conn.execute(
        "SELECT id FROM episode WHERE id > ? AND NOT EXISTS "
        "(SELECT 1 FROM version v WHERE v.episode_id = episode.id)", (first_episode,))]
    broken += [BrokenEpisode(eid, "its version numbers have a gap") for (eid,) in conn.execute(
        "SELECT episode_id FROM version WHERE episode_id > ? GROUP BY episode_id "
        "HAVING max(version) != count(*)", (first_episode,))]
    if probe:
        broken += missing_from_indexes(conn, after, head)
    if after:
        return broken
    # ...and, holding all of them, an index with more rows than that holds rows of its own.
    index_count, date_count = conn.execute("SELECT (SELECT count(*) FROM code_index), "
                                           "(SELECT count(*) FROM code_date)").fetchone()
    if index_count > index_rows:
        broken += [BrokenEpisode(eid, "the code search index lists codes it does not have") for (eid,) in conn.execute(
            "SELECT DISTINCT i.episode_id FROM code_index i WHERE NOT EXISTS (SELECT 1 FROM version_code c "
            "JOIN version v ON v.id = c.version_id WHERE c.version_id = i.version_id AND c.code = i.code "
            "AND v.episode_id = i.episode_id)")] or [BrokenEpisode(None, "the code search index has extra rows")]
    if date_count > index_rows:
        broken += [BrokenEpisode(eid, "the code-by-date index disagrees with the codes") for (eid,) in conn.execute(
            "SELECT DISTINCT d.episode_id FROM code_date d WHERE NOT EXISTS (SELECT 1 FROM code_index i "
            "JOIN episode e ON e.id = i.episode_id WHERE i.code = d.code AND i.episode_id = d.episode_id "
            "AND i.version_id = d.version_id AND e.start_date = d.start_date)")] \
            or [BrokenEpisode(None, "the code-by-date index has extra rows")]
    return broken
