"""What keeps one open log trustworthy: its checkpoint file, its department key, its identity.

:class:`LogTrust` is held by an :class:`~workbench.core.episodes.log.EpisodeLog`. Around
each write that adds to a chain it refuses a log that lost what its newest checkpoint
recorded (before), and appends the new head to the checkpoint file (after the commit,
still in the writer turn, so lines are in order). It also runs verify and ``log
checkpoint``. Nothing here knows SQLite beyond plain queries over rows.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from workbench.core.episodes import checkpoints, keys
from workbench.core.episodes.checkpoints import Checkpoint
from workbench.core.episodes.model import LogError, VerifyReport

_UNSET = object()


class LogTrust:
    def __init__(self, path: Path | str, checkpoint_file: Path, key_file: str | Path | None,
                 sharing: Any = None, *, ordered: bool = True):
        self.path = path
        #: The log's sharing (a department's group): the checkpoint file is made for it too.
        self.sharing = sharing
        #: Whether checkpoint lines are appended in the writers' order (the SQLite log's turn
        #: covers the append; a server's lock ends with the commit, so lines may interleave).
        self.ordered = ordered
        self.checkpoint_file = checkpoint_file
        self._key_file = key_file
        self._key: Any = _UNSET
        self.log_id: str | None = None
        #: Told each notice once (a clock step, a checkpoint that could not be written).
        self.on_notice: Callable[[str], None] | None = None
        self.notices: list[str] = []

    @property
    def key(self) -> keys.DepartmentKey | None:
        """The department key, loaded when first needed (LogError when configured but unusable)."""
        if self._key is _UNSET:
            self._key = keys.load_key(self._key_file)
        return self._key

    def attach(self, conn: sqlite3.Connection) -> None:
        """Learn the log's id (after the migrations made one)."""
        try:
            row = conn.execute("SELECT value FROM log_meta WHERE key = 'log_id'").fetchone()
        except sqlite3.Error:
            row = None
        self.log_id = row[0] if row else None

    def notice(self, message: str) -> None:
        if message in self.notices:
            return
        self.notices.append(message)
        if self.on_notice is not None:
            self.on_notice(message)

    # ------------------------------------------------------------ around a chained write

    def before(self, conn: sqlite3.Connection) -> None:
        """Inside the write transaction: refuse a log that lost its checkpointed versions."""
        checkpoints.refuse_lost_versions(conn, self.checkpoint_file, self.log_id, self.path)

    def head(self, conn: sqlite3.Connection) -> Checkpoint:
        """Inside the write transaction, after the work: the head to record."""
        from workbench.core.episodes.tables import other_heads

        return checkpoints.head_of(conn, self.log_id, other_heads(conn))

    def checked_head(self, conn: sqlite3.Connection) -> Checkpoint:
        """For ``log checkpoint``: the head now, refused if the log lost what was recorded before."""
        conn.execute("BEGIN")           # one snapshot for the check and the head
        try:
            self.before(conn)
            return self.head(conn)
        finally:
            conn.execute("COMMIT")

    def after(self, head: Checkpoint, *, durable: bool = False) -> None:
        """After the commit, still in the writer turn: append the head. A failure never undoes
        the save; it is told, since verify cannot vouch for saves it has no line for."""
        try:
            checkpoints.append_checkpoint(self.checkpoint_file, head, self._key_or_none(), durable=durable,
                                          sharing=self.sharing)
        except LogError as exc:
            self.notice(f"the save is kept, but its checkpoint could not be written: {exc}")

    def appended(self, appended: Any) -> None:
        """Tell the coder, once, that the clock stepped back (the version is timed after the last)."""
        step = appended.timing
        if step.first_step:
            self.notice(f"the computer's clock is {step.behind_seconds:.0f} s behind the newest "
                        "version in the log (it was stepped back, or another computer's clock is "
                        "ahead); saves are timed just after that version, so the log stays in order")

    def _key_or_none(self) -> keys.DepartmentKey | None:
        return self._key if isinstance(self._key, keys.DepartmentKey) else None

    # ------------------------------------------------------------ verify

    def verify(self, conn: sqlite3.Connection, *, expect: list[Checkpoint], use_file: bool,
               incremental: bool) -> VerifyReport:
        from workbench.core.episodes.verify import verify_log

        return verify_log(conn, self.path, checkpoint_file=self.checkpoint_file if use_file else None,
                          log_id=self.log_id, key=self.key, expect=expect, incremental=incremental,
                          ordered=self.ordered)

    def mark_verified(self, report: VerifyReport) -> None:
        """A full verify that passed leaves a mark an incremental verify starts from."""
        if not report.ok or report.incremental:
            return
        mark = Checkpoint(report.versions_checked, report.head_hash, report.episodes, checkpoints.now(),
                          mac=report.head_mac, log_id=self.log_id, verified=True, tables=report.tables)
        try:
            checkpoints.append_checkpoint(self.checkpoint_file, mark, self._key_or_none(), sharing=self.sharing)
        except LogError as exc:
            report.notices.append(f"the verified mark could not be written ({exc}): the next "
                                  "incremental verify will be a full one")


def refuse_crossed_files(log: Path, checkpoint_file: Path) -> None:
    """The log is never written as a checkpoint file, nor the checkpoints as the log, and the
    checkpoint file is none of the workbench's other files (the reference database, ...)."""
    from workbench.core.files import OwnFileRefused, own_files, refuse_own_file

    try:
        refuse_own_file(checkpoint_file, own_files(log), "a checkpoint")
        refuse_own_file(log, own_files(None, [checkpoint_file]), "the episode log")
    except OwnFileRefused as exc:
        raise LogError(str(exc)) from None


def refuse_no_log(path: Path) -> None:
    """Commands that only read (verify, export) never create a log where there is none."""
    try:
        size = os.stat(path).st_size
    except FileNotFoundError:
        raise LogError(f"no log here: {path} does not exist (nothing was created; check --log)") from None
    except OSError:
        return   # the opener says why
    if not size:
        raise LogError(f"no log here: {path} is empty (nothing was written to it; check --log)")
