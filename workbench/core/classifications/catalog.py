"""Read-only lookups over the ``codes`` table of the reference database.

Every lookup takes the classification explicitly: OPCS-4 Z94.2 (laterality) and
ICD-10 Z94.2 (transplant status) are different codes and must never be confused.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from workbench.core.classifications.codes import (
    DISPLAY_NAMES,
    CodeError,
    CodeRef,
    normalise_classification,
    parse_code,
)

_COLUMNS = "classification, code, title, level, parent, chapter, has_children, first_fy, last_fy, title_source"
_FALLBACK_EDITIONS = {"opcs4": "OPCS-4 (not loaded)", "icd10": "ICD-10 (not loaded)"}


@dataclass(frozen=True)
class CodeInfo:
    classification: str
    code: str
    title: str
    edition: str
    parent: str | None
    chapter: str
    is_category: bool
    needs_fourth_character: bool
    first_fy: int | None = None           # first/last financial year recorded in HES (2015 = 2015/16)
    last_fy: int | None = None
    title_source: str = "hes"             # hes | who | written | derived | imported

    def display(self) -> str:
        return CodeRef(self.classification, self.code, self.is_category).display()


#: The latest financial year the embedded lists cover; a code not recorded in the last
#: STALE_YEARS of them is shown with the year it was last recorded.
LATEST_FY = 2023
STALE_YEARS = 3

@dataclass(frozen=True)
class CodeUsage:
    """How many finished consultant episodes in England recorded a code, by financial year.

    From the embedded Hospital Episode Statistics counts (Open Government Licence v3.0); a
    category's counts are the sums over its codes.
    """

    classification: str
    code: str
    by_year: dict[int, int]               # 2023 -> episodes in 2023/24
    latest_fy: int

    @property
    def latest(self) -> int:
        """Episodes in the latest year the counts cover (0 when not recorded that year)."""
        return self.by_year.get(self.latest_fy, 0)

    def phrase(self) -> str:
        """'recorded 6.4 million times in 2023/24'."""
        return usage_phrase(self.latest, self.latest_fy)


def compact_count(count: int) -> str:
    """A count in at most four characters for a result row: 6.4M, 240k, 2.4k, 61."""
    for size, suffix in ((1_000_000, "M"), (1_000, "k")):
        if count >= size:
            value = count / size
            return f"{value:.1f}{suffix}" if value < 10 else f"{round(value)}{suffix}"
    return str(count)


def usage_phrase(count: int, fy: int) -> str:
    """'recorded 6.4 million times in 2023/24', 'recorded 61 times in 2023/24', 'not recorded in 2023/24'."""
    year = financial_year(fy)
    if count <= 0:
        return f"not recorded in {year}"
    if count == 1:
        return f"recorded once in {year}"
    if count >= 1_000_000:
        words = f"{count / 1_000_000:.1f} million"
    elif count >= 10_000:
        words = f"{round(count / 1000):,} thousand"
    else:
        words = f"{count:,}"
    return f"recorded {words} times in {year}"


CODABLE, NEEDS_FOURTH, UNKNOWN, MALFORMED = "codable", "needs_fourth", "unknown", "malformed"


def financial_year(year: int) -> str:
    """2015 -> '2015/16'."""
    return f"{year}/{(year + 1) % 100:02d}"


def stale_note(info: CodeInfo) -> str:
    """'not recorded in HES since 2016/17' for a code missing from the latest years; else ''."""
    if info.last_fy is None or info.last_fy > LATEST_FY - STALE_YEARS:
        return ""
    return f"not recorded in HES since {financial_year(info.last_fy)}"


def recorded_years(info: CodeInfo) -> str:
    """'recorded in HES 2012/13 to 2023/24', or '' for codes the lists do not date."""
    if info.first_fy is None or info.last_fy is None:
        return ""
    return f"recorded in HES {financial_year(info.first_fy)} to {financial_year(info.last_fy)}"


@dataclass(frozen=True)
class CodeVerdict:
    """What the loaded classification says about one typed code: the one answer to 'may I code this?'."""

    classification: str
    typed: str
    code: str | None                      # canonical form ("I10", "L80.4"); None when malformed
    status: str                           # codable | needs_fourth | unknown | malformed
    info: CodeInfo | None
    message: str                          # a plain reason for the coder ("" when codable)
    children: list[str] = field(default_factory=list)   # the codes to choose from, for needs_fourth
    last_recorded: str | None = None      # "2016/17" when not recorded in HES lately
    note: str = ""                        # "not recorded in HES since 2016/17"
    mark: str | None = None               # "dagger" | "asterisk" when typed with the mark

    @property
    def codable(self) -> bool:
        return self.status == CODABLE

    def display(self) -> str:
        return f"{DISPLAY_NAMES.get(self.classification, self.classification)} {self.code or self.typed}"


class Classifications:
    """Lookups by (classification, code); codes may be typed loosely ("l804", "L80.-")."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self._verdicts: dict[tuple[str, str], CodeVerdict] = {}
        self._rows: dict[tuple[str, str], tuple | None] = {}
        self._uses: dict[tuple[str, str], int] = {}
        self._typed_uses: dict[tuple[str, str], int] = {}    # as typed: the checks ask per code, per episode
        self._metadata: dict[tuple[str, str], dict | None] = {}
        self._usage_fy: int | None | bool = False      # False: not read yet
        self._data_version: int | None = None
        self._checked_at = float("-inf")

    #: How long cached lookups are trusted before ``PRAGMA data_version`` is asked again:
    #: the linter asks tens of thousands of times a second; an import elsewhere is seen within this.
    FRESH_SECONDS = 0.25

    def _fresh(self) -> None:
        """Forget cached lookups when another connection changed the database."""
        import time

        now = time.monotonic()
        if now - self._checked_at < self.FRESH_SECONDS:
            return
        self._checked_at = now
        version = self.conn.execute("PRAGMA data_version").fetchone()[0]
        if version != self._data_version:
            self._verdicts.clear()
            self._rows.clear()
            self._uses.clear()
            self._typed_uses.clear()
            self._metadata.clear()
            self._usage_fy = False
            self._data_version = version

    # The rules package calls these with codes such as "Y53.-" as well as "Y53.4".
    def _key(self, classification: str, code: str) -> tuple[str, str] | None:
        try:
            classification = normalise_classification(classification)
        except CodeError:
            return None
        text = str(code).strip()
        if "-" in text[:3] or (len(text) > 4 and "-" in text and not text.endswith("-")):
            # ICD-10 blocks such as "I30-I52" and roman-numeral chapters are stored as they are.
            return classification, text.upper()
        try:
            ref = parse_code(text, classification)
        except CodeError:
            return classification, text.upper()  # chapter numerals, odd keys: exact match only
        return ref.classification, ref.code

    def _row(self, classification: str, code: str) -> tuple | None:
        self._fresh()
        raw = (classification, code if isinstance(code, str) else repr(code))
        if raw in self._rows:
            return self._rows[raw]
        key = self._key(classification, code)
        row = None if key is None else self.conn.execute(
            f"SELECT {_COLUMNS} FROM codes WHERE classification = ? AND code = ?", key).fetchone()
        if len(self._rows) > 100_000:
            self._rows.clear()
        self._rows[raw] = row
        return row

    def _info(self, row: tuple) -> CodeInfo:
        classification, code, title, level, parent, chapter, has_children, first, last, source = row
        is_category = level != "code"
        return CodeInfo(
            classification=classification, code=code, title=title,
            edition=self.edition(classification), parent=parent, chapter=chapter,
            is_category=is_category,
            needs_fourth_character=bool(level == "category" and has_children),
            first_fy=first, last_fy=last, title_source=source,
        )

    def judge(self, classification: str, code: str) -> CodeVerdict:
        """Whether ``code`` may be coded as it stands, asked of the loaded classification.

        The one place that decides: a code is codable when the classification holds it and
        nothing sits below it (ICD-10 I10, C61 are complete; I50 needs its 4th character).
        The UK forms I10X and I10.X are read as I10; dagger and asterisk marks are ignored.
        Verdicts are cached until the database changes (``PRAGMA data_version``, asked at most
        every FRESH_SECONDS).
        """
        self._fresh()
        key = (classification, code if isinstance(code, str) else repr(code))
        verdict = self._verdicts.get(key)
        if verdict is None:
            verdict = self._judge(classification, code)
            if len(self._verdicts) > 50_000:
                self._verdicts.clear()
            self._verdicts[key] = verdict
        return verdict

    def _judge(self, classification: str, typed: str) -> CodeVerdict:
        try:
            classification = normalise_classification(classification)
            ref = parse_code(_uk_form(typed, classification), classification)
        except CodeError as exc:
            return CodeVerdict(classification, str(typed), None, MALFORMED, None, str(exc))
        name = DISPLAY_NAMES[classification]
        mark = _typed_mark(typed)
        row = self._row(classification, ref.code)
        if row is None and classification == "icd10" and len(ref.code) == 6 and ref.code.endswith("A"):
            # UK files write some asterisk codes with an 'A' 5th character (H19.8A); the HES
            # lists record them as the 4-character code. A loaded H19.8A is used as it is.
            ref = CodeRef(classification, ref.code[:5], False)
            row, mark = self._row(classification, ref.code), "asterisk"
        if row is None:
            return CodeVerdict(classification, typed, ref.code, UNKNOWN, None,
                               f"{name} {ref.code} is not in the loaded {name} classification "
                               f"({self.edition(classification)})")
        info = self._info(row)
        note = stale_note(info)
        last = financial_year(info.last_fy) if note and info.last_fy is not None else None
        if info.needs_fourth_character:
            children = [c.code for c in self.children(classification, ref.code) if not c.is_category]
            listed = ", ".join(children[:12]) + (" ..." if len(children) > 12 else "")
            return CodeVerdict(classification, typed, ref.code, NEEDS_FOURTH, info,
                               f"{name} {ref.code} needs a 4th character: {listed}", children, last, note, mark)
        return CodeVerdict(classification, typed, ref.code, CODABLE, info, "", [], last, note, mark)

    def metadata(self, classification: str, code: str) -> dict | None:
        """An imported release's metadata of a code (usage, sex, min_age, max_age), or None.
        Cached until the database changes, like the other lookups (the checks ask for every code)."""
        self._fresh()
        raw = (classification, code if isinstance(code, str) else repr(code))
        if raw in self._metadata:
            return self._metadata[raw]
        key = self._key(classification, code)
        found = None
        if key is not None:
            try:
                row = self.conn.execute("SELECT usage, usage_uk, sex, min_age, max_age FROM code_metadata"
                                        " WHERE classification = ? AND code = ?", key).fetchone()
            except sqlite3.OperationalError:   # a database built before metadata existed
                row = None
            found = dict(zip(("usage", "usage_uk", "sex", "min_age", "max_age"), row, strict=True)) if row else None
        if len(self._metadata) > 100_000:
            self._metadata.clear()
        self._metadata[raw] = found
        return found

    @property
    def usage_latest_fy(self) -> int | None:
        """The latest financial year the national usage counts cover (2023 = 2023/24), or None."""
        self._fresh()
        if self._usage_fy is False:
            try:
                row = self.conn.execute("SELECT value FROM meta WHERE key = 'usage_latest_fy'").fetchone()
            except sqlite3.OperationalError:   # a bare database (tests) or one built before the counts
                row = None
            self._usage_fy = int(row[0]) if row else None
        return self._usage_fy  # type: ignore[return-value]

    def _usage_key(self, classification: str, code: str) -> tuple[str, str] | None:
        try:   # I10X and I10.X are I10; dagger and asterisk marks are not part of the code
            return self._key(classification, _uk_form(code, normalise_classification(classification)))
        except CodeError:
            return None

    def usage(self, classification: str, code: str) -> CodeUsage | None:
        """The national counts of a code or category by year; None where none are embedded."""
        latest = self.usage_latest_fy
        key = self._usage_key(classification, code)
        if latest is None or key is None:
            return None
        rows = self.conn.execute("SELECT fy, episodes FROM code_usage WHERE classification = ? AND code = ?"
                                 " ORDER BY fy", key).fetchall()
        return CodeUsage(key[0], key[1], dict(rows), latest) if rows else None

    def recent_uses(self, classification: str, code: str) -> int:
        """Episodes that recorded the code (a category: its codes) in the latest year; 0 when none."""
        latest = self.usage_latest_fy
        typed = (classification, code if isinstance(code, str) else repr(code))
        if typed in self._typed_uses:
            return self._typed_uses[typed]
        key = self._usage_key(classification, code)
        if latest is None or key is None:
            return 0
        uses = self._uses.get(key)
        if uses is None:
            row = self.conn.execute("SELECT episodes FROM code_usage WHERE classification = ? AND code = ?"
                                    " AND fy = ?", (*key, latest)).fetchone()
            uses = row[0] if row else 0
            if len(self._uses) > 100_000:
                self._uses.clear()
            self._uses[key] = uses
        if len(self._typed_uses) > 100_000:
            self._typed_uses.clear()
        self._typed_uses[typed] = uses
        return uses

    def lookup(self, classification: str, code: str) -> CodeInfo | None:
        row = self._row(classification, code)
        return self._info(row) if row else None

    def title(self, classification: str, code: str) -> str | None:
        row = self._row(classification, code)
        return row[2] if row else None

    def exists(self, classification: str, code: str) -> bool:
        return self._row(classification, code) is not None

    def children(self, classification: str, code: str) -> list[CodeInfo]:
        key = self._key(classification, code)
        if key is None:
            return []
        rows = self.conn.execute(
            f"SELECT {_COLUMNS} FROM codes WHERE classification = ? AND parent = ? ORDER BY id",
            key).fetchall()
        return [self._info(row) for row in rows]

    def edition(self, classification: str) -> str:
        try:
            classification = normalise_classification(classification)
        except CodeError:
            return ""
        # Not cached: an import in another process changes the label.
        row = self.conn.execute(
            "SELECT label FROM editions WHERE classification = ?", (classification,)).fetchone()
        return row[0] if row else _FALLBACK_EDITIONS[classification]

    def count(self, classification: str, *, codes_only: bool = True) -> int:
        """How many codes (or all rows) a classification holds."""
        sql = "SELECT count(*) FROM codes WHERE classification = ?"
        if codes_only:
            sql += " AND level = 'code'"
        return self.conn.execute(sql, (normalise_classification(classification),)).fetchone()[0]


def _uk_form(typed: object, classification: str) -> str:
    """'I10X', 'I10.X', 'I10 X' -> 'I10' (ICD-10 only); dagger/asterisk marks dropped."""
    if not isinstance(typed, str):
        return typed  # type: ignore[return-value]  # parse_code explains
    text = typed.replace("\u2020", "").replace("*", "").strip()
    if classification == "icd10":
        compact = "".join(text.split()).upper()
        if len(compact) in (4, 5) and compact.endswith("X") and compact[:3].isalnum():
            stem = compact[:-1].rstrip(".")
            if len(stem) == 3:
                return stem
    return text


def _typed_mark(typed: object) -> str | None:
    if not isinstance(typed, str):
        return None
    if "\u2020" in typed:
        return "dagger"
    return "asterisk" if "*" in typed else None
