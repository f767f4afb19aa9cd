"""Reading a PAS extract of uncoded episodes (CSV or tab-separated) into checked rows.

Column names are matched after lower-casing and turning spaces and hyphens into
underscores, against :data:`HEADERS` (a department adds its own names with
``--map "Hosp No=patient"``). A bad row is refused with its line number and what is
wrong; messages never repeat the row's values, which identify patients.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from workbench.core.dates import DateError, parse_coder_date
from workbench.core.episodes.model import LogError

#: Field -> column names recognised for it (documented in the README and `worklist import --help`).
HEADERS: dict[str, tuple[str, ...]] = {
    "patient": ("patient", "patient_id", "local_patient_id", "hospital_number", "hospital_no",
                "mrn", "pas_number", "pas_id"),
    "nhs_number": ("nhs", "nhs_number", "nhs_no", "nhsnumber"),
    "episode": ("episode", "episode_ref", "episode_reference", "episode_id", "spell",
                "spell_number", "spell_id", "fce", "fce_ref"),
    "start_date": ("start", "start_date", "episode_start", "episode_start_date", "admission_date",
                   "admitted", "admission"),
    "end_date": ("end", "end_date", "episode_end", "episode_end_date", "discharge_date", "discharged",
                 "discharge"),
    "specialty": ("specialty", "speciality", "main_specialty", "treatment_function", "tfc"),
    "consultant": ("consultant", "consultant_code", "consultant_name", "clinician"),
    "sex": ("sex", "gender", "person_gender"),
    "age": ("age", "age_at_start", "age_on_admission"),
}
REQUIRED = ("patient", "episode", "start_date")
SEXES = {"m": "M", "male": "M", "1": "M", "f": "F", "female": "F", "2": "F",
         "u": "U", "unknown": "U", "0": "U", "9": "U", "x": "U", "i": "U", "indeterminate": "U"}


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


@dataclass(frozen=True)
class RefusedRow:
    line: int
    problem: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.problem}"


def normalise_header(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().strip("\ufeff").lower())


def parse_map(pairs: Iterable[str]) -> dict[str, str]:
    """['Hosp No=patient', 'Adm=start_date'] -> {'hosp_no': 'patient', 'adm': 'start_date'}."""
    mapping: dict[str, str] = {}
    for text in pairs:
        for pair in text.split(","):
            column, sep, target = pair.partition("=")
            target = normalise_header(target)
            aliases = {alias: field for field, names in HEADERS.items() for alias in (field, *names)}
            if not sep or not column.strip() or target not in aliases:
                raise WorklistFileError(f"--map '{pair.strip()}': write it as COLUMN=FIELD, FIELD one of "
                                        + ", ".join(HEADERS))
            mapping[normalise_header(column)] = aliases[target]
    return mapping


#: A day's extract is a few hundred rows; this is far beyond any.
MAX_EXTRACT_BYTES = 50_000_000


def read_rows(path: Path, mapping: dict[str, str] | None = None,
              today: dt.date | None = None) -> tuple[list[WorklistRow], list[RefusedRow]]:
    """The good rows and the refused ones, in file order. Raises WorklistFileError for the file."""
    from workbench.core.paths import UnusableFile, regular_file_or_none

    try:
        # By type before opening (a FIFO blocks, /dev/zero never ends), then a bounded read.
        if regular_file_or_none(Path(path), "worklist extract") is None:
            raise FileNotFoundError(2, "No such file or directory")
        with open(path, "rb") as handle:
            data = handle.read(MAX_EXTRACT_BYTES + 1)
    except UnusableFile as exc:
        raise WorklistFileError(exc.strerror) from None
    except OSError as exc:
        raise WorklistFileError(f"{path}: cannot read the file ({exc.strerror})") from None
    if len(data) > MAX_EXTRACT_BYTES:
        raise WorklistFileError(f"{path}: larger than {MAX_EXTRACT_BYTES // 1_000_000} MB; split the extract")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")   # spreadsheets saved by Windows PAS exports
    first = text.splitlines()[0] if text.strip() else ""
    if not first:
        raise WorklistFileError(f"{path}: the file is empty")
    delimiter = "\t" if "\t" in first or Path(path).suffix.lower() in (".tsv", ".tab") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    good: list[WorklistRow] = []
    refused: list[RefusedRow] = []
    try:
        columns = _columns(next(reader), mapping or {}, path)
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            try:
                good.append(_row(line, row, columns, today or dt.date.today()))
            except ValueError as exc:
                refused.append(RefusedRow(line, str(exc)))
    except csv.Error as exc:   # a field past csv's 128 KB limit, a NUL: the rest cannot be trusted
        why = "a field is longer than 128 KB" if "field limit" in str(exc) else "this is not valid CSV"
        raise WorklistFileError(f"{path}, line {reader.line_num}: {why}; nothing was imported") from None
    return good, refused


def _columns(header: list[str], mapping: dict[str, str], path: Path) -> dict[str, int]:
    aliases = {alias: field for field, names in HEADERS.items() for alias in (field, *names)}
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        key = normalise_header(name)
        field = mapping.get(key) or aliases.get(key)
        if field and field not in columns:
            columns[field] = index
    missing = [f for f in REQUIRED if f not in columns]
    if missing:
        raise WorklistFileError(f"{path}: no column for {', '.join(missing)} in the header line; "
                                "name it as the README lists, or use --map 'Your Column=FIELD'")
    return columns


def _row(line: int, cells: list[str], columns: dict[str, int], today: dt.date) -> WorklistRow:
    def cell(field: str) -> str:
        index = columns.get(field)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    from workbench.core.episodes.validate import normalise_nhs_number

    for field in ("patient", "episode"):
        if not cell(field):
            raise ValueError(f"{field.replace('_', ' ')}: required")
    start = _date(cell("start_date"), "start date", today, required=True)
    end = _date(cell("end_date"), "end date", today)
    if start and start > today:
        raise ValueError("start date: in the future")
    if end is not None and start is not None and end < start:
        raise ValueError("end date: before the start date")
    try:
        nhs = normalise_nhs_number(cell("nhs_number"))
    except LogError as exc:
        raise ValueError(str(exc)) from None
    sex_text = cell("sex")
    sex = SEXES.get(sex_text.lower()) if sex_text else None
    if sex_text and sex is None:
        raise ValueError("sex: use M, F or U (or 1, 2, 0, 9)")
    age_text = cell("age")
    age = None
    if age_text:
        if not age_text.isdigit() or int(age_text) > 130:
            raise ValueError("age: a whole number of years, 0 to 130")
        age = int(age_text)
    assert start is not None
    return WorklistRow(line, cell("patient"), cell("episode"), start, nhs, end,
                       cell("specialty") or None, cell("consultant") or None, sex, age)


def _date(text: str, what: str, today: dt.date, *, required: bool = False) -> dt.date | None:
    if not text:
        if required:
            raise ValueError(f"{what}: required")
        return None
    try:
        return parse_coder_date(text, today)
    except DateError as exc:
        raise ValueError(f"{what}: {exc}") from None
