"""A one-line text box whose keystrokes repaint its line and nothing else.

Textual's Input sets its virtual size (the width of its text) on every change, and that
reactive asks for a layout of the whole screen: every widget is arranged again and every
auto-sized one (the footer's keys) measured and rendered again, for a box that cannot
change size. Over SSH at 80x24 that layout was half the cost of a keystroke on the search
screen. Here the virtual size only repaints the box; its horizontal scrolling (text wider
than the box) reads the virtual size directly, so it is unchanged.

A box also says whether a slash is text in it (a date: 01/03/2024) or the global search key
(a patient identifier, a code, a number): see WorkbenchApp.check_action. Any other text box
(a free-text reason, a filter) keeps its slashes.
"""

from __future__ import annotations

from typing import Any

from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import Input


class LineInput(Input):
    virtual_size = Reactive(Size(0, 0), layout=False)

    def __init__(self, *args: Any, slash_is_text: bool = False, compact: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.slash_is_text = slash_is_text
        if compact:
            # Input(compact=True) sets its class through the reactive, which styles the widget
            # there and then (the whole stylesheet, ~5 ms a box), before it is even mounted,
            # where it is styled again. The class alone is enough: mounting applies it.
            self.set_reactive(Input.compact, True)
            self.add_class("-textual-compact", update=False)


def slash_is_text(widget: object) -> bool:
    """Whether ``/`` typed in ``widget`` is a character of its text (else: go to the search)."""
    if isinstance(widget, LineInput):
        return widget.slash_is_text
    return isinstance(widget, Input)      # a reason, a filter (the app has no other text widget)
