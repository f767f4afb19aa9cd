"""Episode conventions: the classifications' own rules, checked on every episode, with or without guidance.

They need no rule pack and no imported release: the tables they read are embedded
(``fixtures/conventions/``, :mod:`workbench.core.classifications.convention_tables`), and an
imported release's metadata refines them. Sources, named in the F1 help (``EPISODE_CONVENTIONS``)
and in ``fixtures/conventions/README.md``:

- [NCCS] NHS England National Clinical Coding Standards (ICD-10 5th edition and OPCS-4): a
  finished episode has a primary diagnosis; an external cause code (V01-Y98) accompanies every
  injury or poisoning code (S00-T98) and is never primary; Z94 laterality after an operation on a
  paired organ or site.
- [WHO-V1] WHO ICD-10 Volume 1: the asterisk categories and the dagger codes named for them;
  the dagger code is recorded first and its asterisk code directly after it.
- [HES] the national usage counts (fixtures/classifications/*-usage.tsv): a code almost never
  recorded whose same-shaped code in the other classification is common.
- [systems] fixtures/conventions/body-systems.tsv: the body system of a code by its classification's
  chapters and blocks, to tell which reading of a code recorded commonly in both fits its episode.

| id | severity | checks |
|---|---|---|
| wrong-list | error | a code of the other classification in a list (ICD-10 I50.0 in the procedures) |
| missing-primary-diagnosis | error | a finished episode with no diagnosis (a draft may lack one) |
| asterisk-primary | error | an asterisk code first in the diagnoses |
| asterisk-without-dagger | error | an asterisk code not directly after a dagger code WHO names for it |
| missing-external-cause | error | a finished episode's injury or poisoning code (S00-T98) with no external cause (V01-Y98) |
| external-cause-primary | error | an external cause code first in the diagnoses |
| secondary-code-primary | error | a code WHO keeps for after another (B95-B98, R65, U82-U85, Z37) first in the diagnoses |
| laterality-missing | error | a finished episode's operation on a paired organ or site with no Z94 |
| laterality-unpaired | warning | a Z94 after an operation on an organ that has no side |
| laterality-without-site | warning | a Z94 straight after an operation whose title names no site, with no site code |
| likely-other-classification | warning | a code almost never recorded whose twin in the other classification is common, or a code common in both that fits its episode only as the other classification's |
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workbench.core.rules.codes import ICD10, OPCS4, category_of
from workbench.core.rules.conventions import LATERALITY, groups, is_qualifier, is_site
from workbench.core.rules.model import EditResult, Pack
from workbench.core.rules.vocabulary import STENT_SUPPLEMENTARY

NAMES = {OPCS4: "OPCS-4", ICD10: "ICD-10"}
LISTS = {OPCS4: "procedures", ICD10: "diagnoses"}

# Shown by F1 on the review's checks panel: one line per episode convention, with its source.
EPISODE_CONVENTIONS = (
    ("wrong-list", "Procedures hold OPCS-4 codes only, diagnoses ICD-10 only [NCCS]"),
    ("missing-primary-diagnosis", "A finished episode has a primary diagnosis; a draft may lack one [NCCS]"),
    ("asterisk-primary", "An asterisk code (manifestation) is never the primary diagnosis [WHO-V1, NCCS]"),
    ("asterisk-without-dagger", "An asterisk code follows its dagger code, one WHO names where it names "
                                "them [WHO-V1]"),
    ("missing-external-cause", "Injury and poisoning codes (S00-T98) need an external cause code "
                               "(V01-Y98) [NCCS]"),
    ("external-cause-primary", "An external cause code is never the primary diagnosis [NCCS]"),
    ("secondary-code-primary", "An infectious agent (B95-B98), SIRS (R65), drug resistance (U82-U85) or "
                               "outcome of delivery (Z37) code is never the primary diagnosis [WHO-V1]"),
    ("sex-limit", "Codes of one sex against the patient's sex, ICD-10 and OPCS-4 [WHO-V2, OPCS-4]"),
    ("age-limit", "Perinatal, newborn and obstetric codes against the patient's age [WHO-V1]"),
    ("laterality-missing", "Z94 laterality after an operation on a paired organ or site [NCCS, table]"),
    ("laterality-unpaired", "Z94 after an operation on an organ without a side is questioned [NCCS, table]"),
    ("laterality-without-site", "Z94 straight after an operation whose title names no site (skin, bone, "
                                "joint, tendon) asks for the site code first [NCCS, table]"),
    ("likely-other-classification", "A code almost never recorded whose twin in the other classification "
                                    "is common, or one common in both that fits its episode only as the "
                                    "other's [HES, systems]"),
    ("patient-not-given", "Without the sex or age, the limits that need them are said not to be checked"),
)
EPISODE_SOURCES = (
    ("WHO-V1", "WHO ICD-10 Volume 1: the asterisk categories and the dagger codes they name; chapter "
               "notes (perinatal, newborn, pregnancy)"),
    ("WHO-V2", "WHO ICD-10 Volume 2: the lists of categories limited to one sex"),
    ("OPCS-4", "OPCS-4 chapters and categories of one sex (N male; P, Q, R female; bladder outlet)"),
    ("table", "fixtures/conventions/opcs4-laterality.tsv and opcs4-site-laterality.tsv: paired organs "
              "and sites, reviewed against the OPCS-4 titles"),
    ("HES", "national usage counts, NHS England Hospital Episode Statistics (OGL v3.0)"),
    ("systems", "fixtures/conventions/body-systems.tsv: OPCS-4 chapters and ICD-10 chapters and blocks "
                "grouped by body system"),
)

#: A code recorded fewer than RARE_OWN times a year in England (under one episode a provider a
#: year) whose same-shaped code in the other classification is recorded at least RARE_RATIO times as
#: often, and at least RARE_LIMIT times a year, is probably the other classification's code: OPCS-4
#: E11.9 (61 a year) against ICD-10 E11.9 (2.4 million), OPCS-4 M16.1 (111) against ICD-10 M16.1
#: (7,513). A code in regular use is not questioned on the counts alone (ICD-10 C71.2, a temporal lobe
#: tumour, 4,043 a year against the cataract operation's 676,357; OPCS-4 N13.3, reduction of torsion of
#: testis, 518 against hydronephrosis's 101,048): only when the rest of its episode says so (the
#: body systems, below).
RARE_LIMIT = 1000
RARE_RATIO = 50
RARE_OWN = 200
#: Two readings are both in common use when neither is recorded more than COMPARABLE times as often
#: as the other (G45.9: 249,035 endoscopies, 28,064 transient ischaemic attacks). Beyond that the
#: counts speak, not the episode: ICD-10 J44.9 (COPD, 953,489) beside a cholecystectomy is not OPCS-4
#: J44.9 (1,037) even though the rest of the episode is digestive.
COMPARABLE = 10


@dataclass(frozen=True)
class Patient:
    """The patient facts some conventions need; None where not given."""

    sex: str | None = None            # "male" | "female"
    age: int | None = None            # whole years at the episode start


def is_injury(code: str) -> bool:
    return "S00" <= category_of(code) <= "T98"


def is_external_cause(code: str) -> bool:
    return "V01" <= category_of(code) <= "Y98"


def primary_diagnosis_edit(procedures: list[str], diagnoses: list[str], finished: bool,
                           results: list[EditResult]) -> None:
    if finished and not diagnoses:
        results.append(EditResult(
            "missing-primary-diagnosis", "error",
            "diagnoses: a finished episode needs a primary diagnosis (ICD-10); add the main condition "
            "treated first" + (" (the procedures alone do not say why)" if procedures else ""), None, ICD10))


# ------------------------------------------------------------------ dagger and asterisk

def usage_of(catalog: Any, tables: Any, code: str, mark: str | None) -> str | None:
    """'dagger' | 'asterisk' | None: the typed mark, else the release's metadata, else the table."""
    if mark in ("dagger", "asterisk"):
        return mark
    meta = metadata(catalog, ICD10, code)
    if meta is not None and meta.get("usage"):
        return {"DAGGER": "dagger", "ASTERISK": "asterisk"}.get(str(meta["usage"]).upper())
    return "asterisk" if tables.is_asterisk(code) else None


def metadata(catalog: Any, classification: str, code: str) -> dict | None:
    """An imported release's metadata of a code, or None (no import, or a catalog without it)."""
    lookup = getattr(catalog, "metadata", None)
    if lookup is None:
        return None
    try:
        return lookup(classification, code)
    except Exception:   # no metadata table in an older database: nothing known
        return None


def dagger_asterisk_edits(catalog: Any, tables: Any, diags: list[tuple[int, str, str | None]],
                          results: list[EditResult]) -> None:
    """[WHO-V1] an asterisk code is never first and follows a code that can be its dagger."""
    from workbench.core.classifications.convention_tables import covers

    usages = [usage_of(catalog, tables, code, mark) for _, code, mark in diags]
    for index, ((position, code, _mark), usage) in enumerate(zip(diags, usages, strict=True)):
        if usage != "asterisk":
            continue
        references = tables.dagger_references(code)
        if position == 1:
            named = f" ({' or '.join(references)})" if references else ""
            results.append(EditResult(
                "asterisk-primary", "error",
                f"ICD-10 {code} is an asterisk code (a manifestation): it is never the primary diagnosis; "
                f"put the dagger code of the underlying disease{named} first, then this code", position, ICD10))
            continue
        # The dagger: the nearest code before it that is not another asterisk code of the same pair
        # (a run of asterisk codes first: the first one has said it).
        back = index - 1
        while back >= 0 and usages[back] == "asterisk":
            back -= 1
        if back < 0:
            continue
        before, before_usage = diags[back][1], usages[back]
        if references and before_usage != "dagger" and not any(covers(r, before) for r in references):
            results.append(EditResult(
                "asterisk-without-dagger", "error",
                f"ICD-10 {code} is an asterisk code whose dagger code is {' or '.join(references)} "
                f"(WHO ICD-10); it follows {before}: put its dagger code directly before it",
                position, ICD10))


# ------------------------------------------------------------------ external causes

def external_cause_edits(diags: list[tuple[int, str, str | None]], finished: bool,
                         results: list[EditResult]) -> None:
    """[NCCS] S00-T98 need an external cause code (V01-Y98) in a finished episode; an external
    cause code is never the primary diagnosis."""
    codes = [code for _, code, _ in diags]
    if diags and is_external_cause(codes[0]):
        results.append(EditResult(
            "external-cause-primary", "error",
            f"ICD-10 {codes[0]} is an external cause code: it is never the primary diagnosis; put the "
            "injury or condition first", 1, ICD10))
    injuries = [(position, code) for position, code, _ in diags if is_injury(code)]
    if finished and injuries and not any(is_external_cause(code) for code in codes):
        position, code = injuries[0]
        results.append(EditResult(
            "missing-external-cause", "error",
            f"ICD-10 {code} is an injury or poisoning code: add the external cause code (V01-Y98: how it "
            "happened, e.g. W19 fall, V43 car occupant)", position, ICD10))


def secondary_code_edit(tables: Any, diags: list[tuple[int, str, str | None]], results: list[EditResult]) -> None:
    """[WHO-V1] a code WHO keeps for after the condition it qualifies is not first (asterisk and
    external cause codes have their own rules)."""
    if not diags or diags[0][0] != 1:
        return
    code = diags[0][1]
    why = tables.never_primary(code)
    if why:
        results.append(EditResult(
            "secondary-code-primary", "error",
            f"ICD-10 {code} is never the primary diagnosis ({why.rstrip('.')}): put the condition it "
            "qualifies first", 1, ICD10))


# ------------------------------------------------------------------ laterality

def laterality_edits(tables: Any, procs: list[tuple[int, str]], pack: Pack | None, finished: bool,
                     results: list[EditResult]) -> None:
    """[NCCS, table] Z94 after an operation on a paired organ or site (in a finished episode: a
    guidance rarely knows the side); questioned after an unpaired one."""
    extra = set(pack.site_codes) if pack else set()
    all_groups = groups(procs, extra)
    for number, group in enumerate(all_groups):
        position, lead = group[0]
        if is_qualifier(lead):
            continue
        sides = [code for _, code in group[1:] if category_of(code) == LATERALITY]
        if not sides and _closed_by_a_later_side(all_groups[number + 1:], lead):
            continue
        # The group's other members are method codes (Y) and sites (Z, a pack's site codes, O codes
        # standing among the qualifiers): the groups are built that way.
        sites = [code for _, code in group[1:]
                 if code[0] != "Y" and category_of(code) != LATERALITY and is_site(code, extra, True)]
        kind, why = _group_laterality(tables, lead, sites)
        if kind == "site" and sides:
            at = next(p for p, c in group if category_of(c) == LATERALITY)
            results.append(EditResult(
                "laterality-without-site", "warning",
                f"OPCS-4 {sides[0]} (laterality) follows {lead}, whose title names no organ or site: add the "
                f"site code (chapter Z) after {lead}, then the side", at, OPCS4))
        elif kind == "paired" and not sides and finished:
            results.append(EditResult(
                "laterality-missing", "error",
                f"OPCS-4 {lead} is an operation on {why}: add the laterality code after "
                f"{sites[-1] if sites else lead} (Z94.1 bilateral, Z94.2 right, Z94.3 left, Z94.4 unilateral)",
                position, OPCS4))
        elif kind == "unpaired" and sides:
            at = next(p for p, c in group if category_of(c) == LATERALITY)
            results.append(EditResult(
                "laterality-unpaired", "warning",
                f"OPCS-4 {sides[0]} (laterality) follows {lead}, an operation on {why}: check that a side "
                "belongs here", at, OPCS4))


def _closed_by_a_later_side(later: list[list[tuple[int, str]]], lead: str) -> bool:
    """One laterality code may close a run of operations on the same organ (C75.1 C71.2 Z94.2):
    the following groups of the same chapter, up to the first with a Z94."""
    for group in later:
        if group[0][1][0] != lead[0]:
            return False
        if any(category_of(code) == LATERALITY for _, code in group[1:]):
            return True
    return False


def _group_laterality(tables: Any, lead: str, sites: list[str]) -> tuple[str, str]:
    """(paired | unpaired | site | either, what is operated on) for one procedure group; "site": an
    operation whose title names no site, with no site code to say which."""
    own = tables.procedure_laterality(lead) or "either"
    if own == "site" and not sites:
        return "site", ""
    if own == "paired":
        return "paired", "a paired organ or site"
    site_sides = [tables.site_side(site) or "either" for site in sites]
    if "paired" in site_sides:
        site = sites[site_sides.index("paired")]
        return "paired", f"a paired site ({site})"
    if site_sides and all(side == "unpaired" for side in site_sides):
        return "unpaired", f"a site without a side ({sites[0]})"
    if own == "unpaired" and not sites:
        return "unpaired", "an organ or region without a side"
    return "either", ""


# ------------------------------------------------------------------ the likelier classification

def likely_classification_edits(catalog: Any, tables: Any, codable: dict[str, list[tuple[int, str]]],
                                episode: dict[str, list[tuple[int, str]]], results: list[EditResult]) -> None:
    """[HES, systems] a code probably meant as the other classification's.

    ``codable`` (classification -> (position, code)) are the codes to question; ``episode``
    (classification -> (position, code)) is the whole episode, the context. Any of three signals:

    - rarity: the code is almost never recorded (under ``RARE_OWN`` a year) and its twin is common
      and at least ``RARE_RATIO`` times as common (OPCS-4 E11.9 where ICD-10 E11.9 was meant);
    - a lost reason: an operation in regular use whose twin is that much more common, and whose body
      system no other code of the episode shares (OPCS-4 J18.9 beside hypertension and diabetes);
    - the episode's body systems: both readings are in common use, but the code's own reading fits
      no other code of the episode while its twin's fits some (ICD-10 G45.9, a transient ischaemic
      attack, beside gastro-oesophageal reflux, where OPCS-4 G45.9 is an endoscopy of the upper GI
      tract; ICD-10 H25.1 in the procedures of a cataract episode).
    """
    uses = getattr(catalog, "recent_uses", None)
    if uses is None:
        return
    for classification, coded in codable.items():
        other = ICD10 if classification == OPCS4 else OPCS4
        for position, code in coded:
            if classification == OPCS4 and (is_qualifier(code) or category_of(code) in STENT_SUPPLEMENTARY):
                continue   # method, site and stent-type codes: their place in the sequence says they are OPCS-4
            if other == OPCS4 and code == category_of(code):
                continue   # ICD-10 N40 is complete; OPCS-4 N40 is a category no coder can have meant
            try:
                own, twin = int(uses(classification, code)), int(uses(other, code))
            except Exception:   # counts are information: never stop the checks
                return
            if twin < RARE_OWN:
                continue   # the other reading is not in regular use either: nothing to suggest
            dominant = twin >= RARE_LIMIT and twin >= RARE_RATIO * max(own, 1)
            if dominant and (own < RARE_OWN or _fits_nothing(tables, classification, code, position, episode)):
                results.append(EditResult(
                    "likely-other-classification", "warning",
                    f"{NAMES[classification]} {code} is recorded {own:,} times a year in England"
                    f"{'' if own < RARE_OWN else ' and fits no other code of this episode'}; "
                    f"{NAMES[other]} {code}{_title(catalog, other, code)} {twin:,} times: if you meant the "
                    f"{NAMES[other]} code, it belongs in the {LISTS[other]}", position, classification))
                continue
            # Both readings in common use (within COMPARABLE of each other): only the episode can tell.
            fit = (twin * COMPARABLE >= own) and _fits_as_the_other(tables, classification, code, position, episode)
            if fit:
                results.append(EditResult(
                    "likely-other-classification", "warning",
                    f"{NAMES[classification]} {code}{_title(catalog, classification, code)} fits no other code "
                    f"of this episode, while {NAMES[other]} {code}{_title(catalog, other, code)} ({twin:,} times "
                    f"a year in England) fits its {fit} codes: if you meant the {NAMES[other]} code, it belongs "
                    f"in the {LISTS[other]}", position, classification))


def _rest_systems(tables: Any, classification: str, position: int,
                  episode: dict[str, list[tuple[int, str]]]) -> set[str]:
    """The body systems of every other code of the episode (method and site codes have none)."""
    rest: set[str] = set()
    for listed, codes in episode.items():
        for at, each in codes:
            if (listed == classification and at == position) or (listed == OPCS4 and is_qualifier(each)):
                continue
            rest.update(tables.body_systems(listed, each))
    return rest


def _fits_nothing(tables: Any, classification: str, code: str, position: int,
                  episode: dict[str, list[tuple[int, str]]]) -> bool:
    """An operation whose body system no other code of the episode shares: it has lost its reason
    (OPCS-4 J18.9, a cholecystectomy, beside hypertension and diabetes alone). Asked of procedures
    only: a diagnosis of another system is an ordinary comorbidity (iridocyclitis beside ulcerative
    colitis and ankylosing spondylitis)."""
    if classification != OPCS4:
        return False
    own_systems = set(tables.body_systems(classification, code))
    return bool(own_systems) and not own_systems & _rest_systems(tables, classification, position, episode)


def _fits_as_the_other(tables: Any, classification: str, code: str, position: int,
                       episode: dict[str, list[tuple[int, str]]]) -> str:
    """The body system the twin shares with the rest of the episode, where the code's own reading
    shares none; "" when the systems say nothing (either reading fits, or a reading has none)."""
    other = ICD10 if classification == OPCS4 else OPCS4
    own_systems = set(tables.body_systems(classification, code))
    twin_systems = set(tables.body_systems(other, code))
    if not own_systems or not twin_systems:
        return ""
    rest = _rest_systems(tables, classification, position, episode)
    if own_systems & rest:
        return ""
    return " and ".join(sorted(twin_systems & rest))


def _title(catalog: Any, classification: str, code: str) -> str:
    try:
        title = catalog.title(classification, code)
    except Exception:
        return ""
    return f" ({title})" if title else ""
