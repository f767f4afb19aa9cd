"""Qualifiers: codes for a particular patient or circumstance (a newborn's, a pregnancy's, a
traumatic, in situ, postoperative, personal history, sequelae or screening code), which a query
must ask for to get them first. ``ranking`` places a code carrying one the query did not ask for
after the plain codes that match as well ("uti" gives N39.0 before the newborn's P39.3).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from workbench.core.classifications.codes import ICD10


@dataclass(frozen=True)
class Qualifier:
    """Codes for a particular patient or circumstance, which a query must ask for to get first."""
    name: str
    classification: str | None      # None: either
    chapters: tuple[str, ...]       # code first letters that carry it ("P": perinatal)
    title_words: frozenset[str]     # or title words that carry it
    asked_by: frozenset[str]        # query words (or words of their meanings) that ask for it


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


QUALIFIERS = (
    Qualifier("newborn", ICD10, ("P",), _words("newborn perinatal"), _words(
        "newborn newborns neonatal neonate neonates baby babies infant infants perinatal fetus fetal foetus foetal"
        " prem premature prematurity preterm nicu scbu birth born")),
    Qualifier("pregnancy", ICD10, ("O",), frozenset(), _words(
        "pregnancy pregnant antenatal antepartum intrapartum labour labor delivery deliveries delivered obstetric"
        " obstetrics puerperal puerperium postnatal postpartum gestation gestational maternal miscarriage"
        " abortion ectopic caesarean cesarean lscs trimester eclampsia preeclampsia hyperemesis placenta"
        " placental praevia breech gravid childbirth amniotic membranes fetus fetal foetal foetus weeks")),
    Qualifier("traumatic", None, (), _words("traumatic"), _words(
        "traumatic trauma injury injuries injured fall fell assault accident rta rtc blow nai")),
    Qualifier("in situ", None, (), _words("situ"), _words("situ cis dcis lcis cin vin bowen bowens")),
    Qualifier("postoperative", None, (), _words("postoperative postprocedural"), _words(
        "post postop postoperative postprocedural operative iatrogenic following after")),
    Qualifier("history", ICD10, (), _words("history"), _words(
        "history hx previous prev past pmh fh family personal")),
    Qualifier("sequelae", ICD10, (), _words("sequelae"), _words("sequelae sequela late old previous residual")),
    Qualifier("screening", None, (), _words("screening"), _words("screening screen screened")),
)
_NOT_TRAUMATIC = re.compile(r" non ?traumatic")


def asked_for(words: Iterable[str]) -> frozenset[str]:
    """Names of the qualifiers the query's words (typed, or of their meanings) ask for."""
    words = frozenset(words)
    return frozenset(q.name for q in QUALIFIERS if q.asked_by & words)


def unasked(kind: str, code: str, title_words: Iterable[str], asked: frozenset[str]) -> int:
    """How many qualifiers the code carries that the query did not ask for."""
    words = list(title_words)
    title = frozenset(words)
    count = 0
    for q in QUALIFIERS:
        if q.name in asked or q.classification not in (None, kind) or kind == "guidance":
            continue
        if code.startswith(q.chapters) if q.chapters else False:
            count += 1
        elif q.title_words & title:
            if q.name == "traumatic" and _NOT_TRAUMATIC.search(" " + " ".join(words)):
                continue
            count += 1
    return count
