"""`workbench --version [--json]`: the program's version and the classification editions loaded."""

from __future__ import annotations

import sys

from workbench import __version__
from workbench.commands import print_json


def loaded_editions() -> dict[str, dict[str, object]]:
    """{classification: {edition, source, codes}} from the reference database ({} if it cannot open)."""
    import sqlite3

    from workbench.core.paths import ConfigError
    from workbench.core.refdb import open_reference_db

    try:
        conn = open_reference_db()
    except (sqlite3.Error, OSError, ConfigError):
        return {}
    try:
        out: dict[str, dict[str, object]] = {}
        for classification, label, source in conn.execute(
                "SELECT classification, label, source FROM editions ORDER BY classification"):
            codes = conn.execute("SELECT count(*) FROM codes WHERE classification = ? AND level IN"
                                 " ('category', 'code') AND NOT has_children", (classification,)).fetchone()[0]
            out[classification] = {"edition": label, "source": source, "codable_codes": codes}
        return out
    finally:
        conn.close()


def print_version(as_json: bool) -> int:
    editions = loaded_editions()
    if as_json:
        print_json({"version": __version__, "editions": editions})
    else:
        print(f"workbench {__version__}")
        for facts in editions.values():
            print(f"  {facts['edition']} ({facts['source']}, {facts['codable_codes']} codable codes)")
    return 0


def print_notices() -> None:
    """What opening the reference database had to do (a damaged file rebuilt), on stderr."""
    refdb = sys.modules.get("workbench.core.refdb")
    if refdb is not None and not sys.stderr.closed:
        for notice in refdb.take_notices():
            print(f"workbench: {notice}", file=sys.stderr)
