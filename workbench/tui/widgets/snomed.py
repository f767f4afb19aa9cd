"""The SNOMED CT concepts a guidance gives beside its codes; hidden when it gives none."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static


def snomed_text(concepts: Any) -> Text:
    """'SNOMED CT procedure: term (id) · diagnosis: term (id)' from pack or guidance concepts."""
    text = Text()
    for index, concept in enumerate(concepts or ()):
        text.append("SNOMED CT " if index == 0 else " · ", style="bold" if index == 0 else "")
        kind = concept.get("type", "")
        text.append(f"{kind}: " if kind else "", style="dim")
        text.append(f"{concept.get('term', '')} ({concept.get('concept_id', '')})")
    return text


class SnomedLine(Static):
    """Shown on the wizard and review so a diagnosis given only as SNOMED CT is not lost."""

    DEFAULT_CLASSES = "snomed"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.display = False

    def show_concepts(self, concepts: Any) -> None:
        text = snomed_text(concepts)
        self.update(text)
        self.display = bool(text.plain)
