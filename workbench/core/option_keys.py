"""The key that answers each option of a question: the same answer has the same key in every pack.

A coder answers a wizard by pressing the key shown beside an option: 1-9, then 0, then letters.
Keys that depend only on an option's place in its list make the same answer a different key
from one pack to another (fluoroscopy was 5 in IPG655 and 4 in IPG75), and a fast coder's
habit then picks the wrong code. So answers that mean the same everywhere have fixed keys:

- image control, by code: Y53.1-Y53.9 are 1-9 (the method's 4th character), Y68.1, Y68.8 and
  Y68.9 are a, b, c; "no image control used" (`none`) is 0;
- laterality, by code: right Z94.2 is 1, left Z94.3 is 2, both sides Z94.1 is 3, one side not
  stated Z94.4 is 4; "not a paired organ" (`not_paired`) is 0;
- "not stated / not documented" (values `not_stated`, `not_documented`, `not_recorded`) is 9,
  as the unspecified .9 codes are; "none" (`none`) is 0.

Every other option takes the first key no fixed answer holds, in list order. The linter checks
that no two options of a question claim one key and that a list reads in key order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:   # kept out of the import: the app's key table reads KEY_SEQUENCE at start-up
    from workbench.core.rules.model import Question

#: The keys in the order options take them (j and k move in lists, so they are skipped).
KEY_SEQUENCE = "1234567890abcdefghilmnopqrstuvwxyz"

KEYS_BY_CODE: dict[str, str] = {
    **{f"Y53.{d}": str(d) for d in range(1, 10)},
    "Y68.1": "a", "Y68.8": "b", "Y68.9": "c",
    "Z94.2": "1", "Z94.3": "2", "Z94.1": "3", "Z94.4": "4",
}
KEYS_BY_VALUE: dict[str, str] = {
    "none": "0", "not_paired": "0",
    "not_stated": "9", "not_documented": "9", "not_recorded": "9",
}


def fixed_key(question: Question, index: int) -> str | None:
    """The key an option always has wherever it appears, or None when its place decides."""
    option = question.options[index]
    if len(option.codes) == 1 and option.codes[0] in KEYS_BY_CODE:
        return KEYS_BY_CODE[option.codes[0]]
    if question.kind in ("choice", "multi"):
        return KEYS_BY_VALUE.get(option.value)
    return None


def option_keys(question: Question) -> list[str]:
    """The key of every option of a question, in option order (" " when the keys run out).

    Fixed keys first; a second option claiming a fixed key, and every other option, takes the
    first key left in :data:`KEY_SEQUENCE`."""
    keys: list[str | None] = [fixed_key(question, i) for i in range(len(question.options))]
    taken: set[str] = set()
    for i, key in enumerate(keys):
        if key is not None and key in taken:
            keys[i] = None            # a clash: the linter reports it; the option still gets a key
        elif key is not None:
            taken.add(key)
    free = (k for k in KEY_SEQUENCE if k not in taken)
    return [key if key is not None else next(free, " ") for key in keys]


def key_problems(question: Question) -> list[str]:
    """Why a question's keys are not the same as everywhere else (for the linter)."""
    problems = []
    claimed: dict[str, str] = {}
    for index, option in enumerate(question.options):
        key = fixed_key(question, index)
        if key is None:
            continue
        if key in claimed:
            problems.append(f"options '{claimed[key]}' and '{option.value}' of '{question.template_id}' both "
                            f"mean the answer whose key is {key} in every pack")
        claimed.setdefault(key, option.value)
    keys = option_keys(question)
    order = [KEY_SEQUENCE.index(k) for k in keys if k in KEY_SEQUENCE]
    if order != sorted(order):
        listed = ", ".join(f"{k} {o.value}" for k, o in zip(keys, question.options, strict=True))
        problems.append(f"the options of '{question.template_id}' are not listed in key order ({listed}): "
                        "list them so that the keys read 1, 2, 3 ... as elsewhere")
    return problems
