"""``workbench worklist``: import the PAS's uncoded episodes, list them, mark queries."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from workbench.commands import UserError, options, print_json

HEADER_HELP = (
    "Columns are found by name (case, spaces and hyphens ignored): "
    "patient (patient_id, hospital_number, mrn), nhs_number (nhs, nhs_no), "
    "episode (episode_ref, spell, fce), start_date (start, admission_date), "
    "end_date (end, discharge_date), specialty (speciality, treatment_function), "
    "consultant, and optionally sex (gender) and age. Dates: dd/mm/yyyy or yyyy-mm-dd."
)


def register(subparsers: Any) -> None:
    worklist = subparsers.add_parser("worklist", help="the worklist of uncoded episodes from the PAS")
    sub = worklist.add_subparsers(title="worklist commands", metavar="ACTION", required=True)

    imp = sub.add_parser("import", help="add a CSV or tab-separated extract of uncoded episodes",
                         description=HEADER_HELP)
    imp.add_argument("file", help="the extract (.csv, or .tsv / tab-separated)")
    imp.add_argument("--map", action="append", default=[], metavar="COLUMN=FIELD",
                     help="your column name for a field, e.g. --map 'Hosp No=patient' (repeatable)")
    imp.add_argument("--json", action="store_true", help="print JSON")
    imp.set_defaults(handler=cmd_import)

    listing = sub.add_parser("list", help="items oldest first (open and query ones by default)")
    listing.add_argument("--status", choices=["open", "query", "coded", "todo", "all"], default="todo")
    listing.add_argument("--specialty", help="part of the specialty")
    listing.add_argument("--since", help="episode start on or after this date")
    listing.add_argument("--until", help="episode start on or before this date")
    listing.add_argument("--mine", action="store_true", help="only items assigned to or claimed by you")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=cmd_list)

    show = sub.add_parser("show", help="one item")
    show.add_argument("id", type=options.record_id)
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler=cmd_show)

    assign = sub.add_parser("assign", help="put an item on a coder's list (it comes first in theirs)")
    assign.add_argument("id", type=options.record_id)
    who = assign.add_mutually_exclusive_group(required=True)
    who.add_argument("--to", metavar="CODER", help="the coder's login")
    who.add_argument("--nobody", action="store_true", help="on no one's list")
    assign.add_argument("--json", action="store_true", help="print JSON")
    assign.set_defaults(handler=cmd_assign)

    claim = sub.add_parser("claim", help="claim an item you are coding (no one else can code it meanwhile)")
    claim.add_argument("id", type=options.record_id)
    claim.add_argument("--json", action="store_true", help="print JSON")
    claim.set_defaults(handler=cmd_claim)

    release = sub.add_parser("release", help="let go of your claim on an item")
    release.add_argument("id", type=options.record_id)
    release.add_argument("--anyone", action="store_true", help="whoever holds it (a manager)")
    release.set_defaults(handler=cmd_release)

    query = sub.add_parser("query", help="mark an item as waiting on a clinician, with a note")
    query.add_argument("id", type=options.record_id)
    query.add_argument("--note", help="what the query is about (required unless --reopen)")
    query.add_argument("--reopen", action="store_true", help="the query is answered: open it again")
    query.add_argument("--json", action="store_true", help="print JSON")
    query.set_defaults(handler=cmd_query)


def _worklist(args: argparse.Namespace) -> Any:
    from workbench.commands.log import open_log
    from workbench.core.episodes.worklist import Worklist

    return Worklist(open_log(args))


def _run(action: Any) -> Any:
    from workbench.core.episodes import LogError

    try:
        return action()
    except LogError as exc:
        raise UserError(str(exc)) from None


def _date(text: str | None, what: str) -> Any:
    if not text:
        return None
    from workbench.core.dates import DateError, parse_coder_date

    try:
        return parse_coder_date(text)
    except DateError as exc:
        raise UserError(f"{what}: {exc}") from None


def cmd_import(args: argparse.Namespace) -> int:
    from workbench.core.episodes.worklist_file import parse_map

    def action() -> Any:
        mapping = parse_map(args.map)
        return _worklist(args).import_file(Path(args.file), mapping)

    report = _run(action)
    if args.json:
        print_json(report.as_dict())
    else:
        print(f"imported {report.imported} episode(s); {report.already} already on the worklist or in the log; "
              f"{len(report.refused)} row(s) refused")
        for refused in report.refused:
            print(f"  {refused}", file=sys.stderr)
    return 1 if report.refused else 0


def _line(item: Any, allocation: Any = None) -> str:
    from workbench.core.dates import show_date

    note = f"  ({item.note})" if item.status == "query" and item.note else ""
    if item.status == "query" and item.query_by:
        note += f"  raised by {item.query_by}"
    linked = f"  episode {item.episode_id}" if item.episode_id else ""
    who = f"  [{allocation.label()}]" if allocation is not None and allocation.label() else ""
    return (f"{item.id:>6}  {show_date(item.start_date):<11}  {item.patient:<12} {item.episode:<12} "
            f"{(item.specialty or '-'):<14} {item.status:<6}{linked}{note}{who}")


def _me() -> str:
    from workbench.commands.log import _coder

    return _coder()


def cmd_list(args: argparse.Namespace) -> int:
    from workbench.core.episodes.allocation import Allocations

    status = None if args.status == "all" else args.status
    since, until = _date(args.since, "--since"), _date(args.until, "--until")
    me = _me()

    def action() -> Any:
        worklist = _worklist(args)
        items = worklist.items(status=status, specialty=args.specialty, since=since, until=until)
        return Allocations(worklist.log).ordered(items, me)     # yours first

    paired = _run(action)
    if args.mine:
        paired = [(item, allocation) for item, allocation in paired if allocation.is_for(me)]
    if args.json:
        print_json([{**item.as_dict(), **allocation.as_dict()} for item, allocation in paired])
    else:
        for item, allocation in paired:
            print(_line(item, allocation))
    return 0


def _allocations(args: argparse.Namespace) -> Any:
    from workbench.core.episodes.allocation import Allocations

    return Allocations(_worklist(args).log)


def cmd_assign(args: argparse.Namespace) -> int:
    me = _me()
    allocation = _run(lambda: _allocations(args).assign(args.id, None if args.nobody else args.to, by=me))
    if args.json:
        print_json({"id": args.id, **allocation.as_dict()})
    else:
        owner = f"{allocation.assigned_to}'s" if allocation.assigned_to else "no one's"
        print(f"worklist item {args.id} is on {owner} list")
    return 0


def cmd_claim(args: argparse.Namespace) -> int:
    from workbench.core.episodes.allocation import ItemTaken

    me = _me()
    try:
        allocation = _run(lambda: _allocations(args).claim(args.id, me))
    except UserError as exc:
        if isinstance(exc.__context__, ItemTaken):     # taken is an answer, not a usage mistake
            raise UserError(str(exc), exit_code=1) from None
        raise
    if args.json:
        print_json({"id": args.id, **allocation.as_dict()})
    else:
        print(f"worklist item {args.id} is yours to code until {allocation.claim_until}")
    return 0


def cmd_release(args: argparse.Namespace) -> int:
    me = _me()
    _run(lambda: _allocations(args).release(args.id, me, anyone=args.anyone))
    print(f"worklist item {args.id} is free to code")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    item = _run(lambda: _worklist(args).get(args.id))
    if args.json:
        print_json(item.as_dict())
    else:
        for key, value in item.as_dict().items():
            print(f"{key:<12} {'' if value is None else value}")
    return 0


def cmd_query(args: argparse.Namespace) -> int:
    if not args.reopen and not (args.note or "").strip():
        raise UserError("--note: say what the query is about (or --reopen)")

    def action() -> Any:
        worklist = _worklist(args)
        if args.reopen:
            return worklist.reopen(args.id)
        from workbench.commands.log import _coder

        return worklist.mark_query(args.id, args.note, _coder())

    item = _run(action)
    print_json(item.as_dict()) if args.json else print(_line(item))
    return 0
