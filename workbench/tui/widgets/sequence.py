"""The code sequence so far: code, title and the reason it is there."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.table import Table
from rich.text import Text


def sequence_table(procedures: Iterable[Any], diagnoses: Iterable[Any], *, stacked: bool = False) -> Table | Text:
    """A table of core ``Entry`` objects (procedures first, then diagnoses).

    Compact (one line per code, cut to fit) under the question at 80x24; ``stacked`` for
    the side panel, where a narrow column would cut every title: the whole title, then
    the reason on its own line.
    """
    procedures, diagnoses = list(procedures), list(diagnoses)
    if not procedures and not diagnoses:
        return Text("No codes yet: they appear here as you answer.", style="dim")
    if stacked:
        return _stacked(procedures, diagnoses)
    table = Table(box=None, expand=True, show_header=False, padding=(0, 1), pad_edge=False)
    table.add_column("code", no_wrap=True, style="bold", width=7)
    table.add_column("title", ratio=3, overflow="ellipsis", no_wrap=True)
    table.add_column("reason", ratio=2, style="dim", overflow="ellipsis", no_wrap=True)
    for heading, entries in (("OPCS-4 procedures", procedures), ("ICD-10 diagnoses", diagnoses)):
        if entries:
            table.add_row("", Text(heading, style="bold underline"), "")
            for entry in entries:
                table.add_row(entry.code, entry.title or "", entry.reason)
    return table


def _stacked(procedures: list[Any], diagnoses: list[Any]) -> Table:
    table = Table(box=None, expand=True, show_header=False, padding=(0, 1), pad_edge=False)
    table.add_column("code", no_wrap=True, style="bold", width=7)
    table.add_column("title", ratio=1)
    for heading, entries in (("OPCS-4 procedures", procedures), ("ICD-10 diagnoses", diagnoses)):
        if entries:
            table.add_row("", Text(heading, style="bold underline"))
            for entry in entries:
                table.add_row(entry.code, entry.title or "")
                table.add_row("", Text(f"why: {entry.reason}", style="dim"))
    return table
