"""Supersession and withdrawal of a guidance: replaced by, replaces, withdrawn, with dates.

One small value shared by guidance documents (front matter) and rule packs, so search,
the guidance screen, the wizard and the CLI all say it in the same words. Dates are kept
as the source gives them ("May 2014"): NICE pages rarely give a day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ID = re.compile(r"^\s*(?:ipg)?\s*0*(\d{1,5})\s*$", re.IGNORECASE)
KEYS = ("replaced_by", "replaces", "withdrawn")


class LifecycleError(ValueError):
    """A supersession entry that cannot be read; the message says which key and why."""


@dataclass(frozen=True)
class GuidanceLink:
    guidance: str                        # "IPG489"
    date: str = ""                       # as the source gives it, e.g. "May 2014"

    def text(self) -> str:
        return f"{self.guidance} ({self.date})" if self.date else self.guidance


@dataclass(frozen=True)
class Withdrawal:
    date: str = ""
    reason: str = ""


@dataclass(frozen=True)
class Lifecycle:
    replaced_by: tuple[GuidanceLink, ...] = ()
    replaces: tuple[GuidanceLink, ...] = ()
    withdrawn: Withdrawal | None = None

    @property
    def superseded(self) -> bool:
        """Replaced or withdrawn: coding with it needs a second look."""
        return bool(self.replaced_by) or self.withdrawn is not None

    def status(self) -> str:
        """A short tag for beside a title: 'replaced by IPG489 (May 2014)', 'withdrawn'; '' when current."""
        parts = []
        if self.withdrawn is not None:
            parts.append("withdrawn" + (f" ({self.withdrawn.date})" if self.withdrawn.date else ""))
        if self.replaced_by:
            parts.append("replaced by " + ", ".join(link.text() for link in self.replaced_by))
        return "; ".join(parts)

    def sentences(self, name: str) -> list[str]:
        """Plain sentences for a screen or the CLI; ``name`` is the guidance id."""
        out = self.warnings(name)
        if self.replaces:
            out.append(f"{name} replaces " + ", ".join(link.text() for link in self.replaces) + ".")
        return out

    def warnings(self, name: str) -> list[str]:
        """Only what should make a coder stop: withdrawn, replaced."""
        out = []
        if self.withdrawn is not None:
            when = f" in {self.withdrawn.date}" if self.withdrawn.date else ""
            why = f": {self.withdrawn.reason.rstrip('.')}" if self.withdrawn.reason else ""
            out.append(f"{name} was WITHDRAWN by NICE{when}{why}. Code with it only if you are sure it "
                       "still applies to this episode.")
        for link in self.replaced_by:
            when = f" in {link.date}" if link.date else ""
            out.append(f"{name} was REPLACED by {link.guidance}{when}. Check {link.guidance} before coding "
                       "with these rules.")
        return out

    def as_dict(self) -> dict:
        out: dict = {}
        if self.replaced_by:
            out["replaced_by"] = [{"guidance": k.guidance, "date": k.date} for k in self.replaced_by]
        if self.replaces:
            out["replaces"] = [{"guidance": k.guidance, "date": k.date} for k in self.replaces]
        if self.withdrawn is not None:
            out["withdrawn"] = {"date": self.withdrawn.date, "reason": self.withdrawn.reason}
        return out


def lifecycle_from(data: dict) -> Lifecycle:
    """Read the three keys from plain data (front matter, JSON); other keys are ignored."""
    return Lifecycle(
        replaced_by=_links(data.get("replaced_by"), "replaced_by"),
        replaces=_links(data.get("replaces"), "replaces"),
        withdrawn=_withdrawal(data.get("withdrawn")),
    )


def _links(value: object, key: str) -> tuple[GuidanceLink, ...]:
    if value in (None, "", []):
        return ()
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if isinstance(item, dict):
            unknown = set(item) - {"guidance", "date"}
            if unknown:
                raise LifecycleError(f"{key}: unknown key '{sorted(unknown)[0]}' (use guidance and date)")
            ident, date = item.get("guidance"), item.get("date")
        else:
            ident, date = item, ""
        match = _ID.match(str(ident or ""))
        if not match:
            raise LifecycleError(f"{key}: '{ident}' is not a guidance number such as IPG489")
        out.append(GuidanceLink(f"IPG{int(match.group(1))}", str(date or "").strip()))
    return tuple(out)


def _withdrawal(value: object) -> Withdrawal | None:
    if value in (None, False, "no"):
        return None
    if value is True or value == "yes":
        return Withdrawal()
    if not isinstance(value, dict):
        raise LifecycleError("withdrawn: write yes, or {date: ..., reason: ...}")
    unknown = set(value) - {"date", "reason"}
    if unknown:
        raise LifecycleError(f"withdrawn: unknown key '{sorted(unknown)[0]}' (use date and reason)")
    return Withdrawal(str(value.get("date") or "").strip(), str(value.get("reason") or "").strip())
