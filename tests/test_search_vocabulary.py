"""The coders' index and national use in search (issue 22): fixtures/search/index.tsv reaches real
codes, the words coders use for operations find them, common codes come first, procedure words
rank procedures, and the list a code is added to decides which classification comes first."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from workbench.core import paths
from workbench.core.classifications.codes import try_parse_code
from workbench.core.search import search
from workbench.core.search.lexicon import Lexicon, lexicon
from workbench.core.search.query import plan
from workbench.core.search.vocabulary import INDEX_FILE, IndexFileError, build_index, read_index

FILE = paths.FIXTURES_DIR / INDEX_FILE
ENTRIES = read_index(FILE)


def _rank(hits, kind: str, code: str) -> int | None:
    return next((i for i, h in enumerate(hits, start=1) if (h.kind, h.code) == (kind, code)), None)


# ------------------------------------------------------------------ the file

def test_the_index_file_reads_and_is_broad() -> None:
    assert len(ENTRIES) >= 600
    terms = [(e.label, e.classification) for e in ENTRIES]
    assert len(terms) == len(set(terms)), "one line per term and classification"
    assert {e.classification for e in ENTRIES} == {"opcs4", "icd10"}
    assert all(e.source.strip() for e in ENTRIES)


def test_every_target_exists(reference_db: sqlite3.Connection) -> None:
    missing = []
    for entry in ENTRIES:
        for target in entry.targets:
            if target.startswith("IPG"):
                found = reference_db.execute("SELECT 1 FROM guidance WHERE id = ?", (target,)).fetchone()
            else:
                ref = try_parse_code(target, entry.classification)
                found = ref and reference_db.execute("SELECT 1 FROM codes WHERE classification = ? AND code = ?",
                                                     (entry.classification, ref.code)).fetchone()
            if not found:
                missing.append(f"line {entry.line} {entry.label!r}: {entry.classification} {target}")
    assert not missing, "\n".join(missing)


def test_every_entry_reaches_its_first_target(reference_db: sqlite3.Connection) -> None:
    """The entry's words, typed as a coder would (no commas), put its first target in the top 3,
    from the list of its classification."""
    wrong = []
    for entry in ENTRIES:
        first = entry.targets[0]
        kind = "guidance" if first.startswith("IPG") else entry.classification
        code = first if kind == "guidance" else try_parse_code(first, kind).code
        query = entry.label.replace(",", " ")
        hits = search(reference_db, query, limit=10, prefer=entry.classification)
        rank = _rank(hits, kind, code)
        if "." not in code and kind != "guidance":   # a category: itself or one of its codes (most used first)
            rank = next((i for i, h in enumerate(hits, 1) if h.kind == kind and h.code.startswith(code)), None)
        if rank is None or rank > 3:
            wrong.append(f"line {entry.line} {query!r}: {kind} {code} at {rank}")
    assert not wrong, "\n".join(wrong)


def test_a_broken_line_is_named_and_the_build_carries_on(tmp_path: Path, reference_db: sqlite3.Connection) -> None:
    bad = tmp_path / "search" / "index.tsv"
    bad.parent.mkdir()
    bad.write_text("term\tclassification\ttargets\tsource\nadhesiolysis\topcs4\tT42.3 frog\tsomewhere\n",
                   encoding="utf-8")
    with pytest.raises(IndexFileError, match=r"index.tsv:2: targets must be codes.*'FROG'"):
        read_index(bad)
    bad.write_text("adhesiolysis\topcs5\tT42.3\tsomewhere\n", encoding="utf-8")
    with pytest.raises(IndexFileError, match=r"index.tsv:1: classification 'opcs5'"):
        read_index(bad)
    assert build_index(reference_db, tmp_path) == [f"{bad}:1: classification 'opcs5' is not opcs4 or icd10"]


# ------------------------------------------------------------------ the issue's examples

@pytest.mark.parametrize(("query", "kind", "code", "within"), [
    ("htn", "icd10", "I10", 1),
    ("uti", "icd10", "N39.0", 1),
    ("galstones", "icd10", "K80.2", 1),
    ("catarct", "icd10", "H25.9", 3),
    ("thr cemented", "opcs4", "W37.1", 3),
    ("adhesiolysis", "opcs4", "T42.3", 3),
    ("small bowel resection", "opcs4", "G69.3", 3),
    ("colonoscopy polypectomy", "opcs4", "H20.1", 3),
    ("flexi cysto", "opcs4", "M45.9", 3),
    ("tavi", "opcs4", "K26.2", 3),
    ("tavi", "guidance", "IPG421", 3),
    ("ccm", "guidance", "IPG655", 3),
    ("laa occlusion", "guidance", "IPG349", 3),
    ("pv stent", "guidance", "IPG75", 3),
    ("pv stent", "opcs4", "L80.4", 3),
])
def test_the_issue_examples(reference_db: sqlite3.Connection, query: str, kind: str, code: str, within: int) -> None:
    rank = _rank(search(reference_db, query, limit=10), kind, code)
    assert rank is not None and rank <= within, (query, rank, [h.code for h in search(reference_db, query, limit=5)])


def test_an_index_hit_says_so(reference_db: sqlite3.Connection) -> None:
    top = search(reference_db, "adhesiolysis", limit=3)[0]
    assert (top.detail, top.match_note) == ("index", "index: adhesiolysis")


# ------------------------------------------------------------------ ranking

def test_national_use_orders_hits_that_match_equally_well(reference_db: sqlite3.Connection) -> None:
    hits = search(reference_db, "hypertension", kind="icd10", limit=10)
    assert hits[0].code == "I10"          # 6.4 million episodes a year, before the rarer kinds
    neonatal = _rank(search(reference_db, "urinary tract infection", kind="icd10", limit=20), "icd10", "P39.3")
    assert neonatal is None or neonatal > 1


def test_a_categorys_fourth_characters_come_most_used_first(reference_db: sqlite3.Connection) -> None:
    hits = search(reference_db, "E11", kind="icd10", limit=12)
    assert hits[0].code == "E11" and hits[1].code == "E11.9"


def test_a_procedure_word_ranks_procedures_first(reference_db: sqlite3.Connection) -> None:
    for query in ("resection of bowel", "excision of lesion", "repair of hernia"):
        hits = [h for h in search(reference_db, query, limit=10) if h.kind != "guidance"]
        assert hits[0].kind == "opcs4", (query, hits[:3])


def test_a_bare_endoscopy_word_ranks_the_diagnostic_examination_first(reference_db: sqlite3.Connection) -> None:
    for query, diagnostic in (("colonoscopy", "H22"), ("cystoscopy", "M45"), ("gastroscopy", "G45"),
                              ("hysteroscopy", "Q18"), ("bronchoscopy", "E49")):
        first = search(reference_db, query, limit=3)[0]
        assert first.code.startswith(diagnostic), (query, first)


def test_combined_words_rank_the_code_holding_both(reference_db: sqlite3.Connection) -> None:
    assert search(reference_db, "colonoscopy polypectomy", limit=3)[0].code == "H20.1"
    assert search(reference_db, "colonoscopy biopsy", limit=3)[0].code == "H22.1"
    assert search(reference_db, "ogd biopsy", limit=3)[0].code == "G45.1"


def test_a_negated_title_word_does_not_match(reference_db: sqlite3.Connection) -> None:
    """'cemented' is not a word of '... not using cement'."""
    codes = [h.code for h in search(reference_db, "total hip replacement cemented", kind="opcs4", limit=5)]
    assert codes[0] == "W37.1" and "W38.1" not in codes[:3]


# ------------------------------------------------------------------ field-aware search

@pytest.mark.parametrize(("query", "prefer", "first"), [
    ("e119", "icd10", ("icd10", "E11.9")),
    ("e119", "opcs4", ("opcs4", "E11.9")),
    ("cataract", "icd10", ("icd10", "H26.9")),
    ("blood transfusion", "icd10", ("icd10", "Z51.3")),
])
def test_the_list_decides_which_classification_comes_first(reference_db: sqlite3.Connection, query: str,
                                                          prefer: str, first: tuple[str, str]) -> None:
    hits = search(reference_db, query, limit=10, prefer=prefer)
    assert (hits[0].kind, hits[0].code) == first
    assert search(reference_db, "cataract", limit=5, prefer="opcs4")[0].kind == "opcs4"
    mixed = search(reference_db, query, limit=10)
    assert {h.kind for h in mixed} - {"guidance"}, "the mixed box keeps codes"


def test_from_a_list_the_other_classification_still_shows(reference_db: sqlite3.Connection) -> None:
    hits = search(reference_db, "e119", limit=10, prefer="icd10")
    assert ("opcs4", "E11.9") in {(h.kind, h.code) for h in hits}


# ------------------------------------------------------------------ words

@pytest.mark.parametrize(("typed", "term"), [("T&O", "t and o"), ("A&E", "a and e"), ("d&c", "d and c"),
                                             ("ENT&O", "ent")])
def test_an_ampersand_joins_an_abbreviation(reference_db: sqlite3.Connection, typed: str, term: str) -> None:
    segments = plan(typed + " ", lexicon(reference_db)).segments
    assert segments[0].typed == term
    # The term is read whole, through its meanings, never as the single letters of its parts.
    assert not any(len(w) == 1 for a in segments[0].alternatives for w in a.words)


def test_typo_correction_prefers_the_vocabulary() -> None:
    lex = Lexicon(uses={"gallstones": 1, "galleons": 50, "tavern": 80},
                  words=sorted(["gallstones", "galleons", "tavern"]),
                  vocabulary=frozenset({"gallstones"}), code_words=frozenset())
    # One edit from both a vocabulary word and a word only guidance prose uses: the vocabulary's.
    lex2 = Lexicon(uses={"stones": 1, "stoned": 90}, words=["stoned", "stones"],
                   vocabulary=frozenset({"stones"}), code_words=frozenset())
    assert lex2.corrections("stonez") == ("stones",)
    # Prose words count one edit further away.
    assert lex.corrections("galstones") == ("gallstones",)


def test_a_misspelling_reaches_the_index(reference_db: sqlite3.Connection) -> None:
    assert search(reference_db, "adhesiolisys", limit=3)[0].code.startswith(("T41", "T42"))
    assert search(reference_db, "polypectomy colonscopy", limit=3)[0].code == "H20.1"


def test_the_index_lives_in_sqlite_not_in_memory(reference_db: sqlite3.Connection) -> None:
    """The lexicon a process holds knows nothing of the index's entries: they are looked up."""
    lex = lexicon(reference_db)
    assert not any(isinstance(v, dict) and len(v) > 100 for k, v in vars(lex).items() if k not in ("uses", "synonyms",
                                                                                                     "_corrections"))
    count = reference_db.execute("SELECT count(*) FROM search_index").fetchone()[0]
    assert count >= len(ENTRIES)
