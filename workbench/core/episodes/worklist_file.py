"""Reading a PAS extract of uncoded episodes (CSV or tab-separated) into checked rows, streamed.

Column names are matched after lower-casing and turning spaces and hyphens into
underscores, against :data:`HEADERS` (a department adds its own names with
``--map "Hosp No=patient"``). Every other column is kept as an extra detail under its
own header, and named to the coder as not mapped. A bad row is refused with its line
number and what is wrong; messages never repeat the row's values, which identify patients.

The file is read as a stream (one row at a time), so memory stays flat whatever its
length; only its encoding is decided first, by one pass of an incremental decoder.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from workbench.core.dates import DateError, parse_coder_date
from workbench.core.episodes.model import LogError
from workbench.core.episodes.validate import normalise_nhs_number
from workbench.core.safetext import canonical

#: Field -> column names recognised for it (documented in the README and `worklist import --help`).
#: The abbreviations are those PAS exports use ("Hosp No", "Spell No", "Epi No", "Adm Date",
#: "Disch Date", "Spec", "Cons", "Adm Meth").
HEADERS: dict[str, tuple[str, ...]] = {
    "patient": ("patient", "patient_id", "local_patient_id", "hospital_number", "hospital_no", "hosp_no",
                "mrn", "pas_number", "pas_id", "case_note_number", "case_note_no", "unit_no"),
    "nhs_number": ("nhs", "nhs_number", "nhs_no", "nhsnumber"),
    "episode": ("episode", "episode_ref", "episode_reference", "episode_id", "spell", "spell_no",
                "spell_number", "spell_id", "spell_ref", "provider_spell_number", "fce", "fce_ref"),
    "fce": ("fce_number", "fce_no", "epi_no", "epi_num", "epi_number", "episode_no", "episode_number",
            "consultant_episode", "consultant_episode_number", "episode_seq"),
    "start_date": ("start", "start_date", "episode_start", "episode_start_date", "admission_date",
                   "admitted", "admission", "adm_date", "admit_date", "date_of_admission"),
    "end_date": ("end", "end_date", "episode_end", "episode_end_date", "discharge_date", "discharged",
                 "discharge", "disch_date", "dis_date", "date_of_discharge"),
    "specialty": ("specialty", "speciality", "main_specialty", "treatment_function", "tfc", "spec",
                  "spec_code", "main_spec"),
    "consultant": ("consultant", "consultant_code", "consultant_name", "clinician", "cons", "cons_code"),
    "admission_method": ("admission_method", "adm_meth", "adm_method", "admimeth", "method_of_admission"),
    "ward": ("ward", "ward_code", "ward_name"),
    "sex": ("sex", "gender", "person_gender"),
    "age": ("age", "age_at_start", "age_on_admission"),
}
REQUIRED = ("patient", "episode", "start_date")
SEXES = {"m": "M", "male": "M", "1": "M", "f": "F", "female": "F", "2": "F",
         "u": "U", "unknown": "U", "0": "U", "9": "U", "x": "U", "i": "U", "indeterminate": "U"}
#: The longest text kept in one field or extra detail (a PAS field is far shorter).
MAX_CELL = 1000

_ALIASES = {alias: name for name, names in HEADERS.items() for alias in (name, *names)}


class WorklistFileError(LogError):
    """The file as a whole cannot be read (no header, a required column missing, a bad --map)."""


@dataclass(frozen=True)
class WorklistRow:
    line: int
    patient: str
    episode: str
    start_date: dt.date
    nhs_number: str | None = None
    end_date: dt.date | None = None
    specialty: str | None = None
    consultant: str | None = None
    sex: str | None = None
    age: int | None = None
    fce: str = ""                                  # consultant episode number within the spell
    admission_method: str | None = None
    ward: str | None = None
    extra: dict[str, str] = field(default_factory=dict)   # unmapped columns, by header

    @property
    def key(self) -> tuple[str, str, str]:
        return self.patient, self.episode, self.fce


@dataclass(frozen=True)
class RefusedRow:
    line: int
    problem: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.problem}"


def normalise_header(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().strip("\ufeff").lower())


def normalise_fce(text: str) -> str:
    """'02' -> '2' (a number as a number), anything else as given; '' when blank."""
    text = text.strip()
    return str(int(text)) if text.isascii() and text.isdigit() else text


def parse_map(pairs: Iterable[str]) -> dict[str, str]:
    """['Hosp No=patient', 'Adm=start_date'] -> {'hosp_no': 'patient', 'adm': 'start_date'}."""
    mapping: dict[str, str] = {}
    for text in pairs:
        for pair in text.split(","):
            column, sep, target = pair.partition("=")
            target = normalise_header(target)
            if not sep or not column.strip() or target not in _ALIASES:
                raise WorklistFileError(f"--map '{pair.strip()}': write it as COLUMN=FIELD, FIELD one of "
                                        + ", ".join(HEADERS))
            mapping[normalise_header(column)] = _ALIASES[target]
    return mapping


#: A day's extract is a few hundred rows, a year's 100,000; this is far beyond any.
MAX_EXTRACT_BYTES = 50_000_000


class Extract:
    """An opened extract: its columns, the headers it did not map, and its rows as a stream.

    Use as a context manager; iterate for :class:`WorklistRow` and :class:`RefusedRow`
    in file order.
    """

    def __init__(self, path: Path, mapping: dict[str, str] | None = None, today: dt.date | None = None):
        self.path = Path(path)
        self.today = today or dt.date.today()
        encoding = _encoding(self.path)
        try:
            # Kept open for the rows' stream; closed by __exit__ (or below when the header fails).
            self._handle: IO[str] = open(self.path, encoding=encoding, errors="replace", newline="")  # noqa: SIM115
        except OSError as exc:
            raise WorklistFileError(f"{path}: cannot read the file ({exc.strerror})") from None
        try:
            first = self._handle.readline()
            if not first.strip():
                raise WorklistFileError(f"{path}: the file is empty")
            self.delimiter = "\t" if "\t" in first or self.path.suffix.lower() in (".tsv", ".tab") else ","
            header = next(csv.reader([first], delimiter=self.delimiter), [])
            self.columns, self.extra_columns = _columns(header, mapping or {}, self.path)
        except BaseException:
            self._handle.close()
            raise

    @property
    def unmapped(self) -> list[str]:
        """The headers kept as extra details (not a known field), in file order."""
        return [name for _index, name in self.extra_columns]

    def __enter__(self) -> Extract:
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.close()

    def __iter__(self) -> Iterator[WorklistRow | RefusedRow]:
        reader = csv.reader(self._handle, delimiter=self.delimiter)
        line = 1
        try:
            for row in reader:
                line = reader.line_num + 1      # the header was line 1
                if not any(cell.strip() for cell in row):
                    continue
                try:
                    yield _row(line, row, self.columns, self.extra_columns, self.today)
                except ValueError as exc:
                    yield RefusedRow(line, str(exc))
        except csv.Error:
            raise WorklistFileError(f"{self.path}: line {line + 1}: not readable as CSV (a field too long "
                                    "or a broken quote); nothing was imported") from None


def read_rows(path: Path, mapping: dict[str, str] | None = None,
              today: dt.date | None = None) -> tuple[list[WorklistRow], list[RefusedRow]]:
    """The good rows and the refused ones, in file order. Raises WorklistFileError for the file."""
    good: list[WorklistRow] = []
    refused: list[RefusedRow] = []
    with Extract(path, mapping, today) as extract:
        for item in extract:
            (good if isinstance(item, WorklistRow) else refused).append(item)
    return good, refused


def _encoding(path: Path) -> str:
    """utf-8-sig, or cp1252 (spreadsheets saved by Windows PAS exports) when the bytes are not UTF-8.
    Checks the file's type and size first: a FIFO blocks, /dev/zero never ends."""
    from workbench.core.paths import UnusableFile, regular_file_or_none

    try:
        info = regular_file_or_none(Path(path), "worklist extract")
        if info is None:
            raise FileNotFoundError(2, "No such file or directory")
        if info.st_size > MAX_EXTRACT_BYTES:
            raise WorklistFileError(f"{path}: larger than {MAX_EXTRACT_BYTES // 1_000_000} MB; split the extract")
        decoder = codecs.getincrementaldecoder("utf-8")()
        read = 0
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                read += len(chunk)
                if read > MAX_EXTRACT_BYTES:
                    raise WorklistFileError(f"{path}: larger than {MAX_EXTRACT_BYTES // 1_000_000} MB; "
                                            "split the extract")
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    return "cp1252"
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    except UnusableFile as exc:
        raise WorklistFileError(exc.strerror) from None
    except OSError as exc:
        raise WorklistFileError(f"{path}: cannot read the file ({exc.strerror})") from None
    return "utf-8-sig"


def _columns(header: list[str], mapping: dict[str, str],
             path: Path) -> tuple[dict[str, int], list[tuple[int, str]]]:
    columns: dict[str, int] = {}
    extra: list[tuple[int, str]] = []
    for index, name in enumerate(header):
        key = normalise_header(name)
        known = mapping.get(key) or _ALIASES.get(key)
        if known and known not in columns:
            columns[known] = index
        elif key:
            # A second column for a field already found is kept too, under its own name.
            extra.append((index, name.strip().strip("\ufeff")[:MAX_CELL]))
    missing = [f for f in REQUIRED if f not in columns]
    if missing:
        raise WorklistFileError(f"{path}: no column for {', '.join(missing)} in the header line; "
                                "name it as the README lists, or use --map 'Your Column=FIELD'")
    return columns, extra


def _row(line: int, cells: list[str], columns: dict[str, int], extra_columns: list[tuple[int, str]],
         today: dt.date) -> WorklistRow:
    # Each field's text once: this runs for every row of a 100,000-row extract.
    width = len(cells)
    values = {name: cells[index].strip() for name, index in columns.items() if index < width}
    get = values.get
    patient, episode = get("patient", ""), get("episode", "")
    if not patient:
        raise ValueError("patient: required")
    if not episode:
        raise ValueError("episode: required")
    for name, value in values.items():
        if len(value) > MAX_CELL:
            raise ValueError(f"{name.replace('_', ' ')}: longer than {MAX_CELL} characters")
    start = _date(get("start_date", ""), "start date", today, required=True)
    end = _date(get("end_date", ""), "end date", today)
    if start and start > today:
        raise ValueError("start date: in the future")
    if end is not None and start is not None and end < start:
        raise ValueError("end date: before the start date")
    try:
        nhs = normalise_nhs_number(get("nhs_number", ""))
    except LogError as exc:
        raise ValueError(str(exc)) from None
    sex_text = get("sex", "")
    sex = SEXES.get(sex_text.lower()) if sex_text else None
    if sex_text and sex is None:
        raise ValueError("sex: use M, F or U (or 1, 2, 0, 9)")
    age_text = get("age", "")
    age = None
    if age_text:
        if not age_text.isascii() or not age_text.isdigit() or int(age_text) > 130:
            raise ValueError("age: a whole number of years, 0 to 130")
        age = int(age_text)
    extra = {}
    for index, name in extra_columns:
        value = cells[index].strip() if index < width else ""
        if value:
            extra[name] = value[:MAX_CELL]
    assert start is not None
    return WorklistRow(line, canonical(patient), canonical(episode), start, nhs, end,
                       canonical(get("specialty", "")) or None, canonical(get("consultant", "")) or None, sex, age,
                       normalise_fce(canonical(get("fce", ""))), get("admission_method") or None,
                       get("ward") or None, extra)


@functools.lru_cache(maxsize=4096)
def _known_date(text: str, today: dt.date) -> dt.date:
    """A year's extract holds a few hundred distinct dates in 200,000 cells: each is read once."""
    return parse_coder_date(text, today)


def _date(text: str, what: str, today: dt.date, *, required: bool = False) -> dt.date | None:
    if not text:
        if required:
            raise ValueError(f"{what}: required")
        return None
    try:
        return _known_date(text, today)
    except DateError as exc:
        raise ValueError(f"{what}: {exc}") from None
