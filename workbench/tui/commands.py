"""The app's own commands in the command palette (ctrl+p)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

# (title, help, app action)
COMMANDS: list[tuple[str, str, str]] = [
    ("Search", "Search guidance and codes", "go_search"),
    ("Back to the current episode", "The episode being coded: its review or open wizard (ctrl+r)",
     "current_episode"),
    ("Copy the episode's codes", "Procedures then diagnoses, space-separated, to the clipboard (ctrl+y)",
     "copy_sequence"),
    ("Worklist", "The uncoded episodes from the PAS (F2)", "open_worklist"),
    ("Drafts", "Every unfinished episode: resume or discard (F3)", "open_drafts"),
    ("Open the episode log", "Browse, amend, void and export saved episodes", "open_log"),
    ("Coding audit", "Samples, blind re-coding, comparison and accuracy reports (F4)", "open_audit"),
    ("Manager: productivity", "Episodes coded, time per episode, queries, guidance, overrides (F5)",
     "open_stats"),
    ("Help for this screen", "Keys and a short how-to (F1)", "help"),
    ("Change theme", "Pick a colour theme (textual-ansi for terminals without true colour)", "change_theme"),
    ("Quit", "Quit the workbench; an unfinished coding is kept as a draft", "quit"),
]


class WorkbenchCommands(Provider):
    """The app's commands, then every key of the screen the palette was opened from."""

    def _command(self, action: str) -> Callable[[], object]:
        return partial(self.app.run_action, action)

    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        found = [(title, help_text, self._command(action)) for title, help_text, action in COMMANDS]
        seen = {title for title, _, _ in found}
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            if binding.action in ("command_palette", "quit") or not binding.description:
                continue
            title = binding.description
            if title in seen:
                continue
            seen.add(title)
            shown = binding.key_display or key
            found.append((title, f"{binding.tooltip or title} ({shown})",
                          partial(self.app.run_action, binding.action, active.node)))
        return found

    async def discover(self) -> Hits:
        for title, help_text, command in self._commands():
            yield DiscoveryHit(title, command, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, command in self._commands():
            score = max(matcher.match(title), matcher.match(help_text) * 0.5)
            if score > 0:
                yield Hit(score, matcher.highlight(title), command, text=title, help=help_text)
