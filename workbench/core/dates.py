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


def show_day(when: dt.date | None, today: dt.date | None = None) -> str:
    """``today``, ``yesterday``, or the date as :func:`show_date` writes it."""
    if when is None:
        return ""
    days = ((today or dt.date.today()) - when).days
    return "today" if days == 0 else "yesterday" if days == 1 else show_date(when)


def shown_time(when: dt.datetime) -> str:
    """``20 Nov 2025 14:05`` in local time: a date as :func:`show_date` writes it, and the time."""
    local = when.astimezone() if when.tzinfo is not None else when
    return f"{show_date(local.date())} {local:%H:%M}"


_DAYS = re.compile(r"(\d{1,4})\s*(d|day|days|w|wk|week|weeks)?")


def parse_days(text: str) -> int:
    """A span of days as coders write it: ``7d``, ``7``, ``2w``, ``10 days``."""
    match = _DAYS.fullmatch(str(text).strip().lower())
    if not match:
        raise DateError("must be a number of days or weeks, e.g. 7d or 2w")
    number = int(match.group(1))
    return number * 7 if (match.group(2) or "d").startswith("w") else number


_MONTH = re.compile(r"(\d{4})-(\d{1,2})|(\d{1,2})/(\d{4})")
_YEAR = re.compile(r"(19|20)\d{2}")
_RANGE_WORDS = {"from": "since", "since": "since", "after": "since", "to": "until", "until": "until",
                "till": "until", "before": "until"}


def looks_like_date(word: str) -> bool:
    """Whether a filter word is meant as a date (so a bad one is reported, not searched for)."""
    lower = word.lower()
    return (lower in ("today", "yesterday") or bool(_ISO.fullmatch(lower)) or bool(_UK.fullmatch(lower))
            or bool(_MONTH.fullmatch(lower)) or bool(_YEAR.fullmatch(lower)))


def take_date_range(words: list[str], today: dt.date | None = None
                    ) -> tuple[dt.date | None, dt.date | None, list[str]]:
    """The date range a filter's words name, and the words left over.

    The one reading of dates in a filter box (the worklist's and the log's): a day in any
    form :func:`parse_coder_date` takes (``14/11/2025``, ``2025-11-14``, ``today``), a month
    (``2025-11``, ``11/2025``), a year (``2025``), ``from D``, ``to D`` (also ``since``,
    ``until``), and ``D to D``. Raises :class:`DateError` for a word meant as a date that
    names none.
    """
    since = until = None
    rest: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        lower = word.lower()
        nxt = words[i + 1] if i + 1 < len(words) else None
        if lower in _RANGE_WORDS and nxt is not None and looks_like_date(nxt):
            first, last = _span(nxt, today)
            if _RANGE_WORDS[lower] == "since":
                since = first
            else:
                until = last
            i += 2
            continue
        if looks_like_date(word):
            first, last = _span(word, today)
            since, until = first, last
            i += 1
            continue
        rest.append(word)
        i += 1
    if since and until and since > until:
        raise DateError("the range ends before it starts")
    return since, until, rest


def _span(word: str, today: dt.date | None) -> tuple[dt.date, dt.date]:
    """The first and last day a date word names (a day, a month, a year)."""
    import calendar

    lower = word.lower()
    if match := _MONTH.fullmatch(lower):
        year = int(match.group(1) or match.group(4))
        month = int(match.group(2) or match.group(3))
        if not 1 <= month <= 12:
            raise DateError("not a real calendar month")
        return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])
    if _YEAR.fullmatch(lower):
        return dt.date(int(lower), 1, 1), dt.date(int(lower), 12, 31)
    day = parse_coder_date(word, today)
    return day, day
