"""The two stores of the episode log, as the contract tests use them.

``SqliteStore`` is a log file; ``ServerStore`` a database on the test PostgreSQL server,
opened as a coder's login role (member of workbench_coder), as the app connects. Each can
``tamper`` with its rows as an attacker with direct access would: on the server that is a
superuser who switches the append-only triggers off for the session.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from workbench.core.episodes import CodedEntry, Coding, EpisodeDetails, chain, open_episode_log

OPCS, ICD = "OPCS-4.10", "ICD-10 WHO 2019"


def coding(procs: str = "L80.4 Y53.9", diags: str = "I70.2", **extra) -> Coding:
    """A coding from space-separated codes, in the editions the log tests store."""
    return Coding(procedures=[CodedEntry(c, "opcs4", OPCS) for c in procs.split()],
                  diagnoses=[CodedEntry(c, "icd10", ICD) for c in diags.split()], **extra)


def details(patient: str = "P001", episode: str = "E001", date: str = "2024-03-01",
            nhs: str | None = None) -> EpisodeDetails:
    return EpisodeDetails(patient=patient, episode=episode, date=dt.date.fromisoformat(date), nhs_number=nhs)


class SqliteStore:
    name = "sqlite"
    placeholder = "?"

    def __init__(self, path: Path):
        self.path = path
        self.target: Any = path

    def open(self, **options: Any) -> Any:
        return open_episode_log(self.path, **options)

    def tamper(self, *statements: str) -> None:
        conn = sqlite3.connect(self.path)
        # The attacker drops whatever guard triggers there are (the server's switches them off).
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
            conn.execute(f'DROP TRIGGER "{name}"')
        for statement in statements:
            conn.execute(statement)
        conn.commit()
        conn.close()

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        conn = sqlite3.connect(self.path)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()


class ServerStore:
    name = "postgresql"
    placeholder = "%s"

    def __init__(self, database: Any):
        self.database = database
        self.target = database.coder_url

    def open(self, **options: Any) -> Any:
        return open_episode_log(self.database.coder_url, **options)

    def tamper(self, *statements: str) -> None:
        with self.database.admin() as conn:
            conn.execute("SET session_replication_role = replica")   # the triggers stay silent
            for statement in statements:
                conn.execute(statement)

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self.database.admin() as conn:
            return conn.execute(sql.replace("?", "%s"), params).fetchall()


def chain_rewrites(query: Callable[..., list]) -> list[str]:
    """The UPDATEs that rewrite every hash from the first row on, as an attacker covering a
    change would; ``query(sql, params=())`` reads the log as it stands."""
    rows = query(f"SELECT {chain.VERSION_COLUMNS} FROM version v JOIN episode e ON e.id = v.episode_id ORDER BY v.id")
    previous = chain.GENESIS
    updates = []
    for row in rows:
        codes = query("SELECT kind, position, code, classification, edition FROM version_code "
                      "WHERE version_id = ? ORDER BY kind, position", (row[0],))
        digest = chain.version_hash(chain.row_content(row, [tuple(c) for c in codes]), previous)
        updates.append(f"UPDATE version SET prev_hash = '{previous}', hash = '{digest}' WHERE id = {row[0]}")
        previous = digest
    return updates


def recompute_chain(store: Any) -> None:
    """Rewrite every hash of a store's log (its guards off, as a superuser would)."""
    store.tamper(*chain_rewrites(store.query))


def recompute_chain_in_file(conn: sqlite3.Connection) -> None:
    """The same on a log file's own connection (its guards left as they are); the caller commits."""
    for statement in chain_rewrites(lambda sql, params=(): conn.execute(sql, params).fetchall()):
        conn.execute(statement)
