"""Coding rules: rule packs (YAML data), the engine, validation edits and the linter.

The public API is re-exported here; see docs/architecture.md and
fixtures/rules/README.md (the authoring guide). Names are imported when first used
(PEP 562), so importing one module of the package (the linter's cache, the model)
does not import the engine, the edits and the loader with it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_WHERE = {
    "check_answer": "answers",
    "index_packs": "catalog", "pack_summaries": "catalog",
    "pack_caution_line": "caution", "pack_cautions": "caution", "pack_flags": "caution",
    "CodeCatalog": "codes",
    "run_edits": "edits",
    "Patient": "episode_conventions",
    "evaluate": "engine",
    "PACKS_DIR": "loader", "find_pack": "loader", "load_pack": "loader", "load_pack_text": "loader",
    "load_shipped": "loader", "shipped_packs": "loader",
    "AnswerError": "model", "EditResult": "model", "Entry": "model", "Evaluation": "model", "Group": "model",
    "Option": "model", "Pack": "model", "PackError": "model", "PackSummary": "model", "Question": "model",
    "AnswerPath": "paths", "enumerate_paths": "paths",
    "population_caution": "population",
}

__all__ = [
    "PACKS_DIR", "AnswerError", "AnswerPath", "CodeCatalog", "EditResult", "Entry", "Evaluation",
    "Group", "Option", "Pack", "PackError", "PackSummary", "Patient", "Question", "check_answer",
    "enumerate_paths", "evaluate", "find_pack", "index_packs", "load_pack", "load_pack_text",
    "load_shipped", "pack_caution_line", "pack_cautions", "pack_flags", "pack_summaries", "population_caution",
    "run_edits", "shipped_packs",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value           # the next lookup is a plain attribute
    return value


if TYPE_CHECKING:   # what the names are, for type checkers and readers
    from workbench.core.rules.answers import check_answer
    from workbench.core.rules.catalog import index_packs, pack_summaries
    from workbench.core.rules.caution import pack_caution_line, pack_cautions, pack_flags
    from workbench.core.rules.codes import CodeCatalog
    from workbench.core.rules.edits import run_edits
    from workbench.core.rules.engine import evaluate
    from workbench.core.rules.episode_conventions import Patient
    from workbench.core.rules.loader import (
        PACKS_DIR,
        find_pack,
        load_pack,
        load_pack_text,
        load_shipped,
        shipped_packs,
    )
    from workbench.core.rules.model import (
        AnswerError,
        EditResult,
        Entry,
        Evaluation,
        Group,
        Option,
        Pack,
        PackError,
        PackSummary,
        Question,
    )
    from workbench.core.rules.paths import AnswerPath, enumerate_paths
    from workbench.core.rules.population import population_caution
