"""The log screen's table: fixed columns, one line per episode, only visible lines drawn.

A DataTable measures every cell to size its columns, lays the screen out again and
renders each visible cell through Rich whenever its rows are replaced: on the log
screen that is every filter keystroke, and it cost most of a keystroke's time. Here
the columns have fixed widths (the id column grows with the largest id), a row is
one Text turned into a Strip only when its line is on screen, and new rows replace
the old ones without touching the layout.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from workbench.tui import keymap


@dataclass(frozen=True)
class Column:
    title: str
    max_width: int      # cells: as wide as the widest cell shown, up to this


def _move(key: str, action: str, description: str) -> Binding:
    return Binding(key, action, description, show=False, id=f"log-rows.{action}", tooltip=description)


class LogRows(ScrollView, can_focus=True):
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
        overflow-x: hidden;
        overflow-y: auto;
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

    class Highlighted(Message):
        """The cursor moved to ``row``."""

        def __init__(self, rows: LogRows, row: int) -> None:
            super().__init__()
            self.rows = rows
            self.row = row

        @property
        def control(self) -> LogRows:
            return self.rows

    class Selected(Message):
        """``row`` was clicked (Enter is the screen's key)."""

        def __init__(self, rows: LogRows, row: int) -> None:
            super().__init__()
            self.rows = rows
            self.row = row

        @property
        def control(self) -> LogRows:
            return self.rows

    def __init__(self, columns: Sequence[Column], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.columns = list(columns)
        self.widths = [len(c.title) for c in self.columns]
        self.rows: list[tuple[str | Text, ...]] = []
        self.cursor_row = 0

    @property
    def row_count(self) -> int:
        return len(self.rows)

    # ------------------------------------------------------------ rows

    def set_rows(self, rows: list[tuple[str | Text, ...]]) -> None:
        """Replace every row; the cursor goes back to the first."""
        self.rows = list(rows)
        self.cursor_row = 0
        self.widths = [len(c.title) for c in self.columns]
        self._fit(self.rows)
        self.virtual_size = Size(self.size.width, len(self.rows) + 1)
        self.scroll_to(0, 0, animate=False, immediate=True)
        self.refresh()
        if self.rows:
            self.post_message(self.Highlighted(self, 0))

    def add_rows(self, rows: list[tuple[str | Text, ...]]) -> None:
        """Append rows below the last (the next page); the cursor stays where it is."""
        self.rows.extend(rows)
        self._fit(rows)
        self.virtual_size = Size(self.size.width, len(self.rows) + 1)
        self.refresh()

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
        top = round(self.scroll_offset.y)
        height = max(1, self.size.height - 1)           # the header takes the first line
        if row < top:
            self.scroll_to(y=row, animate=False, immediate=True)
        elif row >= top + height:
            self.scroll_to(y=row - height + 1, animate=False, immediate=True)
        else:
            self.refresh_lines(old - top + 1)
            self.refresh_lines(row - top + 1)
        self.post_message(self.Highlighted(self, row))

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
        row = round(self.scroll_offset.y) + event.y - 1
        if event.y >= 1 and 0 <= row < len(self.rows):
            self.move_cursor(row)
            self.post_message(self.Selected(self, row))

    # ------------------------------------------------------------ drawing

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y == 0:
            style = self.get_component_rich_style("log-rows--header")
            return self._strip(tuple(c.title for c in self.columns), style, width)
        row = round(self.scroll_offset.y) + y - 1
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

    def _strip(self, cells: tuple[str | Text, ...], style: Style, width: int) -> Strip:
        line = Text(no_wrap=True, end="")
        for cell, cell_width in zip(cells, self.widths, strict=False):
            text = cell.copy() if isinstance(cell, Text) else Text(str(cell))
            text.truncate(cell_width, overflow="ellipsis", pad=True)
            line.append_text(text)
            line.append(" ")
        line.truncate(width, overflow="ellipsis", pad=True)
        segments = [Segment(s.text, style + s.style if s.style else style)
                    for s in line.render(self.app.console)]
        return Strip(segments, width)
