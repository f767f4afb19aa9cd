"""`workbench code IPG655 --answer QID=VALUE ...`: code an episode from a rule pack.

Prints the final sequences, or the next question still needed. Multi answers are
comma-separated (``--answer sites=a,b``), numbers are whole numbers.
"""

from __future__ import annotations

import argparse
import difflib

from workbench.commands import UserError, print_json


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "code", help="code an episode with a guidance's rule pack",
        description="Answer a rule pack's questions and get the OPCS-4 and ICD-10 codes. "
        "Without enough answers, prints the next question.")
    parser.add_argument("guidance", help="guidance id, e.g. IPG655")
    parser.add_argument("--answer", "-a", action="append", default=[], metavar="QID=VALUE",
                        help="an answer; repeat for each question (multi: comma-separated values)")
    parser.add_argument("--sex", help="the patient's sex (m/f; optional): a guidance for the other sex says so")
    parser.add_argument("--age", help="the patient's age in years (optional): a guidance for infants, children "
                                      "or adults says so when the age is outside it")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=code)


def parse_answers(pack, texts: list[str]) -> dict[str, object]:
    from workbench.core.rules import AnswerError, check_answer

    answers: dict[str, object] = {}
    for text in texts:
        qid, sep, value = text.partition("=")
        qid = qid.strip()
        if not sep or not qid:
            raise UserError(f"--answer '{text}': write QUESTION=VALUE, e.g. stent=yes")
        question = pack.find_question(qid)
        if question is None:
            ids = [q.id for q in pack.all_questions()]
            close = difflib.get_close_matches(qid, ids, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else f" (questions: {', '.join(ids)})"
            raise UserError(f"{pack.id} has no question '{qid}'{hint}")
        try:
            answers[qid] = check_answer(question, value)
        except AnswerError as exc:
            raise UserError(f"{qid}: {exc}") from None
    return answers


def code(args: argparse.Namespace) -> int:
    from workbench.commands.rules import get_pack, open_catalog
    from workbench.core.rules import evaluate, pack_flags, run_edits
    from workbench.core.rules.export import evaluation_as_dict

    pack = get_pack(args.guidance)
    population = _population(pack, args.sex, args.age)
    answers = parse_answers(pack, args.answer)
    catalog, _ = open_catalog()
    result = evaluate(pack, answers, catalog)
    if result.rejected:
        problems = "; ".join(f"{qid}: {why}" for qid, why in result.rejected.items())
        raise UserError(problems)
    edits = []
    if result.complete and not result.handover:   # handed over: nothing coded, nothing to check
        edits = run_edits([e.code for e in result.procedures], [e.code for e in result.diagnoses], catalog, pack)
    if args.json:
        print_json({**evaluation_as_dict(result, edits), "pack": pack_flags(pack), "snomed": list(pack.snomed),
                    "population": population or None})
        return 0
    _print_result(pack, result, edits, population)
    return 0


def _population(pack, sex: str | None, age: str | None) -> str:
    """The caution when the patient is outside the guidance's population ('' when not, or unknown)."""
    from workbench.core.episodes.model import LogError
    from workbench.core.episodes.validate import checked_age, normalise_sex
    from workbench.core.rules import population_caution

    try:
        return population_caution(pack, normalise_sex(sex), checked_age(age))
    except LogError as exc:   # names the field, never echoes a value
        raise UserError(str(exc)) from None


def _print_result(pack, result, edits, population: str = "") -> None:
    from workbench.core.rules import pack_cautions
    from workbench.core.rules.codes import describe_scope
    from workbench.core.rules.export import snomed_lines

    print(f"{pack.id}: {pack.title}" + ("" if pack.status == "approved" else f" [{pack.status}]"))
    for caution in pack_cautions(pack) + ([population] if population else []):
        print(f"Caution: {caution}")
    for name, entries in (("Procedures (OPCS-4)", result.procedures), ("Diagnoses (ICD-10)", result.diagnoses)):
        if entries:
            print(name + ":")
            for entry in entries:
                title = f" {entry.title}" if entry.title else ""
                print(f"  {entry.position}. {entry.code}{title}\n       why: {entry.reason}")
    for line in snomed_lines(pack):
        print(f"SNOMED CT {line}")
    for note in result.notes:
        print(f"Note: {note}")
    if result.handover:
        return
    if not result.complete:
        question = result.next_question
        step, most = result.progress
        print(f"Next question ({step} of at most {most}): {question.prompt}  [--answer {question.id}=...]")
        from workbench.core.option_keys import option_keys

        for key, option in zip(option_keys(question), question.options, strict=True):
            # The key the app answers it with, the same in every pack for the same answer.
            print(f"  [{key}] {option.value}: {option.label}"
                  + ("  (preferred by the guidance)" if option.preferred else ""))
        if question.kind == "number":
            print(f"  a whole number from {question.minimum} to {question.maximum}")
        if question.kind == "code":
            print(f"  a code within {describe_scope(question.code_scope, question.classification)}")
        return
    for edit in edits:
        where = f" (position {edit.position})" if edit.position else ""
        print(f"{edit.severity}: {edit.id}{where}: {edit.message}")
    if not edits:
        print("All validation edits pass.")
