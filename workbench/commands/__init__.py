"""Sub-commands of the ``workbench`` CLI, one module per group.

Shared helpers live here so every command reports errors and prints JSON the same way.
"""

from __future__ import annotations

import json
import sys
from typing import Any


class UserError(Exception):
    """A problem the user can fix: printed as one line on stderr, no traceback."""

    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message)
        self.exit_code = exit_code


def report_error(message: str, exit_code: int) -> int:
    print(f"workbench: {message}", file=sys.stderr)
    return exit_code


def print_json(data: Any) -> None:
    from workbench.core.safetext import json_safe

    # json escapes C0 controls itself; DEL, C1 controls and bidi overrides it leaves raw, and a
    # stored field must not drive the terminal: json_safe writes them as \u escapes (same data).
    sys.stdout.write(json_safe(json.dumps(data, indent=2, ensure_ascii=False, default=str)))
    sys.stdout.write("\n")
