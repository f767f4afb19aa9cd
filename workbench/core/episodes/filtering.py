"""The log screen's one-line filter, read into query arguments the indexes can answer.

Each word is recognised by its form, so the query is an index walk, never a scan:
- a code (``L80.4``, ``l804``, ``L80``, ``i500``) -> code; ``IPG75`` -> guidance;
- ``2024-03-01`` -> that day; ``2024-03`` -> that month; ``2024`` -> that year;
- ``final``, ``amended``, ``voided`` -> status; 10 digits -> NHS number;
- anything else must equal the patient identifier or the episode reference.
"""

from __future__ import annotations

import calendar
import re
from typing import Any

from workbench.core.episodes.model import STATUSES, LogError
from workbench.core.episodes.queries import normalise_code_filter
from workbench.core.episodes.validate import normalise_nhs_number, parse_date

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_YEAR = re.compile(r"(19|20)\d{2}")
_GUIDANCE = re.compile(r"ipg\s*\d+", re.IGNORECASE)
_NHS = re.compile(r"\d{10}")


def parse_filter(text: str) -> dict[str, Any]:
    """Keyword arguments for :meth:`EpisodeLog.list`; raises LogError for a word that
    looks like a date or code but is not a real one."""
    found: dict[str, Any] = {}
    words: list[str] = []
    for word in text.split():
        lower = word.lower()
        if lower in STATUSES:
            found["status"] = lower
        elif _GUIDANCE.fullmatch(word):
            found["guidance"] = word
        elif _DAY.fullmatch(word):
            found["since"] = found["until"] = parse_date(word, "date").isoformat()
        elif (month := _MONTH.fullmatch(word)) and 1 <= int(month.group(2)) <= 12:
            year, number = int(month.group(1)), int(month.group(2))
            last = calendar.monthrange(year, number)[1]
            found["since"], found["until"] = f"{word}-01", f"{word}-{last:02d}"
        elif _YEAR.fullmatch(word):
            found["since"], found["until"] = f"{word}-01-01", f"{word}-12-31"
        elif _NHS.fullmatch(word):
            found["nhs"] = normalise_nhs_number(word)
        elif _is_code(word):
            found["code"] = word
        else:
            words.append(word)
    if words:
        found["words"] = words
    return found


def _is_code(word: str) -> bool:
    try:
        normalise_code_filter(word)
    except LogError:
        return False
    return True


def first_page(log: Any, text: str, limit: int) -> tuple[list, dict[str, Any]]:
    """The first page for ``text`` and the arguments that produced it (reuse them with
    ``after`` for later pages). A word shaped like a code without its dot (``E42``) may
    be an episode reference: when it finds nothing as a code, it is tried as one."""
    arguments = parse_filter(text)
    page = log.list(limit=limit, **arguments)
    word = arguments.get("code")
    if page or not word or "." in word:
        return page, arguments
    retry = {key: value for key, value in arguments.items() if key != "code"}
    retry["words"] = [*retry.get("words", []), word]
    again = log.list(limit=limit, **retry)
    return (again, retry) if again else (page, arguments)
