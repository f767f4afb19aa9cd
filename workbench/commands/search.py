"""`workbench search QUERY`: guidance and codes in one ranked list."""

from __future__ import annotations

import sqlite3

from workbench.commands import UserError, options, print_json

KIND_LABELS = {"guidance": "guidance", "opcs4": "OPCS-4", "icd10": "ICD-10"}


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "search", help="search guidance and the classifications",
        description="Search guidance, OPCS-4 and ICD-10 by words, guidance number (ipg 75) "
        "or code (l804, L80.-, I50). An empty query lists the guidance.")
    parser.add_argument("query", nargs="?", default="", help="words, a guidance number or a code")
    parser.add_argument("--kind", choices=("guidance", "opcs4", "icd10"), help="only this kind of hit")
    parser.add_argument("--limit", type=options.limit, default=200, metavar="N",
                        help="at most N hits (default 200: every guidance when browsing)")
    parser.add_argument("--json", action="store_true", help="print a JSON list of hits")
    parser.set_defaults(handler=run)


def open_reference():
    from workbench.core.paths import ConfigError
    from workbench.core.refdb import open_reference_db

    try:
        return open_reference_db()
    except (sqlite3.Error, OSError, ConfigError) as exc:
        raise UserError(f"the reference database cannot be opened: {exc}") from None


def run(args) -> int:
    from workbench.core.guidance import guidance_status
    from workbench.core.search import search

    conn = open_reference()
    try:
        hits = search(conn, args.query, kind=args.kind, limit=args.limit)
        # Replaced or withdrawn guidance says so beside its title.
        status = guidance_status(conn, [h.code for h in hits if h.kind == "guidance"])
    except sqlite3.Error as exc:
        raise UserError(f"search failed: {exc}") from None
    finally:
        conn.close()
    if args.json:
        print_json([h.as_json() | ({"status": status.get(h.code, "")} if h.kind == "guidance" else {})
                    for h in hits])
        return 0
    if not hits:
        print(f"Nothing found for {args.query!r}.")
        return 0
    labels = [KIND_LABELS.get(h.kind, h.kind) for h in hits]
    kind_width = max(len(label) for label in labels)
    code_width = max(len(h.code) for h in hits)
    for label, hit in zip(labels, hits, strict=True):
        tag = f"  [{status[hit.code].upper()}]" if hit.kind == "guidance" and hit.code in status else ""
        note = f"  ({hit.match_note})" if hit.match_note else ""
        print(f"{label:<{kind_width}}  {hit.code:<{code_width}}  {hit.title}{tag}{note}")
    return 0
