"""Convention edits: OPCS-4 sequencing rules that hold without any rule pack.

Each rule names its source here and in the F1 help (``CONVENTIONS``). Sources:

- [NCCS] NHS England (formerly NHS Digital) National Clinical Coding Standards OPCS-4:
  chapter Y and Z codes are secondary and never the first code; the usual order is
  procedure, method (Y), site (Z), laterality (Z94).
- [TL] OPCS-4 Tabular List notes: L76 and L89 are supplementary codes for the type and
  number of stents, added after the code for the stent insertion; Y53/Y68 record the
  method of image control of the procedure they follow.
- [IPG75] NICE IPG75 coding recommendation (shared/seeds): "with stenting L80.4 ...; without
  stenting L80.2"; the angioplasty is implicit in the stent code.

A procedure "group" is a code from chapters A-X followed by the Y and Z codes (and the
chapter O site codes) that qualify it.
"""

from __future__ import annotations

from workbench.core.rules.codes import OPCS4, category_of, chapter_of
from workbench.core.rules.model import EditResult, Pack
from workbench.core.rules.vocabulary import IMAGE_CONTROL, STENT_SUPPLEMENTARY, Vocabulary

LATERALITY = "Z94"

# Shown by F1 on the review's edits panel: one line per convention edit, with its source.
CONVENTIONS = (
    ("y-z-first", "Chapter Y and Z codes are never first [NCCS]"),
    ("laterality-position", "Z94 laterality follows its site code, or the procedure when its title fixes "
                            "the site; a site code does not follow its laterality [NCCS]"),
    ("stent-supplementary", "L76/L89 stent codes directly follow a stent insertion code, one per type "
                            "of stent [TL L76, L89]"),
    ("image-control", "One image-control method (Y53/Y68) per procedure [TL Y53, Y68]"),
    ("angioplasty-with-stent", "No angioplasty code with the stent code of the same vessel: the "
                               "angioplasty is implicit [TL, IPG75]"),
    ("missing-procedure", "An episode coded with a guidance has at least one procedure code"),
)
SOURCES = (
    ("NCCS", "NHS England National Clinical Coding Standards OPCS-4: Y and Z codes are secondary; "
             "procedure, method (Y), site (Z), laterality (Z94)"),
    ("TL", "OPCS-4 Tabular List notes at L76/L89 (stent type and number, after the stent code) and "
           "Y53/Y68 (image control of the procedure)"),
    ("IPG75", "NICE IPG75 coding recommendation: the angioplasty is implicit in the stent code"),
)
# A guidance may name a sequence a convention would question (IPG337: Y53.2 and Y53.4): a sequence
# its pack gives is right, so these findings give way to the pack at the positions it vouches for.
PACK_MAY_OVERRIDE = frozenset({"laterality-position", "stent-supplementary", "image-control",
                               "angioplasty-with-stent", "duplicate-code"})


def is_qualifier(code: str) -> bool:
    return chapter_of(code) in ("Y", "Z")


def is_site(code: str, extra_sites: set[str], after_qualifier: bool) -> bool:
    """A site code: chapter Z (not Z94), a pack's declared site code, or a chapter O overflow code
    standing among the qualifiers (O codes hold both sites and procedures; only position tells)."""
    if code in extra_sites:
        return True
    if chapter_of(code) == "Z":
        return category_of(code) != LATERALITY
    return chapter_of(code) == "O" and after_qualifier


def groups(procs: list[tuple[int, str]], extra_sites: set[str]) -> list[list[tuple[int, str]]]:
    """Procedure groups in order; a leading run of Y/Z codes forms a group without a procedure."""
    out: list[list[tuple[int, str]]] = []
    for position, code in procs:
        qualifier = is_qualifier(code) or (bool(out) and len(out[-1]) > 0
                                           and is_site(code, extra_sites, _qualified(out[-1])))
        if out and qualifier:
            out[-1].append((position, code))
        else:
            out.append([(position, code)])
    return out


def _qualified(group: list[tuple[int, str]]) -> bool:
    return len(group) > 1 and is_qualifier(group[-1][1])


def order_edits(procs: list[tuple[int, str]], pack: Pack | None, results: list[EditResult]) -> None:
    """Y/Z first [NCCS]; laterality after its site or procedure, before no further site [NCCS]."""
    if procs and procs[0][0] == 1 and is_qualifier(procs[0][1]):
        results.append(EditResult(
            "y-z-first", "error",
            f"OPCS-4 {procs[0][1]} is a chapter {chapter_of(procs[0][1])} code and cannot come first: "
            "put the procedure code first", 1, OPCS4))
    extra = set(pack.site_codes) if pack else set()
    for group in groups(procs, extra):
        for index, (position, code) in enumerate(group):
            if category_of(code) != LATERALITY or index == 0:
                continue
            problem = _laterality_problem(group, index, extra)
            if problem:
                results.append(EditResult("laterality-position", "error", f"OPCS-4 {code} (laterality) {problem}",
                                          position, OPCS4))


def _laterality_problem(group: list[tuple[int, str]], index: int, extra: set[str]) -> str:
    before = group[index - 1][1]
    if category_of(before) == LATERALITY:
        return f"follows another laterality code ({before})"
    if chapter_of(before) == "Y":
        # Method codes sit between a procedure and its site: walk back to what they qualify.
        back = index - 1
        while back > 0 and chapter_of(group[back][1]) == "Y":
            back -= 1
        if back > 0:
            return f"must come directly after its site code, not after the method code {before}"
    following = group[index + 1][1] if index + 1 < len(group) else None
    if following and is_site(following, extra, True) and not _has_own_laterality(group, index + 1):
        return f"must come after the site code {following}, not before it"
    return ""


def _has_own_laterality(group: list[tuple[int, str]], site_index: int) -> bool:
    return site_index + 1 < len(group) and category_of(group[site_index + 1][1]) == LATERALITY


def duplicate_edits(codes: list[tuple[int, str]], classification: str, pack: Pack | None,
                    results: list[EditResult], name: str) -> None:
    """The same code twice. A Y/Z code may repeat after another procedure (knee site Z84.6 after each
    knee operation) and a laterality code after each of two sites; twice for the same one warns."""
    extra = set(pack.site_codes) if pack else set()
    seen: set[str] = set()
    if classification != OPCS4:
        for position, code in codes:
            if code in seen:
                results.append(EditResult("duplicate-code", "warning", f"{name} {code} is listed twice",
                                          position, classification))
            seen.add(code)
        return
    for group in groups(codes, extra):
        in_group: set[str] = set()
        for index, (position, code) in enumerate(group):
            if index == 0:
                repeated = code in seen
                seen.add(code)
            elif category_of(code) == LATERALITY:
                repeated = index > 0 and group[index - 1][1] == code
            else:
                repeated = code in in_group
            in_group.add(code)
            if repeated:
                results.append(EditResult("duplicate-code", "warning",
                                          f"{name} {code} is listed twice"
                                          + (" for the same procedure" if index else ""), position, classification))


def stent_edits(procs: list[tuple[int, str]], words: Vocabulary, results: list[EditResult]) -> None:
    """[TL L76, L89] a stent supplementary code directly follows the stent insertion (or the previous
    supplementary code of the same insertion), and each type of stent has one code."""
    chain_open = False
    types: dict[str, str] = {}
    previous: str | None = None
    for position, code in procs:
        if category_of(code) in STENT_SUPPLEMENTARY:
            if not chain_open and words.stent_insertions:
                where = f"after {previous}" if previous else "first"
                results.append(EditResult(
                    "stent-supplementary", "error",
                    f"OPCS-4 {code} is a supplementary stent code: it goes directly after the stent insertion "
                    f"code, not {where}", position, OPCS4))
            kind = words.stent_type.get(code)
            if kind and kind in types:
                results.append(EditResult(
                    "stent-supplementary", "error",
                    f"OPCS-4 {code} and {types[kind]} record the same type of stent ({kind}): use one code per "
                    "type, with the number of stents of that type", position, OPCS4))
            if kind:
                types.setdefault(kind, code)
        else:
            chain_open = code in words.stent_insertions
            types = {} if chain_open else types
        previous = code


def image_control_edits(procs: list[tuple[int, str]], pack: Pack | None, results: list[EditResult]) -> None:
    """[TL Y53, Y68] one image-control method per procedure group."""
    for group in groups(procs, set(pack.site_codes) if pack else set()):
        methods: list[tuple[int, str]] = []
        for position, code in group:        # a repeated code is the duplicate edit's business
            if category_of(code) in IMAGE_CONTROL and code not in {c for _, c in methods}:
                methods.append((position, code))
        for position, code in methods[1:]:
            results.append(EditResult(
                "image-control", "error",
                f"OPCS-4 {code} is a second image-control method for {group[0][1]} (already {methods[0][1]}): "
                "code one method; Y53.9 when it is not stated", position, OPCS4))


def angioplasty_edits(procs: list[tuple[int, str]], words: Vocabulary, results: list[EditResult]) -> None:
    """[TL, IPG75] the angioplasty is implicit in the stent code of the same vessel category."""
    present = {code: position for position, code in reversed(procs)}
    for stent, plasties in words.angioplasty_in.items():
        if stent not in present:
            continue
        for plasty in sorted(plasties & present.keys()):
            results.append(EditResult(
                "angioplasty-with-stent", "error",
                f"OPCS-4 {plasty} (angioplasty) is implicit in the stent code {stent}: code {stent} alone",
                max(present[plasty], present[stent]), OPCS4))


def missing_procedure_edit(procs: list[tuple[int, str]], guidance: str | None, results: list[EditResult]) -> None:
    if guidance and not procs:
        results.append(EditResult("missing-procedure", "error",
                                  f"the episode is coded with {guidance} but has no procedure code", None, OPCS4))
