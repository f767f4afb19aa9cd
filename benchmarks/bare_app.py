"""The baseline of every app figure: a bare Textual app with the search screen's four widgets.

Header, Input, Static and Footer, nothing else. It is the cheapest honest echo: a key
typed into its Input is painted in one frame (the Input's own line), with no second
widget updated per key (copying each key into the Static, as this app once did, costs a
second frame and made a slower baseline than a coder's terminal deserves).

Started as a script (``python benchmarks/bare_app.py``) so that nothing of the
workbench is imported. It honours the same two switches as the workbench, the
same way: WORKBENCH_EXIT_ON_READY=1 exits with status 0 once the first screen is
composed, focused and painted; WORKBENCH_HEADLESS=1 runs without a terminal.

The Pilot keystroke benchmark times the same echo: ``on_shown`` is called with the
text once the Input has taken the key (nothing else is repainted).
"""

from __future__ import annotations

import os
from collections.abc import Callable

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Input, Static


class BareApp(App[int]):
    def __init__(self) -> None:
        super().__init__()
        self.exit_on_ready = os.environ.get("WORKBENCH_EXIT_ON_READY") == "1"
        self.shown_query = ""
        #: Called with the query after each echo (the Pilot benchmark times it).
        self.on_shown: Callable[[str], None] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="Search", id="search")
        yield Static("", id="results")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        if self.exit_on_ready:
            # Same hook as the workbench: exit once the first screen has been painted.
            self.call_after_refresh(self.exit, 0)

    def on_input_changed(self, event: Input.Changed) -> None:
        query = event.value.strip()
        self.shown_query = query
        if self.on_shown is not None:
            self.on_shown(query)


def main() -> int:
    app = BareApp()
    app.run(headless=os.environ.get("WORKBENCH_HEADLESS") == "1")
    return app.return_code or 0


if __name__ == "__main__":
    raise SystemExit(main())
