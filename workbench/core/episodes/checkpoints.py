"""Checkpoints: the log's head (version count, head hash, time) kept in a file apart from the log.

The hash chain alone cannot see its own tail being cut off, an old copy restored, a
damaged WAL frame dropping the newest saves, or every hash recomputed after a rewrite.
A checkpoint written earlier can: the chain must still reach the recorded row with the
recorded hash. Every save appends one (under the writer turn, so lines are in order);
``log checkpoint`` appends one on demand and a full verify that passes appends a
``verified`` mark, where an incremental verify starts.

The file is one JSON object per line, appended and never rewritten: ``versions``,
``head``, ``episodes``, ``at``, ``log`` (the log's id), and when set ``mac`` (the head's
department key hash), ``key`` and ``sig`` (the key's id and its hash of the line),
``verified`` and ``tables`` (the heads of other append-only tables, by name). It is read
by type first (never a FIFO or device), line by line with a bound, and a damaged line is
skipped and named, never fatal. Lines are not fsynced one by one: a crash can only lose
the newest, which leaves the log ahead of its checkpoints, never behind them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.core.episodes.model import LogError

if TYPE_CHECKING:
    from workbench.core.episodes.keys import DepartmentKey
    from workbench.core.sharing import Sharing

ENV_VAR = "WORKBENCH_CHECKPOINTS"
#: A checkpoint line is a few hundred bytes; a longer one is damage, not a checkpoint.
MAX_LINE_BYTES = 16_384
#: The name of the episode version chain in checkpoint lines (its fields sit at the top level).
VERSIONS = "version"
#: What one row of each chain is called in messages (other tables add theirs when registered).
ROW_NAMES = {VERSIONS: "version row"}


def row_name(chain: str) -> str:
    return ROW_NAMES.get(chain, f"{chain} row")


class LogMissing(LogError):
    """The log file is missing or empty although a checkpoint says it held versions."""


class LostVersions(LogError):
    """The log no longer holds what its newest checkpoint recorded: nothing is written to it."""


@dataclass(frozen=True)
class Checkpoint:
    versions: int               # version rows in the log (ids 1..versions)
    head: str                   # the hash of version row ``versions`` (64 zeros when empty)
    episodes: int = 0
    at: str = ""                # UTC, ISO 8601
    mac: str | None = None      # the department key's hash of that row, when it has one
    log_id: str | None = None   # the log it describes (None: written before logs had ids)
    verified: bool = False      # written by a full verify that passed
    key_id: str | None = None   # the department key that signed the line
    sig: str | None = None
    tables: dict[str, list] = field(default_factory=dict)   # other append-only tables: name -> [rows, head]
    line_number: int = 0        # where it was read (0: not read from a file)

    @property
    def audit_records(self) -> int:
        """Records of the audit store (its own chain) this line vouches for."""
        entry = self.entry("audit")
        return entry[0] if entry else 0

    @property
    def audit_head(self) -> str:
        entry = self.entry("audit")
        return entry[1] if entry else ""

    def _body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"at": self.at, "versions": self.versions, "episodes": self.episodes,
                                "head": self.head}
        for name, value in (("log", self.log_id), ("mac", self.mac), ("key", self.key_id),
                            ("tables", self.tables or None), ("verified", self.verified or None)):
            if value is not None:
                body[name] = value
        return body

    def signed_text(self) -> str:
        return json.dumps(self._body(), sort_keys=True, separators=(",", ":"))

    def line(self, key: DepartmentKey | None = None) -> str:
        if key is None:
            return json.dumps(self._body(), sort_keys=True)
        body = {**self._body(), "key": key.id}
        text = json.dumps(body, sort_keys=True, separators=(",", ":"))
        return json.dumps({**body, "sig": key.sign(text)}, sort_keys=True)

    def entry(self, chain: str) -> tuple[int, str, str | None] | None:
        """(rows, head, mac) this line records for ``chain``; None when it records nothing for it."""
        if chain == VERSIONS:
            return self.versions, self.head, self.mac
        item = self.tables.get(chain)
        if isinstance(item, list) and len(item) >= 2 and isinstance(item[0], int) and isinstance(item[1], str):
            return item[0], item[1], item[2] if len(item) > 2 and isinstance(item[2], str) else None
        return None


@dataclass(frozen=True)
class Damaged:
    line_number: int
    reason: str


def checkpoint_path(log_path: Path, explicit: str | Path | None = None, *,
                    identity: str | None = None) -> Path:
    """``explicit``, then ``$WORKBENCH_CHECKPOINTS``, then config ``[log] checkpoints``,
    then a file named after the log in the config folder's ``checkpoints/`` (tagged with a
    hash of its real path, or of ``identity``: a server log's URL without password)."""
    from workbench.core import paths

    try:
        if explicit:
            return paths.expand_user(explicit, "checkpoint file's name")
        if os.environ.get(ENV_VAR):
            return paths.expand_user(os.environ[ENV_VAR], f"{ENV_VAR} path")
        try:
            configured = paths.load_config().get("log", {}).get("checkpoints")
        except (paths.ConfigError, AttributeError):   # reported where the config is loaded for the log path
            configured = None
        if isinstance(configured, str) and configured:
            return paths.expand_user(configured, "config's log.checkpoints")
        absolute = identity or os.path.realpath(log_path)
        tag = hashlib.sha256(absolute.encode("utf-8", "surrogateescape")).hexdigest()[:12]
        return paths.state_dirs().config / "checkpoints" / f"{log_path.name}-{tag}.jsonl"
    except (paths.UnusableFile, paths.ConfigError) as exc:
        raise LogError(str(exc.strerror if isinstance(exc, OSError) else exc)) from None


# ------------------------------------------------------------------ reading


def _pread(fd: int, size: int, offset: int, file: Path) -> bytes:
    try:
        return os.pread(fd, size, offset)
    except OSError as exc:
        raise LogError(f"{file}: cannot read the checkpoint file ({exc.strerror or exc})") from None


def _open_for_reading(file: Path) -> int | None:
    """A descriptor of the checkpoint file, None when it does not exist; refuses (LogError)
    anything but a regular file, before a FIFO could block or a device be read."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(file, flags)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise LogError(_refusal(file, exc)) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise LogError(f"{file}: the checkpoint file must be a regular file (it is a FIFO, device or "
                       "folder); it was not read")
    return fd


def _refusal(file: Path, exc: OSError) -> str:
    if getattr(exc, "errno", None) == __import__("errno").ELOOP:
        return f"{file}: the checkpoint file is a symbolic link; give the real file's name"
    return f"{file}: cannot use the checkpoint file ({exc.strerror})"


def parse_line(raw: bytes, number: int) -> Checkpoint | Damaged:
    try:
        item = json.loads(raw)
        if not isinstance(item, dict):
            raise ValueError
        versions, head = item["versions"], item["head"]
        if not isinstance(versions, int) or isinstance(versions, bool) or versions < 0 or not isinstance(head, str):
            raise ValueError
        tables = item.get("tables") or {}
        if isinstance(tables, dict) and item.get("audit_records") and "audit" not in tables:
            tables = {**tables, "audit": [item["audit_records"], item.get("audit_head")]}   # lines of schema 8
        return Checkpoint(versions=versions, head=head, episodes=int(item.get("episodes", 0) or 0),
                          at=str(item.get("at", "")), mac=_text_or_none(item.get("mac")),
                          log_id=_text_or_none(item.get("log")), verified=item.get("verified") is True,
                          key_id=_text_or_none(item.get("key")), sig=_text_or_none(item.get("sig")),
                          tables=tables if isinstance(tables, dict) else {}, line_number=number)
    except (ValueError, KeyError, TypeError, OverflowError):
        return Damaged(number, "not a checkpoint line")


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


def iter_lines(file: Path, offset: int = 0, first_number: int = 1) -> Iterator[Checkpoint | Damaged]:
    """Every line of ``file`` from byte ``offset``, in order, streamed with a per-line bound;
    nothing when the file does not exist. A line cut short (a crash while it was written) is
    reported like any damaged line."""
    fd = _open_for_reading(file)
    if fd is None:
        return
    with os.fdopen(fd, "rb") as handle:
        number = first_number - 1
        try:
            handle.seek(offset)
            while True:
                raw = handle.readline(MAX_LINE_BYTES + 1)
                if not raw:
                    return
                number += 1
                if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                    while raw and not raw.endswith(b"\n"):          # skip the rest of the long line
                        raw = handle.readline(MAX_LINE_BYTES + 1)
                    yield Damaged(number, "longer than any checkpoint line")
                    continue
                if raw.strip():
                    yield parse_line(raw, number)
        except OSError as exc:      # a "file" that fails to read (/proc/self/mem, a disk error)
            raise LogError(f"{file}: cannot read the checkpoint file ({exc.strerror or exc})") from None


def read_checkpoints(file: Path) -> list[Checkpoint]:
    """Every readable checkpoint in ``file`` (small files and tests; verify streams them)."""
    return [item for item in iter_lines(file) if isinstance(item, Checkpoint)]


def newest_line(file: Path, log_id: str | None = None, block: int = 4096) -> Checkpoint | None:
    """The newest save (or ``log checkpoint``) line of the log ``log_id``, read from the end:
    what a save compares the log with. Verified marks may trail the saves and are passed over."""
    fd = _open_for_reading(file)
    if fd is None:
        return None
    try:
        size = os.fstat(fd).st_size
        while True:
            start = max(0, size - block)
            lines = _pread(fd, size - start, start, file).split(b"\n")
            if start:
                lines = lines[1:]                     # the first piece may be a line's tail
            for raw in reversed(lines):
                if not raw.strip() or b'"verified"' in raw:
                    continue
                found = parse_line(raw, 0)
                if isinstance(found, Checkpoint) and found.log_id in (None, log_id):
                    return found
            if not start or block >= 1 << 20:
                return None
            block *= 4
    finally:
        os.close(fd)


def last_verified(file: Path, block: int = 65536) -> tuple[Checkpoint, int] | None:
    """The newest ``verified`` mark and the byte offset just after its line (an incremental
    verify checks the lines after it), read backwards from the end; None when there is none."""
    fd = _open_for_reading(file)
    if fd is None:
        return None
    try:
        end = os.fstat(fd).st_size
        pending = b""                      # the bytes from ``end`` on not yet scanned (a line's head)
        while end > 0:
            start = max(0, end - block)
            data = _pread(fd, end - start, start, file) + pending
            cut = data.find(b"\n") + 1 if start else 0    # before it: part of an earlier line
            if start and not cut:
                pending = data if len(data) <= MAX_LINE_BYTES + block else b""
                end = start
                continue
            offset = start + cut
            found = None
            for raw in data[cut:].split(b"\n"):
                if b'"verified"' in raw:
                    item = parse_line(raw, 0)
                    if isinstance(item, Checkpoint) and item.verified:
                        found = (item, offset + len(raw) + 1)
                offset += len(raw) + 1
            if found is not None:
                return found
            pending = data[:cut]
            end = start
        return None
    finally:
        os.close(fd)


def differences(checkpoint: Checkpoint, chain: str, head: object, mac: object) -> list[str]:
    rows, recorded, recorded_mac = checkpoint.entry(chain)
    what = row_name(chain)
    when = f"the checkpoint of {checkpoint.at or 'an unknown time'}"
    if head != recorded:
        return [f"{what} {rows} no longer has the hash {when} recorded: rows up to it were "
                "rewritten (chain recomputed) or an older copy was restored"]
    if recorded_mac is not None and mac != recorded_mac:
        return [f"{what} {rows} no longer has the department key hash {when} recorded "
                "(removed or changed outside the app)"]
    return []


# ------------------------------------------------------------------ writing


def append_checkpoint(file: Path, checkpoint: Checkpoint, key: DepartmentKey | None = None, *,
                      durable: bool = True, sharing: Sharing | None = None) -> None:
    """Append one line (file 0600, folder 0700, or the group's modes for a department's log;
    never through a symlink, never to a FIFO or device); fsync when ``durable``. A file that
    does not end with a newline (a crash cut its last line) gets one first, so the new line
    stands alone."""
    from workbench.core.files import is_system_file
    from workbench.core.sharing import PRIVATE, fix_new_file, make_dir

    sharing = sharing or PRIVATE

    if is_system_file(file):      # /proc/self/mem is a "regular file"; a kernel setting is not a log
        raise LogError(f"{file}: a checkpoint file cannot be under /proc, /sys or /dev; nothing was written")
    flags = (os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0)
             | getattr(os, "O_CLOEXEC", 0))
    try:
        make_dir(file.parent, sharing)
        fd = os.open(file, flags, 0o600)
    except OSError as exc:
        raise LogError(_refusal(file, exc).replace("cannot use", "cannot write")) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise LogError(f"{file}: the checkpoint file must be a regular file; nothing was written to it")
        if not info.st_size and info.st_uid == os.geteuid() and sharing.shared:
            fix_new_file(fd, sharing)      # a department's coders all append to it
        text = checkpoint.line(key) + "\n"
        if info.st_size and os.pread(fd, 1, info.st_size - 1) != b"\n":
            text = "\n" + text
        os.write(fd, text.encode("utf-8"))
        if durable:
            os.fsync(fd)
    except OSError as exc:
        raise LogError(f"{file}: cannot write the checkpoint ({exc.strerror})") from None
    finally:
        os.close(fd)


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def head_of(conn: sqlite3.Connection, log_id: str | None, tables: dict[str, list] | None = None) -> Checkpoint:
    """The log's head now (a few index seeks, never a count): read inside the caller's snapshot."""
    from workbench.core.episodes.chain import GENESIS

    row = conn.execute("SELECT id, hash, mac FROM version ORDER BY id DESC LIMIT 1").fetchone()
    episodes = conn.execute("SELECT coalesce(max(id), 0) FROM episode").fetchone()[0]
    if row is None:
        return Checkpoint(0, GENESIS, episodes, now(), log_id=log_id, tables=tables or {})
    return Checkpoint(row[0], str(row[1]), episodes, now(), mac=row[2], log_id=log_id, tables=tables or {})


# ------------------------------------------------------------------ refusing to go on


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
    held = recorded_versions(file)
    if held:
        raise LogMissing(f"{log_path} is missing or empty, but its checkpoint file {file} says it "
                         f"held {held} versions: all {held} are missing. The log was not recreated; "
                         "restore it from the backup (or move the checkpoint file away if this "
                         "really is a new log)")


def recorded_versions(file: Path) -> int:
    """The most versions any readable line of ``file`` records (0 without a file)."""
    try:
        return max((c.versions for c in iter_lines(file) if isinstance(c, Checkpoint)), default=0)
    except LogError:
        return 0


def refuse_lost_versions(conn: sqlite3.Connection, file: Path, log_id: str | None, path: Path) -> None:
    """Before a write: the log must still hold what the newest checkpoint recorded. A log that
    lost its newest versions (deleted, an older copy restored, a damaged WAL) or had them
    rewritten takes no more saves, which would hide the loss behind new rows."""
    try:
        newest = newest_line(file, log_id)
    except LogError:
        return            # an unusable checkpoint file is reported when the line is appended
    if newest is None or not newest.versions:
        return
    row = conn.execute("SELECT hash, mac FROM version WHERE id = ?", (newest.versions,)).fetchone()
    if row is None:
        have = conn.execute("SELECT coalesce(max(id), 0) FROM version").fetchone()[0]
        raise LostVersions(f"{path} has {have} versions but its checkpoint of {newest.at} recorded "
                           f"{newest.versions}: versions were lost (deleted, an older copy restored, "
                           "or a damaged journal). Nothing was saved; run 'workbench log verify' "
                           "and restore the log from the backup")
    if differences(newest, VERSIONS, row[0], row[1]):
        raise LostVersions(f"{path}: version row {newest.versions} is not the one its checkpoint of "
                           f"{newest.at} recorded (rewritten, or an older copy restored). Nothing was "
                           "saved; run 'workbench log verify' and restore the log from the backup")
