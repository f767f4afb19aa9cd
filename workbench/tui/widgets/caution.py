"""The line that warns when a rule pack is a draft or partial; hidden for approved, complete packs."""

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

    def show_pack(self, pack: Any | None) -> None:
        from workbench.core.rules import pack_caution_line

        line = pack_caution_line(pack) if pack is not None else ""
        self.update(Text(line))
        self.display = bool(line)
