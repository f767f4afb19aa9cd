"""What every full screen shares: a compact layout at 80 columns, a wider one beyond."""

from __future__ import annotations

import functools

from textual import events
from textual.css.query import NoMatches
from textual.screen import Screen

WIDE = 110   # columns from which side panels sit beside the main content


class WorkbenchScreen(Screen):
    HELP_NAME = "search"

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width >= WIDE, "-wide")

    def on_screen_resume(self) -> None:
        self.set_class(self.app.size.width >= WIDE, "-wide")

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()


def if_attached(method):
    """For results a worker delivers late: ignore them once the screen has been closed."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        if not self.is_attached:
            return None
        try:
            return method(self, *args, **kwargs)
        except NoMatches:
            return None   # the screen is being taken down while the result arrived

    return wrapper
