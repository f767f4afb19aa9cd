"""Who codes which worklist item: a manager's assignments and coders' claims.

- **Assigned** items come first in their coder's worklist (``worklist assign ID --to ann``).
  An assignment reserves nothing: it says whose list the item is on.
- **Claimed** items are being coded. Starting to code an item (Enter in the app, or
  ``worklist claim ID``) claims it; a second coder's claim is refused naming who has it and
  until when, so two coders never code one item at once. The claim ends when its coder
  releases it or saves the episode, or lapses ``claim_minutes`` after it was made (config
  ``[worklist] claim_minutes``, default 30): a coder who went home does not hold an item for
  ever. Claiming again renews it.

Times are the store's clock (:func:`dialect.now_text`: the server's for a department server),
compared as ISO 8601 text. Every change is one write, in turn with every other writer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from workbench.core.episodes import dialect
from workbench.core.episodes.identity import Coder, coder_fields
from workbench.core.episodes.model import LogError

DEFAULT_CLAIM_MINUTES = 30
MAX_CLAIM_MINUTES = 24 * 60
_COLUMNS = "item_id, assigned_to, assigned_by, assigned_at, claimed_by, claimed_at, claim_until"


class ItemTaken(LogError):
    """Another coder is coding the item now."""

    def __init__(self, message: str, holder: str, until: str):
        super().__init__(message)
        self.holder = holder
        self.until = until


@dataclass(frozen=True)
class Allocation:
    item_id: int
    assigned_to: str | None = None
    assigned_by: str | None = None
    assigned_at: str | None = None
    claimed_by: str | None = None        # only while the claim is live
    claimed_at: str | None = None
    claim_until: str | None = None

    def is_for(self, coder: str | Coder) -> bool:
        return _login(coder) in (self.assigned_to, self.claimed_by)

    def label(self) -> str:
        """What a list shows: 'coding: bob', 'ann', or both; '' when no one."""
        parts = []
        if self.claimed_by:
            parts.append(f"coding: {self.claimed_by}")
        if self.assigned_to and self.assigned_to != self.claimed_by:
            parts.append(f"for {self.assigned_to}")
        return ", ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {"assigned_to": self.assigned_to, "assigned_by": self.assigned_by,
                "assigned_at": self.assigned_at, "claimed_by": self.claimed_by,
                "claimed_at": self.claimed_at, "claim_until": self.claim_until}


def claim_minutes() -> int:
    """``[worklist] claim_minutes`` from the config (1 to 1440), else 30."""
    from workbench.core.paths import load_config

    value = load_config().get("worklist", {}).get("claim_minutes", DEFAULT_CLAIM_MINUTES)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_CLAIM_MINUTES:
        raise LogError(f"config [worklist] claim_minutes: a whole number of minutes from 1 to {MAX_CLAIM_MINUTES}")
    return value


def _short(stamp: str) -> str:
    """'2026-12-07T10:32:05.123+00:00' as '10:32 UTC on 7 Dec'."""
    try:
        when = dt.datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    return f"{when:%H:%M} UTC on {when.day} {when:%b}"


def _later(stamp: str, minutes: int) -> str:
    return (dt.datetime.fromisoformat(stamp) + dt.timedelta(minutes=minutes)).isoformat(timespec="microseconds")


class Allocations:
    """The allocation of one log's worklist (same connection and write turn as the log)."""

    def __init__(self, log: Any):
        self.log = log

    # ------------------------------------------------------------ reads

    def for_items(self, item_ids: Iterable[int]) -> dict[int, Allocation]:
        """Allocations of the given items (claims only while live); items with none are absent."""
        ids = [int(i) for i in item_ids]

        def read(conn: Any) -> dict[int, Allocation]:
            now = dialect.now_text(conn)
            found: dict[int, Allocation] = {}
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                marks = ",".join("?" * len(chunk))
                for row in conn.execute(f"SELECT {_COLUMNS} FROM worklist_allocation "
                                        f"WHERE item_id IN ({marks})", chunk).fetchall():
                    found[row[0]] = _live(row, now)
            return found

        return self.log.read(read) if ids else {}

    def get(self, item_id: int) -> Allocation:
        return self.for_items([item_id]).get(int(item_id), Allocation(int(item_id)))

    def ordered(self, items: list[Any], coder: str | Coder) -> list[tuple[Any, Allocation]]:
        """``items`` with their allocation, the coder's own first (assigned to or claimed by
        them), then those no one has, then other coders'; each group in the order given."""
        allocations = self.for_items(item.id for item in items)
        paired = [(item, allocations.get(item.id, Allocation(item.id))) for item in items]

        def rank(pair: tuple[Any, Allocation]) -> int:
            allocation = pair[1]
            if allocation.is_for(coder):
                return 0
            return 1 if not (allocation.assigned_to or allocation.claimed_by) else 2

        return sorted(paired, key=rank)

    # ------------------------------------------------------------ changes

    def assign(self, item_id: int, coder: str | None, *, by: str | Coder) -> Allocation:
        """Put the item on ``coder``'s list (a login; None: on no one's)."""
        coder = (coder or "").strip() or None
        by = _login(by)

        def work(conn: Any) -> None:
            _exists(conn, item_id)
            now = dialect.now_text(conn)
            conn.execute(
                "INSERT INTO worklist_allocation (item_id, assigned_to, assigned_by, assigned_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (item_id) DO UPDATE SET assigned_to = excluded.assigned_to, "
                "assigned_by = excluded.assigned_by, assigned_at = excluded.assigned_at",
                [int(item_id), coder, by, now])

        self.log.transaction(work)
        return self.get(item_id)

    def claim(self, item_id: int, coder: str | Coder, *, minutes: int | None = None) -> Allocation:
        """Claim the item for ``coder`` (renewing their own claim); :class:`ItemTaken` when
        another coder's claim is live."""
        minutes = claim_minutes() if minutes is None else int(minutes)
        coder = _login(coder)

        def work(conn: Any) -> None:
            now, current = _current(conn, item_id)
            if current is not None and current.claimed_by and current.claimed_by != coder:
                raise ItemTaken(f"worklist item {item_id} is being coded by {current.claimed_by} (since "
                                f"{_short(current.claimed_at or '')}; theirs until {_short(current.claim_until or '')} "
                                "unless they finish or let it go first)", current.claimed_by,
                                current.claim_until or "")
            conn.execute(
                "INSERT INTO worklist_allocation (item_id, claimed_by, claimed_at, claim_until) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (item_id) DO UPDATE SET claimed_by = excluded.claimed_by, "
                "claimed_at = excluded.claimed_at, claim_until = excluded.claim_until",
                [int(item_id), coder, now, _later(now, minutes)])

        self.log.transaction(work)
        return self.get(item_id)

    def release(self, item_id: int, coder: str | Coder, *, anyone: bool = False) -> None:
        """End ``coder``'s claim (``anyone``: whoever holds it, for a manager). Releasing an
        item no one has claimed changes nothing; another coder's claim is refused."""
        coder = _login(coder)

        def work(conn: Any) -> None:
            _now, current = _current(conn, item_id)
            if current is None or not current.claimed_by:
                return
            if current.claimed_by != coder and not anyone:
                raise ItemTaken(f"worklist item {item_id} is claimed by {current.claimed_by}, not you; "
                                "it was left as it is", current.claimed_by, current.claim_until or "")
            conn.execute("UPDATE worklist_allocation SET claimed_by = NULL, claimed_at = NULL, "
                         "claim_until = NULL WHERE item_id = ?", [int(item_id)])

        self.log.transaction(work)


def _login(coder: str | Coder) -> str:
    """Allocations are by login: the identity, never a display label."""
    return coder_fields(coder)[0]


def _exists(conn: Any, item_id: int) -> None:
    if conn.execute("SELECT 1 FROM worklist_item WHERE id = ?", [int(item_id)]).fetchone() is None:
        raise LogError(f"worklist item {item_id}: there is no such item")


def _current(conn: Any, item_id: int) -> tuple[str, Allocation | None]:
    """The database's time now and the item's allocation with a lapsed claim left out (None when
    it has none); LogError when there is no such item."""
    _exists(conn, item_id)
    now = dialect.now_text(conn)
    row = conn.execute(f"SELECT {_COLUMNS} FROM worklist_allocation WHERE item_id = ?", [int(item_id)]).fetchone()
    return now, (_live(row, now) if row else None)


def _live(row: tuple, now: str) -> Allocation:
    """The stored row, with a lapsed claim left out."""
    item_id, assigned_to, assigned_by, assigned_at, claimed_by, claimed_at, until = row
    if claimed_by and (not until or until <= now):
        claimed_by = claimed_at = until = None
    return Allocation(item_id, assigned_to, assigned_by, assigned_at, claimed_by, claimed_at, until)
