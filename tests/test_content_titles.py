"""Titles quoted in rule packs and guidance texts match the loaded classification.

A source line such as "L80.2 Percutaneous transluminal balloon angioplasty of pulmonary vein"
is shown to the coder beside the code; an older edition's wording (OPCS-4.6 "Implantation of
neurostimulator into brain" for A09.1) would contradict the title shown from the classification.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from workbench.core.rules import load_shipped
from workbench.core.rules.model import Each

# "CODE Title words" with the title starting with a capital and a lower-case letter; stops at a
# clause mark so "Z33.6 Atrium of heart: only where ..." compares "Atrium of heart".
IN_SOURCE = re.compile(r"\b([A-Z]\d\d\.\d)\s+([A-Z][a-z][^;:()\n,]*)")
LISTED = re.compile(r"^\s*[-*]\s+([A-Z]\d\d\.\d)\s+([A-Z][^\n]*)$", re.M)


def _norm(text: str) -> str:
    return " ".join(text.lower().replace("-", " ").split())


def _title(catalog, code: str) -> str | None:
    return catalog.title("opcs4", code) or catalog.title("icd10", code)


def mismatches(text: str, pattern: re.Pattern, catalog, where: str) -> list[str]:
    out = []
    for match in pattern.finditer(text or ""):
        code, quoted = match.groups()
        title = _title(catalog, code)
        if title and not _norm(quoted).startswith(_norm(title)) and not _norm(title).startswith(_norm(quoted)):
            out.append(f"{where}: {code} '{quoted.strip()}' but the classification says '{title}'")
    return out


def pack_sources(pack) -> list[str]:
    texts = [pack.source] + [q.source for q in pack.all_questions()]

    def items(entries) -> None:
        for entry in entries:
            if isinstance(entry, Each):
                items(entry.items)
            else:
                texts.append(entry.source)

    items(pack.procedures)
    items(pack.diagnoses)
    return texts


def test_pack_source_titles_match_the_classification(catalog) -> None:
    packs, errors = load_shipped()
    assert not errors
    found = [m for pack in packs.values() for text in pack_sources(pack)
             for m in mismatches(text, IN_SOURCE, catalog, pack.id)]
    assert found == []


@pytest.mark.parametrize("path", sorted((REPO_ROOT / "fixtures" / "guidance").glob("*.md")), ids=lambda p: p.stem)
def test_guidance_text_titles_match_the_classification(catalog, path: Path) -> None:
    assert mismatches(path.read_text(encoding="utf-8"), LISTED, catalog, path.name) == []


def test_the_check_catches_an_old_title(catalog) -> None:
    found = mismatches("- A09.1 Implantation of neurostimulator into brain", LISTED, catalog, "x")
    assert found and "Implantation of brain neurostimulator" in found[0]
