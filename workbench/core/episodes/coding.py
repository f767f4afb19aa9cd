"""From what a coder typed to a :class:`Coding` ready to save: rules, then validation edits.

Shared by ``workbench log add/amend`` and usable by the app. Kept out of the
package's ``__init__`` so that importing the log never imports the rules engine.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from workbench.core.episodes.model import CodedEntry, Coding, LogError, Override

OPCS4, ICD10 = "opcs4", "icd10"


class CodingRefused(LogError):
    """The codes cannot be saved as they stand; the message says why and what to do."""


class ChecksFailed(CodingRefused):
    """Validation edits found errors and no override reason was given (CLI exit 1)."""


class AnswersIncomplete(CodingRefused):
    """The rule pack still has a question to ask (CLI exit 1); the message names it."""


@dataclass(frozen=True)
class PreparedCoding:
    """Codes and answers ready to save, with the validation edits they raised."""

    coding: Coding
    edits: list[Any] = field(default_factory=list)      # rules.EditResult
    notes: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[Any]:
        return [e for e in self.edits if e.severity == "error"]

    @property
    def warnings(self) -> list[Any]:
        return [e for e in self.edits if e.severity != "error"]


def split_codes(text: str | Iterable[str] | None) -> list[str]:
    """'K57.8 Y02.1', 'K57.8,Y02.1' or a list -> ['K57.8', 'Y02.1']."""
    if text is None:
        return []
    parts = [text] if isinstance(text, str) else list(text)
    return [p for part in parts for p in part.replace(",", " ").split() if p]


def parse_codes(texts: list[str], classification: str, catalog: Any = None) -> list[str]:
    """Canonical codes as the loaded classification reads them ('I10X' -> 'I10'); a token that
    is not a code refuses, naming it (codes are not identifiers). Unknown codes and categories
    are kept: the validation edits report them, with the codes to choose from."""
    return [code for code, _mark in parse_marked(texts, classification, catalog)]


def parse_marked(texts: list[str], classification: str, catalog: Any = None) -> list[tuple[str, str | None]]:
    """:func:`parse_codes` with each code's dagger/asterisk mark ('Q90.0†', 'H19.8*', 'H19.8A')."""
    from workbench.core.rules.codes import judge_code

    codes = []
    for position, text in enumerate(texts, start=1):
        verdict = judge_code(catalog, classification, text.replace("†", "").replace("*", ""))
        if verdict.code is None:
            kind = "procedure" if classification == OPCS4 else "diagnosis"
            other = ICD10 if classification == OPCS4 else OPCS4
            twin = judge_code(catalog, other, text.replace("†", "").replace("*", "")) if catalog is not None else None
            if twin is not None and twin.codable:
                names = {OPCS4: ("OPCS-4", "--procedures"), ICD10: ("ICD-10", "--diagnoses")}
                raise CodingRefused(f"{kind} {position} ('{text}'): {names[other][0]} {twin.code} is not an "
                                    f"{names[classification][0]} code: give it with {names[other][1]}")
            raise CodingRefused(f"{kind} {position} ('{text}'): {verdict.message}")
        mark = verdict.mark or ("dagger" if "†" in text else "asterisk" if "*" in text else None)
        codes.append((verdict.code, mark if classification == ICD10 else None))
    return codes


def _entries(codes: list[str], classification: str, catalog: Any,
             marks: list[str | None] | None = None) -> list[CodedEntry]:
    edition = catalog.edition(classification) if catalog is not None else "unknown"
    marks = marks or [None] * len(codes)
    return [CodedEntry(code, classification, edition, mark) for code, mark in zip(codes, marks, strict=True)]


def _episode_edits(procs: list[str], diags: list[str], marks: list[str | None], catalog: Any, pack: Any,
                   sex: str | None, age: int | None) -> list[Any]:
    """The validation edits of an episode being saved (finished: it needs a primary diagnosis),
    the diagnoses with their marks, the patient's sex and age limits among them."""
    from workbench.core.episodes.session import MARKS
    from workbench.core.rules import Patient, run_edits

    marked = [code + MARKS.get(mark or "", "") for code, mark in zip(diags, marks, strict=True)]
    return run_edits(procs, marked, catalog, pack, patient=Patient(sex, age), finished=True)


def prepare_by_hand(procedures: str | Iterable[str] | None, diagnoses: str | Iterable[str] | None,
                    catalog: Any, *, guidance_id: str | None = None, sex: str | None = None,
                    age: int | None = None) -> PreparedCoding:
    """Codes typed by the coder, checked by the validation edits (no rule pack)."""
    procs = parse_codes(split_codes(procedures), OPCS4, catalog)
    marked = parse_marked(split_codes(diagnoses), ICD10, catalog)
    diags, marks = [c for c, _ in marked], [m for _, m in marked]
    if not procs and not diags:
        raise CodingRefused("codes: give at least one procedure or diagnosis code")
    pack = None
    if guidance_id:
        from workbench.core.rules import find_pack

        pack = find_pack(guidance_id)
        if pack is None:
            raise CodingRefused(f"guidance: there is no rule pack for {guidance_id} "
                                "(see 'workbench rules list')")
    edits = _episode_edits(procs, diags, marks, catalog, pack, sex, age)
    coding = Coding(procedures=_entries(procs, OPCS4, catalog), diagnoses=_entries(diags, ICD10, catalog, marks),
                    guidance_id=pack.guidance_id if pack else None,
                    pack_id=pack.id if pack else None, pack_version=pack.version if pack else None)
    return PreparedCoding(coding=coding, edits=list(edits), notes=_population_notes(pack, sex, age))


def _population_notes(pack: Any, sex: str | None, age: int | None) -> list[str]:
    """The guidance is not for this patient (infants' guidance, a 58-year-old): said as a note."""
    from workbench.core.rules import population_caution

    caution = population_caution(pack, sex, age)
    return [caution] if caution else []


def parse_answer_args(pairs: Iterable[str]) -> dict[str, str]:
    """['stent=yes', 'count=2'] -> {'stent': 'yes', 'count': '2'}."""
    answers: dict[str, str] = {}
    for pair in pairs:
        qid, sep, value = pair.partition("=")
        if not sep or not qid.strip():
            raise CodingRefused(f"answer '{pair}': write it as QUESTION=VALUE")
        answers[qid.strip()] = value.strip()
    return answers


def prepare_from_guidance(guidance_id: str, answers: Mapping[str, object], catalog: Any,
                          *, diagnoses: str | Iterable[str] | None = None,
                          procedures: str | Iterable[str] | None = None, sex: str | None = None,
                          age: int | None = None) -> PreparedCoding:
    """Run the guidance's rule pack on the answers; refuse while a question is still open.

    ``procedures`` are the coder's extra codes (another procedure in the episode), added after
    the pack's; the same edits check the whole sequence."""
    from workbench.core.rules import (
        AnswerError,
        check_answer,
        evaluate,
        find_pack,
        pack_cautions,
    )

    pack = find_pack(guidance_id)
    if pack is None:
        raise CodingRefused(f"guidance: there is no rule pack for {guidance_id} "
                            "(see 'workbench rules list')")
    typed: dict[str, object] = {}
    for qid, value in answers.items():
        question = pack.find_question(qid)
        if question is None:
            raise CodingRefused(f"answer {qid}: {pack.guidance_id} has no question with that id")
        try:
            typed[qid] = check_answer(question, value)
        except AnswerError as exc:
            raise CodingRefused(f"answer {qid}: {exc}") from None
    result = evaluate(pack, typed, catalog)
    # A rejected answer first: otherwise its question looks merely unanswered.
    rejected = getattr(result, "rejected", {}) or {}
    if rejected:
        qid, why = next(iter(rejected.items()))
        raise CodingRefused(f"answer {qid}: {why}")
    if not result.complete:
        raise AnswersIncomplete(_next_question_message(result.next_question))
    procs = [e.code for e in result.procedures] + parse_codes(split_codes(procedures), OPCS4)
    typed = parse_marked(split_codes(diagnoses), ICD10, catalog)
    diags = [e.code for e in result.diagnoses] + [c for c, _ in typed]
    marks = [getattr(e, "mark", "") or None for e in result.diagnoses] + [m for _, m in typed]
    edits = _episode_edits(procs, diags, marks, catalog, pack, sex, age)
    coding = Coding(procedures=_entries(procs, OPCS4, catalog), diagnoses=_entries(diags, ICD10, catalog, marks),
                    guidance_id=pack.guidance_id, pack_id=pack.id, pack_version=pack.version,
                    answers=dict(result.answers))
    return PreparedCoding(coding=coding, edits=list(edits),
                          notes=pack_cautions(pack) + _population_notes(pack, sex, age) + list(result.notes))


def _next_question_message(question: Any) -> str:
    if question is None:
        return "the answers are incomplete"
    options = ", ".join(o.value for o in question.options)
    hint = f" (one of: {options})" if options else ""
    return (f"more answers are needed: next is --answer {question.id}=...{hint}: "
            f"{question.prompt}")


def with_overrides(prepared: PreparedCoding, reason: str | None) -> Coding:
    """The coding to save: errors refuse unless a reason is given, recorded per edit."""
    errors = prepared.errors
    if not errors:
        return prepared.coding
    if not reason or not reason.strip():
        listed = "".join(f"\n  - {e.id}: {e.message}" for e in errors)
        raise ChecksFailed(f"the codes fail {len(errors)} check(s):{listed}\n"
                           "Fix them, or save anyway with --override \"reason\"")
    # One override per kind of edit: the reason covers every failure of that edit.
    overrides = [Override(edit_id, reason.strip()) for edit_id in dict.fromkeys(e.id for e in errors)]
    return Coding(procedures=prepared.coding.procedures, diagnoses=prepared.coding.diagnoses,
                  guidance_id=prepared.coding.guidance_id, pack_id=prepared.coding.pack_id,
                  pack_version=prepared.coding.pack_version, answers=prepared.coding.answers,
                  overrides=overrides)
