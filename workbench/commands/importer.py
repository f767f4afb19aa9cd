"""`workbench import opcs4|icd10 FILE`: load a department's full classification release."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from workbench.commands import UserError, print_json


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "import", help="import a full OPCS-4 or ICD-10 release",
        description="Replace the embedded OPCS-4 subset or the WHO ICD-10 codes with a release file "
        "(tab-separated code and title; optional header). Nothing changes if any row is bad.")
    sub = parser.add_subparsers(title="classifications", metavar="CLASSIFICATION", required=True)
    for name, what in (("opcs4", "OPCS-4 'CodesAndTitles' file: code<TAB>title"),
                       ("icd10", "ICD-10 file: header naming the code and description columns, or code<TAB>title")):
        command = sub.add_parser(name, help=what, description=f"Import an {what}.")
        command.add_argument("file", type=Path, help="tab-separated release file")
        command.add_argument("--json", action="store_true", help="print the import report as JSON")
        command.set_defaults(handler=run, classification=name)


def run(args) -> int:
    from workbench.commands.search import open_reference
    from workbench.core.classifications import ClassificationImportError, import_icd10, import_opcs4

    try:
        usable = args.file.is_file()
    except OSError as exc:    # a name too long, a file used as a folder
        raise UserError(f"{args.file}: cannot be read ({exc.strerror})") from None
    if not usable:
        raise UserError(f"{args.file}: no such file")
    importer = import_opcs4 if args.classification == "opcs4" else import_icd10
    conn = open_reference()
    try:
        report = importer(conn, args.file)
    except ClassificationImportError as exc:
        raise UserError(f"nothing imported: {exc}") from None
    except sqlite3.Error as exc:
        raise UserError(f"nothing imported: the reference database refused the change ({exc})") from None
    finally:
        conn.close()
    if args.json:
        print_json({"classification": report.classification, "file": report.file, "codes": report.codes,
                    "categories": report.categories, "edition": report.edition,
                    "seconds": round(report.seconds, 3)})
    else:
        print(f"Imported {report.codes} codes and {report.categories} categories from {report.file} "
              f"in {report.seconds:.2f} s. Edition: {report.edition}")
    return 0
