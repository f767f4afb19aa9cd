"""``workbench stats``: a coding manager's productivity figures (the app's manager screen, F5)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import Any

from workbench.commands import UserError, print_json
from workbench.core.safetext import visible


def register(subparsers: Any) -> None:
    stats = subparsers.add_parser(
        "stats", help="productivity: episodes coded, time per episode, queries, guidance, overrides",
        description="Figures over the versions saved between two dates (by save time): episodes coded, "
                    "amended and voided, median and 90th percentile minutes from draft start to save, "
                    "queries raised and still outstanding, guidance used, checks overridden.")
    stats.add_argument("--since", help="saved on or after this date (default: 30 days ago)")
    stats.add_argument("--until", help="saved on or before this date (default: today)")
    stats.add_argument("--by", choices=["coder", "specialty", "day"], help="one row per coder, specialty or day")
    stats.add_argument("--json", action="store_true", help="print JSON")
    stats.set_defaults(handler=cmd_stats)


def period(since_text: str | None, until_text: str | None) -> tuple[dt.date, dt.date]:
    from workbench.commands.worklist import _date

    until = _date(until_text, "--until") or dt.date.today()
    since = _date(since_text, "--since") or until - dt.timedelta(days=30)
    return since, until


def cmd_stats(args: argparse.Namespace) -> int:
    from workbench.commands.log import open_log
    from workbench.core.episodes import LogError
    from workbench.core.episodes.stats import productivity

    since, until = period(args.since, args.until)
    try:
        with open_log(args) as log:
            figures = productivity(log.connection, since, until, args.by)
    except LogError as exc:
        raise UserError(str(exc)) from None
    if args.json:
        print_json(figures.as_dict())
        return 0
    print(f"saved {since.isoformat()} to {until.isoformat()}" + (f", by {args.by}" if args.by else ""))
    header = (f"{(args.by or ''):<24}{'coded':>7}{'amend':>7}{'void':>6}{'median':>8}{'p90':>7}"
              f"{'queries':>9}{'waiting':>9}{'guided':>8}{'overr.':>8}")
    print(header)
    for row in [*figures.groups, figures.total]:
        print(_line(row))
    if figures.total.guidance:
        top = ", ".join(f"{visible(g)} {n}" for g, n in figures.total.guidance.most_common(5))
        print(f"guidance used most: {top}")
    if figures.total.overridden_edits:
        top = ", ".join(f"{visible(e)} {n}" for e, n in figures.total.overridden_edits.most_common(5))
        print(f"checks overridden: {top}")
    if not figures.total.episodes and not figures.total.amended:
        print("nothing was saved in this period", file=sys.stderr)
    return 0


def _minutes(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}m"


def _line(row: Any) -> str:
    return (f"{visible(row.key)[:23]:<24}{row.episodes:>7}{row.amended:>7}{row.voided:>6}"
            f"{_minutes(row.median_minutes):>8}{_minutes(row.p90_minutes):>7}{row.queries_raised:>9}"
            f"{row.queries_outstanding:>9}{row.with_guidance:>8}{row.overridden:>8}")
