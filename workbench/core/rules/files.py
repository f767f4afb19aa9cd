"""Where the shipped rule packs are, and which files in a folder are packs.

Kept apart from the loader so that listing packs (the linter's cache, `rules check` when
nothing changed) imports neither PyYAML nor the pack model.
"""

from __future__ import annotations

from pathlib import Path

from workbench.core.paths import FIXTURES_DIR

PACKS_DIR = FIXTURES_DIR / "rules"


def pack_files(directory: Path | None = None) -> list[Path]:
    folder = directory or PACKS_DIR
    return sorted(p for p in folder.glob("*.yaml") if p.is_file())
