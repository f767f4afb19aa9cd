"""An import racing rebuilds of the reference database is never lost (several processes)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from workbench.core import refdb
from workbench.core.classifications import OPCS4, Classifications

IMPORT = """
import sys
from workbench.core.refdb import open_reference_db
from workbench.core.classifications import import_opcs4
conn = open_reference_db()
import_opcs4(conn, sys.argv[1])
"""
REBUILD = """
from workbench.core.refdb import open_reference_db
open_reference_db(rebuild=True).close()
"""


def spawn(code: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code, *args], env=dict(os.environ),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_an_import_racing_rebuilds_survives(reference_db, tmp_path: Path) -> None:
    rows = reference_db.execute("SELECT code, title FROM codes WHERE classification = 'opcs4'"
                                " AND level IN ('category', 'code') ORDER BY id").fetchall()
    path = reference_db.execute("PRAGMA database_list").fetchone()[2]
    reference_db.close()
    for round_ in range(2):
        release = tmp_path / f"release{round_}.txt"
        release.write_text("".join(f"{c}\t{t}\r\n" for c, t in rows) + f"Z99.{round_ + 4}\tRace {round_}\r\n",
                           encoding="utf-8")
        rebuilders = [spawn(REBUILD), spawn(REBUILD)]
        importer = spawn(IMPORT, str(release))
        for process in [importer, *rebuilders]:
            _, err = process.communicate(timeout=300)
            assert process.returncode == 0, err
        conn = refdb.open_reference_db(Path(path))
        catalog = Classifications(conn)
        assert catalog.title(OPCS4, f"Z99.{round_ + 4}") == f"Race {round_}"
        assert f"release{round_}.txt" in catalog.edition(OPCS4)
        conn.close()
