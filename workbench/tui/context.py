"""What the screens share: where the databases are, and connections for worker threads.

The app never does database work on the UI thread. Thread workers run on the
event loop's thread pool (WORKER_THREADS), whose threads are reused, so each thread keeps its own
reference-database connection and episode log (sqlite3 connections belong to the
thread that opened them).
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: SQLite's page cache per reference-database connection (one per worker thread), in KiB.
REFERENCE_CACHE_KIB = 256
#: Worker threads (each keeps its own connections): enough for a search, a screen's load and
#: a draft save at once on a 2-core machine, not one a connection's memory each for nothing.
WORKER_THREADS = 4


@dataclass(frozen=True)
class Loaded:
    """What the status line says is loaded."""

    editions: dict[str, str]
    packs: int
    guidance: int
    notices: tuple[str, ...] = ()         # e.g. a damaged reference database rebuilt, imports re-applied

    def describe(self) -> str:
        parts = [self.editions[c] for c in ("opcs4", "icd10") if self.editions.get(c)]
        parts.append(f"{self.packs} rule pack{'s' if self.packs != 1 else ''}")
        return " · ".join(parts)

    def short(self) -> str:
        """For the header, which must fit 80 columns beside the title: the editions without
        their years in brackets (the search screen's Loaded line has them in full)."""
        import re

        parts = [re.sub(r"\s*\([^)]*\)$", "", self.editions[c]) for c in ("opcs4", "icd10") if self.editions.get(c)]
        parts.append(f"{self.packs} packs")
        return " · ".join(parts)


class Context:
    def __init__(self, log: str | None = None, reference: Path | None = None):
        self.log_arg = log
        self.reference_path = reference      # None: the default under the data folder
        self.ready = threading.Event()       # set once the reference database exists
        self.loaded: Loaded | None = None
        self._local = threading.local()
        self._lock = threading.Lock()
        #: Called (from the saving thread) with each notice a log gives once; the app shows it.
        self.on_log_notice: Any = None
        self._early: threading.Thread | None = None
        self._early_error: BaseException | None = None

    # ------------------------------------------------------------ reference database

    def start_preparing(self) -> None:
        """Start opening the reference database now, in a daemon thread.

        ``run_app`` calls this before it imports Textual: the file work (and a first run's
        copy of the install-time database) then overlaps the ~150 ms import instead of
        following the first frame. :meth:`prepare` hands over its result, or its error.
        Daemon: it must never keep a process alive whose terminal has gone.
        """
        self._early = threading.Thread(target=self._prepare_early, name="workbench-reference", daemon=True)
        self._early.start()

    def _prepare_early(self) -> None:
        try:
            self._prepare()
        except BaseException as exc:  # re-raised by prepare() in the worker that reports it
            self._early_error = exc

    def prepared_early(self) -> Loaded | None:
        """What :meth:`start_preparing` loaded, when it has already finished without error;
        otherwise None (:meth:`prepare`, in a worker, then waits for it or reports its error)."""
        early = self._early
        if early is None or early.is_alive() or self._early_error is not None:
            return None
        self._early = None
        return self.loaded

    def preparing_early(self) -> bool:
        """Whether :meth:`start_preparing` was called and its result not yet taken."""
        return self._early is not None

    def prepare(self) -> Loaded:
        """Build or open the reference database (worker thread; may take a moment)."""
        early, self._early = self._early, None
        if early is not None:
            early.join()
            error, self._early_error = self._early_error, None
            if error is not None:
                raise error
            if self.loaded is not None:
                return self.loaded
        return self._prepare()

    def _prepare(self) -> Loaded:
        with self._lock:
            conn = self.reference()
            from workbench.core.classifications import Classifications

            catalog = Classifications(conn)
            editions = {}
            for classification in ("opcs4", "icd10"):
                try:
                    editions[classification] = catalog.edition(classification)
                except Exception:  # a missing classification is shown as absent, not a crash
                    editions[classification] = ""
            # Counted in SQL: importing the rules package here would delay "Loaded:" by ~40 ms.
            try:
                packs = conn.execute("SELECT count(*) FROM rule_packs").fetchone()[0]
                guidance = conn.execute("SELECT count(*) FROM guidance").fetchone()[0]
            except sqlite3.Error:
                packs = guidance = 0
            from workbench.core.paths import reference_db_path
            from workbench.core.refdb import take_notices

            notices = take_notices(self.reference_path or reference_db_path())
            self.loaded = Loaded(editions, packs, guidance, tuple(notices))
            self.ready.set()
            return self.loaded

    def reference(self) -> sqlite3.Connection:
        """This thread's connection to the reference database."""
        conn = getattr(self._local, "reference", None)
        if conn is None:
            from workbench.core.refdb import open_reference_db

            conn = open_reference_db(self.reference_path)
            # The file is read-only here and sits in the OS's page cache: a page SQLite does not
            # keep costs a copy from it (microseconds). SQLite's default 2 MB cache, in each
            # worker thread's connection, was most of the app's memory growth over a session.
            conn.execute(f"PRAGMA cache_size = -{REFERENCE_CACHE_KIB}")
            self._local.reference = conn
        return conn

    def catalog(self) -> Any:
        """This thread's :class:`Classifications` over the reference database."""
        catalog = getattr(self._local, "catalog", None)
        if catalog is None:
            from workbench.core.classifications import Classifications

            catalog = Classifications(self.reference())
            self._local.catalog = catalog
        return catalog

    # ------------------------------------------------------------ episode log

    def log_target(self) -> Path | str:
        """The log file's path, or a department server's URL (``postgresql://...``)."""
        from workbench.core.paths import log_target

        return log_target(self.log_arg)

    def log_path(self) -> Path | None:
        """The log file, or None when the log is on a server."""
        target = self.log_target()
        return None if isinstance(target, str) else target

    def log_description(self) -> str:
        """The log as it may be shown (a server's URL without its password)."""
        from workbench.core.episodes.backends import describe

        return describe(self.log_target())

    def episode_log(self) -> Any:
        """This thread's episode log (a file's or a server's); raises ``LogError`` with a plain message."""
        log = getattr(self._local, "log", None)
        if log is None:
            from workbench.core.episodes import open_episode_log

            log = open_episode_log(self.log_target())
            # What the log tells once (a clock stepped back, a checkpoint not written) reaches the coder.
            log.on_notice = lambda message: self.on_log_notice(message) if self.on_log_notice else None
            self._local.log = log
        return log

    @staticmethod
    def coder() -> Any:
        """Who is coding (a ``Coder``: the OS login, with the config's labels), as the CLI
        resolves it; nothing typed in the app changes it."""
        from workbench.core.episodes import resolve_coder

        return resolve_coder()
