"""`workbench import opcs4|icd10 FILE`: load a department's classification release."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from workbench.commands import UserError, print_json


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "import", help="import a full OPCS-4 or ICD-10 release",
        description="Replace the embedded OPCS-4 or ICD-10 codes with a release file. Nothing changes "
        "if any row is bad, if the file looks like the other classification, or if it would remove "
        "more than 5%% of the loaded codes (unless --replace). Imports survive rebuilds.")
    sub = parser.add_subparsers(title="classifications", metavar="CLASSIFICATION", required=True)
    for name, what in (("opcs4", "OPCS-4.10 'CodesAndTitles' file: code<TAB>title, no header"),
                       ("icd10", "ICD-10 5th edition 'CodesAndTitlesAndMetadata' file (12 columns, header), "
                                 "or code<TAB>title")):
        command = sub.add_parser(name, help=what, description=f"Import an {what}.")
        command.add_argument("file", type=Path, help="tab-separated release file")
        command.add_argument("--replace", action="store_true",
                             help="allow the release to remove more than 5%% of the loaded codes")
        if name == "opcs4":
            command.add_argument("--metadata", type=Path, metavar="FILE",
                                 help="the release's fixed-width metadata file, kept per code")
        command.add_argument("--json", action="store_true", help="print the import report as JSON")
        command.set_defaults(handler=run, classification=name)


def run(args) -> int:
    from workbench.commands.search import open_reference
    from workbench.core.classifications import ClassificationImportError, import_icd10, import_opcs4

    for path in (args.file, getattr(args, "metadata", None)):
        try:
            usable = path is None or path.is_file()
        except OSError as exc:    # a name too long, a file used as a folder
            raise UserError(f"{path}: cannot be read ({exc.strerror})") from None
        if not usable:
            raise UserError(f"{path}: no such file")
    conn = open_reference()
    try:
        if args.classification == "opcs4":
            report = import_opcs4(conn, args.file, replace=args.replace, metadata=args.metadata)
        else:
            report = import_icd10(conn, args.file, replace=args.replace)
    except ClassificationImportError as exc:
        raise UserError(f"nothing imported: {exc}") from None
    except (sqlite3.Error, OSError) as exc:
        raise UserError(f"nothing imported: the reference database refused the change ({exc})") from None
    finally:
        conn.close()
    if args.json:
        print_json({"classification": report.classification, "file": report.file, "codes": report.codes,
                    "categories": report.categories, "removed": report.removed, "metadata": report.metadata,
                    "edition": report.edition, "seconds": round(report.seconds, 3)})
    else:
        removed = f", removing {report.removed} loaded codes" if report.removed else ""
        print(f"Imported {report.codes} codes and {report.categories} categories from {report.file} "
              f"in {report.seconds:.2f} s{removed}. Edition: {report.edition}")
    return 0
