"""The checkpoint lines of one chain, merged with a pass over its rows (see :mod:`verify`)."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import TYPE_CHECKING

from workbench.core.episodes.checkpoints import Checkpoint, Damaged, differences, row_name

if TYPE_CHECKING:
    from workbench.core.episodes.keys import DepartmentKey


class LineStream:
    """The checkpoint lines of one chain, for a pass that walks its rows in order.

    ``next_rows()`` gives the row count of the next line in file order that is not behind
    the ones before it; ``match()`` compares every such line at that row with the row.
    Lines behind an earlier one (a verified mark written while saves went on, or a log
    that went back) are kept aside, up to a bound, to be looked up one by one afterwards.
    """

    ASIDE_LIMIT = 100_000

    def __init__(self, lines: Iterator[Checkpoint | Damaged], chain: str, log_id: str | None,
                 key: DepartmentKey | None, *, ordered: bool = True):
        self.lines, self.chain, self.log_id, self.key = lines, chain, log_id, key
        #: Lines were appended in the writers' order: one going back means the log went back.
        self.ordered = ordered
        self.problems: list[str] = []
        self.notices: list[str] = []
        self.aside: list[Checkpoint] = []
        self.checked = 0
        self.beyond: Checkpoint | None = None          # the highest line past the last row
        self._current: list[Checkpoint] = []
        self._highest = -1
        self._last_ordered = -1
        self._foreign = 0
        self._disagreeing = 0

    def _accept(self, item: Checkpoint | Damaged) -> Checkpoint | None:
        if isinstance(item, Damaged):
            self.notices.append(f"checkpoint file line {item.line_number}: {item.reason}; skipped "
                                "(damage, or a crash while it was written)")
            return None
        if self.log_id is not None and item.log_id is not None and item.log_id != self.log_id:
            self._foreign += 1
            return None
        if self.key is not None and item.key_id == self.key.id:
            body = Checkpoint(**{**item.__dict__, "sig": None, "line_number": 0})
            if item.sig is None or not _same(self.key.sign(body.signed_text()), item.sig):
                self.problems.append(f"checkpoint file line {item.line_number} claims the department "
                                     "key but its keyed hash is wrong (a forged checkpoint?)")
                return None
        if item.entry(self.chain) is None:
            return None
        return item

    def next_rows(self) -> int | None:
        """The row count of the next in-order line, or None when the file is exhausted."""
        self._current = []
        for item in self.lines:
            checkpoint = self._accept(item)
            if checkpoint is None:
                continue
            rows = checkpoint.entry(self.chain)[0]
            if rows < self._highest:
                self._set_aside(checkpoint, rows)
                continue
            self._highest = rows
            if not checkpoint.verified:
                self._last_ordered = rows
            self._current = [checkpoint]
            return rows
        return None

    def _set_aside(self, checkpoint: Checkpoint, rows: int) -> None:
        # Save lines are appended in order under the writer turn: one behind an earlier save
        # line means the log went back. A verified mark may trail the saves made meanwhile.
        if self.ordered and not checkpoint.verified and rows < self._last_ordered:
            self.problems.append(f"checkpoint file line {checkpoint.line_number} records {rows} "
                                 f"{self._rows_name()} after a line that recorded {self._last_ordered}: "
                                 "the log went back (versions lost or an older copy restored) and "
                                 "was written to again")
        if len(self.aside) < self.ASIDE_LIMIT:
            self.aside.append(checkpoint)

    @property
    def highest(self) -> int:
        """The most rows any in-order line recorded (-1: no line)."""
        return self._highest

    def _rows_name(self) -> str:
        return f"{row_name(self.chain)}s"

    SHOWN = 5          # a rewrite disagrees with every later checkpoint: name a few, count the rest

    def match(self, rows: int, head: object, mac: object) -> list[str]:
        """Problems between the current line(s) (all at ``rows``) and the row's hash and mac."""
        found = []
        for checkpoint in self._current:
            self.checked += 1
            for problem in differences(checkpoint, self.chain, head, mac):
                self._disagreeing += 1
                if self._disagreeing <= self.SHOWN:
                    found.append(problem)
        return found

    def finish(self, last_row: int) -> None:
        """After the pass: lines past the last row mean rows are missing."""
        pending: list[Checkpoint] = []
        while True:
            for checkpoint in self._current:
                # Past the last row: missing rows. At or before it but never met by the pass
                # (an incremental pass starts later): looked up like the lines kept aside.
                if checkpoint.entry(self.chain)[0] > last_row:
                    pending.append(checkpoint)
                elif len(self.aside) < self.ASIDE_LIMIT:
                    self.aside.append(checkpoint)
            if self.next_rows() is None:
                break
        if pending:
            self.beyond = max(pending, key=lambda c: c.entry(self.chain)[0])
            self.checked += len(pending)
        if self._disagreeing > self.SHOWN:
            self.problems.append(f"...and {self._disagreeing - self.SHOWN} later checkpoint(s) disagree "
                                 "with the log the same way")
        if self._foreign:
            self.problems.append(f"the checkpoint file holds {self._foreign} checkpoint(s) of another "
                                 "log: this log was replaced by another file, or two logs share one "
                                 "checkpoint file (give each its own with --checkpoints)")


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
