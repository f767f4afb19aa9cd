"""The wizard's option list: each option shows its key (1-9, 0, then letters); the key answers at once.

The keys come from the question (``workbench.core.option_keys``): an answer that means the same
in every pack keeps its key everywhere (fluoroscopy is 4, "not stated" 9, "none" 0)."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.message import Message
from textual.widgets.option_list import Option

from workbench.tui import keymap
from workbench.tui.widgets.lists import KeyList


def number_label(index: int) -> str:
    """The key for the option at ``index``: 1-9, then 0 for the tenth, then letters."""
    return keymap.OPTION_KEYS[index] if index < len(keymap.OPTION_KEYS) else " "


class ChoiceList(KeyList):
    """Single choice (yes/no, choice) or, with ``multi``, several ticked options."""

    BINDINGS = keymap.bindings("choice")

    class Answered(Message):
        def __init__(self, value: object):
            super().__init__()
            self.value = value

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.values: list[str] = []
        self.labels: list[str] = []
        self.keys: list[str] = []         # the key shown beside (and answering) each option
        self.multi = False
        self.ticked: set[str] = set()
        self.default: str | None = None
        # Called at once with the answer, so that keys typed ahead ("5 1 1" in one packet)
        # meet the next question's options, never this one's. Without it: a message.
        self.on_answer: Callable[[object], None] | None = None

    def _answered(self, value: object) -> None:
        if self.on_answer is not None:
            self.on_answer(value)
        else:
            self.post_message(self.Answered(value))

    def load(self, options: list[tuple[str, str]], *, multi: bool, chosen: object, default: str | None,
             keys: list[str] | None = None) -> None:
        """Show ``options`` ((value, label) pairs) with their ``keys`` (1, 2, 3 ... when not given);
        highlight the kept answer or the default."""
        self.values = [v for v, _ in options]
        self.labels = [label for _, label in options]
        self.keys = list(keys) if keys is not None else [number_label(i) for i in range(len(options))]
        self.multi = multi
        self.default = default
        if multi:
            self.ticked = set(chosen) if isinstance(chosen, list) else set()
            start = None
        else:
            self.ticked = set()
            start = chosen if isinstance(chosen, str) else default
        self._render_options()
        self.highlighted = self.values.index(start) if start in self.values else None

    def _render_options(self) -> None:
        keep = self.highlighted
        rows = []
        for index, (value, label) in enumerate(zip(self.values, self.labels, strict=True)):
            row = Text()
            row.append(f"{self.keys[index]} ", style="bold")
            if self.multi:
                row.append("[x] " if value in self.ticked else "[ ] ")
            row.append(label)
            if value == self.default and not self.multi:
                row.append("  (Enter)", style="dim")
            rows.append(Option(row))
        self.set_options(rows)
        self.highlighted = keep
        if keep is not None:
            # The list is short at 80x24: keep the highlighted option in view.
            self.call_after_refresh(self.scroll_to_highlight)

    def action_pick(self, index: int) -> None:
        """The key at ``index`` of the key sequence was pressed: answer the option showing it."""
        key = number_label(index)
        if key not in self.keys:
            self.app.bell()
            return
        index = self.keys.index(key)
        if self.multi:
            self.highlighted = index
            self._toggle(self.values[index])
        else:
            self._answered(self.values[index])

    def action_toggle(self) -> None:
        if self.multi and self.highlighted is not None:
            self._toggle(self.values[self.highlighted])

    def _toggle(self, value: str) -> None:
        self.ticked.symmetric_difference_update({value})
        self._render_options()

    def action_confirm(self) -> None:
        if self.multi:
            self._answered([v for v in self.values if v in self.ticked])
        elif self.highlighted is not None:
            self._answered(self.values[self.highlighted])
        else:
            self.notify("Press the key shown beside an option (this question has no default).",
                        severity="warning")
