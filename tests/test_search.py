"""Search over guidance and both classifications (issue 2 item 7)."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.core.search import Hit, fts_expression, search


def _codes(hits: list[Hit], kind: str | None = None) -> list[str]:
    return [h.code for h in hits if kind is None or h.kind == kind]


def test_words_find_guidance_and_codes(reference_db: sqlite3.Connection) -> None:
    hits = search(reference_db, "pulmonary vein stent")
    assert [h for h in hits if h.kind == "guidance"][0].code == "IPG75"
    assert "L80.4" in _codes([h for h in hits if h.kind != "guidance"][:3])


def test_code_query_puts_the_code_first_then_guidance(reference_db: sqlite3.Connection) -> None:
    hits = search(reference_db, "l804")
    assert (hits[0].kind, hits[0].code) == ("opcs4", "L80.4")
    assert hits[0].title == "Percutaneous transluminal insertion of stent into pulmonary vein"
    assert "IPG75" in _codes(hits, "guidance")


@pytest.mark.parametrize("query", ["L80.4", "l804", " L80 4 "])
def test_code_forms(reference_db: sqlite3.Connection, query: str) -> None:
    assert _codes(search(reference_db, query))[:1] == ["L80.4"]


@pytest.mark.parametrize("query", ["Y53", "y53", "Y53.-"])
def test_category_query(reference_db: sqlite3.Connection, query: str) -> None:
    hits = search(reference_db, query)
    assert (hits[0].kind, hits[0].code) == ("opcs4", "Y53")
    guidance = _codes(hits, "guidance")
    assert {"IPG75", "IPG655"} <= set(guidance)
    # A code-shaped query lists codes of that shape first: Y53.1-Y53.9, the most recorded
    # nationally first (issue 22: fluoroscopic control, Y53.4, is the one coders use most), then any guidance.
    assert sorted(h.code for h in hits[1:10]) == [f"Y53.{n}" for n in range(1, 10)]
    uses = [reference_db.execute("SELECT episodes FROM code_usage WHERE classification = 'opcs4' AND code = ?"
                                 " AND fy = 2023", (h.code,)).fetchone()[0] for h in hits[1:10]]
    assert uses == sorted(uses, reverse=True) and hits[1].code == "Y53.4"
    first_guidance = next(i for i, h in enumerate(hits) if h.kind == "guidance")
    assert all(h.kind != "guidance" for h in hits[:first_guidance])
    assert max(i for i, h in enumerate(hits) if h.code.startswith("Y53.") and h.kind == "opcs4") < first_guidance


@pytest.mark.parametrize("query", ["ipg 655", "ipg655", "IPG655", "655"])
def test_guidance_number_first(reference_db: sqlite3.Connection, query: str) -> None:
    hits = search(reference_db, query)
    assert (hits[0].kind, hits[0].code) == ("guidance", "IPG655")


def test_bare_number_75(reference_db: sqlite3.Connection) -> None:
    assert search(reference_db, "75")[0].code == "IPG75"


def test_heart_failure_icd10(reference_db: sqlite3.Connection) -> None:
    hits = search(reference_db, "heart failure", kind="icd10")
    assert {"I50.0", "I50.9"} <= set(_codes(hits))
    assert {h.kind for h in hits} == {"icd10"}


def test_stemming_finds_singular(reference_db: sqlite3.Connection) -> None:
    assert "L80.4" in _codes(search(reference_db, "stents", kind="opcs4"))


def test_prefix_while_typing(reference_db: sqlite3.Connection) -> None:
    assert "L80.4" in _codes(search(reference_db, "pulmonary vein ste", kind="opcs4"))
    # A finished word (trailing space) is not a prefix any more.
    assert "L80.4" not in _codes(search(reference_db, "ste ", kind="opcs4"))


def test_title_weighs_more_than_body(tmp_path, monkeypatch) -> None:
    from tests.test_refdb import _fake_project
    from workbench.core.refdb import open_reference_db

    root = _fake_project(tmp_path, monkeypatch)
    docs = {"IPG9001": ("Zebrafish valve repair", "Plain words."),
            "IPG9002": ("Another repair", "Zebrafish zebrafish zebrafish in the body only."),
            "IPG9003": ("Unrelated", "Nothing."), "IPG9004": ("Unrelated too", "Nothing.")}
    for gid, (title, body) in docs.items():
        (root / "fixtures" / "guidance" / f"{gid}.md").write_text(
            f"---\nid: {gid}\ntitle: {title}\nsource_url: x\n---\n\n## Description\n{body}\n")
    hits = search(open_reference_db(), "zebrafish", kind="guidance")
    assert [h.code for h in hits] == ["IPG9001", "IPG9002"]
    assert hits[0].score > hits[1].score


def test_partial_code(reference_db: sqlite3.Connection) -> None:
    hits = search(reference_db, "L8", kind="opcs4")
    assert _codes(hits)[:2] == ["L80", "L80.1"]


def test_kind_filter(reference_db: sqlite3.Connection) -> None:
    assert {h.kind for h in search(reference_db, "heart", kind="guidance")} == {"guidance"}
    assert search(reference_db, "Y53", kind="icd10")[0].title.startswith("Agents")
    assert search(reference_db, "stent", kind="snomed") == []


def test_z94_2_both_classifications_each_labelled(reference_db: sqlite3.Connection) -> None:
    hits = search(reference_db, "Z94.2")
    pairs = [(h.kind, h.code) for h in hits[:2]]
    assert pairs == [("opcs4", "Z94.2"), ("icd10", "Z94.2")]


def test_empty_query_lists_guidance(reference_db: sqlite3.Connection) -> None:
    for query in ("", "   "):
        hits = search(reference_db, query)
        assert hits and {h.kind for h in hits} == {"guidance"}
        assert {"IPG75", "IPG655"} <= set(_codes(hits))
        # Every shipped guidance fits in the default browse list, in IPG number order.
        numbers = [int(code[3:]) for code in _codes(hits)]
        assert numbers == sorted(numbers) and len(numbers) >= 54


def test_limit(reference_db: sqlite3.Connection) -> None:
    assert len(search(reference_db, "operation", limit=3)) == 3
    assert search(reference_db, "operation", limit=0) == []


def test_no_match_is_empty(reference_db: sqlite3.Connection) -> None:
    assert search(reference_db, "zzqxv") == []


@pytest.mark.parametrize(
    "query",
    ['NEAR("(', '"', '""', "AND", "OR OR", "NOT", "*", "-", "(", ")", ":", "title:stent", "stent*",
     "^stent", "a + b", "NEAR(a b, 2)", "'", "\\", "\x00", "\ud800", "🫀 heart", "ＡＮＤ", "L80.4 OR", "x" * 10_000],
)
def test_hostile_strings_never_raise(reference_db: sqlite3.Connection, query: str) -> None:
    assert isinstance(search(reference_db, query), list)


def test_fts_expression_quotes_every_token() -> None:
    assert fts_expression('NEAR("(') == '"near"*'  # words are lower-cased: FTS5 ignores case anyway
    assert fts_expression('x "b" c ') == '"x" "b" "c"'
    assert fts_expression("excision of lesion o") == '"excision" "lesion"'  # stopword, lone letter
    assert fts_expression("of") == '"of"*' and fts_expression("o") == '"o"'
    assert fts_expression("()*:-") is None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(
    st.text(),
    st.text(alphabet=st.sampled_from(list('"*-():^+ ANDORNEAR\'\\{}.,l8049')), max_size=60),
    # Hypothesis caps generated sizes, so long inputs are built by repeating a sample.
    st.text(min_size=1, max_size=50).map(lambda s: (s * (10_000 // len(s) + 1))[:10_000]),
))
def test_any_string_is_safe(reference_db: sqlite3.Connection, query: str) -> None:
    hits = search(reference_db, query)
    assert all(h.kind in ("guidance", "opcs4", "icd10") for h in hits)


def test_a_code_no_longer_recorded_follows_the_current_ones(reference_db: sqlite3.Connection) -> None:
    # Haemorrhoids moved from I84 to K64 in the UK 5th edition (April 2016).
    hits = search(reference_db, "haemorrhoids", kind="icd10")
    codes = _codes(hits)
    assert codes[0].startswith("K64") and "I84" in codes
    first_i84 = min(i for i, c in enumerate(codes) if c.startswith("I84"))
    assert all(c.startswith("K64") for c in codes[:first_i84] if c[:3] in ("K64", "I84"))
    assert not any(c.startswith("K64") for c in codes[first_i84:])
    retired = next(h for h in hits if h.code == "I84")
    assert "not recorded since" in retired.match_note
