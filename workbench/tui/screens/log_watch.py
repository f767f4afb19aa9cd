"""Screens that follow changes made by other windows and processes (the log and the worklist).

Every WATCH_SECONDS a thread worker reads the log's change stamp; when it differs from the
stamp the screen last read its rows with, the screen's ``on_log_changed`` re-reads them. A
screen that sets ``stamp`` when it loads and starts ``start_watching()`` on mount gets this.
"""

from __future__ import annotations

from typing import Any

from textual import work

from workbench.tui.screens.base import if_attached

WATCH_SECONDS = 0.5  # how often the screen asks whether another window or process changed the log


class WatchesTheLog:
    stamp: Any = None          # the log's change stamp when the screen last read its rows
    _watching = False          # a stamp read is under way

    def start_watching(self) -> None:
        self.set_interval(WATCH_SECONDS, self._watch)

    def log_watch_paused(self) -> bool:
        """True while the screen's own load is under way (the stamp it will record is newer)."""
        return False

    def on_log_changed(self) -> None:
        raise NotImplementedError

    def _watch(self) -> None:
        if self.app.screen is self and not self._watching and not self.log_watch_paused():
            self._watching = True
            self.watch_log()

    @work(thread=True, exclusive=True, group="log-watch")
    def watch_log(self) -> None:
        from workbench.core.episodes.worklist import Worklist

        try:
            stamp = Worklist(self.app.context.episode_log()).stamp()
        except Exception:   # a log that cannot be read is reported by the screen's next load
            stamp = self.stamp
        self.app.call_from_thread(self._watched, stamp)

    @if_attached
    def _watched(self, stamp: Any) -> None:
        self._watching = False
        if self.stamp is not None and stamp != self.stamp:
            self.on_log_changed()
