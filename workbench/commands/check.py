"""`workbench check`: run the validation edits on a code sequence; exit 1 on any error.

    workbench check --procedures "W37.1 Z94.2" --diagnoses "M16.1" --sex F --age 70 --json
    workbench check --guidance IPG75 --procedures "L80.4 L76.1 Y53.4" --diagnoses "I28.8"
    workbench check --draft --procedures "L80.4 L76.1 Y53.4"
    workbench check --batch --json < sequences.jsonl

A sequence is checked as a finished episode (it needs a primary diagnosis) unless --draft
says it is a part of one. The episode conventions run with or without --guidance; --sex and
--age add the sex and age limits (without them, the output says they were not checked).

The batch form reads one JSON object per line (``{"guidance": "IPG75" or null,
"procedures": [...], "diagnoses": [...], "sex": "F", "age": 70, "draft": false}``; only the
lists are required) and writes one result per line, in order (``{"errors": [...],
"warnings": [...]}``; notes are listed with the warnings, severity "note"), so thousands of
sequences check in one process. The checks are the same ``run_edits`` the app and ``log add`` use.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from typing import TextIO

from workbench.commands import UserError, print_json


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "check", help="check a code sequence with the validation edits (exit 1 on an error)",
        description="Run the validation edits on OPCS-4 procedures and ICD-10 diagnoses, with a "
        "guidance's rule pack when --guidance is given. Exit 1 when any edit fails with an error.")
    parser.add_argument("--guidance", help="the guidance the episode is coded with, e.g. IPG75")
    parser.add_argument("--procedures", help='OPCS-4 codes in order, e.g. "L80.4 L76.1 Y53.4"')
    parser.add_argument("--diagnoses", help='ICD-10 codes, primary first, e.g. "I50.0"')
    parser.add_argument("--sex", help="the patient's sex, m or f: the codes' sex limits are checked")
    parser.add_argument("--age", help="the patient's age in whole years: the codes' age limits are checked")
    parser.add_argument("--draft", action="store_true",
                        help="a part of an episode (a pack's codes, unfinished work): no primary diagnosis needed")
    parser.add_argument("--batch", action="store_true",
                        help="read JSON lines from stdin, write one JSON result per line")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=check)


def check(args: argparse.Namespace) -> int:
    from workbench.commands.log import _catalog

    if args.batch:
        if args.procedures or args.diagnoses or args.guidance or args.sex or args.age or args.draft:
            raise UserError("--batch reads the sequences from stdin: leave out --procedures, "
                            "--diagnoses, --guidance, --sex, --age and --draft")
        catalog = _catalog()
        failed = False
        for result in check_requests(_read_lines(sys.stdin), catalog):
            failed = failed or bool(result["errors"])
            sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
        sys.stdout.flush()
        return 1 if failed else 0
    if args.procedures is None and args.diagnoses is None:
        raise UserError('give the codes: --procedures "L80.4 L76.1 Y53.4" (and --diagnoses), or --batch')
    from workbench.core.episodes.coding import split_codes

    patient = _patient(args.sex, args.age, "--sex", "--age")
    procedures, diagnoses = split_codes(args.procedures), split_codes(args.diagnoses)
    _codes_or_refuse(procedures, "--procedures")
    _codes_or_refuse(diagnoses, "--diagnoses")
    catalog = _catalog()
    result = check_one(args.guidance, procedures, diagnoses, catalog, patient=patient, draft=args.draft)
    if "problem" in result:
        raise UserError(result["problem"])
    if args.json:
        print_json(result)
    else:
        for edit in result["errors"] + result["warnings"]:
            where = f" (position {edit['position']})" if edit["position"] else ""
            print(f"{edit['severity']}: {edit['id']}{where}: {edit['message']}")
        if not result["errors"] and not result["warnings"]:
            print("All validation edits pass.")
    return 1 if result["errors"] else 0


def _patient(sex: object, age: object, sex_field: str = "sex", age_field: str = "age"):
    """The patient facts of a request, or a one-line refusal naming the field."""
    from workbench.core.episodes.model import LogError
    from workbench.core.episodes.validate import checked_age, normalise_sex
    from workbench.core.rules import Patient

    try:
        checked_sex = normalise_sex(None if sex is None else str(sex))
    except LogError:
        raise UserError(f"{sex_field}: give m or f (male or female), or leave it out") from None
    if isinstance(age, bool) or (age is not None and not isinstance(age, (int, str))):
        raise UserError(f"{age_field}: give the age in whole years (0 to 130)")
    try:
        checked = checked_age(age)
    except LogError:
        raise UserError(f"{age_field}: give the age in whole years (0 to 130), not a negative, "
                        "fractional or absurd number") from None
    return Patient(checked_sex, checked)


def _codes_or_refuse(codes: list[str], field: str) -> None:
    """A token that is no code in either classification refuses the whole request, naming it."""
    from workbench.core.classifications.codes import try_parse_code

    for position, code in enumerate(codes, start=1):
        bare = code.replace("\u2020", "").replace("*", "")
        if try_parse_code(bare) is None and try_parse_code(bare, "icd10") is None:
            shown = code if len(code) <= 12 and code.isprintable() else code[:12].encode("unicode_escape").decode()
            raise UserError(f"{field}: item {position} ('{shown}') is not a code (e.g. W37.1, M16.1, I10)")


# A request is a few hundred characters; a "line" this long is not JSON lines (say, /dev/zero
# or a binary file): stop with a message instead of reading it into memory for ever.
MAX_LINE_CHARS = 1_000_000


def _read_lines(stream: TextIO) -> Iterator[dict | str]:
    number = 0
    while line := stream.readline(MAX_LINE_CHARS + 1):
        number += 1
        if len(line) > MAX_LINE_CHARS:
            raise UserError(f"line {number} of the input is longer than {MAX_LINE_CHARS:,} characters: "
                            "--batch reads one JSON object per line; stopped there")
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            yield f"line {number}: not JSON ({exc.msg})"
            continue
        yield data if isinstance(data, dict) else f"line {number}: expected a JSON object"


def check_requests(requests: Iterable[dict | str], catalog) -> Iterator[dict]:
    """One result per request, in order; a malformed request gets an error result, not an exception."""
    packs: dict[str, object] = {}
    for request in requests:
        if isinstance(request, str):
            yield _problem(request)
            continue
        procedures, diagnoses = request.get("procedures"), request.get("diagnoses")
        procedures, diagnoses = [] if procedures is None else procedures, [] if diagnoses is None else diagnoses
        not_lists = [name for name, value in (("procedures", procedures), ("diagnoses", diagnoses))
                     if not isinstance(value, list)]
        if not_lists:
            yield _problem(f"{not_lists[0]}: give a list of codes, e.g. [\"W37.1\", \"Z94.2\"]")
            continue
        guidance = request.get("guidance")
        if guidance is not None and not isinstance(guidance, str):
            yield _problem("guidance: give the guidance id as text, e.g. \"IPG75\", or leave it out")
            continue
        try:
            patient = _patient(request.get("sex"), request.get("age"))
            procedures, diagnoses = [str(c) for c in procedures], [str(c) for c in diagnoses]
            _codes_or_refuse(procedures, "procedures")
            _codes_or_refuse(diagnoses, "diagnoses")
        except UserError as exc:
            yield _problem(str(exc))
            continue
        result = check_one(guidance, procedures, diagnoses, catalog, packs, patient=patient,
                           draft=request.get("draft") is True)
        if "problem" in result:
            yield _problem(result.pop("problem"))
        else:
            yield result


def check_one(guidance: str | None, procedures: list[str], diagnoses: list[str], catalog,
              packs: dict | None = None, *, patient=None, draft: bool = False) -> dict:
    """The edits of one sequence as ``{"errors": [...], "warnings": [...]}`` (or ``{"problem": ...}``).

    A finished episode unless ``draft``; ``patient`` (a rules ``Patient``) adds the sex and age
    limits, and without one they are said not to be checked."""
    from workbench.core.rules import find_pack, run_edits
    from workbench.core.rules.export import edit_as_dict

    pack = None
    if guidance:
        key = str(guidance)
        pack = packs.get(key) if packs is not None and key in packs else find_pack(key)
        if packs is not None:
            packs[key] = pack
        if pack is None:
            shown = key if len(key) <= 20 and key.isprintable() else key[:20].encode("unicode_escape").decode() + "..."
            return {"problem": f"guidance: no rule pack for '{shown}' (see 'workbench rules list')"}
    from workbench.core.rules import Patient

    edits = run_edits(procedures, diagnoses, catalog, pack, guidance=str(guidance) if guidance else None,
                      patient=patient or Patient(), finished=not draft)
    rows = [edit_as_dict(e) for e in edits]
    return {"errors": [r for r in rows if r["severity"] == "error"],
            "warnings": [r for r in rows if r["severity"] != "error"]}


def _problem(message: str) -> dict:
    return {"errors": [{"id": "bad-request", "severity": "error", "message": message, "position": None,
                        "classification": None}], "warnings": []}
