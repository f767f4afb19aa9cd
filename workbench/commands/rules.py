"""`workbench rules list|show|paths|check`: look at and check rule packs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from workbench.commands import UserError, print_json


def register(subparsers) -> None:
    parser = subparsers.add_parser("rules", help="list, show and check rule packs",
                                   description="Look at and check the rule packs in fixtures/rules.")
    sub = parser.add_subparsers(title="rules commands", metavar="ACTION", required=True)

    listing = sub.add_parser("list", help="every shipped rule pack")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=list_packs)

    show = sub.add_parser("show", help="a pack's questions, options and codes")
    show.add_argument("guidance", help="guidance id, e.g. IPG75")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler=show_pack)

    paths = sub.add_parser("paths", help="every answer path of a pack and its final codes")
    paths.add_argument("guidance", help="guidance id, e.g. IPG75")
    paths.add_argument("--json", action="store_true", help="print JSON")
    paths.set_defaults(handler=show_paths)

    check = sub.add_parser("check", help="lint rule pack files (all shipped packs when no path)")
    check.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="pack files or folders")
    check.add_argument("--json", action="store_true", help="print JSON")
    check.add_argument("--no-cache", action="store_true",
                       help="lint every pack again, even those unchanged since the last check")
    check.set_defaults(handler=check_packs)


def open_catalog():
    """The reference database's classifications, or (None, why) when it is not available."""
    try:
        from workbench.core.classifications import Classifications
        from workbench.core.refdb import open_reference_db
    except ImportError:
        return None, "the classifications are not installed yet"
    try:
        return Classifications(open_reference_db()), ""
    except Exception as exc:  # any database trouble: say so, carry on without titles
        return None, f"the reference database could not be opened ({exc})"


def get_pack(guidance: str):
    from workbench.core.rules import find_pack, load_shipped
    from workbench.core.rules.loader import normalise_guidance_id

    pack = find_pack(guidance)
    if pack is not None:
        return pack
    packs, errors = load_shipped()
    broken = [e for e in errors if normalise_guidance_id(Path(e.path).stem) == normalise_guidance_id(guidance)]
    if broken:
        raise UserError(f"the rule pack for {guidance} has an error: {broken[0]}")
    known = ", ".join(sorted(packs)) or "none"
    raise UserError(f"no rule pack for '{guidance}' (packs: {known})")


def list_packs(args: argparse.Namespace) -> int:
    from workbench.core.rules import load_shipped
    from workbench.core.rules.catalog import _order_key

    packs, errors = load_shipped()
    rows = [
        {"id": p.id, "guidance_id": p.guidance_id, "title": p.title, "status": p.status,
         "partial": p.partial, "partial_reason": p.partial_reason, "version": p.version, "path": p.path,
         "lifecycle": p.lifecycle.status(), "scope": p.scope.covers if p.scope else None}
        for p in sorted(packs.values(), key=lambda p: _order_key(p.guidance_id))
    ]
    for error in errors:
        print(f"workbench: skipped a broken pack: {error}", file=sys.stderr)
    if args.json:
        print_json(rows)
        return 0
    for row in rows:
        flags = row["status"] + (", partial" if row["partial"] else "")
        tag = f"  [{row['lifecycle']}]" if row["lifecycle"] else ""
        print(f"{row['id']:<8} v{row['version']:<5} {flags:<17} {row['title']}{tag}")
    return 0


def show_pack(args: argparse.Namespace) -> int:
    from workbench.core.rules.export import pack_as_dict

    data = pack_as_dict(get_pack(args.guidance))
    if args.json:
        print_json(data)
        return 0
    partial = f" (partial: {data['partial_reason']})" if data["partial"] else ""
    print(f"{data['id']} v{data['version']} {data['status']}{partial}: {data['title']}")
    print("Questions:")
    for item in data["questions"]:
        if "group" in item:
            print(f"  repeat group {item['group']} (up to {item['max']}, when {item['when'] or 'always'}):")
            for question in item["questions"]:
                _print_question(question, "    ")
            _print_question(item["another"], "    ")
        else:
            _print_question(item, "  ")
    for name in ("procedures", "diagnoses"):
        if data[name]:
            print(f"{name.capitalize()}:")
            for entry in data[name]:
                _print_item(entry, "  ")
    for note in data["notes"]:
        print(f"Note: {note['text']}")
    for rule in data["exclusions"]:
        print(f"Never {rule['code']} with {', '.join(rule['with'])}: {rule['reason']}")
    for rule in data["suppress"]:
        print(f"{rule['code']} is dropped when {', '.join(rule['by'])} is coded: {rule['reason']}")
    for rule in data["forbidden"]:
        print(f"Never {rule['code']}: {rule['reason']}")
    _print_constructs(data)
    return 0


def _print_constructs(data: dict) -> None:
    """Supersession, scope, position rules, case by case and SNOMED CT, when the pack has them."""
    life = data["lifecycle"]
    for link in life.get("replaced_by", []):
        print(f"Replaced by {link['guidance']}" + (f" ({link['date']})" if link["date"] else ""))
    for link in life.get("replaces", []):
        print(f"Replaces {link['guidance']}" + (f" ({link['date']})" if link["date"] else ""))
    if "withdrawn" in life:
        print("Withdrawn" + (f": {life['withdrawn']['reason']}" if life["withdrawn"]["reason"] else ""))
    if data["scope"]:
        print(f"Covers only {data['scope']['covers']} (when {data['scope']['when']})")
    for rule in data["positions"]:
        if rule["place"]:
            where = f"in position {rule['place']}"
        elif rule["after"]:
            where = f"straight after {', '.join(rule['after'])}"
        else:
            where = f"after {', '.join(rule['secondary_to'])}"
        when = f" when {rule['when']}" if rule["when"] else ""
        print(f"{', '.join(rule['codes'])} goes {where}{when}: {rule['reason']}")
    if data["population"]:
        print(f"For {data['population']['who']}: {data['population']['limits']}")
    if data["case_by_case"]:
        print(f"No fixed codes: {data['case_by_case']}")
    for concept in data["snomed"]:
        print(f"SNOMED CT {concept.get('type', 'concept')}: {concept['term']} ({concept['concept_id']})")


def _print_question(question: dict, indent: str) -> None:
    when = f"  [when {question['when']}]" if question.get("when") else ""
    default = f"  (default {question['default']})" if question.get("default") else ""
    print(f"{indent}{question['id']} ({question['kind']}): {question['prompt']}{default}{when}")
    for option in question["options"]:
        codes = f" -> {' '.join(option['codes'])}" if option["codes"] else ""
        print(f"{indent}  - {option['value']}: {option['label']}{codes}")
    if question["kind"] == "code":
        print(f"{indent}  codes within {', '.join(question['scope'])}")


def _print_item(item: dict, indent: str) -> None:
    when = f"  [when {item['when']}]" if item.get("when") else ""
    if item["type"] == "code":
        print(f"{indent}{' '.join(item['codes'])}{when}")
    elif item["type"] == "from":
        within = f" within {', '.join(item['within'])}" if item["within"] else ""
        default = f", default {item['default']}" if item["default"] else ""
        print(f"{indent}code from the answer to '{item['question']}'{within}{default}{when}")
    elif item["type"] == "table":
        print(f"{indent}code looked up by {' x '.join(item['keys'])}{when}")
    else:
        print(f"{indent}for each instance of '{item['group']}':")
        for inner in item["items"]:
            _print_item(inner, indent + "  ")


def show_paths(args: argparse.Namespace) -> int:
    from workbench.core.rules import enumerate_paths
    from workbench.core.rules.paths import StuckPath, TooManyPaths

    pack = get_pack(args.guidance)
    try:
        paths = enumerate_paths(pack)
    except (TooManyPaths, StuckPath) as exc:
        raise UserError(f"{pack.id}: the answer paths cannot be listed: {exc}", exit_code=1) from None
    # A path walked with codes already in the episode (an `episode_has` condition) says which.
    rows = [{"answers": p.answers, "procedures": p.procedures, "diagnoses": p.diagnoses,
             **({"episode": list(p.context)} if p.context else {})} for p in paths]
    if args.json:
        print_json(rows)
        return 0
    for row in rows:
        answers = ", ".join(f"{k}={','.join(map(str, v)) if isinstance(v, list) else v}"
                            for k, v in row["answers"].items()) or "(no questions)"
        if row.get("episode"):
            answers += f"  [the episode already has {', '.join(row['episode'])}]"
        print(f"{answers}\n    procedures: {' '.join(row['procedures']) or '-'}"
              f"    diagnoses: {' '.join(row['diagnoses']) or '-'}")
    print(f"{len(rows)} answer paths")
    return 0


def check_packs(args: argparse.Namespace) -> int:
    from workbench.core.rules.lint_cache import lint_files_cached

    for path in args.paths:
        try:
            found = path.exists()
        except OSError as exc:    # a name too long, a file used as a folder
            raise UserError(f"{path}: cannot be read ({exc.strerror})") from None
        if not found:
            raise UserError(f"{path}: no such file or folder")
    catalog, why = open_catalog()
    if args.no_cache:
        from workbench.core.rules.lint import lint_files

        count, messages = lint_files(list(args.paths) or None, catalog)
    else:
        # Packs unchanged since the last check (same content, same linter, same classifications)
        # are not linted again: their messages are replayed from the user's data folder.
        count, messages, _ = lint_files_cached(list(args.paths) or None, catalog)
    errors = sum(m.severity == "error" for m in messages)
    warnings = len(messages) - errors
    if args.json:
        print_json({"checked": count, "errors": errors, "warnings": warnings,
                    "codes_checked": catalog is not None,
                    "messages": [m.__dict__ for m in messages]})
    else:
        for message in messages:
            print(message)
        if catalog is None:
            print(f"warning: codes were not checked: {why}", file=sys.stderr)
        print(f"{count} pack{'s' if count != 1 else ''} checked: {errors} errors, {warnings} warnings")
    return 1 if errors else 0
