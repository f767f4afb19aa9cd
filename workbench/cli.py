"""The ``workbench`` command.

With no sub-command it opens the app. Each sub-command group lives in its own
module under :mod:`workbench.commands` and exposes ``register(subparsers)``;
the handler it sets with ``set_defaults(handler=...)`` returns an exit code.
Errors that a user can cause are :class:`workbench.commands.UserError` and are
printed to stderr without a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from workbench import __version__

# Sub-command modules, in the order --help lists them.
COMMAND_MODULES = ("search", "code", "check", "rules", "log", "worklist", "importer")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workbench",
        description="Code hospital episodes with NICE interventional procedures guidance. "
        "Run with no command to open the app.",
    )
    parser.add_argument("--version", action="version", version=f"workbench {__version__}")
    parser.add_argument("--log", metavar="PATH", help="episode log file (default: $WORKBENCH_LOG, config, or the data folder)")
    parser.add_argument("--theme", metavar="NAME", help="app colour theme (e.g. textual-dark, textual-ansi)")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"workbench.commands.{name}")
        module.register(subparsers)
    return parser


# Options that name files may hold any bytes the file system allows; every other
# argument is text that ends up in SQLite, JSON or the terminal and must be valid.
_PATH_OPTIONS = {"log", "file", "output", "paths"}


def _refuse_undecodable_text(args: argparse.Namespace) -> None:
    """Python keeps bytes that are not valid UTF-8 as lone surrogates; say so plainly."""
    from workbench.commands import UserError

    for name, value in vars(args).items():
        if name in _PATH_OPTIONS or name == "handler":
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and any("\udc80" <= ch <= "\udcff" for ch in item):
                # The value itself is not echoed: it may be a patient identifier.
                raise UserError(f"{name.replace('_', '-')}: the text is not valid UTF-8 "
                                "(check the terminal's encoding)")


def main(argv: list[str] | None = None) -> int:
    from workbench.commands import UserError, report_error
    from workbench.commands.version import print_notices, print_version

    words = sys.argv[1:] if argv is None else list(argv)
    if words[:1] == ["--version"] and set(words[1:]) <= {"--json"}:
        status = print_version(as_json="--json" in words)
        print_notices()
        return status
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    try:
        _refuse_undecodable_text(args)
        if handler is None:
            from workbench.tui import run_app

            return run_app(log=args.log, theme=args.theme)
        return int(handler(args) or 0)
    except UserError as exc:
        return report_error(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        return report_error("interrupted", 130)
    except BrokenPipeError:
        # `workbench log list | head` closes the pipe early; that is not an error.
        sys.stderr.close()
        return 0
    finally:
        print_notices()
