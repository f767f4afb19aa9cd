"""The app's current episode and its draft.

One :class:`CodingSession` (core) is "the episode being coded"; the search, the
wizards, the review and the worklist all change it through the app. Every change
is saved as a draft in the log by a worker thread; a sequence number makes sure an
older state never overwrites a newer one, and a lock makes sure no draft is written
after the episode has been saved.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the app's start path must not import the episode log package
    from workbench.core.episodes.session import CodingSession


class SessionKeeper:
    def __init__(self, app: Any):
        self.app = app
        self.session: CodingSession | None = None
        self.draft_id: int | None = None
        self._lock = threading.Lock()
        self._seq = 0
        self._saved_seq = -1
        self._finished = False

    # ------------------------------------------------------------ the current episode

    def begin(self, session: CodingSession, draft_id: int | None = None) -> CodingSession:
        """Make ``session`` the current episode (a new one, a resumed draft, an amend)."""
        with self._lock:
            self.session = session
            self.draft_id = draft_id
            self._finished = False
            self._saved_seq = -1
        return session

    def current(self) -> CodingSession:
        """The current episode, starting a new empty one when there is none."""
        if self.session is None:
            from workbench.core.episodes.session import CodingSession

            self.begin(CodingSession())
        assert self.session is not None
        return self.session

    def drop(self) -> None:
        """Forget the current episode (its draft stays in the log)."""
        with self._lock:
            self.session = None
            self.draft_id = None

    # ------------------------------------------------------------ drafts

    def persist(self) -> None:
        """Save the current episode as a draft, in a worker."""
        session = self.session
        if session is None or not (session.codes or session.packs or session.details):
            return
        self._seq += 1
        state, seq = session.to_state(), self._seq
        self.app.run_worker(lambda: self.write(state, seq), thread=True, group="draft")

    def write(self, state: dict, seq: int) -> None:
        """Worker thread: one small durable transaction."""
        with self._lock:
            if self._finished or seq < self._saved_seq or self.session is None:
                return
            try:
                log = self.app.context.episode_log()
                self.draft_id = log.save_draft(self.app.context.coder(), state, self.draft_id)
                self._saved_seq = seq
            except Exception as exc:
                self.app.call_from_thread(self.app.report_error, "The draft could not be saved", exc)

    def flush(self) -> None:
        """Quit: write the latest state now (the caller runs this off the UI thread)."""
        session = self.session
        if session is not None and (session.codes or session.packs or session.details):
            self._seq += 1
            self.write(session.to_state(), self._seq)

    def claim_draft(self) -> int | None:
        """Saving (worker thread): the draft id the save removes; no further draft writes."""
        with self._lock:
            self._finished = True
            draft_id, self.draft_id = self.draft_id, None
            return draft_id

    def release_draft(self, draft_id: int | None) -> None:
        """The save failed: keep the draft and go on saving it."""
        with self._lock:
            self._finished = False
            self.draft_id = draft_id
