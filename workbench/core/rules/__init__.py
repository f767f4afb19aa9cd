"""Coding rules: rule packs (YAML data), the engine, validation edits and the linter.

The public API is re-exported here; see docs/architecture.md and
fixtures/rules/README.md (the authoring guide).
"""

from __future__ import annotations

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

__all__ = [
    "PACKS_DIR", "AnswerError", "AnswerPath", "CodeCatalog", "EditResult", "Entry", "Evaluation",
    "Group", "Option", "Pack", "PackError", "PackSummary", "Patient", "Question", "check_answer",
    "enumerate_paths", "evaluate", "find_pack", "index_packs", "load_pack", "load_pack_text",
    "load_shipped", "pack_caution_line", "pack_cautions", "pack_flags", "pack_summaries", "run_edits", "shipped_packs",
]
