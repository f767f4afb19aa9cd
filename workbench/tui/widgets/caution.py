"""The line that warns when a rule pack is a draft or partial, or its guidance is not for this
patient (an infant's guidance for an adult); hidden when there is nothing to say."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static


class PackCaution(Static):
    """Shown on every screen that codes with a pack, so a partial pack never looks complete."""

    DEFAULT_CLASSES = "caution"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.display = False   # until a pack that needs a caution is shown

    def show_pack(self, pack: Any | None, population: str = "") -> None:
        """``population``: the population caution for the episode's patient, when there is one."""
        from workbench.core.rules import pack_caution_line

        line = " · ".join(filter(None, [pack_caution_line(pack) if pack is not None else "", population]))
        self.update(Text(line))
        self.display = bool(line)
