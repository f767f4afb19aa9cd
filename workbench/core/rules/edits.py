"""Validation edits: general OPCS-4/ICD-10 conventions, plus the pack's declared rules.

Procedures are always OPCS-4 and diagnoses always ICD-10, so OPCS-4 Z94.2
(right sided operation) is never mistaken for ICD-10 Z94.2 (lung transplant status).

| id | severity | checks |
|---|---|---|
| invalid-code | error | not shaped like a code at all |
| unknown-code | error | not in the loaded classification |
| missing-4th-character | error | a category ("L80", "Y53.-") where a full code is needed |
| rarely-recorded | warning | a code not recorded in hospital statistics for years (retired or rare) |
| y-z-first | error | an OPCS-4 chapter Y or Z code in first position |
| laterality-position | error | OPCS-4 Z94 not directly after a site code |
| duplicate-code | warning | the same code twice in one list (a Y/Z code: twice after the same procedure) |
| excluded-pair | error | two codes the pack says never go together |
| forbidden-code | error | a code the pack says never to use with this procedure |
| missing-diagnosis | error | the pack needs a diagnosis and there is none |
"""

from __future__ import annotations

from workbench.core.rules.codes import (
    ICD10,
    OPCS4,
    CodeCatalog,
    category_of,
    chapter_of,
    judge_code,
)
from workbench.core.rules.model import EditResult, Pack

LATERALITY = "Z94"
_NAMES = {OPCS4: "OPCS-4", ICD10: "ICD-10"}


def run_edits(procedures: list[str], diagnoses: list[str], catalog: CodeCatalog | None,
              pack: Pack | None = None) -> list[EditResult]:
    """Every edit that fails, in list order; an empty list means the sequence passes."""
    results: list[EditResult] = []
    procs = _checked(procedures, OPCS4, catalog, results)
    diags = _checked(diagnoses, ICD10, catalog, results)
    _order(procs, pack, results)
    for codes, classification in ((procs, OPCS4), (diags, ICD10)):
        _duplicates(codes, classification, results)
    if pack is not None:
        _pack_rules(pack, procs, diags, results)
    return results


def _duplicates(codes: list[tuple[int, str]], classification: str, results: list[EditResult]) -> None:
    """The same code twice. An OPCS-4 chapter Y or Z code qualifies the procedure code before
    it, so it may repeat after another procedure (knee site Z84.6 after each knee operation);
    twice for the same procedure is still a duplicate."""
    seen: set[str] = set()
    seen_in_group: set[str] = set()
    for position, code in codes:
        supplementary = classification == OPCS4 and chapter_of(code) in ("Y", "Z")
        if not supplementary:
            seen_in_group = set()          # a new procedure code starts a new group
        repeated = code in seen_in_group if supplementary else code in seen
        if repeated:
            results.append(EditResult("duplicate-code", "warning",
                                      f"{_NAMES[classification]} {code} is listed twice"
                                      + (" for the same procedure" if supplementary else ""),
                                      position, classification))
        seen.add(code)
        seen_in_group.add(code)


def _checked(codes: list[str], classification: str, catalog: CodeCatalog | None,
             results: list[EditResult]) -> list[tuple[int, str]]:
    """Canonical (position, code) pairs; the loaded classification judges each code
    (malformed, unknown, needing its 4th character, or codable but not recorded lately)."""
    out: list[tuple[int, str]] = []
    for position, raw in enumerate(codes, start=1):
        verdict = judge_code(catalog, classification, str(raw))
        if verdict.code is None:
            results.append(EditResult("invalid-code", "error", verdict.message, position, classification))
            continue
        out.append((position, verdict.code))
        if verdict.status == "needs_fourth":
            results.append(EditResult("missing-4th-character", "error",
                                      f"{verdict.message}: choose the code with its 4th character"
                                      if not verdict.children else verdict.message, position, classification))
        elif verdict.status == "unknown":
            results.append(EditResult("unknown-code", "error", verdict.message, position, classification))
        elif verdict.note:
            results.append(EditResult("rarely-recorded", "warning", f"{verdict.display()}: {verdict.note} "
                                      "(retired or rare: check it is still current)", position, classification))
    return out


def _needs_fourth(catalog: CodeCatalog | None, classification: str, code: str) -> bool:
    lookup = getattr(catalog, "lookup", None)
    if lookup is None:
        return False
    try:
        info = lookup(classification, code)
    except Exception:
        return False
    return bool(getattr(info, "needs_fourth_character", False))


def _subset_hint(catalog: CodeCatalog, classification: str) -> str:
    """When only the embedded subset is loaded, a real code may simply be missing from it."""
    try:
        edition = str(catalog.edition(classification))   # type: ignore[attr-defined]
    except Exception:
        return ""
    if "subset" not in edition:
        return ""
    command = "opcs4" if classification == OPCS4 else "icd10"
    return (f" ({edition} holds only the codes the shipped guidance uses; import the full release "
            f"with 'workbench import {command} FILE' to check any other code)")


def _exists(catalog: CodeCatalog, classification: str, code: str) -> bool:
    try:
        return bool(catalog.exists(classification, code))
    except Exception:
        return False


def _order(procs: list[tuple[int, str]], pack: Pack | None, results: list[EditResult]) -> None:
    if procs and procs[0][0] == 1 and chapter_of(procs[0][1]) in ("Y", "Z"):
        results.append(EditResult(
            "y-z-first", "error",
            f"OPCS-4 {procs[0][1]} is a chapter {chapter_of(procs[0][1])} code and cannot come first: "
            "put the procedure code first", 1, OPCS4))
    extra_sites = set(pack.site_codes) if pack else set()
    previous: str | None = None
    for position, code in procs:
        if category_of(code) == LATERALITY and (previous is None or not _is_site(previous, extra_sites)):
            results.append(EditResult(
                "laterality-position", "error",
                f"OPCS-4 {code} (laterality) must come directly after a site code", position, OPCS4))
        previous = code


def _is_site(code: str, extra_sites: set[str]) -> bool:
    return (chapter_of(code) == "Z" and category_of(code) != LATERALITY) or code in extra_sites


def _pack_rules(pack: Pack, procs: list[tuple[int, str]], diags: list[tuple[int, str]],
                results: list[EditResult]) -> None:
    codes = {code: position for position, code in reversed(procs)}
    for rule in pack.exclusions:
        for other in rule.with_codes:
            if rule.code in codes and other in codes:
                results.append(EditResult(
                    "excluded-pair", "error",
                    f"OPCS-4 {rule.code} and {other} must not be coded together: {rule.reason}",
                    max(codes[rule.code], codes[other]), OPCS4))
    for rule in pack.forbidden:
        if rule.code in codes:
            results.append(EditResult("forbidden-code", "error",
                                      f"OPCS-4 {rule.code} must not be used here: {rule.reason}",
                                      codes[rule.code], OPCS4))
    if pack.requires_diagnosis and not diags:
        results.append(EditResult("missing-diagnosis", "error",
                                  f"{pack.guidance_id} needs an ICD-10 diagnosis code", None, ICD10))
