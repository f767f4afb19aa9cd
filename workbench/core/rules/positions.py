"""A pack's position rules: a code kept in a fixed place, straight after another code, or after it.

V55.- levels-of-spine codes go in second place every time a spinal operation is coded
(IPG365, IPG319), or straight after each chapter V operation when there are several (IPG387);
an ultrasound-control code goes straight after the main code (IPG437); E20.4 is a secondary
code after a tonsillectomy code when the episode has one (IPG328: a rule with `when`).
The wizard emits codes in order already; these checks catch a coder's later reordering and
codes placed by hand. They return :class:`EditResult` objects so the validation edits can
report them beside their own (``run_edits`` plus :func:`position_edits`).
"""

from __future__ import annotations

from workbench.core.rules.codes import OPCS4, in_scope, normalise_code
from workbench.core.rules.conditions import holds
from workbench.core.rules.model import EditResult, EpisodeCodes, Pack, Position


def _matches(code: str, entries: tuple[str, ...]) -> bool:
    return in_scope(code, [e.rstrip("-").rstrip(".") for e in entries])


def _names(entries: tuple[str, ...]) -> str:
    return " or ".join(f"a chapter {e} code" if len(e) == 1 else e for e in entries)


def position_edits(pack: Pack | None, procedures: list[str], diagnoses: list[str] | None = None) -> list[EditResult]:
    """Every position rule of ``pack`` that the procedure list breaks (errors).

    A rule's ``when`` tests the whole sequence given (procedures and ``diagnoses``)."""
    if pack is None or not pack.positions:
        return []
    codes = [normalise_code(str(c)) or str(c) for c in procedures]
    episode = EpisodeCodes(tuple(codes), tuple(diagnoses or ()))
    out: list[EditResult] = []
    for rule in pack.positions:
        if rule.when is not None and holds(rule.when, lambda _q: ("open", None), episode) is not True:
            continue
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
    if rule.after:
        # The code before must be one of `after` and not itself one the rule places (V55.1 does
        # not count as the chapter V operation its own V55 code follows).
        before = codes[index - 1] if index else None
        if before is None or not _matches(before, rule.after) or _matches(before, rule.codes):
            return f"must come straight after {_names(rule.after)}"
    if rule.secondary_to and not any(_matches(c, rule.secondary_to) for c in codes[:index]):
        return f"must come after {_names(rule.secondary_to)}"
    return ""
