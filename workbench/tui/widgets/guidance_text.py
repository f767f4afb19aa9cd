"""A guidance's text, drawn as one block of styled text.

The guidance texts are plain summaries: ``##`` headings, ``-`` bullets, a little **bold**, the
odd [link](url). Textual's Markdown widget parses them with markdown-it (70 ms to import on
the first guidance opened) and mounts a widget per block (a dozen for a short text), which
made Enter on a result the slowest screen change of the coding flow. Here the text becomes
one Rich text, in one widget, in a few hundred microseconds.
"""

from __future__ import annotations

import re

from rich.console import Console
from rich.style import Style
from rich.text import Text
from textual.widgets import Static

HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
BULLET = re.compile(r"^(\s*)[-*+]\s+(.*)$")
NUMBERED = re.compile(r"^(\s*)(\d+[.)])\s+(.*)$")
INLINE = re.compile(r"\*\*(?P<bold>.+?)\*\*|`(?P<code>[^`]+)`|\[(?P<label>[^\]]+)\]\((?P<url>[^)\s]+)\)")
BOLD, CODE, LINK_URL = Style(bold=True), Style(bold=True, dim=False), Style(dim=True)


def inline(text: str, base: Style | None = None) -> Text:
    """One line's inline marks: **bold**, `code`, [label](url) (the address shown after)."""
    out = Text(style=base or "")
    at = 0
    for match in INLINE.finditer(text):
        out.append(text[at:match.start()])
        if match.group("bold") is not None:
            out.append(match.group("bold"), BOLD)
        elif match.group("code") is not None:
            out.append(match.group("code"), CODE)
        else:
            out.append(match.group("label"))
            out.append(f" ({match.group('url')})", LINK_URL)
        at = match.end()
    out.append(text[at:])
    return out


def render_guidance(markdown: str) -> tuple[Text, list[int]]:
    """The text as shown, and for each source line the index of its first shown line."""
    lines: list[Text] = []
    starts: list[int] = []
    for raw in markdown.splitlines():
        line = raw.rstrip()
        if heading := HEADING.match(line.strip()):
            if lines and lines[-1].plain:
                lines.append(Text())          # a blank line before each heading
            starts.append(len(lines))
            level = len(heading.group(1))
            lines.append(inline(heading.group(2), Style(bold=True, underline=level <= 2)))
            continue
        starts.append(len(lines))
        if bullet := BULLET.match(line):
            lines.append(Text.assemble(bullet.group(1) + "  • ", inline(bullet.group(2))))
        elif numbered := NUMBERED.match(line):
            lines.append(Text.assemble(f"{numbered.group(1)}  {numbered.group(2)} ", inline(numbered.group(3))))
        else:
            lines.append(inline(line))
    return Text("\n").join(lines), starts


class GuidanceText(Static):
    """The guidance's text; ``line_of`` says where a source line is drawn (to scroll to it)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self._source: list[str] = []
        self._text = Text()
        self._starts: list[int] = []

    def show(self, markdown: str) -> None:
        self._source = markdown.splitlines()
        self._text, self._starts = render_guidance(markdown)
        self.update(self._text)

    def line_of(self, source_line: str, width: int, console: Console) -> int | None:
        """The y offset, at ``width`` columns, of the first source line reading ``source_line``."""
        wanted = next((i for i, line in enumerate(self._source) if line.strip() == source_line), None)
        if wanted is None:
            return None
        shown_before = self._text.split("\n", allow_blank=True)[: self._starts[wanted]]
        return sum(len(line.wrap(console, max(1, width))) for line in shown_before)
