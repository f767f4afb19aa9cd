"""Checks on what a coder types: NHS numbers, dates, who is coding.

Messages name the field that is wrong and never repeat what was typed, because
what was typed may identify a patient.
"""

from __future__ import annotations

import datetime as dt
import operator
import re

from workbench.core.episodes.identity import Coder, current_coder
from workbench.core.episodes.model import EpisodeDetails, LogError
from workbench.core.safetext import canonical, fold_digits

_WEIGHTS = range(10, 1, -1)


def nhs_number_is_valid(digits: str) -> bool:
    """The modulus-11 check: weights 10..2 over the first nine digits give the tenth.

    ASCII digits only (callers fold other scripts first); ten of the same digit
    (0000000000 passes the arithmetic) is never issued and is refused.
    """
    if len(digits) != 10 or not digits.isascii() or not digits.isdigit() or len(set(digits)) == 1:
        return False
    total = sum(map(operator.mul, map(int, digits[:9]), _WEIGHTS))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def normalise_nhs_number(text: str | None) -> str | None:
    """"943 476 5919" -> "9434765919"; blank -> None; anything invalid raises LogError."""
    if text is None:
        return None
    digits = fold_digits(re.sub(r"[\s-]", "", text))
    if not digits:
        return None
    if len(digits) != 10 or not digits.isascii() or not digits.isdigit():
        raise LogError("NHS number: must be 10 digits")
    if len(set(digits)) == 1:
        raise LogError("NHS number: ten identical digits is not an issued NHS number")
    if not nhs_number_is_valid(digits):
        raise LogError("NHS number: the check digit does not match (mistyped?)")
    return digits


def parse_date(text: str | dt.date, field: str = "date") -> dt.date:
    """A calendar date as coders write it (see :mod:`workbench.core.dates`)."""
    from workbench.core.dates import DateError, parse_coder_date

    try:
        return parse_coder_date(text)
    except DateError as exc:
        raise LogError(f"{field}: {exc}") from None


def detail_problem(field: str, value: str, today: dt.date | None = None) -> str:
    """A short message for one field of the episode form as it is typed; empty when usable.

    ``field`` is one of patient, episode, date, nhs, sex, age. The same rules as
    checked_details, worded for a message beside the field.
    """
    value = value.strip()
    if field in ("sex", "age"):
        try:
            normalise_sex(value) if field == "sex" else checked_age(value)
        except LogError:
            return "m or f" if field == "sex" else "whole years, 0 to 130"
        return ""
    if field in ("patient", "episode"):
        return "" if value else "required"
    if field == "date":
        from workbench.core.dates import DateError, parse_coder_date

        if not value:
            return "required (dd/mm/yyyy)"
        try:
            when = parse_coder_date(value, today)
        except DateError as exc:
            return "not a real date" if "calendar" in str(exc) else "not a date: use dd/mm/yyyy"
        return "in the future" if when > (today or dt.date.today()) else ""
    if field == "nhs" and value:
        digits = fold_digits(re.sub(r"[\s-]", "", value))
        if len(digits) != 10 or not digits.isascii() or not digits.isdigit():
            return "10 digits"
        if len(set(digits)) == 1:
            return "not an issued NHS number"
        if not nhs_number_is_valid(digits):
            return "check digit is wrong"
    return ""


def checked_details(details: EpisodeDetails) -> EpisodeDetails:
    """The details with text trimmed and the NHS number normalised; LogError names a bad field."""
    # NFC: the same identifier typed with combining accents or precomposed is stored alike.
    patient = canonical(details.patient or "").strip()
    episode = canonical(details.episode or "").strip()
    if not patient:
        raise LogError("patient: a local patient identifier is required")
    if not episode:
        raise LogError("episode: an episode reference is required")
    specialty = canonical(details.specialty or "").strip() or None
    when = parse_date(details.date, "date")
    if when > dt.date.today():
        raise LogError("date: the episode start date is in the future")
    end = parse_date(details.end_date, "discharge date") if details.end_date else None
    if end is not None and end < when:
        raise LogError("discharge date: before the episode start date")
    return EpisodeDetails(patient=patient, episode=episode,
                          date=when,
                          nhs_number=normalise_nhs_number(details.nhs_number),
                          specialty=specialty, sex=normalise_sex(details.sex), age=checked_age(details.age),
                          fce=_short_text(details.fce, "FCE number"), end_date=end,
                          consultant=_short_text(details.consultant, "consultant"))


def _short_text(value: object, field: str) -> str | None:
    """Optional one-line text (FCE number, consultant): NFC, trimmed, at most 100 characters."""
    text = canonical(str(value or "")).strip()
    if len(text) > 100 or any(ch in text for ch in "\r\n"):
        raise LogError(f"{field}: one line of at most 100 characters")
    if field == "FCE number" and text.isascii() and text.isdigit():
        text = str(int(text))
    return text or None


_SEXES = {"m": "male", "male": "male", "f": "female", "female": "female"}


def normalise_sex(text: str | None) -> str | None:
    """'M', 'male', 'F', 'female' -> 'male' / 'female'; blank -> None (not given)."""
    if text is None or not str(text).strip():
        return None
    sex = _SEXES.get(str(text).strip().lower())
    if sex is None:
        raise LogError("sex: give male or female (m or f), or leave it out")
    return sex


def checked_age(value: int | str | None) -> int | None:
    """Age in whole years at the episode start, 0 to 130; blank -> None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or int(text) > 130:
        raise LogError("age: give the age at the episode start in whole years (0 to 130)")
    return int(text)


def resolve_coder() -> Coder:
    """Who is coding: the OS login of this process, with the config's display name and
    coder id as labels (see :mod:`workbench.core.episodes.identity`). Nothing typed for
    one command (an option, an environment variable) changes it. LogError for a
    config file that cannot be used."""
    from workbench.core.paths import ConfigError

    try:
        return current_coder()
    except ConfigError as exc:
        raise LogError(str(exc)) from None
