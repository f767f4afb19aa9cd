"""``workbench worklist``: import the PAS's consultant episodes, list them, track queries, remove."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from workbench.commands import UserError, options, print_json

HEADER_HELP = (
    "One row per finished consultant episode (FCE). Columns are found by name (case, spaces and "
    "hyphens ignored): patient (patient_id, hospital_number, hosp_no, mrn), nhs_number (nhs, nhs_no), "
    "episode: the spell (spell_no, spell, episode_ref), fce: the consultant episode number "
    "(epi_no, episode_number, fce_number, consultant_episode), start_date (adm_date, admission_date), "
    "end_date (disch_date, discharge_date), specialty (spec, treatment_function), consultant (cons), "
    "admission_method (adm_meth), ward, sex (gender), age. Every other column is kept as an extra "
    "detail and named in the report. Dates: dd/mm/yyyy or yyyy-mm-dd. Importing a newer extract "
    "updates uncoded items, never coded ones, and lists the uncoded items it no longer holds."
)
#: Vanished items named in the text report (all of them with --json).
SHOW_VANISHED = 20


def register(subparsers: Any) -> None:
    worklist = subparsers.add_parser("worklist", help="the worklist of uncoded episodes from the PAS")
    sub = worklist.add_subparsers(title="worklist commands", metavar="ACTION", required=True)

    imp = sub.add_parser("import", help="add or refresh from a CSV or tab-separated extract",
                         description=HEADER_HELP)
    imp.add_argument("file", help="the extract (.csv, or .tsv / tab-separated)")
    imp.add_argument("--map", action="append", default=[], metavar="COLUMN=FIELD",
                     help="your column name for a field, e.g. --map 'Hosp No=patient' (repeatable)")
    imp.add_argument("--json", action="store_true", help="print JSON")
    imp.set_defaults(handler=cmd_import)

    listing = sub.add_parser("list", help="items by spell date, FCEs of a spell together (open and query ones "
                             "by default)")
    listing.add_argument("--status", choices=["open", "query", "coded", "removed", "todo", "all"], default="todo")
    listing.add_argument("--specialty", help="part of the specialty")
    listing.add_argument("--since", help="episode start on or after this date")
    listing.add_argument("--until", help="episode start on or before this date")
    listing.add_argument("--mine", action="store_true", help="only items assigned to or claimed by you")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=cmd_list)

    show = sub.add_parser("show", help="one item: every detail the PAS sent, its query and its history")
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

    query = sub.add_parser("query", help="ask a clinician about an item, record the reply, resolve or reopen")
    query.add_argument("id", type=options.record_id)
    query.add_argument("--note", "--question", dest="note", help="the question (raises a query)")
    query.add_argument("--to", default="", help="the clinician asked (with --note)")
    query.add_argument("--sent", help="the day the query was sent (default today)")
    query.add_argument("--reply", help="record the clinician's reply")
    query.add_argument("--resolve", action="store_true", help="the query is settled: the item is open to code")
    query.add_argument("--reopen", action="store_true", help="a resolved query is not settled: wait again")
    query.add_argument("--json", action="store_true", help="print JSON")
    query.set_defaults(handler=cmd_query)

    queries = sub.add_parser("queries", help="queries waiting on a clinician, longest waiting first")
    queries.add_argument("--older-than", metavar="DAYS", help="only those sent at least this long ago (7d, 2w)")
    queries.add_argument("--json", action="store_true", help="print JSON")
    queries.set_defaults(handler=cmd_queries)

    remove = sub.add_parser("remove", help="take an uncoded item off the worklist, with the reason kept")
    remove.add_argument("id", type=options.record_id)
    remove.add_argument("--reason", required=True, help="why it is taken off (kept in its history)")
    remove.add_argument("--json", action="store_true", help="print JSON")
    remove.set_defaults(handler=cmd_remove)


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
    from workbench.core.safetext import visible

    def action() -> Any:
        mapping = parse_map(args.map)
        return _worklist(args).import_file(Path(args.file), mapping)

    report = _run(action)
    if args.json:
        print_json(report.as_dict())
    else:
        print(f"imported {report.imported} episode(s); {report.updated} updated; {report.already} already "
              f"on the worklist or in the log; {report.kept_coded} coded or removed, left as they were; "
              f"{len(report.refused)} row(s) refused")
        if report.unmapped:
            print("columns kept as extra details (not mapped to a field): "
                  + ", ".join(visible(name) for name in report.unmapped))
        if report.vanished:
            shown = ", ".join(str(i) for i in report.vanished[:SHOW_VANISHED])
            more = f" and {len(report.vanished) - SHOW_VANISHED} more" if len(report.vanished) > SHOW_VANISHED else ""
            print(f"{len(report.vanished)} uncoded item(s) no longer in this extract: {shown}{more} "
                  "(check them; 'workbench worklist remove ID --reason ...' takes one off)")
        for refused in report.refused:
            print(f"  {refused}", file=sys.stderr)
    return 1 if report.refused else 0


def _status(item: Any) -> str:
    if item.status == "query" and item.query is not None:
        return f"query {item.query.waiting_days()}d"
    return item.status


def _line(item: Any, allocation: Any = None) -> str:
    from workbench.core.dates import show_date
    from workbench.core.safetext import visible

    note = f"  ({visible(item.note)})" if item.note else ""
    linked = f"  episode {item.episode_id}" if item.episode_id else ""
    who = f"  [{visible(allocation.label())}]" if allocation is not None and allocation.label() else ""
    return (f"{item.id:>6}  {show_date(item.start_date):<11}  {visible(item.patient):<12} "
            f"{visible(item.reference):<14} {visible(item.specialty or '-'):<14} {_status(item):<9}{linked}{note}{who}")


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
    from workbench.core.dates import show_date
    from workbench.core.safetext import visible

    worklist = _worklist(args)
    item = _run(lambda: worklist.get(args.id))
    history = _run(lambda: worklist.history(args.id))
    if args.json:
        print_json({**item.as_dict(), "history": [e.as_dict() for e in history]})
        return 0
    for key, value in item.as_dict().items():
        if key in ("extra", "query", "note"):
            continue
        print(f"{key:<17} {'' if value is None else visible(value)}")
    for name, value in item.extra.items():
        print(f"  {visible(name)}: {visible(value)}")
    if item.query is not None:
        q = item.query
        print(f"query             {q.status}, to {visible(q.clinician) or '(not recorded)'}, sent "
              f"{show_date(q.sent_on)}: {visible(q.question)}")
        if q.reply:
            print(f"reply             {show_date(q.replied_on)}: {visible(q.reply)}")
    for event in history:
        print(f"  {event.at:%d/%m/%Y %H:%M}  {visible(event.coder)}  {visible(event.describe())}")
    return 0


def cmd_query(args: argparse.Namespace) -> int:
    chosen = [name for name, given in (("--note", bool((args.note or "").strip())), ("--reply", args.reply),
                                        ("--resolve", args.resolve), ("--reopen", args.reopen)) if given]
    if len(chosen) != 1:
        raise UserError("give one of --note (raise a query), --reply, --resolve or --reopen"
                        if not chosen else f"{' and '.join(chosen)}: one at a time")
    sent = _date(args.sent, "--sent")

    def action() -> Any:
        worklist = _worklist(args)
        if args.reply:
            return worklist.record_reply(args.id, args.reply)
        if args.resolve:
            return worklist.resolve(args.id)
        if args.reopen:
            return worklist.reopen_query(args.id)
        return worklist.raise_query(args.id, args.note, to=args.to, sent_on=sent)

    item = _run(action)
    print_json(item.as_dict()) if args.json else print(_line(item))
    return 0


def cmd_queries(args: argparse.Namespace) -> int:
    from workbench.core.dates import DateError, parse_days, show_date
    from workbench.core.safetext import visible

    try:
        days = parse_days(args.older_than) if args.older_than else None
    except DateError as exc:
        raise UserError(f"--older-than: {exc}") from None
    items = _run(lambda: _worklist(args).waiting(days))
    if args.json:
        print_json([i.as_dict() for i in items])
        return 0
    for item in items:
        q = item.query
        assert q is not None
        print(f"{item.id:>6}  sent {show_date(q.sent_on):<11} {q.waiting_days():>3}d  {q.status:<8} "
              f"to {visible(q.clinician) or '-':<14} {visible(item.reference):<12} {visible(q.question)}")
    if not items:
        print("no queries waiting" + (f" longer than {days} day(s)" if days else ""))
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    item = _run(lambda: _worklist(args).remove(args.id, args.reason))
    print_json(item.as_dict()) if args.json else print(_line(item))
    return 0
