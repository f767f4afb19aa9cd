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

# C0 and C1 controls, DEL, lone surrogates, line/paragraph separators, and the
# invisible direction marks and overrides that can reorder what a terminal shows.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff"
                     "\ud800-\udfff]")
_ANY_DIGIT = re.compile(r"\d")        # str patterns: \d is every Unicode decimal digit


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(text: object) -> str:
    """``text`` with every control or invisible format character written as an escape."""
    value = text if isinstance(text, str) else str(text)
    if value.isascii() and value.isprintable():   # the usual case, and much cheaper than the regex
        return value
    return _UNSAFE.sub(_escape, value)


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
