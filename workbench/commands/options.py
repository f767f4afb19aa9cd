"""Argument types for numbers, range-checked before anything reaches SQLite.

SQLite integers are 64-bit: a larger id or limit would raise OverflowError deep in
a query. The messages never repeat what was typed (argparse adds the option name).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from workbench.commands import UserError
from workbench.core.safetext import fold_digits

MAX_ID = 2**63 - 1          # the largest SQLite integer
MAX_LIMIT = 1_000_000       # more rows than any screen or script wants in one go


def whole_number(minimum: int, maximum: int, what: str) -> Callable[[str], int]:
    """An argparse ``type`` accepting whole numbers from ``minimum`` to ``maximum``."""

    def parse(text: str) -> int:
        cleaned = fold_digits(text.strip())
        if not cleaned.isascii() or not cleaned.lstrip("+-").isdigit() or len(cleaned) > 30:
            raise argparse.ArgumentTypeError(f"{what} must be a whole number")
        value = int(cleaned)
        if not minimum <= value <= maximum:
            raise argparse.ArgumentTypeError(f"{what} must be from {minimum} to {maximum:,}")
        return value

    parse.__name__ = what       # argparse names the type in some messages
    return parse


#: An episode or draft id.
record_id = whole_number(1, MAX_ID, "an id")
#: How many rows to show.
limit = whole_number(1, MAX_LIMIT, "the limit")


def coder_date(text: str | None, what: str) -> Any:
    """A date as coders type it (``parse_coder_date``), None when not given; a bad one is a
    one-line UserError naming the option ``what``."""
    if not text:
        return None
    from workbench.core.dates import DateError, parse_coder_date

    try:
        return parse_coder_date(text)
    except DateError as exc:
        raise UserError(f"{what}: {exc}") from None


def log_action(action: Callable[[], Any]) -> Any:
    """Run ``action`` against the log; the log's refusals (LogError) become one-line UserErrors."""
    from workbench.core.episodes import LogError

    try:
        return action()
    except LogError as exc:
        raise UserError(str(exc)) from None
