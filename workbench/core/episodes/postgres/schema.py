"""``workbench db init --postgres URL``: the department log's schema, roles and grants.

Run by an administrator (a role that may create roles and schemas), once, and again after
an upgrade: it creates the schema ``workbench``, applies ``db/postgres/NNN_*.sql`` not yet
applied (one transaction, under a lock, so two inits never interleave), then re-applies
``db/postgres/roles.sql`` (group roles ``workbench_coder`` and ``workbench_reader`` and their
grants) and grants ``workbench_coder`` to the login roles named. Coders' sessions only check
that the schema is the one they know (:func:`check_ready`); they never create anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.core.episodes.model import LogError
from workbench.core.episodes.postgres.connection import SCHEMA, connect, driver, plain_error

#: Tables whose rows are the record: insert only, guarded by triggers (001_log.sql).
APPEND_ONLY_TABLES = ("episode", "version", "version_code", "code_index", "code_date",
                      "save_receipt", "draft_consumed", "audit_record")
CODER_ROLE, READER_ROLE = "workbench_coder", "workbench_reader"
_INIT_LOCK = 0x4E434549          # "NCEI": one db init at a time


def schema_dir() -> Path:
    from workbench.core.paths import SCHEMA_DIR

    return SCHEMA_DIR / "postgres"


def migrations() -> list[tuple[int, Path]]:
    return sorted((int(p.name[:3]), p) for p in schema_dir().glob("[0-9][0-9][0-9]_*.sql"))


def latest_version() -> int:
    known = migrations()
    return known[-1][0] if known else 0


def current_version(conn: Any) -> int | None:
    """The schema version the server holds, or None when it has no workbench log."""
    found = conn.execute("SELECT to_regclass(?)", [f"{SCHEMA}.schema_version"]).fetchone()[0]
    if found is None:
        return None
    return int(conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0])


def check_ready(conn: Any, where: str) -> None:
    """Refuse, with what to do, a server without the log or with another version of it."""
    version = current_version(conn)
    latest = latest_version()
    if version is None or version == 0:
        raise LogError(f"{where} has no workbench episode log yet: an administrator runs "
                       "'workbench db init --postgres URL' first")
    if version > latest:
        raise LogError(f"{where} holds a log of schema {version}, newer than this workbench knows "
                       f"({latest}): upgrade the workbench. Nothing was changed")
    if version < latest:
        raise LogError(f"{where} holds a log of schema {version}; this workbench needs {latest}: "
                       "an administrator runs 'workbench db init --postgres URL' to upgrade it")


@dataclass(frozen=True)
class InitReport:
    before: int
    after: int
    granted: tuple[str, ...]
    readers: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"schema_before": self.before, "schema_after": self.after, "granted": list(self.granted),
                "readers": list(self.readers)}


def init(url: str, grant: Sequence[str] = (), readers: Sequence[str] = ()) -> InitReport:
    """Create or upgrade the log on the server at ``url`` (see the module notes)."""
    psycopg = driver()
    from psycopg import sql

    conn = connect(url, application="workbench db init", search_path=False)
    raw = conn.raw
    try:
        raw.execute("BEGIN")
        raw.execute("SELECT pg_advisory_xact_lock(%s)", [_INIT_LOCK])
        raw.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(SCHEMA)))
        raw.execute(sql.SQL("SET LOCAL search_path = {}").format(sql.Identifier(SCHEMA)))
        raw.execute("CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY, "
                    "applied_at timestamptz NOT NULL DEFAULT now())")
        before = int(raw.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0])
        if before > latest_version():
            raise LogError(f"the server holds log schema {before}, newer than this workbench knows "
                           f"({latest_version()}); nothing was changed")
        for version, script in migrations():
            if version > before:
                raw.execute(script.read_text(encoding="utf-8"))      # simple protocol: many statements
                raw.execute("INSERT INTO schema_version (version) VALUES (%s)", [version])
        if before < 5 <= latest_version():
            _fill_episode_keys(raw)
        raw.execute((schema_dir() / "roles.sql").read_text(encoding="utf-8"))
        for group, roles in ((CODER_ROLE, grant), (READER_ROLE, readers)):
            for role in roles:
                raw.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(group), sql.Identifier(role)))
        raw.execute("COMMIT")
    except LogError:
        conn.rollback_quietly()
        conn.close()
        raise
    except psycopg.Error as exc:
        conn.rollback_quietly()
        conn.close()
        state = getattr(exc, "sqlstate", "") or ""
        if state == "42501":
            raise LogError("db init needs a role that may create schemas and roles (the server's "
                           "administrator, or a role with CREATEROLE that owns the database); "
                           "nothing was changed") from None
        if state == "42704":
            raise LogError("db init --grant: no such role on the server (create the coder's login "
                           "role first: CREATE ROLE name LOGIN); nothing was changed") from None
        raise plain_error(exc, url) from None
    conn.close()
    return InitReport(before, latest_version(), tuple(grant), tuple(readers))


def _fill_episode_keys(raw: Any) -> None:
    """The near-duplicate keys of the episodes saved before schema 5, computed as a save does."""
    from workbench.core.episodes.writer import identity

    rows = raw.execute("SELECT id, patient, episode_ref, start_date FROM episode e WHERE NOT EXISTS "
                       "(SELECT 1 FROM episode_key k WHERE k.episode_id = e.id)").fetchall()
    if rows:
        with raw.cursor() as cursor:
            cursor.executemany("INSERT INTO episode_key (identity, start_date, episode_id) VALUES (%s, %s, %s) "
                               "ON CONFLICT DO NOTHING", [(identity(p, r), d, i) for i, p, r, d in rows])


def guard_problems(conn: Any) -> list[str]:
    """What verify reports about the server itself: an append-only trigger missing or
    disabled, or the coders' role able to update or delete the record."""
    problems: list[str] = []
    rows = conn.execute(
        "SELECT c.relname, t.tgname, t.tgenabled FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? AND NOT t.tgisinternal",
        [SCHEMA]).fetchall()
    enabled = {(table, name): state for table, name, state in rows}
    for table in APPEND_ONLY_TABLES:
        for guard in (f"{table}_append_only", f"{table}_no_truncate"):
            state = enabled.get((table, guard))
            if state is None:
                problems.append(f"the append-only guard {guard} on table {table} is missing")
            elif state == "D":
                problems.append(f"the append-only guard {guard} on table {table} is disabled")
    role = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = ?", [CODER_ROLE]).fetchone()
    if role is not None:
        for table in APPEND_ONLY_TABLES:
            for privilege in ("UPDATE", "DELETE", "TRUNCATE"):
                if conn.execute("SELECT has_table_privilege(?, ?, ?)",
                                [CODER_ROLE, f"{SCHEMA}.{table}", privilege]).fetchone()[0]:
                    problems.append(f"the coders' role may {privilege} table {table}")
    return problems
