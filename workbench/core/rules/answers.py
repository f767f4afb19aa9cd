"""Checking one answer against its question, with a plain reason when it does not fit.

Answer values: yesno -> "yes"/"no"; choice -> an option value; multi -> a list of
option values (in option order); number -> int; code -> a code string, or a list
of code strings when the question allows several.
"""

from __future__ import annotations

from workbench.core.rules.codes import (
    LATERALITY,
    in_scope,
    is_category,
    normalise_complete,
    slot_takes,
)
from workbench.core.rules.model import AnswerError, Question

_YES = {"yes", "y", "true"}
_NO = {"no", "n", "false"}


def check_answer(question: Question, value: object) -> object:
    """The normalised answer, or :class:`AnswerError` saying what would fit."""
    kind = question.kind
    if kind == "yesno":
        if isinstance(value, bool):
            return "yes" if value else "no"
        text = str(value).strip().lower()
        if text in _YES:
            return "yes"
        if text in _NO:
            return "no"
        raise AnswerError(f"answer yes or no, not '{value}'")
    if kind == "choice":
        text = str(value).strip()
        if question.option(text) is None:
            raise AnswerError(f"'{value}' is not one of: {_values(question)}")
        return text
    if kind == "multi":
        items = _as_list(value)
        if not items:
            raise AnswerError(f"choose at least one of: {_values(question)}")
        for item in items:
            if question.option(item) is None:
                raise AnswerError(f"'{item}' is not one of: {_values(question)}")
        if len(set(items)) != len(items):
            raise AnswerError("an option is chosen twice")
        return [o.value for o in question.options if o.value in items]
    if kind == "number":
        return _number(question, value)
    if kind == "code":
        items = _as_list(value)
        if not items:
            raise AnswerError("enter a code")
        if len(items) > 1 and not question.several:
            raise AnswerError("enter one code only")
        codes = [_code(question, item) for item in items]
        if len(set(codes)) != len(codes):
            raise AnswerError("a code is entered twice")
        return codes if question.several else codes[0]
    raise AnswerError(f"unknown question kind '{kind}'")


def _values(question: Question) -> str:
    return ", ".join(o.value for o in question.options)


def _as_list(value: object) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in str(value).split(",") if part.strip()]


def _number(question: Question, value: object) -> int:
    if isinstance(value, bool):
        raise AnswerError("enter a whole number")
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        if not text.lstrip("-").isdecimal():
            raise AnswerError(f"enter a whole number, not '{value}'")
        number = int(text)
    if question.minimum is not None and number < question.minimum:
        raise AnswerError(f"enter {question.minimum} or more")
    if question.maximum is not None and number > question.maximum:
        raise AnswerError(f"enter {question.maximum} or less")
    return number


def _code(question: Question, text: str) -> str:
    # "I10" or "I10X" may be complete: the validation edits ask the loaded classification.
    code = normalise_complete(text)
    if code is None:
        raise AnswerError(f"'{text}' is not a code (e.g. K25.1)")
    if is_category(code):
        raise AnswerError(f"{code} is a category: enter the full code with its 4th character")
    if question.code_scope and not slot_takes(code, question.code_scope, question.classification):
        if code.startswith(LATERALITY) and in_scope(code, question.code_scope):
            raise AnswerError(f"{code} is the side, not a site: enter the site code here and add {code} "
                              "after it in the review")
        raise AnswerError(f"{code} is outside {', '.join(question.code_scope)}")
    return code
