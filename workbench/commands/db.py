"""``workbench db``: set up the department's log on a PostgreSQL server.

The SQLite log needs no set-up (it is created on first use); a server's log is created once
by an administrator with ``db init``, which also upgrades it after a workbench upgrade.
"""

from __future__ import annotations

import argparse
from typing import Any

from workbench.commands import UserError, print_json


def register(subparsers: Any) -> None:
    db = subparsers.add_parser("db", help="set up the department's episode log on a PostgreSQL server")
    sub = db.add_subparsers(title="db commands", metavar="ACTION", required=True)
    init = sub.add_parser("init", help="create or upgrade the log's schema, roles and grants on a server",
                          description="Run as the server's administrator (a role that may create "
                                      "schemas and roles). Safe to run again: it applies only what "
                                      "is missing.")
    init.add_argument("--postgres", required=True, metavar="URL",
                      help="the database, e.g. postgresql://admin@dbhost/coding (a password is best "
                           "kept in ~/.pgpass, not on the command line)")
    init.add_argument("--grant", action="append", default=[], metavar="ROLE",
                      help="a coder's login role to grant workbench_coder (repeat)")
    init.add_argument("--reader", action="append", default=[], metavar="ROLE",
                      help="a reporting login role to grant workbench_reader, read-only (repeat)")
    init.add_argument("--json", action="store_true", help="print JSON")
    init.set_defaults(handler=cmd_init)


def cmd_init(args: argparse.Namespace) -> int:
    from workbench.core.episodes import LogError
    from workbench.core.paths import is_server_url, redacted_url

    if not is_server_url(args.postgres):
        raise UserError("--postgres: give a URL starting postgresql://")
    from workbench.core.episodes.postgres import schema

    try:
        report = schema.init(args.postgres, grant=args.grant, readers=args.reader)
    except LogError as exc:
        raise UserError(str(exc)) from None
    if args.json:
        print_json({"server": redacted_url(args.postgres), **report.as_dict()})
        return 0
    done = ("created" if report.before == 0 else
            "upgraded" if report.after > report.before else "already up to date")
    print(f"episode log on {redacted_url(args.postgres)}: schema {report.after} ({done}); roles "
          f"workbench_coder (insert-only on the record) and workbench_reader (read-only) ready")
    for role in report.granted:
        print(f"granted workbench_coder to {role}")
    for role in report.readers:
        print(f"granted workbench_reader to {role} (read-only)")
    return 0
