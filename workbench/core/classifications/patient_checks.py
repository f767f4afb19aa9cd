"""Checks that need the patient: codes of one sex, and codes limited to an age range.

- ``sex-limit`` (warning): a code of one sex (ICD-10 N40, OPCS-4 chapter N, ...) on a patient
  recorded as the other. The recorded sex may not be the anatomy, so the coder confirms.
- ``age-limit`` (warning, or error where the classification allows no exception: Z38, the
  liveborn infant's own birth episode, on anyone older than 0): perinatal, newborn and
  obstetric codes against the patient's age.
- ``patient-not-given`` (note): without the sex or the age, said once: those limits were not
  checked (so neither the review nor ``check`` says "All checks pass" for an episode whose
  patient is not described).

The limits come from the embedded tables (``fixtures/conventions/sex-limits.tsv``,
``age-limits.tsv``); an imported ICD-10 release's metadata, where it has a row for the code,
refines them and wins.
"""

from __future__ import annotations

from typing import Any

NAMES = {"opcs4": "OPCS-4", "icd10": "ICD-10"}


def _metadata(catalog: Any, classification: str, code: str) -> dict | None:
    lookup = getattr(catalog, "metadata", None)
    if lookup is None:
        return None
    try:
        return lookup(classification, code)
    except Exception:   # no metadata table in an older database: the tables alone
        return None


def limits_of(catalog: Any, tables: Any, classification: str, code: str) -> tuple[Any, Any]:
    """(sex limit, age limit) of one code: the release's metadata row where there is one, else the tables."""
    from workbench.core.classifications.convention_tables import AgeLimit, SexLimit

    meta = _metadata(catalog, classification, code)
    if meta is not None:
        sex = SexLimit(meta["sex"], "", "imported release") if meta.get("sex") in ("male", "female") else None
        low, high = meta.get("min_age"), meta.get("max_age")
        age = AgeLimit(low, high, "warning", "", "imported release") if low is not None or high is not None else None
        return sex, age
    return tables.sex_limit(classification, code), tables.age_limit(classification, code)


def patient_edits(catalog: Any, coded: list[tuple[str, int, str]], sex: str | None, age: int | None,
                  tables: Any = None) -> list[Any]:
    """EditResults for ``coded`` ((classification, position, code) in list order) of this patient."""
    from workbench.core.classifications.convention_tables import tables as shipped
    from workbench.core.rules.model import EditResult

    tables = tables or shipped()
    out: list[EditResult] = []
    unchecked = {fact for fact, value in (("sex", sex), ("age", age)) if value is None}
    for classification, position, code in coded:
        sex_limit, age_limit = limits_of(catalog, tables, classification, code)
        name = f"{NAMES[classification]} {code}"
        if sex_limit is not None and sex is not None and sex_limit.sex != sex:
            out.append(EditResult("sex-limit", "warning",
                                  f"{name} is a {sex_limit.sex}-only code; this patient is recorded as {sex}: "
                                  "check the code (or the recorded sex)", position, classification))
        if age_limit is not None:
            low, high = age_limit.min_age, age_limit.max_age
            if age is not None and ((low is not None and age < low) or (high is not None and age > high)):
                why = f" ({age_limit.note})" if age_limit.note else ""
                out.append(EditResult("age-limit", age_limit.severity,
                                      f"{name} is for ages {_range(low, high)}{why}; this patient is {age}",
                                      position, classification))
    if unchecked:
        missing = " and ".join(sorted(unchecked, reverse=True))
        out.append(EditResult("patient-not-given", "note",
                              f"the patient's {missing} {'are' if len(unchecked) > 1 else 'is'} not given: the "
                              f"{missing} limits of the codes were not checked", None, None))
    return out


def _range(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return f"{low} to {high}" if low != high else f"{low} only"
    return f"{low} and over" if low is not None else f"up to {high}"
