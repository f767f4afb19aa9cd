"""fixtures/search/synonyms.tsv: every entry leads to real codes (issue 16 item 2).

Each entry names the categories it should reach (``expect``). Searching the term must put a
code of one of them in the first twenty hits, in the embedded data; where the embedded
OPCS-4 subset lacks those categories, in the full lists of ../shared/reference (imported into
a copy of the database) when they are there. ``*`` entries translate one word of a query
("womb" -> "uterus"): each word of each meaning must be a word of the titles.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REFERENCE_DIR
from workbench.core import paths
from workbench.core.search import search
from workbench.core.search.lexicon import (
    SYNONYM_KINDS,
    SYNONYMS_FILE,
    SynonymFileError,
    build_lexicon,
    read_synonyms,
    words_of,
)

FILE = paths.FIXTURES_DIR / SYNONYMS_FILE
# The full lists may live elsewhere on a developer's machine.
FULL_DIR = Path(os.environ.get("WORKBENCH_REFERENCE_DIR", REFERENCE_DIR))
_CODE = re.compile(r"^[A-Z]\d\d(\.\d)?X?$")


@dataclass(frozen=True)
class Entry:
    line: int
    term: str
    kind: str
    expect: tuple[str, ...]     # categories; () for a '*' entry


def _entries() -> list[Entry]:
    out = []
    for number, line in enumerate(FILE.read_text(encoding="utf-8").splitlines(), start=1):
        cells = line.split("\t")
        if not line.strip() or line.startswith("#") or cells[0] == "term":
            continue
        expect = cells[4].strip() if len(cells) > 4 else ""
        out.append(Entry(number, cells[0], cells[2], () if expect == "*" else tuple(expect.split())))
    return out


ENTRIES = _entries()
# Entries whose codes the embedded OPCS-4 subset lacks: checked against the full lists when
# they are present. Once the full lists are the embedded data, every entry is checked there.
NEEDS_FULL_LISTS: frozenset[str] = frozenset({
    'aaa repair', 'acdf', 'acl', 'adenoids out', 'af ablation', 'aka', 'angiogram', 'angiography',
    'anterior resection', 'appendectomy', 'appendicectomy', 'appendix out', 'appendix removal',
    'appendix removed', 'apr', 'ar', 'avf', 'bcc excision', 'below knee amputation', 'bka',
    'blood transfusion', 'boob job', 'bowel resection', 'bso', 'bunion operation', 'bunion surgery',
    'bypass surgery', 'c section', 'cabg', 'caesarean section', 'cardiac cath', 'cardioversion',
    'carotid endarterectomy', 'cat scan', 'cea', 'central line', 'cesarean', 'chemo', 'chest drain',
    'chole', 'cholecystectomy', 'circ', 'colonoscopy', 'coronary angiogram', 'coronary angiography',
    'coronary bypass', 'coronary stent', 'cpap', 'crt', 'ct', 'ctr', 'cvc', 'd and c', 'dccv', 'dcr',
    'dexa', 'dhs', 'dialysis', 'ebus', 'ecg', 'ect', 'eeg', 'egd', 'ekg', 'emg', 'emr', 'epidural',
    'ercp', 'erpc', 'esophagectomy', 'eswl', 'ett', 'eua', 'eus', 'evar', 'evd', 'evla', 'ex lap',
    'fem pop', 'fem pop bypass', 'fess', 'ffp', 'flexi sig', 'flexible sigmoidoscopy',
    'forceps delivery', 'gall bladder removal', 'gallbladder out', 'gallbladder removal',
    'gastric band', 'gastric bypass', 'gastroscopy', 'grommet', 'grommets', 'hartmann', 'hartmanns',
    'hd', 'heart bypass', 'heart cath', 'heart stent', 'hemiarthroplasty', 'hemodialysis',
    'hemorrhoidectomy', 'hip replacement', 'hip resurfacing', 'hox', 'hysterectomy', 'hysteroscopy',
    'i and d', 'icd', 'icd drain', 'ihr', 'iucd', 'iud', 'iui', 'ivc filter', 'ivf', 'ivi',
    'ivor lewis', 'joint replacement', 'knee replacement', 'lap appendix', 'lap chole', 'lc',
    'left hemi', 'lletz', 'lp', 'lscs', 'lumbar puncture', 'mrcp', 'mri', 'mvr', 'new hip', 'new knee',
    'nissen', 'niv', 'nose job', 'oesophagogastroduodenoscopy', 'ogd', 'ogj', 'orchiectomy',
    'orchiopexy', 'orif', 'pacemaker', 'pci', 'pcnl', 'pd', 'peg', 'pet', 'picc', 'ppm', 'prbc',
    'prostate removal', 'pta', 'ptca', 'pvi', 'removal of womb', 'right hemi', 'scs',
    'shoulder replacement', 'sigmoidoscopy', 'skin graft', 'slnb', 'smm', 'smr', 'snb',
    'spleen removal', 'ssg', 'stitches', 'svd', 't and a', 'tah', 'tah bso', 'tapp', 'tep', 'tevar',
    'tha', 'thr', 'thyroid removal', 'tka', 'tkr', 'tlh', 'tonsil removal', 'tonsillectomy',
    'tonsils out', 'trachy', 'trus', 'tte', 'tube feeding', 'tummy tuck', 'turbot', 'turbt', 'turp',
    'tvt', 'tvus', 'ugie', 'ukr', 'urs', 'uss', 'varicose vein surgery', 'vasectomy', 'ventouse', 'vh',
    'vp shunt', 'whipple', 'whipples', 'womb removal', 'womb removed', 'womb scrape',
})


def _copy(source: Path, target: Path) -> sqlite3.Connection:
    from workbench.core.refdb import open_reference_db

    shutil.copyfile(source, target)
    return open_reference_db(target)


@pytest.fixture(scope="module")
def embedded(_built_reference_db: Path, tmp_path_factory: pytest.TempPathFactory):
    conn = _copy(_built_reference_db, tmp_path_factory.mktemp("syn-embedded") / "reference.db")
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def full(_built_reference_db: Path, tmp_path_factory: pytest.TempPathFactory):
    """The embedded database with the full OPCS-4 and ICD-10 lists imported, or None."""
    from workbench.core.classifications import import_icd10, import_opcs4

    opcs, icd = FULL_DIR / "opcs4-codes-hes.tsv", FULL_DIR / "icd10-codes-hes.tsv"
    if not (opcs.exists() and icd.exists()):
        yield None
        return
    folder = tmp_path_factory.mktemp("syn-full")
    clean = folder / "icd10.tsv"  # the HES file carries a row that is not a code
    rows = icd.read_text(encoding="utf-8").splitlines()
    clean.write_text("\n".join([rows[0], *(r for r in rows[1:] if _CODE.match(r.split("\t")[0]))]) + "\n",
                     encoding="utf-8")
    conn = _copy(_built_reference_db, folder / "reference.db")
    import_opcs4(conn, opcs)
    import_icd10(conn, clean)
    yield conn
    conn.close()


def _reaches(conn: sqlite3.Connection, entry: Entry) -> bool:
    return any(h.kind != "guidance" and h.code[:3] in entry.expect for h in search(conn, entry.term, limit=20))


def test_the_file_reads_and_every_entry_is_complete() -> None:
    synonyms = read_synonyms(FILE)
    assert len({s.term for s in synonyms}) >= 300, "cover the common procedures and conditions broadly"
    assert {s.kind for s in synonyms} == set(SYNONYM_KINDS)
    assert all(s.source.strip() for s in synonyms)
    for entry in ENTRIES:
        assert entry.kind in SYNONYM_KINDS, entry
        assert entry.expect == () or all(re.fullmatch(r"[A-Z]\d\d", c) for c in entry.expect), entry


def test_every_entry_reaches_the_codes_it_names(embedded, full) -> None:
    wrong, needs_full = [], []
    for entry in (e for e in ENTRIES if e.expect):
        if _reaches(embedded, entry):
            continue
        if full is not None and _reaches(full, entry):
            needs_full.append(entry.term)
        elif full is not None or entry.term not in NEEDS_FULL_LISTS:
            wrong.append(f"line {entry.line} {entry.term!r}: no code of {entry.expect} in the first 20 hits")
    assert not wrong, "\n".join(wrong)
    if full is None:
        pytest.skip(f"{len(NEEDS_FULL_LISTS)} entries name codes only the full lists have "
                    f"(../shared/reference is not here to check them)")
    # Entries leave the list as the embedded data grows; none may join it unnoticed.
    assert set(needs_full) <= NEEDS_FULL_LISTS, f"add to NEEDS_FULL_LISTS: {sorted(set(needs_full) - NEEDS_FULL_LISTS)}"


def test_word_entries_translate_to_title_words(embedded, full) -> None:
    conn = full if full is not None else embedded
    from workbench.core.search.lexicon import lexicon

    known = lexicon(conn).uses
    lines = {e.term: e for e in ENTRIES}
    missing = [f"{s.term!r} -> {s.means!r}" for s in read_synonyms(FILE)
               if lines[s.term].expect == () and not all(w in known for w in words_of(s.means))]
    assert not missing, "meanings using words no title has:\n" + "\n".join(missing)


def test_a_broken_line_is_named_and_the_build_carries_on(tmp_path: Path, embedded) -> None:
    bad = tmp_path / "search" / "synonyms.tsv"
    bad.parent.mkdir()
    bad.write_text("term\tmeans\tkind\tsource\ncabg\tcoronary bypass\tnickname\tsomewhere\n", encoding="utf-8")
    with pytest.raises(SynonymFileError, match=r"synonyms.tsv:2: kind 'nickname'"):
        read_synonyms(bad)
    embedded.execute("BEGIN")
    try:
        embedded.execute("DELETE FROM search_synonyms")
        problems = build_lexicon(embedded, tmp_path)
    finally:
        embedded.execute("ROLLBACK")
    assert len(problems) == 1 and "synonyms.tsv:2:" in problems[0]
