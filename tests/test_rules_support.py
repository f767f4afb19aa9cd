"""Helpers shared by the rules tests: a code catalog and pack loading.

The catalog is the foundation's ``catalog`` fixture when conftest provides it;
until then, the real-scale OPCS-4/ICD-10 lists in ../shared/reference.
"""

from __future__ import annotations

import csv
import functools

import pytest

from tests.conftest import REFERENCE_DIR
from workbench.core.rules.codes import ICD10, OPCS4, MappingCatalog


@functools.cache
def reference_catalog() -> MappingCatalog:
    titles: dict[tuple[str, str], str] = {}
    for classification, name in ((OPCS4, "opcs4-codes-hes.tsv"), (ICD10, "icd10-codes-hes.tsv")):
        with open(REFERENCE_DIR / name, encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                titles[(classification, row["code"])] = row["title"]
    return MappingCatalog(titles)


def code_catalog(request: pytest.FixtureRequest):
    """The project's catalog fixture if it exists, else the shared reference lists (or skip)."""
    try:
        return request.getfixturevalue("catalog")
    except pytest.FixtureLookupError:
        pass
    if not (REFERENCE_DIR / "opcs4-codes-hes.tsv").exists():
        pytest.skip("no code catalog: ../shared/reference is absent and conftest has no catalog fixture")
    return reference_catalog()


def test_reference_catalog_knows_the_seed_codes(request: pytest.FixtureRequest) -> None:
    catalog = code_catalog(request)
    assert catalog.title(OPCS4, "L80.4")
    assert catalog.exists(ICD10, "I50.0")
    assert not catalog.exists(OPCS4, "L80.0")
