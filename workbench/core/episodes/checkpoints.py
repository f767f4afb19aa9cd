"""Checkpoints: (version count, head hash, time) kept apart from the log.

The hash chain alone cannot see its own tail being cut off, an old copy restored,
or every hash recomputed after a rewrite. A checkpoint written earlier can: the
chain must still reach the recorded count with the recorded hash at that row.
The file is one JSON object per line, appended and never rewritten; keep it where
the coders cannot write (another disk, a share), or print the line for a manager.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
import stat
from dataclasses import dataclass
from pathlib import Path

from workbench.core.episodes.dialect import has_table
from workbench.core.episodes.model import BrokenEpisode, LogError

ENV_VAR = "WORKBENCH_CHECKPOINTS"


class LogMissing(LogError):
    """The log file is missing or empty although a checkpoint says it held versions."""


@dataclass(frozen=True)
class Checkpoint:
    versions: int        # version rows in the log (ids 1..versions)
    head: str            # the hash of version row ``versions`` (64 zeros when empty)
    episodes: int
    at: str              # UTC, ISO 8601
    audit_records: int = 0      # records in the audit store (audit_record ids 1..audit_records)
    audit_head: str = ""        # the hash of audit record ``audit_records``

    def line(self) -> str:
        audit = {"audit_records": self.audit_records, "audit_head": self.audit_head} if self.audit_records else {}
        return json.dumps({"at": self.at, "versions": self.versions, "episodes": self.episodes,
                           "head": self.head, **audit}, sort_keys=True)


def checkpoint_path(log_path: Path, explicit: str | Path | None = None, *,
                    identity: str | None = None) -> Path:
    """``explicit``, then ``$WORKBENCH_CHECKPOINTS``, then config ``[log] checkpoints``,
    then a file named after the log in the config folder's ``checkpoints/`` (tagged with a
    hash of its absolute path, or of ``identity``: a server log's URL without password)."""
    if explicit:
        return Path(explicit).expanduser()
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser()
    from workbench.core import paths

    try:
        configured = paths.load_config().get("log", {}).get("checkpoints")
    except Exception:  # a broken config is reported where it is loaded for the log path
        configured = None
    if isinstance(configured, str) and configured:
        return Path(configured).expanduser()
    absolute = identity or str(Path(os.path.abspath(log_path)))
    tag = hashlib.sha256(absolute.encode("utf-8", "surrogateescape")).hexdigest()[:12]
    return paths.state_dirs().config / "checkpoints" / f"{log_path.name}-{tag}.jsonl"


def read_checkpoints(file: Path) -> list[Checkpoint]:
    """Every checkpoint in ``file`` (none when it does not exist); a bad line is named."""
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise LogError(f"{file}: cannot read the checkpoint file ({exc})") from None
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            found.append(Checkpoint(versions=int(item["versions"]), head=str(item["head"]),
                                    episodes=int(item.get("episodes", 0)), at=str(item["at"]),
                                    audit_records=int(item.get("audit_records", 0)),
                                    audit_head=str(item.get("audit_head", ""))))
        except (ValueError, KeyError, TypeError):
            raise LogError(f"{file}, line {number}: not a checkpoint line") from None
    return found


def current(conn: sqlite3.Connection) -> Checkpoint:
    """The log's state now, read in one snapshot."""
    from workbench.core.episodes.chain import GENESIS

    conn.execute("BEGIN")
    try:
        versions = conn.execute("SELECT count(*) FROM version").fetchone()[0]
        row = conn.execute("SELECT hash FROM version ORDER BY id DESC LIMIT 1").fetchone()
        episodes = conn.execute("SELECT count(*) FROM episode").fetchone()[0]
        audit = (0, "")
        if has_table(conn, "audit_record"):
            from workbench.core.audit.store import head

            audit = head(conn)
    finally:
        conn.execute("COMMIT")
    return Checkpoint(versions=versions, head=str(row[0]) if row else GENESIS, episodes=episodes,
                      at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                      audit_records=audit[0], audit_head=audit[1] if audit[0] else "")


def append_checkpoint(file: Path, checkpoint: Checkpoint) -> None:
    """Append one line (file 0600, folder 0700, never through a symlink) and fsync it."""
    try:
        # Every folder we create is 0700 (mkdir(parents=True) would give the parents 0777 & ~umask).
        for folder in reversed([file.parent, *file.parent.parents]):
            if not folder.exists():
                folder.mkdir(mode=0o700, exist_ok=True)
        fd = os.open(file, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    except OSError as exc:
        raise LogError(f"{file}: cannot write the checkpoint ({exc.strerror})") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise LogError(f"{file}: the checkpoint file must be a regular file")
        os.write(fd, (checkpoint.line() + "\n").encode("utf-8"))
        os.fsync(fd)
    except OSError as exc:
        raise LogError(f"{file}: cannot write the checkpoint ({exc.strerror})") from None
    finally:
        os.close(fd)


def refuse_reinitialising(log_path: Path, file: Path) -> None:
    """A missing or empty log file whose checkpoints say it held versions is not recreated."""
    try:
        size = log_path.stat().st_size
    except FileNotFoundError:
        size = 0
    except OSError:
        return   # the opener reports it
    if size:
        return
    try:
        recorded = read_checkpoints(file)
    except LogError:
        recorded = []
    held = max((c.versions for c in recorded), default=0)
    if held:
        raise LogMissing(f"{log_path} is missing or empty, but its checkpoint file {file} says it "
                         f"held {held} versions: all {held} are missing. The log was not recreated; "
                         "restore it from the backup (or move the checkpoint file away if this "
                         "really is a new log)")


def _compare_audit(conn: sqlite3.Connection, checkpoint: Checkpoint) -> list[BrokenEpisode]:
    """The audit chain must still reach the checkpoint's record with the checkpoint's hash."""
    if not checkpoint.audit_records:
        return []
    try:
        row = conn.execute("SELECT hash FROM audit_record WHERE id = ?", (checkpoint.audit_records,)).fetchone()
    except sqlite3.DatabaseError:
        row = None
    if row is None:
        return [BrokenEpisode(None, f"audit record {checkpoint.audit_records}, recorded by the checkpoint of "
                                    f"{checkpoint.at}, is missing (deleted, truncated or an older copy restored)")]
    if row[0] != checkpoint.audit_head:
        return [BrokenEpisode(None, f"audit record {checkpoint.audit_records} no longer has the hash the checkpoint "
                                    f"of {checkpoint.at} recorded: audit records up to it were rewritten")]
    return []


def compare(conn: sqlite3.Connection, recorded: list[Checkpoint]) -> list[BrokenEpisode]:
    """What the log lost or changed since each checkpoint; empty when it extends them all."""
    problems: list[BrokenEpisode] = []
    have = conn.execute("SELECT count(*), coalesce(max(id), 0) FROM version").fetchone()
    for checkpoint in recorded:
        problems += _compare_audit(conn, checkpoint)
        if not checkpoint.versions:
            continue
        row = conn.execute("SELECT hash FROM version WHERE id = ?", (checkpoint.versions,)).fetchone()
        if row is None and have[1] >= checkpoint.versions:
            problems.append(BrokenEpisode(None, (
                f"version row {checkpoint.versions}, recorded by the checkpoint of {checkpoint.at}, "
                "is missing")))
        elif row is None:
            first = have[1] + 1
            rows = (f"version row {first} is" if first == checkpoint.versions
                    else f"version rows {first}-{checkpoint.versions} are")
            problems.append(BrokenEpisode(None, (
                f"the checkpoint of {checkpoint.at} recorded {checkpoint.versions} versions "
                f"({checkpoint.episodes} episodes) but the log has {have[0]}: {rows} missing "
                "(deleted, truncated or an older copy restored)")))
        elif row[0] != checkpoint.head:
            problems.append(BrokenEpisode(None, (
                f"version row {checkpoint.versions} no longer has the hash the checkpoint of "
                f"{checkpoint.at} recorded: versions up to it were rewritten (chain recomputed)")))
    return problems
