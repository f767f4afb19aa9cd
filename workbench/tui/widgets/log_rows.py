"""The log screen's table: fixed columns, one line per episode, only changed lines drawn.

A DataTable measures every cell to size its columns, lays the screen out again and
renders each visible cell through Rich whenever its rows are replaced: on the log
screen that is every filter keystroke, and it cost most of a keystroke's time. Here
each column is as wide as its widest cell on the page (up to a maximum), a row is one
Text turned into a Strip only when its line is on screen, and the widget scrolls
itself (no scrollbar, no virtual size), so new rows never cause a layout: only the
lines whose row, cursor or column widths changed are sent to the terminal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Region
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from workbench.tui import keymap


@dataclass(frozen=True)
class Column:
    title: str
    max_width: int      # cells: as wide as the widest cell shown, up to this


def _move(key: str, action: str, description: str) -> Binding:
    return Binding(key, action, description, show=False, id=f"log-rows.{action}", tooltip=description)


class LogRows(Widget, can_focus=True):
    """Rows of cells under a header line, a cursor row, scrolled to keep the cursor visible."""

    BINDINGS = [
        *keymap.bindings("list"),
        _move("down", "cursor_down", "Move down"),
        _move("up", "cursor_up", "Move up"),
        _move("pagedown", "page_down", "Down a page"),
        _move("pageup", "page_up", "Up a page"),
        _move("home,ctrl+home", "first", "First row"),
        _move("end,ctrl+end", "last", "Last row"),
    ]
    COMPONENT_CLASSES = {"log-rows--header", "log-rows--cursor", "log-rows--even"}
    # The look of Textual's DataTable (cursor, header, zebra stripes), which this replaces.
    DEFAULT_CSS = """
    LogRows {
        background: $surface;
        color: $foreground;
        &:focus {
            background-tint: $foreground 5%;
            & > .log-rows--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
        &:dark > .log-rows--even { background: $surface-darken-1 40%; }
        & > .log-rows--header { text-style: bold; background: $panel; color: $foreground; }
        &:ansi > .log-rows--header { background: ansi_bright_blue; color: ansi_default; }
        & > .log-rows--even { background: $surface-lighten-1 50%; }
        & > .log-rows--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """

    class _RowMessage(Message):
        def __init__(self, rows: LogRows, row: int) -> None:
            super().__init__()
            self.rows = rows
            self.row = row

        @property
        def control(self) -> LogRows:      # lets @on(..., "#id") match the widget
            return self.rows

    class Highlighted(_RowMessage):
        """The cursor moved to ``row``."""

    class Selected(_RowMessage):
        """``row`` was clicked (Enter is the screen's key)."""

    def __init__(self, columns: Sequence[Column], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.columns = list(columns)
        self.widths = [len(c.title) for c in self.columns]
        self.rows: list[tuple[str | Text, ...]] = []
        self.cursor_row = 0
        self.top = 0                 # the row on the first line under the header

    @property
    def row_count(self) -> int:
        return len(self.rows)

    @property
    def _height(self) -> int:
        """Lines for rows (the header takes the first)."""
        return max(1, self.size.height - 1)

    # ------------------------------------------------------------ rows

    def set_rows(self, rows: list[tuple[str | Text, ...]]) -> None:
        """Replace every row; the cursor goes back to the first. Lines that would look the
        same (same row, same highlight, same column widths) are not drawn again."""
        before = [self._shown(line) for line in range(self._height)]
        old_widths = self.widths
        self.rows = list(rows)
        self.cursor_row = self.top = 0
        self.widths = [len(c.title) for c in self.columns]
        self._fit(self.rows)
        if self.widths != old_widths:
            self.refresh()
        else:
            for line, shown in enumerate(before):
                if self._shown(line) != shown:
                    self._refresh_lines(line + 1)
        if self.rows:
            self.post_message(self.Highlighted(self, 0))

    def add_rows(self, rows: list[tuple[str | Text, ...]]) -> None:
        """Append rows below the last (the next page); the cursor stays where it is."""
        start = len(self.rows)
        old_widths = list(self.widths)
        self.rows.extend(rows)
        self._fit(rows)
        if self.widths != old_widths:
            self.refresh()
        elif start < self.top + self._height:       # new rows on screen: draw those lines
            self._refresh_lines(start - self.top + 1, len(rows))

    def _refresh_lines(self, y: int, count: int = 1) -> None:
        self.refresh(Region(0, y, self.size.width, count))

    def _shown(self, line: int) -> tuple[object, bool] | None:
        """What line ``line`` (0: the first under the header) shows: its row and highlight."""
        row = self.top + line
        return (self.rows[row], row == self.cursor_row) if row < len(self.rows) else None

    def _fit(self, rows: list[tuple[str | Text, ...]]) -> None:
        """Widen columns to the widest cell of ``rows`` (a page: cheap), never past a column's maximum."""
        for i, column in enumerate(self.columns):
            widest = max((len(row[i]) for row in rows), default=0)
            self.widths[i] = max(self.widths[i], min(column.max_width, widest))

    # ------------------------------------------------------------ cursor

    def move_cursor(self, row: int) -> None:
        if not self.rows:
            return
        row = max(0, min(len(self.rows) - 1, row))
        if row == self.cursor_row:
            return
        old, self.cursor_row = self.cursor_row, row
        if row < self.top:
            self._scroll_to(row)
        elif row >= self.top + self._height:
            self._scroll_to(row - self._height + 1)
        else:
            self._refresh_lines(old - self.top + 1)
            self._refresh_lines(row - self.top + 1)
        self.post_message(self.Highlighted(self, row))

    def _scroll_to(self, top: int) -> None:
        top = max(0, min(top, len(self.rows) - self._height))
        if top != self.top:
            self.top = top
            self.refresh()

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        event.stop()
        self._scroll_to(self.top + 3)
        if self.top + self._height >= len(self.rows):    # the end is in view: ask for the next page
            self.post_message(self.Highlighted(self, len(self.rows) - 1))

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        event.stop()
        self._scroll_to(self.top - 3)

    def action_cursor_down(self) -> None:
        self.move_cursor(self.cursor_row + 1)

    def action_cursor_up(self) -> None:
        self.move_cursor(self.cursor_row - 1)

    def action_page_down(self) -> None:
        self.move_cursor(self.cursor_row + max(1, self.size.height - 1))

    def action_page_up(self) -> None:
        self.move_cursor(self.cursor_row - max(1, self.size.height - 1))

    def action_first(self) -> None:
        self.move_cursor(0)

    def action_last(self) -> None:
        self.move_cursor(len(self.rows) - 1)

    def on_click(self, event: events.Click) -> None:
        row = self.top + event.y - 1
        if event.y >= 1 and 0 <= row < len(self.rows):
            self.move_cursor(row)
            self.post_message(self.Selected(self, row))

    # ------------------------------------------------------------ drawing

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y == 0:
            style = self.rich_style + self.get_component_rich_style("log-rows--header")
            return self._strip(tuple(c.title for c in self.columns), style, width)
        row = self.top + y - 1
        base = self.rich_style
        if row >= len(self.rows):
            return Strip.blank(width, base)
        if row == self.cursor_row:
            style = base + self.get_component_rich_style("log-rows--cursor")
        elif row % 2 == 0:
            style = base + self.get_component_rich_style("log-rows--even")
        else:
            style = base
        return self._strip(self.rows[row], style, width)

    def _fitted(self, width: int) -> list[int]:
        """Column widths for a line ``width`` cells wide: when they do not fit, the widest
        column gives up cells first (the codes, rather than the status at the end)."""
        widths = list(self.widths)
        over = sum(widths) + len(widths) - 1 - width
        while over > 0:
            widest = max(range(len(widths)), key=widths.__getitem__)
            give = min(over, widths[widest] - len(self.columns[widest].title))
            if give <= 0:
                break
            widths[widest] -= give
            over -= give
        return widths

    def _strip(self, cells: tuple[str | Text, ...], style: Style, width: int) -> Strip:
        line = Text(no_wrap=True, end="")
        for i, (cell, cell_width) in enumerate(zip(cells, self._fitted(width), strict=False)):
            text = cell.copy() if isinstance(cell, Text) else Text(str(cell))
            text.truncate(cell_width, overflow="ellipsis", pad=True)
            if i:
                line.append(" ")
            line.append_text(text)
        line.truncate(width, overflow="ellipsis", pad=True)
        segments = [Segment(s.text, style + s.style if s.style else style)
                    for s in line.render(self.app.console)]
        return Strip(segments, width)
