"""A search hit, and the ordered list search() fills."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Hit:
    kind: str               # "guidance" | "opcs4" | "icd10"
    code: str               # the code, or the guidance id "IPG75"
    title: str
    score: float            # higher is better; comparable within one stage of the ranking only
    detail: str = ""        # where it was found: "exact code", "in OPCS-4 Y53", "title", "text", "stem"
    match_note: str = ""    # how it matched when not literally: "matched 'angioplasty'", "abbreviation CABG"

    def as_json(self) -> dict[str, object]:
        return {"kind": self.kind, "code": self.code, "title": self.title, "score": self.score,
                "detail": self.detail, "match_note": self.match_note}


class HitList:
    """Ordered, de-duplicated hits up to a limit."""

    def __init__(self, limit: int):
        self.limit = limit
        self.items: list[Hit] = []
        self._seen: set[tuple[str, str]] = set()

    def add(self, hit: Hit) -> None:
        key = (hit.kind, hit.code)
        if key not in self._seen and not self.full():
            self._seen.add(key)
            self.items.append(hit)

    def room(self) -> int:
        return self.limit - len(self.items)

    def full(self) -> bool:
        return len(self.items) >= self.limit
