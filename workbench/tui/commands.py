"""The app's own commands in the command palette (ctrl+p)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

# (title, help, app action)
COMMANDS: list[tuple[str, str, str]] = [
    ("Search", "Search guidance and codes", "go_search"),
    ("Open the episode log", "Browse, amend, void and export saved episodes", "open_log"),
    ("Help for this screen", "Keys and a short how-to (F1)", "help"),
    ("Change theme", "Pick a colour theme (textual-ansi for terminals without true colour)", "change_theme"),
    ("Quit", "Quit the workbench; an unfinished coding is kept as a draft", "quit"),
]


class WorkbenchCommands(Provider):
    def _command(self, action: str) -> Callable[[], object]:
        return partial(self.app.run_action, action)

    async def discover(self) -> Hits:
        for title, help_text, action in COMMANDS:
            yield DiscoveryHit(title, self._command(action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, action in COMMANDS:
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), self._command(action), text=title, help=help_text)
