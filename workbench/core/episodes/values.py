"""Does every stored value parse? Used by verify, and by readers that must skip a bad row.

A value changed outside the app (``UPDATE episode SET start_date = '31/12/2025'``,
broken JSON, a BLOB where text belongs) must be named by episode, never crash a reader.
"""

from __future__ import annotations

import datetime as dt
import json
import re

from workbench.core.episodes.model import STATUSES

_HASH = re.compile(r"[0-9a-f]{64}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
READ_ERRORS = (ValueError, TypeError, KeyError, AttributeError, IndexError, UnicodeError)


def _text(value: object, *, required: bool = True) -> bool:
    return isinstance(value, str) and (bool(value.strip()) or not required)


def episode_problems(patient: object, nhs: object, ref: object, date: object, specialty: object,
                     end_date: object = None) -> list[str]:
    problems = []
    if not _text(patient):
        problems.append("its stored patient is empty or not text")
    if nhs is not None and not (isinstance(nhs, str) and len(nhs) == 10 and nhs.isascii() and nhs.isdigit()):
        problems.append("its stored NHS number is not 10 digits")
    if not _text(ref):
        problems.append("its stored episode reference is empty or not text")
    if not (isinstance(date, str) and _DATE.fullmatch(date) and _is_date(date)):
        problems.append("its stored start date is not a YYYY-MM-DD date")
    if specialty is not None and not isinstance(specialty, str):
        problems.append("its stored specialty is not text")
    if end_date is not None and not (isinstance(end_date, str) and _DATE.fullmatch(end_date) and _is_date(end_date)):
        problems.append("its stored discharge date is not a YYYY-MM-DD date")
    return problems


def version_problems(number: object, status: object, answers: object, overrides: object, coder: object,
                     saved_at: object, prev_hash: object, stored_hash: object) -> list[str]:
    problems = []
    if not isinstance(number, int) or number < 1:
        problems.append("a stored version number is not a positive whole number")
    if status not in STATUSES:
        problems.append("a stored status is not final, amended or voided")
    if not isinstance(_json(answers), dict):
        problems.append("its stored answers are not a JSON object")
    parsed = _json(overrides)
    if not (isinstance(parsed, list) and all(isinstance(o, list) and len(o) == 2 for o in parsed)):
        problems.append("its stored overrides are not a JSON list of [edit, reason]")
    if not _text(coder):
        problems.append("a stored coder is empty or not text")
    if not (isinstance(saved_at, str) and _is_timestamp(saved_at)):
        problems.append("a stored saved_at is not a date and time")
    for name, value in (("prev_hash", prev_hash), ("hash", stored_hash)):
        if not (isinstance(value, str) and _HASH.fullmatch(value)):
            problems.append(f"a stored {name} is not a 64-character hex digest")
    return problems


def code_problems(codes: list[tuple]) -> list[str]:
    for kind, position, code, classification, edition, *_mark in codes:
        if kind not in ("procedure", "diagnosis") or not isinstance(position, int) \
                or not _text(code) or not _text(classification) or not isinstance(edition, str):
            return ["a stored code row is malformed"]
    return []


def _json(value: object) -> object:
    if not isinstance(value, str):
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None


def _is_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _is_timestamp(text: str) -> bool:
    try:
        dt.datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


class FastChecks:
    """The same verdicts as the functions above for a verify pass over every row, remembering
    values already found good (dates, JSON texts, code rows repeat across a log). Only "all
    good" is answered here; for anything else the functions above say what is wrong."""

    LIMIT = 100_000

    def __init__(self) -> None:
        self._dates: set[str] = set()
        self._json: set[str] = {"{}", "[]"}
        self._codes: set[tuple] = set()

    def episode_ok(self, patient: object, nhs: object, ref: object, date: object, specialty: object,
                   end_date: object = None) -> bool:
        return (type(patient) is str and type(ref) is str and patient.strip() != "" and ref.strip() != ""
                and (nhs is None or (type(nhs) is str and len(nhs) == 10 and nhs.isascii() and nhs.isdigit()))
                and (specialty is None or type(specialty) is str) and self._date_ok(date)
                and (end_date is None or self._date_ok(end_date)))

    def _date_ok(self, date: object) -> bool:
        if date in self._dates:
            return True
        if isinstance(date, str) and _DATE.fullmatch(date) and _is_date(date):
            if len(self._dates) < self.LIMIT:
                self._dates.add(date)
            return True
        return False

    def version_ok(self, number: object, status: object, answers: object, overrides: object,
                   coder: object, saved_at: object) -> bool:
        """Everything version_problems checks but the two hashes (the chain pass checks those)."""
        return (type(number) is int and number >= 1 and status in STATUSES and type(coder) is str
                and coder.strip() != "" and type(saved_at) is str and _is_timestamp(saved_at)
                and self._json_ok(answers, dict) and self._json_ok(overrides, list))

    def _json_ok(self, text: object, kind: type) -> bool:
        if text in self._json:
            return text[:1] == ("{" if kind is dict else "[")
        parsed = _json(text)
        good = isinstance(parsed, kind) and (kind is dict or all(isinstance(o, list) and len(o) == 2 for o in parsed))
        if good and len(self._json) < self.LIMIT:
            self._json.add(text)
        return good

    def codes_ok(self, codes: list[tuple]) -> bool:
        known = self._codes
        for row in codes:
            if row not in known:
                if code_problems([row]):
                    return False
                if len(known) < self.LIMIT:
                    known.add(row)
        return True
