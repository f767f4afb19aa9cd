"""The episode log: one SQLite file, append-only versions in a hash chain, plus drafts.

One :class:`EpisodeLog` holds one connection; use one per thread (the app keeps one
per worker thread). Many processes may share the file: every write is a single
BEGIN IMMEDIATE transaction, retried with backoff while another writer holds it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.core.episodes import checkpoints, opening, queries, saving, storage, turns
from workbench.core.episodes.drafts import DraftStore, required
from workbench.core.episodes.identity import Coder
from workbench.core.episodes.model import (
    AMENDED,
    FINAL,
    VOIDED,
    Coding,
    EpisodeDetails,
    EpisodeNotFound,
    EpisodeSummary,
    EpisodeVersion,
    LogError,
    VerifyReport,
)
from workbench.core.episodes.trust import LogTrust, refuse_crossed_files, refuse_no_log
from workbench.core.episodes.validate import checked_details
from workbench.core.episodes.writer import append_version, check_coding, episode_dict

if TYPE_CHECKING:
    from workbench.core.episodes.listing import ListedEpisode


class EpisodeLog(DraftStore):
    def __init__(self, path: str | Path, *, synchronous: str = "FULL",
                 checkpoint_file: str | Path | None = None, create: bool = True,
                 key_file: str | Path | None = None):
        """Open (creating mode 0600 in a 0700 folder, and migrating) the log at ``path``.

        Raises LogError, leaving the file untouched, when it is not writable, not an
        SQLite file, another SQLite database, or from a newer workbench; with
        ``create=False`` (verify, export) a missing or empty file is refused instead of
        created. ``synchronous`` is FULL so a saved episode survives a power cut; NORMAL
        is only for benchmark comparison. ``key_file``: the department key (see :mod:`keys`).
        """
        self.path = _expanded(path, "episode log's path")
        #: The file behind any symlinks: its lock and its checkpoints are named after it, as
        #: SQLite names its journal, so every name of the log shares them.
        self.real_path = Path(os.path.realpath(self.path))
        #: Where this log's checkpoints are kept (see :mod:`checkpoints`).
        self.checkpoint_file = checkpoints.checkpoint_path(self.real_path, checkpoint_file)
        refuse_crossed_files(self.path, self.checkpoint_file)
        # A missing or empty log is only created when no checkpoint says it held versions.
        checkpoints.refuse_reinitialising(self.path, self.checkpoint_file)
        if not create:
            refuse_no_log(self.path)
        #: Private, or shared with a Unix group (``[log] group``): see :mod:`workbench.core.sharing`.
        self.sharing = _sharing()
        from workbench.core.sharing import apply_umask

        apply_umask(self.sharing)
        #: The checkpoint file, the department key and the log's id (see :mod:`trust`).
        self.trust = LogTrust(self.path, self.checkpoint_file, key_file, self.sharing)
        conn, self._file_key, warnings = opening.open_log_connection(self.path, synchronous=synchronous,
                                                                     sharing=self.sharing)
        #: Problems worth telling the user that do not stop the log opening.
        self.warnings: list[str] = warnings
        self._conn: sqlite3.Connection = conn
        self._closed = False
        #: Workbench writers queue here before SQLite's write lock (see :mod:`turns`).
        self._turn = turns.WriteTurn(self.real_path, self.sharing)
        #: Told once (with the seconds waited) when a write waits long behind other coders.
        self.on_wait: Callable[[float], None] | None = None
        try:
            storage.migrate(self._conn, self.path)
            self.trust.attach(self._conn)
        except BaseException:
            self.close()
            raise

    @property
    def on_notice(self) -> Callable[[str], None] | None:
        """Told each notice once: a clock that stepped back, a checkpoint that could not be written."""
        return self.trust.on_notice

    @on_notice.setter
    def on_notice(self, callback: Callable[[str], None] | None) -> None:
        self.trust.on_notice = callback

    @property
    def notices(self) -> list[str]:
        return self.trust.notices

    # ------------------------------------------------------------ life cycle

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._turn.close()
            opening.release(self._conn, self._file_key)

    def __del__(self) -> None:
        # A log dropped without close() (the app's per-thread logs die with their thread):
        # give back the writer-lock descriptor. The connection closes itself; the registry
        # keeps counting it, which only means the header is never read with open() again.
        turn = getattr(self, "_turn", None)
        if turn is not None:
            turn.close()

    def __enter__(self) -> EpisodeLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def connection(self) -> sqlite3.Connection:
        """The underlying connection, for export, bulk loading and benchmarks."""
        return self._conn

    def _write(self, work: Any, *, chained: bool = False, durable_checkpoint: bool = False) -> Any:
        """One write transaction in the writer turn. ``chained``: it adds to a hash chain, so the
        log must still hold what its newest checkpoint recorded, and the new head is appended
        to the checkpoint file after the commit (still in the turn, so lines stay in order)."""
        opening.quick_check_once(self._conn, self._file_key, self.path)
        with self._turn.held(storage.WRITE_PATIENCE_S, storage.WAIT_NOTICE_S, self.on_wait):
            opening.refuse_another_file(self.path, self._file_key)
            if not chained:
                return storage.write(self._conn, self.path, work, self.on_wait)
            heads: list[checkpoints.Checkpoint] = []

            def checked(conn: sqlite3.Connection) -> Any:
                self.trust.before(conn)
                result = work(conn)
                heads[:] = [self.trust.head(conn)]
                return result

            result = storage.write(self._conn, self.path, checked, self.on_wait)
            self.trust.after(heads[0], durable=durable_checkpoint)
            return result

    def transaction(self, work: Any, *, chained: bool = False) -> Any:
        """Run ``work(conn)`` as one write of this log (the writers' queue, BEGIN IMMEDIATE,
        retries; on a server, the write lock): for stores kept in the log's database, such as
        the worklist's, the allocation's and the audit's. ``chained``: the store is an
        append-only hash chain (the audit's), so the write is checked against and recorded in
        the checkpoint file as a save is."""
        return self._write(work, chained=chained)

    def _read(self, work: Any) -> Any:
        try:
            return storage.retrying(lambda: work(self._conn), self.path)
        except sqlite3.Error as exc:
            raise storage.translate(exc, self.path) from None

    @contextlib.contextmanager
    def _translated(self) -> Iterator[None]:
        """The store's own errors as a plain LogError (for reads that stream)."""
        try:
            yield
        except sqlite3.Error as exc:
            raise storage.translate(exc, self.path) from None

    def _protected_files(self) -> list[Path]:
        """Files an export must never be written over."""
        from workbench.core.episodes.export_file import protected_files

        return protected_files(self.path, [self.checkpoint_file])

    @property
    def location(self) -> str:
        """Where the log is, as shown to the user (a path, or a server with no password)."""
        return str(self.path)

    def read(self, work: Callable[[Any], Any]) -> Any:
        """Run ``work(connection)`` as a read, the store's errors as a plain LogError."""
        return self._read(work)

    # ------------------------------------------------------------ writes

    def save(self, details: EpisodeDetails, coding: Coding, *, coder: str | Coder, note: str | None = None,
             draft_id: int | None = None, save_id: str | None = None,
             duplicate_reason: str | None = None, worklist_item: int | None = None) -> EpisodeSummary:
        """A new episode with version 1 (status final); its draft, if given, is consumed.

        ``save_id`` (chosen before the write) makes a retry safe: a save id already in
        the log returns the episode it saved. A live episode with the same patient,
        episode reference and date raises :class:`DuplicateEpisode` unless
        ``duplicate_reason`` says why a second one is right; a draft already consumed
        raises :class:`DraftAlreadySaved`. ``coder`` is the OS login (the identity), or a
        :class:`Coder` that also carries the config's display name and coder id. ``worklist_item``:
        the worklist item it was coded from, marked coded in the same transaction.
        """
        details = checked_details(details)
        check_coding(coding)
        coder = _checked_coder(coder)
        save_id = saving.check_save_id(save_id)
        digest = saving.request_digest(details, coding)

        def work(conn: sqlite3.Connection) -> int:
            from workbench.core.episodes.writer import insert_episode

            earlier = saving.replayed(conn, save_id, digest)
            if earlier is not None:
                return earlier
            saving.refuse_consumed_draft(conn, draft_id)
            why = saving.duplicate_reason(conn, details, duplicate_reason)
            episode_id = insert_episode(conn, details)
            self.trust.appended(append_version(conn, episode_dict(episode_id, details), 1, FINAL, coding,
                                          coder=coder, note=_blank_none(note), reason=why, key=key))
            saving.record(conn, episode_id, save_id, digest, draft_id)
            if worklist_item is not None:
                from workbench.core.episodes.worklist_items import link_in

                link_in(conn, worklist_item, episode_id, coder)
            return episode_id

        key = self.trust.key
        return self.get(self._write(work, chained=True))

    def amend(self, episode_id: int, coding: Coding, *, reason: str, coder: str | Coder,
              note: str | None = None, draft_id: int | None = None) -> EpisodeSummary:
        """A new version with new codes; the earlier versions stay as they were."""
        check_coding(coding)
        reason = required(reason, "reason")
        coder = _checked_coder(coder)
        self._append(episode_id, AMENDED, lambda latest: coding, reason, coder, note, draft_id)
        return self.get(episode_id)

    def void(self, episode_id: int, *, reason: str, coder: str | Coder) -> EpisodeSummary:
        """A final version marking the episode void; its codes are kept for the record. A worklist
        item coded as this episode is open again (same transaction)."""
        reason = required(reason, "reason")
        coder = _checked_coder(coder)
        self._append(episode_id, VOIDED, lambda latest: latest.coding, reason, coder, None, None)
        return self.get(episode_id)

    def _append(self, episode_id: int, status: str, coding_from: Any, reason: str, coder: str | Coder,
                note: str | None, draft_id: int | None) -> None:
        def work(conn: sqlite3.Connection) -> None:
            # Read the latest state inside the write lock so two amends cannot race.
            details, versions = queries.history(conn, episode_id)
            latest = versions[-1]
            if latest.status == VOIDED:
                raise LogError(f"episode {episode_id} is void; it cannot be amended or voided again")
            self.trust.appended(append_version(conn, episode_dict(episode_id, details), latest.version + 1,
                                          status, coding_from(latest), coder=coder, note=_blank_none(note),
                                          reason=reason, key=key))
            if draft_id is not None:
                conn.execute("DELETE FROM draft WHERE id = ?", (draft_id,))
            if status == VOIDED:
                from workbench.core.episodes.worklist_items import reopen_voided

                reopen_voided(conn, episode_id, coder)

        key = self.trust.key
        self._write(work, chained=True)

    # ------------------------------------------------------------ reads

    def get(self, episode_id: int) -> EpisodeSummary:
        return self._read(lambda c: queries.get_summary(c, int(episode_id)))

    def list(self, *, patient: str | None = None, nhs: str | None = None, code: str | None = None,
             guidance: str | None = None, coder: str | None = None,
             since: dt.date | str | None = None, until: dt.date | str | None = None,
             status: str | None = None, limit: int | None = None, words: list[str] | None = None,
             after: tuple[str, int] | None = None) -> list[EpisodeSummary]:
        """The latest version of each matching episode, newest episode first (newest date
        first with a date range); ``after`` continues from :func:`queries.page_key`."""
        return self._read(lambda c: queries.list_episodes(
            c, patient=patient, nhs=nhs, code=code, guidance=guidance, coder=coder,
            since=since, until=until, status=status, limit=limit, words=words, after=after))

    def listing(self, *, on_damaged: Callable[[int], None] | None = None,
                **filters: Any) -> Iterator[ListedEpisode]:
        """What :meth:`list` finds, as one light row per episode, streamed (for printing
        many episodes: see :mod:`listing`); damaged episodes go to ``on_damaged``."""
        from workbench.core.episodes.listing import listed_episodes

        with self._translated():
            yield from listed_episodes(self._conn, on_damaged=on_damaged, **filters)

    def history(self, episode_id: int) -> tuple[EpisodeDetails, list[EpisodeVersion]]:
        return self._read(lambda c: queries.history(c, int(episode_id)))

    def count(self) -> int:
        return self._read(lambda c: c.execute("SELECT count(*) FROM episode").fetchone()[0])

    def export(self, out: Any, *, format: str = "csv", since: dt.date | str | None = None,
               until: dt.date | str | None = None, all_versions: bool = False,
               progress: Any = None, filters: dict[str, Any] | None = None) -> int:
        """Stream episodes (latest versions, or all) to ``out`` as CSV or JSON; returns rows written.
        ``filters``: only the episodes :meth:`list` finds with them (the log screen's filter)."""
        from workbench.core.episodes.export import export_csv, export_json
        from workbench.core.episodes.export_file import refuse_stream_into

        refuse_stream_into(out, self._protected_files())
        writer = export_csv if format == "csv" else export_json
        with self._translated():
            return writer(self._conn, out, since=since, until=until, all_versions=all_versions,
                          progress=progress, filters=filters)

    def export_to_file(self, target: str | Path, *, format: str | None = None, force: bool = False,
                       **options: Any) -> int:
        """Export into a new file (0600, never through a symlink, never over the log or its
        companions), renamed into place; an existing file only with ``force``.
        ``format`` defaults from the extension: ``.json`` is JSON, anything else CSV."""
        from workbench.core.episodes.export_file import export_target

        target = _expanded(target, "export file's name")
        chosen = format or ("json" if target.suffix.lower() == ".json" else "csv")
        with export_target(target, self._protected_files(), force=force) as out:
            return self.export(out, format=chosen, **options)

    def verify(self, *, expect: list[checkpoints.Checkpoint] | None = None,
               use_checkpoint_file: bool = True, incremental: bool = False) -> VerifyReport:
        """PRAGMA integrity_check, every hash chain, every stored value and derived index, the
        department key's hashes, and that the log still holds what every checkpoint recorded
        (the checkpoint file's, plus ``expect``). A full verify that passes leaves a verified
        mark; ``incremental`` checks only what was appended since the newest mark."""
        report = self._read(lambda c: self.trust.verify(c, expect=list(expect or []),
                                                        use_file=use_checkpoint_file, incremental=incremental))
        if use_checkpoint_file:
            self.trust.mark_verified(report)
        return report

    def checkpoint(self) -> checkpoints.Checkpoint:
        """Append the log's head (version count, head hash, time) to the checkpoint file, in the
        writer turn and fsynced; refused when the log lost what an earlier checkpoint recorded."""
        key = self.trust.key      # a configured but unusable key is refused before anything is written
        with self._turn.held(storage.WRITE_PATIENCE_S, storage.WAIT_NOTICE_S, self.on_wait):
            head = self._read(self.trust.checked_head)
            checkpoints.append_checkpoint(self.checkpoint_file, head, key)
        return head



def _sharing() -> Any:
    from workbench.core.sharing import SharingError, configured

    try:
        return configured()
    except SharingError as exc:
        raise LogError(str(exc)) from None


def _expanded(path: str | Path, what: str) -> Path:
    from workbench.core.paths import UnusableFile, expand_user

    try:
        return expand_user(path, what)
    except UnusableFile as exc:
        raise LogError(exc.strerror) from None


def _checked_coder(coder: str | Coder) -> str | Coder:
    if isinstance(coder, Coder):
        required(coder.login, "coder")
        return coder
    return required(coder, "coder")


def _blank_none(value: str | None) -> str | None:
    return value.strip() or None if value else None


__all__ = ["EpisodeLog", "EpisodeNotFound"]
