"""Running the command line in the test's own process (``workbench.cli.main``), for the tests of
hostile and malformed input: exit code, stdout and stderr, and never a traceback."""

from __future__ import annotations

import io
import sys

from workbench.cli import main


def run(capsys, monkeypatch, *argv: str, stdin: str = "") -> tuple[int, str, str]:
    """``workbench *argv`` with ``stdin`` as its input; argparse's exits count as exit codes."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "internal error" not in err, err
    return code, out, err
