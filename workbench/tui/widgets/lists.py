"""Option lists that also move with j/k, for keyboard-only use."""

from __future__ import annotations

from textual.widgets import OptionList

from workbench.tui import keymap

KIND_LABELS = {"guidance": "guidance", "opcs4": "OPCS-4", "icd10": "ICD-10"}


class KeyList(OptionList):
    """An OptionList with j/k as well as the arrow keys."""

    BINDINGS = keymap.bindings("list")
