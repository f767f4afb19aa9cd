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

Then the episode conventions (:mod:`workbench.core.rules.episode_conventions`: lists that never
mix, the primary diagnosis of a finished episode, dagger and asterisk, external causes,
laterality, the likelier classification) and, when the patient is given, the sex and age limits
(:mod:`workbench.core.classifications.patient_checks`).
"""

from __future__ import annotations

from workbench.core.rules import conventions, episode_conventions
from workbench.core.rules.codes import (
    ICD10,
    OPCS4,
    CodeCatalog,
    catalog_title,
    judge_code,
)
from workbench.core.rules.episode_conventions import Patient
from workbench.core.rules.model import EditResult, Pack
from workbench.core.rules.pack_edits import pack_edits
from workbench.core.rules.positions import position_edits
from workbench.core.rules.vocabulary import vocabulary

_NAMES = {OPCS4: "OPCS-4", ICD10: "ICD-10"}


def run_edits(procedures: list[str], diagnoses: list[str], catalog: CodeCatalog | None,
              pack: Pack | None = None, *, guidance: str | None = None, patient: Patient | None = None,
              finished: bool = False) -> list[EditResult]:
    """Every edit that fails, in list order; an empty list means the sequence passes.

    The one checker: the wizard, the review, ``log add/amend``, ``code`` and ``check`` all call it.
    ``guidance`` names the episode's guidance when there is no pack for it. Diagnoses may carry
    their dagger or asterisk mark ("E11.3\u2020", "H36.0*"). ``patient`` (sex and age, either may be
    None) adds the sex and age limits, and says once what was not checked; ``finished`` (an
    episode being saved, not a draft or a pack's part of one) needs a primary diagnosis.
    """
    from workbench.core.classifications.convention_tables import tables as convention_tables

    results: list[EditResult] = []
    marked = _checked(procedures, OPCS4, catalog, results) + _checked(diagnoses, ICD10, catalog, results)
    procs = [(p, c) for cls, p, c, _ in marked if cls == OPCS4]
    diags = [(p, c) for cls, p, c, _ in marked if cls == ICD10]
    words = vocabulary(catalog)
    conventions.order_edits(procs, pack, results)
    conventions.stent_edits(procs, words, results)
    conventions.image_control_edits(procs, pack, results)
    conventions.angioplasty_edits(procs, words, results)
    conventions.missing_procedure_edit(procs, guidance or (pack.guidance_id if pack else None), results)
    for codes, classification in ((procs, OPCS4), (diags, ICD10)):
        conventions.duplicate_edits(codes, classification, pack, results, _NAMES[classification])
    if pack is not None:
        _pack_rules(pack, procs, diags, results)
        # A code the pack keeps in a fixed place (V55 second, IPG365) or straight after another.
        results.extend(position_edits(pack, procedures, diagnoses))
        if not any(r.severity == "error" and r.id in _INVALID for r in results):
            findings, vouched = pack_edits(pack, procs, diags)
            results[:] = [r for r in results if not (r.id in conventions.PACK_MAY_OVERRIDE
                                                     and r.position in vouched)]
            results.extend(findings)
        # One problem, one message: where the pack explains a position, its finding (with the rule and
        # what it would give) replaces the general convention's.
        explained = {r.position for r in results if r.id.startswith("pack-") or r.id == "excluded-pair"}
        results[:] = [r for r in results if not (r.id in conventions.PACK_MAY_OVERRIDE and r.position in explained)]
    # The episode conventions. What a finished episode must have (a primary diagnosis, the external
    # cause of an injury, the side of a paired organ) is asked only of a finished one: a draft, or a
    # guidance's part of an episode (the wizard, `code`, the linter), is completed by the coder.
    tables = convention_tables()
    episode_conventions.primary_diagnosis_edit(procedures, diagnoses, finished, results)
    episode_conventions.dagger_asterisk_edits(catalog, tables, [(p, c, m) for cls, p, c, m in marked
                                                                if cls == ICD10], results)
    episode_conventions.external_cause_edits([(p, c, None) for p, c in diags], finished, results)
    episode_conventions.secondary_code_edit(tables, [(p, c, None) for p, c in diags], results)
    episode_conventions.laterality_edits(tables, procs, pack, finished, results)
    judged = {(r.classification, r.position) for r in results if r.id in _INVALID}
    vouched = _vouched_by_pack(pack)
    codable = {classification: [(p, c) for p, c in coded
                                if (classification, p) not in judged and not vouched(classification, c)]
               for coded, classification in ((procs, OPCS4), (diags, ICD10))}
    episode = {OPCS4: procs, ICD10: diags}
    episode_conventions.likely_classification_edits(catalog, tables, codable, episode, results)
    if patient is not None:
        from workbench.core.classifications.patient_checks import patient_edits

        coded = [(cls, p, c) for cls, p, c, _ in marked]
        results.extend(patient_edits(catalog, coded, patient.sex, patient.age, tables))
    return results


_INVALID = ("invalid-code", "unknown-code", "missing-4th-character")


_MARKS = {"\u2020": "dagger", "*": "asterisk"}


def _checked(codes: list[str], classification: str, catalog: CodeCatalog | None,
             results: list[EditResult]) -> list[tuple[str, int, str, str | None]]:
    """Canonical (classification, position, code, mark) of one list; the loaded classification
    judges each code (malformed, of the other classification, unknown, needing its 4th character,
    or codable but not recorded lately)."""
    out: list[tuple[str, int, str, str | None]] = []
    for position, raw in enumerate(codes, start=1):
        text = str(raw)
        mark = next((m for sign, m in _MARKS.items() if sign in text), None)
        text = text.replace("\u2020", "").replace("*", "") if mark else text
        verdict = judge_code(catalog, classification, text)
        if verdict.code is None or verdict.status == "unknown":
            other = _other_list(catalog, classification, text, position)
            if other is not None:
                results.append(other)
                continue
        if verdict.code is None:
            results.append(EditResult("invalid-code", "error",
                                      f"{_LISTS[classification]} {position}: {verdict.message}", position,
                                      classification))
            continue
        out.append((classification, position, verdict.code, mark or verdict.mark))
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


_LISTS = {OPCS4: "procedures", ICD10: "diagnoses"}


def _vouched_by_pack(pack: Pack | None):
    """Whether the pack gives a code, or asks the coder for one in that scope ("a chapter S code"):
    either way the code is its classification's, however rare."""
    if pack is None:
        return lambda classification, code: False
    from workbench.core.rules.codes import in_scope
    from workbench.core.rules.pack_model import model_of

    model = model_of(pack)
    if model is None:
        return lambda classification, code: False
    return lambda classification, code: (code in model.universe[classification] or any(
        in_scope(code, slot.scope) for slot in model.slots[classification]))


def _other_list(catalog: CodeCatalog | None, classification: str, text: str, position: int) -> EditResult | None:
    """A code the other classification holds and this one does not: it is in the wrong list."""
    if catalog is None:
        return None
    other = ICD10 if classification == OPCS4 else OPCS4
    verdict = judge_code(catalog, other, text)
    if verdict.code is None or verdict.status == "unknown":
        return None
    title = catalog_title(catalog, other, verdict.code)
    return EditResult("wrong-list", "error",
                      f"{_LISTS[classification]} {position}: {_NAMES[other]} {verdict.code}"
                      f"{f' ({title})' if title else ''} is not an {_NAMES[classification]} code: the "
                      f"{_LISTS[classification]} hold {_NAMES[classification]} codes only; it belongs in the "
                      f"{_LISTS[other]}", position, classification)


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
