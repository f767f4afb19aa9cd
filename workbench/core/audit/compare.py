"""Comparing a coder's coding with the auditor's, by the four code types of the NHS
clinical coding audit methodology.

- Primary diagnosis and primary procedure are compared by position: the first code of
  each list. Each episode with a primary on either side counts once.
- Secondary diagnoses and secondary procedures are compared as sets (order does not
  matter): each of the auditor's secondary codes counts once, and so does each code the
  coder added that the auditor did not (an extra code). A code is right when the coder
  recorded it anywhere in the list, except where it is already the auditor's primary.
- A sequencing difference (the auditor's primary is in the coder's list, but not first)
  is counted once, against the primary; the codes involved are not counted again as
  missing or extra secondaries.
- Codes the two sides disagree on are paired when they share a category (a wrong 4th
  character) or a chapter (a wrong code); the rest are missing or extra codes.
Dagger and asterisk marks are not compared (the code is); chapter Z site codes and Y
method codes are secondary procedures like any other, and external cause and morphology
codes secondary diagnoses.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

PRIMARY_DIAGNOSIS, SECONDARY_DIAGNOSIS = "primary_diagnosis", "secondary_diagnosis"
PRIMARY_PROCEDURE, SECONDARY_PROCEDURE = "primary_procedure", "secondary_procedure"
CODE_TYPES = (PRIMARY_DIAGNOSIS, SECONDARY_DIAGNOSIS, PRIMARY_PROCEDURE, SECONDARY_PROCEDURE)
TYPE_TITLES = {PRIMARY_DIAGNOSIS: "Primary diagnosis", SECONDARY_DIAGNOSIS: "Secondary diagnosis",
               PRIMARY_PROCEDURE: "Primary procedure", SECONDARY_PROCEDURE: "Secondary procedure"}

WRONG_CODE, MISSING, EXTRA, SEQUENCING, WRONG_4TH = (
    "wrong_code", "missing", "extra", "sequencing", "wrong_4th_character")
KINDS = (WRONG_CODE, MISSING, EXTRA, SEQUENCING, WRONG_4TH)
KIND_TITLES = {WRONG_CODE: "wrong code", MISSING: "missing code", EXTRA: "extra code",
               SEQUENCING: "sequencing", WRONG_4TH: "wrong 4th character"}


@dataclass(frozen=True)
class Difference:
    code_type: str
    kind: str
    original: str | None              # the coder's code
    audit: str | None                 # the auditor's code

    @property
    def key(self) -> str:
        """Stable name of the difference: what a review of it refers to."""
        return f"{self.code_type}:{self.kind}:{self.original or '-'}:{self.audit or '-'}"

    def describe(self) -> str:
        what = f"{TYPE_TITLES[self.code_type]}: {KIND_TITLES[self.kind]}"
        if self.kind == MISSING:
            return f"{what} {self.audit}"
        if self.kind == EXTRA:
            return f"{what} {self.original}"
        return f"{what}: coded {self.original}, audit {self.audit}"


@dataclass
class Tally:
    """Right codes and codes counted, per code type."""

    right: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CODE_TYPES, 0))
    counted: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CODE_TYPES, 0))

    def add(self, other: Tally) -> None:
        for code_type in CODE_TYPES:
            self.right[code_type] += other.right[code_type]
            self.counted[code_type] += other.counted[code_type]


@dataclass(frozen=True)
class Comparison:
    tally: Tally
    differences: list[Difference]


def compare(original_procedures: list[str], original_diagnoses: list[str],
            audit_procedures: list[str], audit_diagnoses: list[str]) -> Comparison:
    tally = Tally()
    differences: list[Difference] = []
    for coder, auditor, primary, secondary in (
            (original_diagnoses, audit_diagnoses, PRIMARY_DIAGNOSIS, SECONDARY_DIAGNOSIS),
            (original_procedures, audit_procedures, PRIMARY_PROCEDURE, SECONDARY_PROCEDURE)):
        differences += _compare_list(list(coder), list(auditor), primary, secondary, tally)
    return Comparison(tally, differences)


def _category(code: str) -> str:
    return code.split(".")[0][:3]


def _pair_kind(a: str, b: str) -> str | None:
    if _category(a) == _category(b):
        return WRONG_4TH
    if a[:1] == b[:1]:
        return WRONG_CODE
    return None


def _compare_list(coder: list[str], auditor: list[str], primary: str, secondary: str,
                  tally: Tally) -> list[Difference]:
    differences: list[Difference] = []
    pool = Counter(coder)
    primary_kind = None
    if coder or auditor:
        tally.counted[primary] += 1
        if coder and auditor and coder[0] == auditor[0]:
            tally.right[primary] += 1
        elif not coder:
            primary_kind = MISSING
        elif not auditor:
            primary_kind = EXTRA
        elif auditor[0] in coder:
            primary_kind = SEQUENCING
        else:
            primary_kind = _pair_kind(coder[0], auditor[0]) or WRONG_CODE
        if primary_kind:
            differences.append(Difference(primary, primary_kind, coder[0] if coder else None,
                                          auditor[0] if auditor else None))
    if auditor and pool[auditor[0]] > 0:
        pool[auditor[0]] -= 1            # the auditor's primary, right or out of sequence
    missing: list[str] = []
    for code in auditor[1:]:
        tally.counted[secondary] += 1
        if pool[code] > 0:
            pool[code] -= 1
            tally.right[secondary] += 1
        else:
            missing.append(code)
    if primary_kind in (WRONG_CODE, WRONG_4TH, EXTRA) and pool[coder[0]] > 0:
        pool[coder[0]] -= 1             # already reported as the primary's difference
    extra: list[str] = []
    for code in coder:                  # the coder's codes the auditor did not give, in order
        if pool[code] > 0:
            pool[code] -= 1
            extra.append(code)
    for code in missing:
        partner = next((e for e in extra if _pair_kind(e, code) == WRONG_4TH), None) \
            or next((e for e in extra if _pair_kind(e, code) == WRONG_CODE), None)
        if partner is not None:
            extra.remove(partner)
            differences.append(Difference(secondary, _pair_kind(partner, code) or WRONG_CODE, partner, code))
        else:
            differences.append(Difference(secondary, MISSING, None, code))
    for code in extra:
        tally.counted[secondary] += 1
        differences.append(Difference(secondary, EXTRA, code, None))
    return differences
