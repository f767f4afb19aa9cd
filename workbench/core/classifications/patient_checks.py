"""Checks that need the patient or the release metadata: sex and age limits of ICD-10 codes,
and dagger/asterisk pairs.

- ``sex-limit`` / ``age-limit`` (warning): with an imported ICD-10 release's metadata, a code
  whose sex or age range excludes this patient (the range is named). Without metadata, or
  without the patient's sex or age, nothing is said.
- ``asterisk-primary`` (error): an asterisk code (manifestation) in first position.
- ``asterisk-without-dagger`` (error): an asterisk code with no dagger code in the list.

A code is an asterisk or dagger code when it was marked so (typed ``H19.8*``, ``Q90.0\u2020``,
the rule pack's ``mark``) or when the loaded release's metadata says so (USAGE).
"""

from __future__ import annotations

from typing import Any

NAME = "ICD-10"


def usage_of(catalog: Any, code: str, mark: str | None) -> str | None:
    """'dagger' | 'asterisk' | None for one diagnosis code."""
    if mark in ("dagger", "asterisk"):
        return mark
    meta = _metadata(catalog, code)
    usage = (meta or {}).get("usage") or ""
    return {"DAGGER": "dagger", "ASTERISK": "asterisk"}.get(usage.upper())


def _metadata(catalog: Any, code: str) -> dict | None:
    lookup = getattr(catalog, "metadata", None)
    if lookup is None:
        return None
    try:
        return lookup("icd10", code)
    except Exception:   # no metadata table in an older database: nothing to check
        return None


def patient_edits(catalog: Any, diagnoses: list[tuple[str, str | None]], sex: str | None,
                  age: int | None) -> list[Any]:
    """EditResults for the diagnoses ((code, mark) in order) of a patient of this sex and age."""
    from workbench.core.rules.model import EditResult

    out: list[EditResult] = []
    usages = [usage_of(catalog, code, mark) for code, mark in diagnoses]
    has_dagger = "dagger" in usages
    for position, ((code, _mark), usage) in enumerate(zip(diagnoses, usages, strict=True), start=1):
        if usage == "asterisk" and position == 1:
            out.append(EditResult("asterisk-primary", "error",
                                  f"{NAME} {code} is an asterisk code (a manifestation): it is never the primary "
                                  "diagnosis; put its dagger code first", position, "icd10"))
        if usage == "asterisk" and not has_dagger:
            out.append(EditResult("asterisk-without-dagger", "error",
                                  f"{NAME} {code} is an asterisk code: add the dagger code of the underlying "
                                  "disease (marked \u2020)", position, "icd10"))
        meta = _metadata(catalog, code) or {}
        if sex and meta.get("sex") and meta["sex"] != sex:
            out.append(EditResult("sex-limit", "warning",
                                  f"{NAME} {code} is a {meta['sex']}-only code; this patient is {sex}",
                                  position, "icd10"))
        low, high = meta.get("min_age"), meta.get("max_age")
        if age is not None and ((low is not None and age < low) or (high is not None and age > high)):
            out.append(EditResult("age-limit", "warning",
                                  f"{NAME} {code} is for ages {_range(low, high)}; this patient is {age}",
                                  position, "icd10"))
    return out


def _range(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return f"{low} to {high}"
    return f"{low} and over" if low is not None else f"up to {high}"
