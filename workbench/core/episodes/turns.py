"""Taking turns to write: a queue of workbench writers in front of SQLite's write lock.

SQLite's busy handler backs off up to 100 ms between tries, so a writer that has
waited longest polls least often and newcomers overtake it: under 64 writers some
saves waited 17 s and failed. Here each writer first takes an exclusive ``flock`` on
``<log>-lock``: waiters sleep in the kernel and are woken the moment the holder
finishes, so the wait is the queue ahead of you (milliseconds per save), not luck.

``flock`` belongs to the open file description, so every :class:`WriteTurn` (one per
EpisodeLog, so one per thread) has its own; the lock file is a different file from the
log, so opening or closing it never touches SQLite's locks. A killed holder's turn is
released by the kernel. A writer that waits past its patience gives up, changing nothing.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from workbench.core.episodes.model import LogError
from workbench.core.sharing import PRIVATE, Sharing, fix_new_file

LOCK_SUFFIX = "-lock"


class WriteTurn:
    def __init__(self, log_path: Path, sharing: Sharing = PRIVATE):
        self.log_path = log_path
        self.sharing = sharing
        self.path = log_path.with_name(log_path.name + LOCK_SUFFIX)
        self._fd: int | None = None

    def _descriptor(self) -> int | None:
        if self._fd is None:
            flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
            try:
                self._fd = os.open(self.path, flags, 0o600)
            except OSError:
                return None      # e.g. a read-only folder: SQLite's own lock still protects the log
            info = os.fstat(self._fd)
            if info.st_uid == os.geteuid() and self.sharing.exposed(info.st_mode) == 0 \
                    and stat.S_IMODE(info.st_mode) != self.sharing.file_mode:
                # Ours, and not yet what the sharing wants (a group's coders take turns on it too).
                with contextlib.suppress(OSError):
                    fix_new_file(self._fd, self.sharing)
        return self._fd

    @contextlib.contextmanager
    def held(self, patience: float, notice_after: float,
             on_wait: Callable[[float], None] | None) -> Iterator[None]:
        fd = self._descriptor()
        if fd is None or self._take(fd, patience, notice_after, on_wait):
            try:
                yield
            finally:
                if fd is not None and self._fd == fd:
                    fcntl.flock(fd, fcntl.LOCK_UN)
            return
        raise LogError(f"{self.log_path} is busy: other coders were saving for more than "
                       f"{patience:.0f} s; nothing was changed, try again")

    def _take(self, fd: int, patience: float, notice_after: float,
              on_wait: Callable[[float], None] | None) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            pass
        # Block in the kernel on a helper thread, so the wait can still time out.
        got = threading.Event()
        handover = threading.Lock()
        abandoned = [False]

        def wait_for_turn() -> None:
            fcntl.flock(fd, fcntl.LOCK_EX)
            with handover:
                if abandoned[0]:
                    os.close(fd)         # releases the turn; the descriptor was given up
                    return
                got.set()

        threading.Thread(target=wait_for_turn, daemon=True, name="log-write-turn").start()
        if not got.wait(notice_after) and on_wait is not None:
            on_wait(notice_after)
        got.wait(max(0.0, patience - notice_after))
        with handover:
            if got.is_set():
                return True
            abandoned[0] = True
            self._fd = None              # the helper owns (and closes) the old descriptor
        return False

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
