"""``workbench log``: add, list, show, amend, void, export and verify coded episodes.

Mirrors :class:`workbench.core.episodes.EpisodeLog`; every data command takes --json.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from typing import Any

from workbench.commands import UserError, options, print_json
from workbench.commands import details as details_input
from workbench.core.safetext import visible


def register(subparsers: Any) -> None:
    log = subparsers.add_parser("log", help="the episode log: add, list, show, amend, void, export, verify",
                                description="Coded episodes, every version kept.")
    sub = log.add_subparsers(title="log commands", metavar="ACTION", required=True)

    add = sub.add_parser("add", help="code and save a new episode")
    details_input.add_details_option(add)
    add.add_argument("--patient", help="local patient identifier (visible to other users: prefer --details)")
    add.add_argument("--nhs", help="NHS number, 10 digits, check digit verified (prefer --details)")
    add.add_argument("--episode", help="spell or consultant episode reference (prefer --details)")
    add.add_argument("--date", help="episode start date: dd/mm/yyyy, yyyy-mm-dd, today or yesterday")
    add.add_argument("--specialty", help="specialty (optional)")
    add.add_argument("--sex", help="male or female (m/f; optional): ICD-10 sex limits are checked")
    add.add_argument("--age", help="age at the episode start in years (optional): ICD-10 age limits are checked")
    add.add_argument("--fce", help="the consultant episode's number within its spell (optional; --episode is then "
                     "the spell)")
    add.add_argument("--end-date", dest="end_date", help="discharge (episode end) date (optional)")
    add.add_argument("--consultant", help="consultant code or name (optional)")
    add.add_argument("--note", help="a note kept with this version")
    add.add_argument("--save-id", help="an id you choose for this save: repeating the command with the "
                                       "same id (after a crash) returns the first result, never a second episode")
    add.add_argument("--duplicate-reason", metavar="REASON",
                     help="save although a live episode has the same patient, episode and date")
    _coding_options(add)
    add.set_defaults(handler=cmd_add)

    listing = sub.add_parser("list", help="the latest version of matching episodes, newest first")
    listing.add_argument("--patient")
    listing.add_argument("--nhs")
    listing.add_argument("--code", help="a code (L80.4, l804) or a whole category (L80)")
    listing.add_argument("--guidance", help="e.g. IPG75")
    listing.add_argument("--coder")
    listing.add_argument("--since", help="episode date on or after (dd/mm/yyyy or yyyy-mm-dd)")
    listing.add_argument("--until", help="episode date on or before (dd/mm/yyyy or yyyy-mm-dd)")
    listing.add_argument("--status", choices=["final", "amended", "voided"])
    listing.add_argument("--limit", type=options.limit, metavar="N", help="at most this many episodes")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=cmd_list)

    show = sub.add_parser("show", help="one episode (latest version, or --history for all)")
    show.add_argument("id", type=options.record_id)
    show.add_argument("--history", action="store_true", help="every version, oldest first")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=cmd_show)

    amend = sub.add_parser("amend", help="save new codes for an episode (adds a version)")
    amend.add_argument("id", type=options.record_id)
    details_input.add_details_option(amend)
    amend.add_argument("--reason", help="why the episode is amended (or reason= in --details)")
    amend.add_argument("--note")
    _coding_options(amend)
    amend.set_defaults(handler=cmd_amend)

    void = sub.add_parser("void", help="mark an episode void (adds a version; nothing is deleted)")
    void.add_argument("id", type=options.record_id)
    void.add_argument("--reason", required=True)
    void.add_argument("--json", action="store_true")
    void.set_defaults(handler=cmd_void)

    export = sub.add_parser("export", help="write episodes as CSV or JSON (streamed)")
    export.add_argument("--format", choices=["csv", "json"],
                        help="csv (cells starting =, +, -, @ get a leading ') or json; "
                             "default: json for a FILE ending .json, otherwise csv")
    export.add_argument("--since")
    export.add_argument("--until")
    export.add_argument("--all-versions", action="store_true", help="one row per version, not per episode")
    export.add_argument("-o", "--output", metavar="FILE", help="file to write (mode 0600); default stdout")
    export.add_argument("--force", action="store_true", help="replace FILE if it exists")
    export.set_defaults(handler=cmd_export)

    verify = sub.add_parser("verify", help="check the file, the hash chain and the checkpoints; "
                                           "exit 1 naming broken episodes")
    verify.add_argument("--checkpoints", metavar="FILE", help="the checkpoint file (default: see README)")
    verify.add_argument("--expect", action="append", default=[], metavar="VERSIONS:HASH",
                        help="a checkpoint kept elsewhere, as printed by 'log checkpoint' (repeat)")
    verify.add_argument("--incremental", action="store_true",
                        help="only what was saved since the last full verify that passed (fast)")
    verify.add_argument("--key-file", metavar="FILE", help="the department key (default: config / "
                                                           "$WORKBENCH_LOG_KEY_FILE)")
    verify.add_argument("--json", action="store_true")
    verify.set_defaults(handler=cmd_verify)

    checkpoint = sub.add_parser("checkpoint", help="record the log's version count and head hash now "
                                                   "(every save does too), to keep or print elsewhere")
    checkpoint.add_argument("--checkpoints", metavar="FILE", help="append to this file (default: see README)")
    checkpoint.add_argument("--json", action="store_true")
    checkpoint.set_defaults(handler=cmd_checkpoint)

    key = sub.add_parser("key", help="make a department key file (a keyed hash on every version)")
    key.add_argument("--new", metavar="FILE", required=True, help="write a new random key here (mode 0600)")
    key.set_defaults(handler=cmd_key)

    copy = sub.add_parser("copy", help="copy this log to a department's PostgreSQL server, verifying both ends")
    copy.add_argument("--to", required=True, metavar="URL",
                      help="the server's log (made by 'workbench db init'), which must be empty")
    copy.add_argument("--json", action="store_true")
    copy.set_defaults(handler=cmd_copy)

    drafts = sub.add_parser("drafts", help="your unfinished episodes (wizard drafts)")
    drafts.add_argument("--discard", type=options.record_id, metavar="ID", help="discard this draft")
    drafts.add_argument("--json", action="store_true")
    drafts.set_defaults(handler=cmd_drafts)


def _coding_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--procedures", help='OPCS-4 codes in order, e.g. "K57.8 Y02.1"')
    parser.add_argument("--diagnoses", help='ICD-10 codes, primary first, e.g. "I50.0 I10"')
    parser.add_argument("--guidance", help="code with this guidance's rule pack, e.g. IPG655")
    parser.add_argument("--answer", action="append", default=[], metavar="QID=VALUE",
                        help="an answer to the pack's question (repeat; multi/code lists comma-separated)")
    parser.add_argument("--override", metavar="REASON", help="save despite failing checks, recording why")
    parser.add_argument("--json", action="store_true")


# ---------------------------------------------------------------- helpers


def open_log(args: argparse.Namespace, *, create: bool = True) -> Any:
    """The log chosen by --log, $WORKBENCH_LOG or the config: a file, or a PostgreSQL server.
    ``create=False`` for commands that only read it (never make a log file)."""
    from workbench.core.episodes import LogError, open_episode_log
    from workbench.core.paths import ConfigError, log_target

    try:
        log = open_episode_log(log_target(getattr(args, "log", None)), create=create,
                               checkpoint_file=getattr(args, "checkpoints", None),
                               key_file=getattr(args, "key_file", None))
    except (LogError, ConfigError) as exc:
        raise UserError(str(exc)) from None
    for warning in log.warnings:
        print(f"workbench: warning: {warning}", file=sys.stderr)
    from workbench.core.paths import exposure_warnings

    files = [] if log.path is None else exposure_warnings(log.path, include_log=False)
    for warning in files:   # the file itself: log.warnings
        if warning not in log.warnings:
            print(f"workbench: warning: {warning}", file=sys.stderr)
    log.on_notice = lambda message: print(f"workbench: warning: {message}", file=sys.stderr)
    log.on_wait = lambda seconds: print(
        f"workbench: another coder is saving to the log; waiting for our turn (up to "
        f"{_patience():.0f} s, nothing is lost meanwhile)...", file=sys.stderr, flush=True)
    return log


def _patience() -> float:
    from workbench.core.episodes import storage

    return storage.WRITE_PATIENCE_S


def _coder() -> Any:
    """Who is saving: the OS login with the config's labels (never an option or a variable)."""
    import os

    from workbench.core.episodes import LogError, resolve_coder

    try:
        coder = resolve_coder()
    except LogError as exc:
        raise UserError(str(exc)) from None
    if os.environ.get("WORKBENCH_CODER", "").strip():
        print(f"workbench: warning: $WORKBENCH_CODER is not used: saves are recorded under your "
              f"login ({visible(coder.login)}); a display name goes in the config's [coder] name",
              file=sys.stderr)
    return coder


def _catalog() -> Any:
    try:
        from workbench.core.classifications import Classifications
        from workbench.core.refdb import open_reference_db

        return Classifications(open_reference_db())
    except UserError:
        raise
    except Exception as exc:  # the reference database is another module's; keep its message
        raise UserError(f"the code reference database is not available: {exc}") from None


def _prepare(args: argparse.Namespace, sex: str | None = None, age: int | None = None) -> Any:
    """Rules (with --guidance) or hand-entered codes, then the validation edits."""
    from workbench.core.episodes.coding import (
        parse_answer_args,
        prepare_by_hand,
        prepare_from_guidance,
        with_overrides,
    )

    if args.answer and not args.guidance:
        raise UserError("--answer needs --guidance (the pack the questions belong to)")
    if not args.guidance and not args.procedures and not args.diagnoses:
        raise UserError("give the codes: --procedures \"K57.8 Y02.1\" or --guidance ID --answer QID=VALUE")
    catalog = _catalog()
    if args.guidance and (args.answer or not args.procedures):
        # The pack's codes from the answers, plus any extra procedures the coder gives.
        prepared = prepare_from_guidance(args.guidance, parse_answer_args(args.answer), catalog,
                                         diagnoses=args.diagnoses, procedures=args.procedures,
                                         sex=sex, age=age)
    else:
        # Typed by hand; with --guidance the pack still checks them.
        prepared = prepare_by_hand(args.procedures, args.diagnoses, catalog, guidance_id=args.guidance,
                                   sex=sex, age=age)
    for note in prepared.notes:
        print(f"workbench: note: {note}", file=sys.stderr)
    for warning in prepared.warnings:
        print(f"workbench: {warning.severity}: {warning.message}", file=sys.stderr)
    return with_overrides(prepared, args.override)


def _run(action: Any) -> Any:
    from workbench.core.episodes import LogError
    from workbench.core.episodes.coding import AnswersIncomplete, ChecksFailed

    try:
        return action()
    except (ChecksFailed, AnswersIncomplete) as exc:
        # Refused on coding grounds, not a usage mistake: exit 1, like verify's findings.
        raise UserError(str(exc), exit_code=1) from None
    except LogError as exc:
        raise UserError(str(exc)) from None


def _codes(entries: list[Any]) -> str:
    return visible(" ".join(e.shown() for e in entries) or "-")


def _print_summary(summary: Any, verb: str) -> None:
    latest = summary.latest
    print(f"{verb} episode {summary.id}, version {latest.version} ({latest.status}): "
          f"procedures {_codes(latest.coding.procedures)}; diagnoses {_codes(latest.coding.diagnoses)}")


# ---------------------------------------------------------------- commands

#: What `log add --details FILE` may set.
ADD_FIELDS = ("patient", "nhs", "episode", "date", "specialty", "sex", "age", "fce", "end_date", "consultant", "note")


def cmd_add(args: argparse.Namespace) -> int:
    from workbench.core.episodes import EpisodeDetails, parse_date

    details_input.fill(args, ADD_FIELDS, required=("patient", "episode", "date"), optional_prompts=("nhs",))

    def action() -> Any:
        details = EpisodeDetails(patient=args.patient, episode=args.episode,
                                 date=parse_date(args.date, "--date"), nhs_number=args.nhs,
                                 specialty=args.specialty, sex=args.sex, age=args.age, fce=args.fce,
                                 end_date=parse_date(args.end_date, "--end-date") if args.end_date else None,
                                 consultant=args.consultant)
        from workbench.core.episodes.validate import checked_details

        details = checked_details(details)   # refuse bad details before running the rules
        coding = _prepare(args, details.sex, details.age)
        with open_log(args) as log:
            return log.save(details, coding, coder=_coder(), note=args.note, save_id=args.save_id,
                            duplicate_reason=args.duplicate_reason)

    summary = _run(action)
    print_json(summary.as_dict()) if args.json else _print_summary(summary, "saved")
    return 0


def cmd_amend(args: argparse.Namespace) -> int:
    details_input.fill(args, ("reason", "note"), required=("reason",))

    def action() -> Any:
        with open_log(args) as log:
            log.get(args.id)   # an unknown id fails before the rules run
            coding = _prepare(args)
            return log.amend(args.id, coding, reason=args.reason, coder=_coder(), note=args.note)

    summary = _run(action)
    print_json(summary.as_dict()) if args.json else _print_summary(summary, "amended")
    return 0


def cmd_void(args: argparse.Namespace) -> int:
    def action() -> Any:
        with open_log(args) as log:
            return log.void(args.id, reason=args.reason, coder=_coder())

    summary = _run(action)
    print_json(summary.as_dict()) if args.json else _print_summary(summary, "voided")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    filters = dict(patient=args.patient, nhs=args.nhs, code=args.code, guidance=args.guidance,
                   coder=args.coder, since=args.since, until=args.until, status=args.status, limit=args.limit)
    if not args.json:
        return _print_listing(args, filters)

    def action() -> Any:
        with open_log(args) as log:
            return log.list(**filters), _blind(log)

    summaries, blind = _run(action)
    for damaged in getattr(summaries, "damaged", []):
        _warn_damaged(damaged)
    # A filter on the coding (code, guidance, coder, status) would tell what a hidden episode holds.
    drop = _filters_on_coding(filters)
    print_json([_masked(s.as_dict()) if s.id in blind else s.as_dict() for s in summaries
                if not (drop and s.id in blind)])
    return 0


def _blind(log: Any) -> set[int]:
    """Episodes the person running this audits blind and has not coded yet (see core.audit)."""
    from workbench.core.audit.audits import blind_set
    from workbench.core.episodes.identity import os_login

    return blind_set(log, os_login())


HIDDEN = "(hidden: in your blind audit)"


def _filters_on_coding(filters: dict[str, Any]) -> bool:
    return any(filters.get(k) for k in ("code", "guidance", "coder", "status"))


def _masked(item: dict[str, Any]) -> dict[str, Any]:
    """An episode's JSON with its coding, coder and checks left out (a blind audit)."""
    keep = ("id", "patient", "nhs_number", "episode", "date", "specialty", "sex", "age")
    return {**{k: item[k] for k in keep if k in item}, "hidden": HIDDEN}


def _warn_damaged(episode_id: int) -> None:
    print(f"workbench: warning: episode {episode_id} has a damaged stored value and was left out; "
          "run 'workbench log verify'", file=sys.stderr)


def _print_listing(args: argparse.Namespace, filters: dict[str, Any]) -> int:
    """One line per episode, streamed a batch at a time (a month of a big log is thousands
    of lines: no per-episode objects, one write per batch)."""
    from workbench.core.episodes.listing import BATCH

    shown = 0

    def action() -> None:
        nonlocal shown
        batch: list[str] = []
        with open_log(args) as log:
            blind = _blind(log)
            for e in log.listing(on_damaged=_warn_damaged, **filters):
                if e.id in blind:
                    if _filters_on_coding(filters):
                        continue        # being found by a code would tell what it holds
                    batch.append(f"{e.id:>7}  {e.date}  {visible(e.patient):<12} {visible(e.episode):<12} "
                                 f"{HIDDEN}\n")
                    continue
                # Stored text is shown with control characters escaped: a field must not drive the terminal.
                batch.append(f"{e.id:>7}  {e.date}  {visible(e.patient):<12} {visible(e.episode):<12} "
                             f"{visible(e.status):<8} v{e.version}  {visible(e.guidance or '-'):<7} "
                             f"{visible(e.procedures or '-')} | {visible(e.diagnoses or '-')}\n")
                if len(batch) == BATCH:
                    sys.stdout.write("".join(batch))
                    shown, batch = shown + len(batch), []
        sys.stdout.write("".join(batch))
        shown += len(batch)

    _run(action)
    if not shown:
        print("no episodes match", file=sys.stderr)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    def action() -> Any:
        with open_log(args) as log:
            if args.id in _blind(log):
                from workbench.core.audit.audits import BLIND_MESSAGE

                raise UserError(BLIND_MESSAGE.format(episode=args.id))
            return log.history(args.id) if args.history else log.get(args.id)

    result = _run(action)
    if not args.history:
        if args.json:
            print_json(result.as_dict())
        else:
            _print_summary(result, "")
        return 0
    details, versions = result
    if args.json:
        print_json({"episode": {"id": args.id, **details.as_dict()},
                    "versions": [v.as_dict() for v in versions]})
        return 0
    print(f"episode {args.id}: patient {visible(details.patient)}, episode {visible(details.episode)}, "
          f"date {details.date}")
    for v in versions:
        why = f" - {visible(v.reason)}" if v.reason else ""
        print(f"  v{v.version} {v.status:<8} {v.saved_at:%Y-%m-%d %H:%M:%S} {visible(v.coder_label)}: "
              f"{_codes(v.coding.procedures)} | {_codes(v.coding.diagnoses)}{why}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    report = _run(lambda: _verify(args))
    if args.json:
        print_json({"ok": report.ok, "versions_checked": report.versions_checked,
                    "episodes": report.episodes, "head_hash": report.head_hash,
                    "checkpoints_checked": report.checkpoints_checked, "incremental": report.incremental,
                    "coders": report.coders,
                    "integrity": report.integrity, "broken_episodes": report.broken_episode_ids,
                    "problems": [{"episode": b.episode_id, "problem": b.problem} for b in report.broken],
                    "notices": report.notices})
        return 0 if report.ok else 1
    kind = "incremental: " if report.incremental else ""
    print(f"{kind}{report.versions_checked} versions, {report.episodes} episodes; head {report.head_hash}; "
          f"{report.checkpoints_checked} checkpoint(s) checked")
    if report.coders:
        saved_by = ", ".join(f"{visible(login)} {count}" for login, count in report.coders.items())
        print(f"saved by (OS login, versions): {saved_by}")
    for notice in report.notices:
        print(f"note: {notice}")
    if report.ok:
        print(f"the log is intact ({report.versions_checked} versions)")
    else:
        for line in report.integrity:
            print(f"integrity: {line}")
        for problem in report.broken:
            where = f"episode {problem.episode_id}" if problem.episode_id is not None else "log"
            print(f"{where}: {problem.problem}")
        ids = ", ".join(str(i) for i in report.broken_episode_ids) or "none identified"
        print(f"the log is damaged; broken episodes: {ids}", file=sys.stderr)
    return 0 if report.ok else 1


def _verify(args: argparse.Namespace) -> Any:
    from workbench.core.episodes.checkpoints import Checkpoint

    expected = []
    for text in args.expect:
        versions, _, head = text.partition(":")
        if not versions.strip().isdigit() or len(head.strip()) != 64 or len(versions.strip()) > 18:
            raise UserError("--expect: give VERSIONS:HASH as printed by 'workbench log checkpoint'")
        # Kept elsewhere, so not in the file's order: checked like a verified mark.
        expected.append(Checkpoint(versions=int(versions), head=head.strip(), at="--expect", verified=True))
    with _opened_as_evidence(args) as log:
        return log.verify(expect=expected, incremental=args.incremental)


@contextlib.contextmanager
def _opened_as_evidence(args: argparse.Namespace) -> Any:
    """The log for verify and checkpoint. A log that cannot be opened, or is missing or empty,
    while its checkpoints say it held versions, is a finding (exit 1), not a usage mistake."""
    from workbench.core.episodes import LogError
    from workbench.core.episodes.checkpoints import (
        LogMissing,
        LostVersions,
        checkpoint_path,
        recorded_versions,
    )
    from workbench.core.paths import ConfigError, log_path

    try:
        log = open_log(args, create=False)
    except UserError as exc:
        try:
            path = log_path(getattr(args, "log", None))
            held = recorded_versions(checkpoint_path(path, getattr(args, "checkpoints", None)))
        except (LogError, ConfigError, OSError):
            held = 0
        if isinstance(exc.__context__, LogMissing) or (held and "no log here" not in str(exc)):
            more = "" if "missing" in str(exc) else f"; its checkpoints say it held {held} versions"
            message = str(exc).replace("; run 'workbench log verify'", "")
            raise UserError(f"{message}{more}", exit_code=1) from None
        raise
    try:
        with log:
            yield log
    except LostVersions as exc:
        raise UserError(str(exc), exit_code=1) from None


def cmd_checkpoint(args: argparse.Namespace) -> int:
    def action() -> Any:
        with _opened_as_evidence(args) as log:
            return log.checkpoint(), log.checkpoint_file

    state, file = _run(action)
    if args.json:
        print_json({"versions": state.versions, "episodes": state.episodes, "head_hash": state.head,
                    "at": state.at, "file": str(file)})
    else:
        print(f"checkpoint {state.versions}:{state.head} ({state.episodes} episodes, {state.at}) "
              f"appended to {file}")
    return 0


def cmd_key(args: argparse.Namespace) -> int:
    from workbench.core.episodes.keys import new_key_file

    path = _run(lambda: new_key_file(args.new))
    print(f"a new department key was written to {path} (mode 0600). Give it to the workbench with "
          f"[log] key_file = \"{path}\" in the config, or $WORKBENCH_LOG_KEY_FILE; keep a copy "
          "where the log's backups are not")
    return 0


def cmd_drafts(args: argparse.Namespace) -> int:
    coder = _coder()

    def action() -> Any:
        with open_log(args) as log:
            if args.discard is not None:
                if args.discard not in {d.id for d in log.drafts(coder)}:
                    raise UserError(f"you have no draft {args.discard}")
                log.discard_draft(args.discard)
                return None
            return log.drafts(coder)

    drafts = _run(action)
    if drafts is None:
        print(f"draft {args.discard} discarded")
    elif args.json:
        print_json([{"id": d.id, "coder": d.coder, "updated_at": d.updated_at.isoformat(),
                     "state": d.state} for d in drafts])
    else:
        for d in drafts:
            print(f"{d.id:>5}  {d.updated_at:%Y-%m-%d %H:%M}  {visible(d.state.get('guidance_id') or '-')}")
        if not drafts:
            print("no drafts", file=sys.stderr)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    progress = _progress_bar if sys.stderr.isatty() else None

    def action() -> int:
        with open_log(args, create=False) as log:
            hidden = _blind(log)
            if hidden:
                raise UserError(f"you are re-coding {len(hidden)} episode(s) blind for an audit: an export "
                                "would show their coding. Finish their audit coding (workbench audit), or "
                                "export as another user")
            if not args.output:
                return log.export(sys.stdout, format=args.format or "csv", since=args.since, until=args.until,
                              all_versions=args.all_versions, progress=progress)
            # A new 0600 file renamed into place; never the log, never through a symlink.
            return log.export_to_file(args.output, format=args.format, force=args.force,
                                      since=args.since, until=args.until,
                                      all_versions=args.all_versions, progress=progress)

    count = _run(action)
    if progress:
        sys.stderr.write("\n")
    if args.output:
        print(f"exported {count} row(s) to {args.output}", file=sys.stderr)
    return 0


def _progress_bar(done: int, total: int) -> None:
    width = 30
    filled = width * done // total if total else width
    # The carriage return is ours, on purpose: past the escaping every command's output gets.
    stream = getattr(sys.stderr, "unfiltered", sys.stderr)
    stream.write(f"\rexporting [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    stream.flush()


def cmd_copy(args: argparse.Namespace) -> int:
    from workbench.core.episodes import open_episode_log
    from workbench.core.paths import is_server_url, redacted_url

    if not is_server_url(args.to):
        raise UserError("--to: give the server's URL, starting postgresql://")

    def action() -> Any:
        from workbench.core.episodes.postgres.transfer import copy_log

        with open_log(args) as source:
            if source.path is None:
                raise UserError("log copy reads a log file (--log PATH) and writes it to a server")
            with open_episode_log(args.to) as target:
                return copy_log(source, target, progress=_copy_progress if sys.stderr.isatty() else None)

    report = _run(action)
    if sys.stderr.isatty():
        sys.stderr.write("\n")
    if args.json:
        print_json({"to": redacted_url(args.to), **report.as_dict()})
    else:
        print(f"copied {report.episodes} episodes ({report.versions} versions) to {redacted_url(args.to)}; "
              f"both ends verify with head {report.head_hash}")
    return 0


def _copy_progress(table: str, rows: int) -> None:
    stream = getattr(sys.stderr, "unfiltered", sys.stderr)     # its own controls, on purpose
    stream.write(f"\rcopying {table}: {rows:,} rows\x1b[K")
    stream.flush()
