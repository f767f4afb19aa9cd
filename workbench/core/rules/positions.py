"""A pack's position rules: a code kept in a fixed place, or straight after another code.

V55.- levels-of-spine codes go in second place every time a spinal operation is coded
(IPG365, IPG319); an ultrasound-control code goes straight after the main code (IPG437).
The wizard emits codes in order already; these checks catch a coder's later reordering.
They return :class:`EditResult` objects so the validation edits can report them beside
their own (``run_edits`` plus :func:`position_edits`).
"""

from __future__ import annotations

from workbench.core.rules.codes import OPCS4, in_scope, normalise_code
from workbench.core.rules.model import EditResult, Pack, Position


def _matches(code: str, entries: tuple[str, ...]) -> bool:
    return in_scope(code, [e.rstrip("-").rstrip(".") for e in entries])


def _names(entries: tuple[str, ...]) -> str:
    return " or ".join(entries)


def position_edits(pack: Pack | None, procedures: list[str]) -> list[EditResult]:
    """Every position rule of ``pack`` that the procedure list breaks (errors)."""
    if pack is None or not pack.positions:
        return []
    codes = [normalise_code(str(c)) or str(c) for c in procedures]
    out: list[EditResult] = []
    for rule in pack.positions:
        for index, code in enumerate(codes):
            if not _matches(code, rule.codes):
                continue
            problem = _problem(rule, codes, index)
            if problem:
                out.append(EditResult("code-position", "error", f"OPCS-4 {code} {problem}: {rule.reason}",
                                      index + 1, OPCS4))
    return out


def _problem(rule: Position, codes: list[str], index: int) -> str:
    if rule.place is not None and index + 1 != rule.place:
        return f"must be in position {rule.place}, not {index + 1}"
    if rule.after and (index == 0 or not _matches(codes[index - 1], rule.after)):
        return f"must come straight after {_names(rule.after)}"
    return ""
