"""A fixed-height list of one-line rows that repaints only the lines that changed.

The search results change on every keystroke, and over SSH every byte of a repaint, and
every millisecond of it, counts. An OptionList redraws all its visible lines whenever its
options are replaced, and a widget per line costs a Static's render per changed line. Here
the list is one widget drawing its lines itself (Textual's line API): a new set of rows
marks only the lines whose text or highlight differ from what is on screen as dirty (a
result list often keeps its top rows while the coder finishes a word), each line is drawn
from its row's Rich text once and kept, and nothing is laid out again. Focus stays in the
search box: the list is moved by the screen's keys and never takes focus itself.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.geometry import Region
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

HIGHLIGHT = "result-rows--highlight"


def row_key(row: Text) -> str:
    """What decides whether a row looks different: its text and its styled spans."""
    return f"{row.plain}\0{row.spans!r}"


class ResultRows(Widget):
    """Rows of text with a highlighted row, scrolled to keep the highlight visible."""

    can_focus = False
    COMPONENT_CLASSES = {HIGHLIGHT}
    DEFAULT_CSS = f"""
    ResultRows > .{HIGHLIGHT} {{
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: $block-cursor-text-style;
    }}
    ResultRows:nocolor > .{HIGHLIGHT} {{
        text-style: bold underline;
    }}
    """

    class Chosen(Message):
        """A row was clicked; ``line`` is the line on screen (the screen maps it to a row)."""

        def __init__(self, line: int) -> None:
            super().__init__()
            self.line = line

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[Text] = []
        self._keys: list[str | None] = []            # row keys, worked out when first shown
        self.highlighted: int | None = None
        self.top = 0
        self.shown: list[tuple[str, bool]] = []      # what each line on screen shows (key, highlighted)
        self._strips: dict[tuple[str, bool, int], Strip] = {}
        self._styles: tuple[Style, Style] | None = None   # (a line, the highlighted line)

    @property
    def row_count(self) -> int:
        return len(self.rows)

    def set_rows(self, rows: list[Text], highlighted: int | None = 0) -> None:
        """Show new rows; lines that would look the same are left alone."""
        self.rows = rows
        self._keys = [None] * len(rows)
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

    def lines(self) -> list[str]:
        """The plain text of the lines on screen (for tests and the screen reader's sake)."""
        return [self.rows[self.top + y].plain if self.top + y < len(self.rows) else ""
                for y in range(self._visible())]

    # ------------------------------------------------------------ painting

    def _visible(self) -> int:
        return max(1, self.size.height)

    def _key(self, index: int) -> str:
        key = self._keys[index]
        if key is None:
            key = self._keys[index] = row_key(self.rows[index])
        return key

    def _keep_highlight_visible(self) -> None:
        if self.highlighted is None:
            return
        visible = self._visible()
        if self.highlighted < self.top:
            self.top = self.highlighted
        elif self.highlighted >= self.top + visible:
            self.top = self.highlighted - visible + 1

    def _line_state(self, y: int) -> tuple[str, bool]:
        index = self.top + y
        if index < len(self.rows):
            return self._key(index), index == self.highlighted
        return "", False

    def _paint(self) -> None:
        """Mark the lines whose text or highlight changed as dirty: only those are drawn again."""
        visible = self._visible()
        width = self.size.width
        shown = self.shown + [("\1", False)] * max(0, visible - len(self.shown))
        for y in range(visible):
            state = self._line_state(y)
            if shown[y] != state:
                shown[y] = state
                if width:
                    self.refresh(Region(0, y, width, 1))
        self.shown = shown[:visible]
        if len(self._strips) > 4 * visible + 16:   # only recent lines are worth keeping
            keep = {(key, lit, width) for key, lit in self.shown}
            self._strips = {k: v for k, v in self._strips.items() if k in keep}

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        key, highlighted = self._line_state(y)
        cached = self._strips.get((key, highlighted, width))
        if cached is not None:
            return cached
        if self._styles is None:   # worked out once per theme, not once per line
            self._styles = (self.rich_style, self.get_component_rich_style(HIGHLIGHT))
        base = self._styles[1] if highlighted else self._styles[0]
        index = self.top + y
        if index < len(self.rows):
            row = self.rows[index].copy()
            row.truncate(width, overflow="ellipsis")
            segments = list(row.render(self.app.console))
            strip = Strip(Segment.apply_style(segments, base), row.cell_len)
        else:
            strip = Strip.blank(width, base)
        strip = strip.extend_cell_length(width, base if isinstance(base, Style) else None).crop(0, width)
        self._strips[(key, highlighted, width)] = strip
        return strip

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()     # a new theme: the lines are drawn again in its colours
        self._styles = None
        self.shown = []

    def on_resize(self, event: events.Resize) -> None:
        self._keep_highlight_visible()
        self.shown = []          # every line is drawn again at the new size
        self._strips.clear()
        self.refresh()

    def on_click(self, event: events.Click) -> None:
        self.post_message(self.Chosen(event.y))
