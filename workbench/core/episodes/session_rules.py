"""The rules engine applied to a whole episode: its edits, and its packs when it is reopened."""

from __future__ import annotations

from typing import Any

from workbench.core.episodes.session import ICD10, CodingSession


def session_edits(session: CodingSession, catalog: Any, packs: list[Any]) -> list[Any]:
    """The validation edits on the whole episode as it would be saved (a finished episode: it
    needs a primary diagnosis), with every guidance's own rules and the episode conventions,
    the sex and age limits of the sex and age typed in the form among them."""
    from workbench.core.rules import Patient, run_edits

    procedures = session.procedures
    diagnoses = [c.marked for c in session.of(ICD10)]    # with their dagger and asterisk marks
    sex, age = patient_of(session)
    results = list(run_edits(procedures, diagnoses, catalog, packs[0] if packs else None,
                             patient=Patient(sex, age), finished=True))
    seen = {(r.id, r.message) for r in results}
    for pack in packs[1:]:
        for result in run_edits(procedures, diagnoses, catalog, pack, finished=True):
            if (result.id, result.message) not in seen:
                seen.add((result.id, result.message))
                results.append(result)
    return results


def population_cautions(session: CodingSession, packs: list[Any]) -> list[str]:
    """For each of the episode's guidance whose population the patient is outside (an infants'
    guidance for a 58-year-old), the caution saying so; none without the sex or age."""
    from workbench.core.rules import population_caution

    sex, age = patient_of(session)
    return [text for text in (population_caution(pack, sex, age) for pack in packs) if text]


def patient_of(session: CodingSession) -> tuple[str | None, int | None]:
    """The sex and age typed in the form; a value still being typed (invalid) counts as not given."""
    from workbench.core.episodes.model import LogError
    from workbench.core.episodes.validate import checked_age, normalise_sex

    try:
        sex = normalise_sex(session.details.get("sex"))
    except LogError:
        sex = None
    try:
        age = checked_age(session.details.get("age"))
    except LogError:
        age = None
    return sex, age


def prepare_packs(session: CodingSession, catalog: Any) -> tuple[dict[str, Any], list[str]]:
    """A resumed draft or an amend: load each guidance's pack and tie its codes to it.

    Returns the packs by id and plain problems (a pack no longer available). A pack
    whose answers are complete and that was never applied claims its codes from the
    saved sequence (amend) or, when there is none, fills it in (an old wizard draft).
    """
    from workbench.core.rules import evaluate, find_pack

    packs: dict[str, Any] = {}
    problems: list[str] = []
    for run in list(session.packs):
        pack = find_pack(run.pack_id)
        if pack is None:
            problems.append(f"The rule pack {run.pack_id} is no longer available: "
                            "its codes are kept as added by hand.")
            session.packs.remove(run)
            continue
        packs[run.pack_id] = pack
        if run.applied is not None:
            continue
        current = {k: v for k, v in run.answers.items() if k not in run.reopened}
        evaluation = evaluate(pack, current, catalog)
        if not evaluation.complete:
            continue
        entries = [*evaluation.procedures, *evaluation.diagnoses]
        if session.codes:
            session.adopt_pack(run.pack_id, entries, evaluation.notes)
        else:
            session.apply_pack(run.pack_id, entries, evaluation.notes)
    if session.current_pack not in packs:
        session.current_pack = next(iter(packs), None)
    return packs, problems
