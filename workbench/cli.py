"""The ``workbench`` command.

With no sub-command it opens the app. Each sub-command group lives in its own
module under :mod:`workbench.commands` and exposes ``register(subparsers)``;
the handler it sets with ``set_defaults(handler=...)`` returns an exit code.
Errors that a user can cause are :class:`workbench.commands.UserError` and are
printed to stderr without a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import re
import sys
from pathlib import Path

from workbench import __version__

# Sub-command modules, in the order --help lists them.
COMMAND_MODULES = ("search", "code", "check", "rules", "log", "worklist", "audit", "stats", "importer",
                   "db")


class QuietParser(argparse.ArgumentParser):
    """argparse that never repeats a value it was given in an error message.

    ``log add --patient John Smith`` must not print "unrecognized arguments: Smith":
    any value may be part of a patient identifier. Sub-parsers inherit this class.
    """

    def _get_values(self, action: argparse.Action, arg_strings: list[str]) -> object:
        # `--limit=--` would otherwise reach the command as an empty list, not a value.
        if action.nargs is None and arg_strings == ["--"]:
            raise argparse.ArgumentError(action, "expected one argument")
        return super()._get_values(action, arg_strings)

    def error(self, message: str) -> None:  # type: ignore[override]
        # One line naming the option (the usage block would bury it); --help gives the usage.
        message = redact_argparse_message(message)
        if message.endswith("expected one argument"):
            message += " (a value that starts with '-' is written --option=VALUE, e.g. --age=-1)"
        self.exit(2, f"{self.prog}: error: {message}; see '{self.prog} --help'\n")


def redact_argparse_message(message: str) -> str:
    """argparse's message with every value the user typed left out."""
    head, found, rest = message.partition("unrecognized arguments")
    if found:
        return (f"{head}unrecognized arguments (not repeated here: they may identify a patient); "
                "quote values that contain spaces")
    head, found, rest = message.partition("invalid choice: ")
    if found:
        at = rest.rfind(" (choose from ")
        return f"{head}invalid choice{rest[at:] if at >= 0 else ''}"
    message = re.sub(r"invalid (\S+) value: .*", r"invalid \1 value", message, flags=re.DOTALL)
    message = re.sub(r"ignored explicit argument .*", "ignored explicit argument", message, flags=re.DOTALL)
    return re.sub(r"ambiguous option: (-[^=\s]*)=\S*", r"ambiguous option: \1=...", message)


def build_parser() -> argparse.ArgumentParser:
    parser = QuietParser(
        prog="workbench",
        description="Code hospital episodes with NICE interventional procedures guidance. "
        "Run with no command to open the app.",
    )
    parser.add_argument("--version", action="version", version=f"workbench {__version__}")
    parser.add_argument("--log", metavar="PATH|URL",
                        help="episode log file, or a department's log server as postgresql://... "
                             "(default: $WORKBENCH_LOG, config, or the data folder)")
    parser.add_argument("--theme", metavar="NAME", help="app colour theme (e.g. textual-dark, textual-ansi)")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"workbench.commands.{name}")
        module.register(subparsers)
    return parser


# Options that name files may hold any bytes the file system allows; every other
# argument is text that ends up in SQLite, JSON or the terminal and must be valid.
_PATH_OPTIONS = {"log", "file", "output", "paths", "details", "checkpoints", "key_file", "new", "metadata"}


def _refuse_undecodable_text(args: argparse.Namespace) -> None:
    """Python keeps bytes that are not valid UTF-8 as lone surrogates; say so plainly."""
    from workbench.commands import UserError

    for name, value in vars(args).items():
        if name in _PATH_OPTIONS or name == "handler":
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and any("\ud800" <= ch <= "\udfff" for ch in item):
                # The value itself is not echoed: it may be a patient identifier.
                raise UserError(f"{name.replace('_', '-')}: the text is not valid UTF-8 "
                                "(check the terminal's encoding)")


def _escape_unencodable_output() -> None:
    """With an ASCII-only terminal (PYTHONIOENCODING=ascii, LANG=C), print escapes, not a crash."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            # A closed or detached stream has nothing to print to anyway.
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors="backslashreplace")


@contextlib.contextmanager
def _visible_output():
    """While a command runs, everything it prints passes through safetext.visible: a stored or
    imported field holding ESC, OSC or a bidi override cannot drive the terminal, whichever
    command prints it (commands escape single fields themselves too, so a line stays a line)."""
    from workbench.core.safetext import VisibleStream

    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = VisibleStream(sys.stdout), VisibleStream(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def _no_terminal_reason() -> str | None:
    """Why the app cannot run here, or None: it needs a real terminal on stdin and stdout."""
    if os.environ.get("WORKBENCH_HEADLESS") == "1":
        return None
    for name, stream in (("input", sys.stdin), ("output", sys.stdout)):
        try:
            if stream is None or not stream.isatty():
                return f"the app needs a terminal, and its {name} is not one; the commands " \
                       "(workbench --help) work without one"
        except (ValueError, OSError):
            return f"the app needs a terminal, and its {name} is closed"
    if os.environ.get("TERM", "") in ("dumb", "unknown"):
        return f"the app needs a full-screen terminal, and TERM={os.environ['TERM']} is not one"
    return None


def _internal_error(exc: BaseException) -> int:
    """A bug, not bad input: one line saying where, the traceback (never local values) in a 0600 file."""
    import traceback

    from workbench.core.paths import crash_report

    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" in {Path(frame.filename).name}:{frame.lineno}" if frame else ""
    saved = crash_report("".join(traceback.format_exception(exc)))
    details = f"; details in {saved}" if saved else ""
    print(f"workbench: internal error ({type(exc).__name__}{where}): the command stopped; "
          f"please report it{details}", file=sys.stderr)
    return 1


_APP_OPTIONS = ("--log", "--theme")


def _app_only_options(words: list[str]) -> dict[str, str | None] | None:
    """``{"log": ..., "theme": ...}`` when ``words`` only open the app with those options, written
    out in full; None for anything else (a command, help, an abbreviation, a repeat), which the
    full parser handles."""
    options: dict[str, str | None] = {"log": None, "theme": None}
    seen: set[str] = set()
    rest = iter(words)
    for word in rest:
        name, equals, value = word.partition("=")
        if name not in _APP_OPTIONS or name in seen:
            return None
        if not equals:
            value = next(rest, None)
            if value is None or value.startswith("-"):
                return None
        seen.add(name)
        options[name[2:]] = value
    return options


def main(argv: list[str] | None = None) -> int:
    from workbench.commands import UserError, report_error
    from workbench.commands.version import print_notices, print_version
    from workbench.core.paths import ConfigError

    _escape_unencodable_output()
    words = sys.argv[1:] if argv is None else list(argv)
    if words[:1] == ["--version"] and set(words[1:]) <= {"--json"}:
        status = print_version(as_json="--json" in words)
        print_notices()
        return status
    try:
        app_options = _app_only_options(words)
        # Opening the app needs only --log and --theme: the full parser imports every command
        # module (~20 ms before the app's first frame).
        args = argparse.Namespace(**app_options) if app_options is not None \
            else build_parser().parse_args(argv)
    except Exception as exc:  # argparse's own errors exit (SystemExit); anything else is a bug
        return _internal_error(exc)
    handler = getattr(args, "handler", None)
    try:
        _refuse_undecodable_text(args)
        if handler is None:
            reason = _no_terminal_reason()
            if reason:
                return report_error(reason, 2)
            from workbench.core.paths import state_dirs

            state_dirs()     # an unusable WORKBENCH_HOME is said in one line, before the screen clears
            from workbench.tui import run_app

            return run_app(log=args.log, theme=args.theme)
        with _visible_output():
            return int(handler(args) or 0)
    except UserError as exc:
        return report_error(str(exc), exc.exit_code)
    except ConfigError as exc:     # WORKBENCH_HOME or the config file, wherever a command meets it
        return report_error(str(exc), 2)
    except KeyboardInterrupt:
        return report_error("interrupted", 130)
    except BrokenPipeError:
        # `workbench log list | head` closes the pipe early; that is not an error.
        sys.stderr.close()
        return 0
    except MemoryError:
        return report_error("out of memory: the input is too large", 1)
    except Exception as exc:  # the last guard: a bug must not show a traceback or patient data
        return _internal_error(exc)
    finally:
        print_notices()
