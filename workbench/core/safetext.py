"""Text that is safe to show in a terminal, and the one canonical form of what a coder types.

Two jobs, both about text we did not write ourselves:

- :func:`visible` is applied to anything read back from the log (or typed by a user)
  before it is written to a terminal, by the CLI and the app alike. A stored field
  holding ``ESC [2J`` must not clear the coder's screen, and a right-to-left override
  must not make ``L80.4`` read as something else: control and format characters are
  shown as escapes (``\\x1b``, ``\\u202e``) instead.
- :func:`fold_digits` and :func:`canonical` give one spelling for what can be typed
  several ways. The rule for NHS numbers and codes: decimal digits of any script
  (full-width ``９``, Arabic-Indic ``٥``, Devanagari ``५``...) are folded to ASCII
  ``0``-``9`` before any check; every other non-ASCII character is refused by the
  check that follows. Patient and episode text is NFC-normalised, so an identifier
  typed with a combining accent matches the same identifier typed precomposed.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

# C0 and C1 controls, DEL, lone surrogates, line/paragraph separators, and the
# invisible direction marks and overrides that can reorder what a terminal shows.
_UNSAFE_CLASS = ("\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ud800-\udfff")
_UNSAFE = re.compile(f"[\x00-\x1f{_UNSAFE_CLASS}]")
# The same, but keeping what lays text out: newline, tab, and a carriage return before a newline.
_UNSAFE_IN_LAYOUT = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f{_UNSAFE_CLASS}]|\r(?!\n)")
# What json.dumps(ensure_ascii=False) leaves raw (it escapes the C0 controls itself).
_UNSAFE_IN_JSON = re.compile(f"[{_UNSAFE_CLASS}]")
_ANY_DIGIT = re.compile(r"\d")        # str patterns: \d is every Unicode decimal digit


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(text: object, *, layout: bool = False) -> str:
    """``text`` with every control or invisible format character written as an escape.

    ``layout``: for whole blocks of output (a CSV file, a command's output), newlines, tabs
    and CRLF line ends are kept; everything else that could drive a terminal is escaped.
    """
    value = text if isinstance(text, str) else str(text)
    if value.isascii() and value.isprintable():   # the usual case, and much cheaper than the regex
        return value
    pattern = _UNSAFE_IN_LAYOUT if layout else _UNSAFE
    return pattern.sub(_escape, value) if pattern.search(value) else value


def json_safe(text: str) -> str:
    """JSON text (from ``json.dumps(..., ensure_ascii=False)``) with the characters json leaves
    raw written as ``\\uXXXX``: the same data once parsed, and nothing that drives a terminal.
    Outside its strings JSON is plain ASCII, so only string contents change."""
    if text.isascii() and "\x7f" not in text:
        return text
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class VisibleStream:
    """A text stream whose writes pass through :func:`visible` (layout kept): the CLI's stdout
    and stderr, so nothing any command prints can drive the terminal. ``unfiltered`` is the
    stream itself, for the rare write that is a terminal control on purpose (a progress bar)."""

    def __init__(self, stream: Any):
        self.unfiltered = stream

    def write(self, text: str) -> int:
        self.unfiltered.write(visible(text, layout=True))
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.unfiltered, name)


class VisibleWriter:
    """A buffered text writer for files of data (CSV exports): what is written reaches ``out``
    through :func:`visible` (layout kept), 64 KB at a time so the escaping costs one regex pass
    per block, not per row. Call :meth:`flush` at the end."""

    BLOCK = 65536

    def __init__(self, out: Any):
        self.out = out
        self._parts: list[str] = []
        self._size = 0

    def write(self, text: str) -> int:
        self._parts.append(text)
        self._size += len(text)
        if self._size >= self.BLOCK:
            self.flush(final=False)
        return len(text)

    def flush(self, final: bool = True) -> None:
        if self._parts:
            text = "".join(self._parts)
            held = "\r" if not final and text.endswith("\r") else ""   # a CRLF never split between blocks
            self.out.write(visible(text[:len(text) - len(held)], layout=True))
            self._parts, self._size = ([held], 1) if held else ([], 0)


def fold_digits(text: str) -> str:
    """Decimal digits of any script as ASCII: ``'９٤3'`` -> ``'943'``; nothing else changes."""
    if text.isascii():
        return text
    return _ANY_DIGIT.sub(lambda m: str(unicodedata.decimal(m.group())), text)


def canonical(text: str) -> str:
    """The NFC form, so that the same identifier typed twice is stored the same way."""
    return unicodedata.normalize("NFC", text)


def identity_key(text: object) -> str:
    """What two identifiers are compared by to find a near-duplicate: ``'D１'``, ``'d 1'``
    and ``'D\u200b1'`` all give ``'d1'``.

    NFKC (full-width and other compatibility forms become their plain letters and digits),
    then every space and invisible format character (zero-width space and joiners, BOM,
    soft hyphen, direction marks) removed, then case folded. Only for comparing: what is
    stored is what was typed (:func:`canonical`).
    """
    value = unicodedata.normalize("NFKC", text if isinstance(text, str) else str(text))
    if not value.isascii():
        value = "".join(ch for ch in value if unicodedata.category(ch) != "Cf")
    return "".join(value.split()).casefold()
