"""Dates as coders and hospital systems write them, and one way to show them back.

Accepted everywhere a date is typed (the CLI, the review form, worklist files):

* ``dd/mm/yyyy`` and ``d/m/yyyy`` (UK order; ``.`` or ``-`` also separate the parts),
* ``d/m/yy``: a two-digit year is this century unless that would be in the future,
* ``yyyy-mm-dd`` (ISO 8601),
* ``today`` and ``yesterday``.

US order (month first) is never guessed: ``11/20/2025`` is refused, not swapped.
Dates are shown back as ``20 Nov 2025``, which no reader can take for another day.
"""

from __future__ import annotations

import datetime as dt
import re

#: How the form and the help describe what may be typed.
ACCEPTED = "dd/mm/yyyy, yyyy-mm-dd, today or yesterday"

_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_UK = re.compile(r"(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class DateError(ValueError):
    """The text is not a date; the message says what may be typed and never repeats the text."""


def parse_coder_date(text: str | dt.date, today: dt.date | None = None) -> dt.date:
    """The calendar date ``text`` names; raises :class:`DateError` when it names none."""
    if isinstance(text, dt.datetime):
        return text.date()
    if isinstance(text, dt.date):
        return text
    value = str(text).strip().lower()
    today = today or dt.date.today()
    if value == "today":
        return today
    if value == "yesterday":
        return today - dt.timedelta(days=1)
    if match := _ISO.fullmatch(value):
        year, month, day = (int(part) for part in match.groups())
    elif match := _UK.fullmatch(value):
        day, month = int(match.group(1)), int(match.group(3))
        year = _full_year(match.group(4), today)
    else:
        raise DateError(f"must be a date written {ACCEPTED}")
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise DateError("not a real calendar date") from None


def _full_year(digits: str, today: dt.date) -> int:
    if len(digits) == 4:
        return int(digits)
    year = 2000 + int(digits)
    # Episodes are in the past: "01/01/99" is 1999, not 2099.
    return year if year <= today.year else year - 100


def show_date(when: dt.date | str | None) -> str:
    """``20 Nov 2025``: day, month name, four-digit year; empty for no date."""
    if when is None or when == "":
        return ""
    if isinstance(when, str):
        when = parse_coder_date(when)
    return f"{when.day} {_MONTHS[when.month - 1]} {when.year}"
