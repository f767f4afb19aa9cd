"""The app never outlives its terminal.

When an SSH session drops, or tmux is killed, the app gets SIGHUP and its terminal is
gone. Textual's orderly shutdown then writes escape codes to that dead terminal and,
seen here about once in twenty launches, blocks for ever on its full output queue
(py-spy: the main thread waiting in ``WriterThread.write``), leaving a process that
holds the episode log open. Everything worth keeping is already in the log (drafts
are saved as the coder works), so after a hang-up the app gets a short grace period
for an orderly exit and is then ended outright.

Thread workers run on asyncio's default executor, whose threads the interpreter joins
at exit: a worker still waiting on the event loop after the app stopped would hold
the process too, so :func:`leave` bounds that wait as well.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable

#: How long an orderly exit may take once the terminal is gone, or once the app has stopped.
GRACE_SECONDS = 0.8


def _end_after(seconds: float, status: int) -> None:
    """Start a daemon timer that ends the process if it is still running after ``seconds``."""

    def end() -> None:
        time.sleep(seconds)
        os._exit(status)

    threading.Thread(target=end, name="workbench-hangup-watchdog", daemon=True).start()


def install_hangup_handler(loop: asyncio.AbstractEventLoop, exit_app: Callable[[], None]) -> None:
    """On SIGHUP, ask the app to exit and make sure the process ends within the grace period.

    ``signal.signal`` rather than ``loop.add_signal_handler``: the latter only runs when the
    event loop gets a turn, which is exactly what a blocked shutdown never gives it.
    """

    def on_hangup(signum: int, frame: object) -> None:
        _end_after(GRACE_SECONDS, 0)
        # A closed loop raises RuntimeError: the watchdog finishes the job then.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(exit_app)

    # ValueError/OSError: not the main thread, or no SIGHUP on this platform.
    with contextlib.suppress(ValueError, OSError):
        signal.signal(signal.SIGHUP, on_hangup)


def leave(status: int) -> int:
    """Return ``status`` once other threads finish, or end the process if they do not in time."""
    deadline = time.monotonic() + GRACE_SECONDS
    for thread in threading.enumerate():
        if thread is threading.current_thread() or thread.daemon:
            continue
        thread.join(max(0.0, deadline - time.monotonic()))
        if thread.is_alive():
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(OSError, ValueError):
                    stream.flush()
            os._exit(status)
    return status
