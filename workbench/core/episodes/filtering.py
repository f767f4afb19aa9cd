"""The log screen's one-line filter, read into query arguments the indexes can answer.

Each word is recognised by its form, so the query is an index walk, never a scan:
- a code (``L80.4``, ``l804``, ``L80``, ``i500``) -> code; ``IPG75`` -> guidance;
- dates as everywhere else (:func:`workbench.core.dates.take_date_range`): ``14/11/2025``,
  ``2024-03-01`` or ``today`` -> that day; ``2024-03`` -> that month; ``2024`` -> that year;
  ``from 10/11/2025 to 15/11/2025``, ``from D``, ``to D``;
- ``final``, ``amended``, ``voided`` -> status; 10 digits -> NHS number;
- anything else must equal the patient identifier or the episode reference.
"""

from __future__ import annotations

import re
from typing import Any

from workbench.core.episodes.model import STATUSES, LogError
from workbench.core.episodes.queries import normalise_code_filter
from workbench.core.episodes.validate import normalise_nhs_number

_GUIDANCE = re.compile(r"ipg\s*\d+", re.IGNORECASE)
_NHS = re.compile(r"\d{10}")


def parse_filter(text: str) -> dict[str, Any]:
    """Keyword arguments for :meth:`EpisodeLog.list`; raises LogError for a word that
    looks like a date or code but is not a real one."""
    from workbench.core.dates import DateError, take_date_range

    found: dict[str, Any] = {}
    words: list[str] = []
    try:
        since, until, rest = take_date_range(text.split())
    except DateError as exc:
        raise LogError(f"date: {exc}") from None
    if since:
        found["since"] = since.isoformat()
    if until:
        found["until"] = until.isoformat()
    for word in rest:
        lower = word.lower()
        if lower in STATUSES:
            found["status"] = lower
        elif _GUIDANCE.fullmatch(word):
            found["guidance"] = word
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
