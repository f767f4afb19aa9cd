"""The ranking rules of the generalised search (issue 22, second pass): the composition rule,
qualifiers a query must ask for, treatments after what names the condition, plain words read
as typed, and abbreviations that must not swallow ordinary words. Embedded data only; each
rule is shown on several queries, none of them special-cased anywhere."""

from __future__ import annotations

import sqlite3

import pytest

from workbench.core.search import search
from workbench.core.search.plain import plain_word
from workbench.core.search.qualifiers import asked_for, unasked


def _codes(conn: sqlite3.Connection, query: str, n: int = 10) -> list[str]:
    return [h.code for h in search(conn, query, limit=n)]


def _first(codes: list[str], prefixes: tuple[str, ...]) -> int:
    return next((i for i, c in enumerate(codes) if c.startswith(prefixes)), 99)


@pytest.mark.parametrize(("query", "operation", "method"), [
    ("lap appendicectomy", ("H01", "H02"), ("Y75",)),
    ("laparoscopic appendicectomy", ("H01", "H02"), ("Y75",)),
])
def test_the_operation_comes_before_the_method_code_the_rest_of_the_query_names(
        reference_db: sqlite3.Connection, query: str, operation: tuple[str, ...], method: tuple[str, ...]) -> None:
    codes = _codes(reference_db, query)
    assert codes[0].startswith(operation), codes
    assert _first(codes, method) < 5, codes        # the method code is offered, never first


@pytest.mark.parametrize(("query", "plain", "qualified"), [
    ("uti", ("N39",), ("P39", "O23", "O86")),
    ("jaundice", ("R17",), ("P58", "P59")),
    ("hypoglycaemia", ("E16",), ("P70",)),
    ("tricuspid regurgitation", ("I07", "I36", "I08"), ("P92",)),   # the newborn's code holds the rarer word
])
def test_a_qualified_code_follows_the_plain_ones_unless_asked_for(
        reference_db: sqlite3.Connection, query: str, plain: tuple[str, ...], qualified: tuple[str, ...]) -> None:
    codes = _codes(reference_db, query)
    assert _first(codes, plain) < _first(codes, qualified), codes


@pytest.mark.parametrize(("query", "qualified"), [
    ("neonatal uti", ("P39",)),
    ("neonatal hypoglycaemia", ("P70",)),
    ("newborn jaundice", ("P58", "P59")),
])
def test_asking_for_the_qualifier_puts_its_codes_first(reference_db: sqlite3.Connection, query: str,
                                                       qualified: tuple[str, ...]) -> None:
    codes = _codes(reference_db, query)
    assert codes[0].startswith(qualified), codes
    if query == "newborn jaundice":      # "newborn" also reads "neonatal": more than the one title saying newborn
        assert sum(c.startswith(qualified) for c in codes) >= 3, codes


def test_qualifiers_are_read_from_the_words_and_the_titles() -> None:
    assert asked_for(["neonatal", "sepsis"]) == {"newborn"}
    assert asked_for(["sepsis"]) == frozenset()
    assert unasked("icd10", "P36.9", ["bacterial", "sepsis", "of", "newborn"], frozenset()) == 1
    assert unasked("icd10", "P36.9", ["bacterial", "sepsis", "of", "newborn"], frozenset({"newborn"})) == 0
    assert unasked("icd10", "I62.0", ["subdural", "haemorrhage", "nontraumatic"], frozenset()) == 0
    assert unasked("guidance", "IPG1", ["newborn"], frozenset()) == 0


@pytest.mark.parametrize(("query", "condition", "treatment"), [
    ("fibroids", ("D25",), ("IPG367",)),                        # guidance "... for fibroids"
    ("varicose veins of leg", ("I83",), ("L86.2",)),             # "... foam sclerotherapy for varicose veins of leg"
])
def test_a_treatment_named_for_a_condition_follows_the_codes_of_the_condition(
        reference_db: sqlite3.Connection, query: str, condition: tuple[str, ...], treatment: tuple[str, ...]) -> None:
    codes = _codes(reference_db, query, 20)
    assert _first(codes, condition) < _first(codes, treatment), codes


def test_an_operation_for_a_condition_does_not_bury_its_guidance(reference_db: sqlite3.Connection) -> None:
    # Procedure codes "for twin to twin transfusion syndrome" and the guidance on it are both
    # treatments of the condition: national use and title coverage decide between them.
    codes = _codes(reference_db, "twin to twin transfusion syndrome", 5)
    assert codes[0].startswith("IPG") and any(c.startswith(("R07", "R08")) for c in codes), codes


@pytest.mark.parametrize("word", ["fast", "burr", "prem", "dip", "tired", "leaking"])
def test_plain_words_are_listed_and_read_as_typed(reference_db: sqlite3.Connection, word: str) -> None:
    assert plain_word(reference_db, word) or word in {"burr", "dip", "leaking"}
    for hit in search(reference_db, word, limit=10):
        assert "matched" not in hit.match_note, (word, hit)


@pytest.mark.parametrize(("query", "wanted", "never"), [
    ("urine dip", (), ("Z83", "Z86", "W59")),          # DIP joint: not what a ward means by a dip
    ("rt tkr", ("W40", "W41", "W42"), ("Y90", "Y91", "X65")),   # rt is right, not radiotherapy
    ("leaking aaa", ("I71",), ("R15", "N39", "R32")),  # a leaking aneurysm is not incontinence
    ("cup arthroplasty", ("W",), ("C80",)),            # not cancer of unknown primary
    ("laceration forearm", ("S51",), ("R32",)),        # an open wound, not an obstetric laceration
    ("laceration arm", ("S41", "S51", "T11"), ("R32",)),
])
def test_an_abbreviation_does_not_swallow_an_ordinary_word(reference_db: sqlite3.Connection, query: str,
                                                           wanted: tuple[str, ...], never: tuple[str, ...]) -> None:
    codes = _codes(reference_db, query, 5)
    assert not any(c.startswith(never) for c in codes), codes
    if wanted:
        assert codes and codes[0].startswith(wanted), codes
