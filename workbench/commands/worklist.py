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
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=cmd_list)

    show = sub.add_parser("show", help="one item")
    show.add_argument("id", type=options.record_id)
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler=cmd_show)

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


def _line(item: Any) -> str:
    from workbench.core.dates import show_date

    note = f"  ({item.note})" if item.status == "query" and item.note else ""
    if item.status == "query" and item.query_by:
        note += f"  raised by {item.query_by}"
    linked = f"  episode {item.episode_id}" if item.episode_id else ""
    return (f"{item.id:>6}  {show_date(item.start_date):<11}  {item.patient:<12} {item.episode:<12} "
            f"{(item.specialty or '-'):<14} {item.status:<6}{linked}{note}")


def cmd_list(args: argparse.Namespace) -> int:
    status = None if args.status == "all" else args.status
    since, until = _date(args.since, "--since"), _date(args.until, "--until")
    items = _run(lambda: _worklist(args).items(status=status, specialty=args.specialty,
                                               since=since, until=until))
    if args.json:
        print_json([i.as_dict() for i in items])
    else:
        for item in items:
            print(_line(item))
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
