"""A fixed-height list of one-line rows that repaints only the rows that changed.

The search results change on every keystroke, and over SSH every byte of a repaint
costs time. An OptionList redraws all its visible lines whenever its options are
replaced; here each visible line is its own small widget, and a new set of rows only
touches the lines whose text or highlight differ from what is already on screen (a
result list often keeps its top rows while the coder finishes a word). Focus stays in
the search box: the list is moved by the screen's keys and never takes focus itself.
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static


class ResultLine(Static):
    """One visible line; remembers what it shows so an unchanged line is never repainted."""

    DEFAULT_CSS = "ResultLine { height: 1; width: 1fr; }"

    def __init__(self, index: int) -> None:
        super().__init__("", markup=False)
        self.index = index
        self.shown: tuple[str, bool] = ("", False)

    def show(self, text: Text, highlighted: bool, key: str) -> None:
        if self.shown == (key, highlighted):
            return
        self.shown = (key, highlighted)
        # One line, always one cell high and as wide as the list: no layout pass is needed,
        # and skipping it is what lets the new rows reach the screen in the keystroke's frame.
        self.update(text, layout=False)
        self.set_class(highlighted, "-highlight")

    def on_click(self, event: events.Click) -> None:
        self.post_message(ResultRows.Chosen(self.index))


class ResultRows(Widget):
    """Rows of text with a highlighted row, scrolled to keep the highlight visible."""

    can_focus = False

    class Chosen(Message):
        """A row was clicked; ``index`` is the line on screen (the screen maps it to a row)."""

        def __init__(self, line: int) -> None:
            super().__init__()
            self.line = line

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[Text] = []
        self._keys: list[str] = []
        self.highlighted: int | None = None
        self.top = 0

    @property
    def row_count(self) -> int:
        return len(self.rows)

    def compose(self) -> ComposeResult:
        # As many lines as the terminal is high (more than fit): they are there for the first
        # frame, instead of mounted after the first resize and laid out again (~20 ms of start-up).
        # Lines below the list's height are clipped; a taller terminal mounts more.
        for i in range(max(1, self.app.size.height)):
            yield ResultLine(i)

    def on_resize(self, event: events.Resize) -> None:
        lines = len(self.query(ResultLine))
        if lines < event.size.height:
            self.mount_all(ResultLine(i) for i in range(lines, event.size.height))
        self._keep_highlight_visible()
        self.call_after_refresh(self._paint)

    def set_rows(self, rows: list[Text], highlighted: int | None = 0) -> None:
        """Show new rows; lines that would look the same are left alone."""
        self.rows = rows
        # The plain text and the spans together say whether a line would look different.
        self._keys = [f"{row.plain}\0{row.spans!r}" for row in rows]
        self.highlighted = None if not rows or highlighted is None else min(highlighted, len(rows) - 1)
        self.top = 0
        self._keep_highlight_visible()
        self._paint()

    def move(self, step: int) -> None:
        if not self.rows:
            return
        current = -1 if self.highlighted is None else self.highlighted
        self.highlighted = max(0, min(len(self.rows) - 1, current + step))
        self._keep_highlight_visible()
        self._paint()

    def row_at_line(self, line: int) -> int | None:
        index = self.top + line
        return index if 0 <= index < len(self.rows) else None

    def _visible(self) -> int:
        return max(1, min(self.size.height, len(self.query(ResultLine))))

    def _keep_highlight_visible(self) -> None:
        if self.highlighted is None:
            return
        visible = self._visible()
        if self.highlighted < self.top:
            self.top = self.highlighted
        elif self.highlighted >= self.top + visible:
            self.top = self.highlighted - visible + 1

    def _paint(self) -> None:
        visible = self._visible()
        for line in self.query(ResultLine):
            if line.index >= visible:
                continue   # clipped below the list (composed for a taller terminal): painted on resize
            index = self.top + line.index
            if index < len(self.rows):
                line.show(self.rows[index], index == self.highlighted, self._keys[index])
            else:
                line.show(Text(""), False, "")
