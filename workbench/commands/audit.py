"""``workbench audit``: draw a sample, re-code it blind, compare, review, report.

The app does the same (F4). Until an auditor's coding of an episode is saved, no audit
command prints that episode's codes, coder or checks.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from workbench.commands import UserError, options, print_json
from workbench.core.safetext import visible

ERROR_TYPE_CHOICES = ("coder", "documentation", "other")


def register(subparsers: Any) -> None:
    audit = subparsers.add_parser("audit", help="the coding audit: sample, blind re-code, compare, report",
                                  description="Clinical coding audit by the NHS method: a reproducible "
                                  "sample of saved episodes is re-coded blind and compared by code type.")
    sub = audit.add_subparsers(title="audit commands", metavar="ACTION", required=True)

    new = sub.add_parser("new", help="draw and store a reproducible random sample of saved episodes")
    new.add_argument("--size", type=options.whole_number(1, 10_000, "the size"), required=True,
                     help="how many episodes (FCEs)")
    new.add_argument("--since", help="episode start on or after this date")
    new.add_argument("--until", help="episode start on or before this date")
    new.add_argument("--coder", help="only episodes whose latest version this OS login saved")
    new.add_argument("--specialty", help="only this specialty (case ignored)")
    new.add_argument("--guidance", help="only episodes coded with this guidance, e.g. IPG75")
    new.add_argument("--seed", type=options.whole_number(0, 2**62, "the seed"),
                     help="the random seed (the same seed on the same log draws the same sample); "
                          "default: a new one, printed and stored")
    new.add_argument("--stratify", choices=["specialty", "coder"],
                     help="share the size between specialties or coders in proportion to their episodes")
    new.add_argument("--name", help="a name for the sample (default: 'Audit sample N')")
    new.add_argument("--auditor", help="the OS login who re-codes it blind (default: you)")
    new.add_argument("--json", action="store_true", help="print JSON")
    new.set_defaults(handler=cmd_new)

    listing = sub.add_parser("list", help="the samples drawn, with how many are audited")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_list)

    show = sub.add_parser("show", help="one sample: how it was drawn and its episodes (never their codes)")
    show.add_argument("sample", type=options.record_id)
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=cmd_show)

    code = sub.add_parser("code", help="save your blind coding of a sampled episode (checked as log add "
                                       "checks; the log's episode is not changed)")
    code.add_argument("sample", type=options.record_id)
    code.add_argument("episode", type=options.record_id)
    from workbench.commands.log import _coding_options

    _coding_options(code)
    code.set_defaults(handler=cmd_code)

    compare = sub.add_parser("compare", help="an audited episode: the original coding, yours, the "
                                             "differences (refused until you have coded it)")
    compare.add_argument("sample", type=options.record_id)
    compare.add_argument("episode", type=options.record_id)
    compare.add_argument("--json", action="store_true")
    compare.set_defaults(handler=cmd_compare)

    review = sub.add_parser("review", help="record a difference's error type, note and agreement")
    review.add_argument("sample", type=options.record_id)
    review.add_argument("episode", type=options.record_id)
    review.add_argument("difference", type=options.whole_number(1, 1000, "the difference number"),
                        help="its number in 'audit compare'")
    review.add_argument("--error-type", choices=ERROR_TYPE_CHOICES)
    review.add_argument("--note")
    agree = review.add_mutually_exclusive_group()
    agree.add_argument("--agree", dest="agreed", action="store_const", const=True, default=None,
                       help="the coder (or manager) agrees with the auditor")
    agree.add_argument("--disagree", dest="agreed", action="store_const", const=False)
    review.add_argument("--json", action="store_true")
    review.set_defaults(handler=cmd_review)

    report = sub.add_parser("report", help="accuracy per code type with the attainment level, per coder "
                                           "and specialty, and every difference")
    report.add_argument("sample", type=options.record_id)
    report.add_argument("--json", action="store_true", help="print JSON")
    report.add_argument("--csv", metavar="FILE", help="write CSV to FILE (- for stdout)")
    report.add_argument("--html", metavar="FILE", help="write one self-contained HTML document (A4)")
    report.add_argument("--force", action="store_true", help="replace FILE if it exists")
    report.set_defaults(handler=cmd_report)


def _audits(args: argparse.Namespace) -> Any:
    from workbench.commands.log import open_log
    from workbench.core.audit import Audits

    return Audits(open_log(args))


def _run(action: Any) -> Any:
    from workbench.core.episodes import LogError

    try:
        return action()
    except LogError as exc:
        raise UserError(str(exc)) from None


def _date(text: str | None, what: str) -> Any:
    from workbench.commands.worklist import _date as parse

    return parse(text, what)


def cmd_new(args: argparse.Namespace) -> int:
    from workbench.commands.log import _coder
    from workbench.core.audit import checked_method

    def action() -> Any:
        method = checked_method(args.size, args.seed, since=_date(args.since, "--since"),
                                until=_date(args.until, "--until"), coder=args.coder,
                                specialty=args.specialty, guidance=args.guidance, stratify=args.stratify)
        return _audits(args).new_sample(method, drawn_by=_coder(), auditor=args.auditor, name=args.name)

    info = _run(action)
    if args.json:
        print_json(info.as_dict())
        return 0
    print(f"audit sample {info.id} ({visible(info.name)}): {info.size} episode(s) drawn from "
          f"{info.candidates:,} in the date range; {visible(info.method.describe())}")
    if info.size < info.method.size:
        print(f"only {info.size} episode(s) match: the sample is smaller than asked", file=sys.stderr)
    print(f"drawn by {visible(info.drawn_by)}; auditor {visible(info.auditor)} (blind until each episode "
          f"is coded). Next: workbench audit show {info.id}, or F4 in the app")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    samples = _run(lambda: _audits(args).samples())
    if args.json:
        print_json([s.as_dict() for s in samples])
        return 0
    for s in samples:
        print(f"{s.id:>4}  {s.drawn_at[:10]}  {s.audited:>4}/{s.size:<4} audited  {visible(s.name)}  "
              f"auditor {visible(s.auditor)}  ({visible(s.method.describe())})")
    if not samples:
        print("no audit samples yet: workbench audit new --size 50", file=sys.stderr)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    def action() -> Any:
        audits = _audits(args)
        return audits.sample(args.sample), audits.items(args.sample)

    info, items = _run(action)
    if args.json:
        print_json({"sample": info.as_dict(), "episodes": [i.as_dict() for i in items]})
        return 0
    print(f"audit sample {info.id}: {visible(info.name)} · {visible(info.method.describe())} · drawn by "
          f"{visible(info.drawn_by)} on {info.drawn_at[:16]} · auditor {visible(info.auditor)} · "
          f"{info.audited}/{info.size} audited")
    from workbench.core.dates import show_date

    for item in items:
        d = item.details
        who = (f"{visible(d.patient):<12} {visible(d.episode):<12} {show_date(d.date):<11} "
               f"{visible(d.specialty or '-'):<18}") if d else "(details damaged)"
        print(f"{item.position:>4}  episode {item.episode_id:<8} {who} {'audited' if item.audited else 'to code'}")
    return 0


def cmd_code(args: argparse.Namespace) -> int:
    from workbench.commands.log import _coder, _prepare
    from workbench.core.audit import AuditCoding

    def action() -> Any:
        audits = _audits(args)
        item = audits.item(args.sample, args.episode)
        d = item.details
        prepared = _prepare(args, d.sex if d else None, d.age if d else None)
        coding = AuditCoding([e.code for e in prepared.procedures], [e.code for e in prepared.diagnoses],
                             [e.mark for e in prepared.diagnoses],
                             [prepared.guidance_id] if prepared.guidance_id else [], dict(prepared.answers),
                             [{"id": o.edit_id, "severity": "error", "message": o.reason}
                              for o in prepared.overrides])
        return audits.save_coding(args.sample, args.episode, coding, auditor=_coder())

    from workbench.commands.log import _run as run_coding

    result = run_coding(action)
    if args.json:
        print_json(result.as_dict())
    else:
        print(f"audit coding of episode {args.episode} saved (sample {args.sample}); the log's episode "
              "is unchanged")
        _print_comparison(result)
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    result = _run(lambda: _audits(args).comparison(args.sample, args.episode))
    if args.json:
        print_json(result.as_dict())
    else:
        _print_comparison(result)
    return 0


def _print_comparison(c: Any) -> None:
    print(f"episode {c.episode_id} (sample {c.sample_id}, #{c.position}) coded by {visible(c.coder)}; "
          f"audited by {visible(c.auditor)}")
    print(f"  coded:  procedures {visible(' '.join(c.original_procedures) or '-')} | diagnoses "
          f"{visible(' '.join(c.original_diagnoses) or '-')}")
    print(f"  audit:  procedures {visible(' '.join(c.audit.procedures) or '-')} | diagnoses "
          f"{visible(' '.join(c.audit.diagnoses) or '-')}")
    if not c.reviews:
        print("  no differences")
    for number, r in enumerate(c.reviews, start=1):
        extra = [x for x in (r.error_type and f"error type {r.error_type}",
                             r.agreed is not None and ("agreed" if r.agreed else "not agreed"),
                             r.note and f"note: {visible(r.note)}") if x]
        print(f"  {number}. {visible(r.difference.describe())}" + (f"  [{'; '.join(extra)}]" if extra else ""))


def cmd_review(args: argparse.Namespace) -> int:
    from workbench.commands.log import _coder

    def action() -> Any:
        audits = _audits(args)
        current = audits.comparison(args.sample, args.episode)
        if args.difference > len(current.reviews):
            raise UserError(f"episode {args.episode} has {len(current.reviews)} difference(s); see "
                            f"'workbench audit compare {args.sample} {args.episode}'")
        key = current.reviews[args.difference - 1].difference.key
        return audits.review(args.sample, args.episode, key, reviewer=_coder(), error_type=args.error_type,
                             note=args.note, agreed=args.agreed)

    reviewed = _run(action)
    if args.json:
        print_json({"difference": reviewed.difference.key, "error_type": reviewed.error_type,
                    "note": reviewed.note, "agreed": reviewed.agreed})
    else:
        print(f"recorded: {visible(reviewed.difference.describe())}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    report = _run(lambda: _audits(args).report(args.sample))
    wrote = False
    if args.csv:
        from workbench.core.audit.report import write_csv

        _write(args.csv, lambda out: write_csv(report, out), args.force)
        wrote = True
    if args.html:
        from workbench.core.audit.html import render

        _write(args.html, lambda out: out.write(render(report)), args.force)
        wrote = True
    if args.json:
        print_json(report.as_dict())
    elif not wrote:
        print_report(report)
    return 0


def _write(target: str, writer: Any, force: bool) -> None:
    """A new 0600 file renamed into place (never the log, never through a symlink), or stdout."""
    if target == "-":
        writer(sys.stdout)
        return
    from workbench.core.episodes.export_file import export_target

    path = Path(target).expanduser()
    from workbench.core.episodes import LogError

    try:
        with export_target(path, [], force=force) as out:
            writer(out)
    except LogError as exc:
        raise UserError(str(exc)) from None
    print(f"wrote {target}", file=sys.stderr)


def print_report(report: Any) -> None:
    from workbench.core.audit.compare import KIND_TITLES, TYPE_TITLES

    print(f"audit sample {report.sample_id}: {visible(report.name)} · {report.audited} of {report.sampled} "
          f"episodes audited · attainment: {report.overall.level}")
    print(f"{'code type':<22}{'right':>7}{'of':>6}{'accuracy':>10}  level (Level 2 / Level 3 targets)")
    from workbench.core.audit.report import TARGETS

    for t in report.overall.types:
        percent = "-" if t.percent is None else f"{t.percent:.2f}%"
        print(f"{TYPE_TITLES[t.code_type]:<22}{t.right:>7}{t.counted:>6}{percent:>10}  {t.level} "
              f"({TARGETS['Level 2'][t.code_type]:.0f}% / {TARGETS['Level 3'][t.code_type]:.0f}%)")
    for title, groups in (("by coder", report.by_coder), ("by specialty", report.by_specialty)):
        print(title + ":")
        for g in groups:
            cells = " · ".join(f"{TYPE_TITLES[t.code_type]} {'-' if t.percent is None else f'{t.percent:.1f}%'}"
                               for t in g.types)
            print(f"  {visible(g.name)} ({g.episodes} episodes, {g.level}): {cells}")
    print(f"differences ({len(report.differences)}):")
    for d in report.differences:
        extra = ", ".join(x for x in (d.error_type, None if d.agreed is None else ("agreed" if d.agreed else
                                                                                     "not agreed")) if x)
        print(f"  #{d.position} episode {d.episode_id} ({visible(d.coder)}): {TYPE_TITLES[d.code_type]}, "
              f"{KIND_TITLES[d.kind]}: {visible(d.original or '-')} -> {visible(d.audit or '-')}"
              + (f" [{extra}]" if extra else "") + (f" {visible(d.note)}" if d.note else ""))
