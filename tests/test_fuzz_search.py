"""Fault suite: hostile text into search and code parsing never gets further than a plain message.

search() promises never to raise for any user string; parse_code() raises only
CodeError (str() a plain reason); try_parse_code() and catalog lookups never raise.
The short runs are derandomised (the same examples every CI run); the long runs
(--long) explore far more, randomly.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import REPO_ROOT
from workbench.core.classifications import CodeError, CodeRef, parse_code, try_parse_code
from workbench.core.search import KINDS, Hit, search

# Pieces of FTS5 syntax and code/number shapes, glued together by hypothesis.
FTS_PIECES = ['"', "'", "AND", "OR", "NOT", "NEAR", "NEAR(", "NEAR/2", "*", "-", "+", "^", "(", ")",
              ":", "title:", "ref:", "{", "}", ",", ".", "\\", "\x00", "\u0301", "\ud800", "l804",
              "L80.-", "ipg", "655", " ", "  ", "\t", "\n", "stent", "ﬁ", "İ", "ß", "😀", "٣", "\u200b"]
ANY_CHARACTER = st.characters(blacklist_categories=())       # surrogates and controls included
HOSTILE = st.one_of(
    st.text(ANY_CHARACTER, max_size=60),
    st.lists(st.sampled_from(FTS_PIECES), max_size=25).map("".join),
    st.lists(st.one_of(st.sampled_from(FTS_PIECES), st.text(ANY_CHARACTER, max_size=3)), max_size=12).map("".join),
)
KIND = st.sampled_from([None, *KINDS])
SHORT = settings(max_examples=250, derandomize=True, deadline=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
LONG = settings(max_examples=5000, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
NORMALISED = re.compile(r"^[A-Z]\d\d(\.\d[0-9A-Z]?)?$")


def check_search(conn: sqlite3.Connection, query: str, kind: str | None, limit: int) -> None:
    hits = search(conn, query, kind=kind, limit=limit)
    assert isinstance(hits, list) and len(hits) <= max(limit, 0)
    for hit in hits:
        assert isinstance(hit, Hit) and hit.kind in KINDS and isinstance(hit.title, str)
        assert kind is None or hit.kind == kind


def check_code(text: str, classification: str | None) -> None:
    try:
        ref = parse_code(text, classification)
    except CodeError as exc:
        reason = str(exc)
        assert reason and "Traceback (most recent call last)" not in reason
        assert try_parse_code(text, classification) is None
        return
    assert isinstance(ref, CodeRef) and NORMALISED.match(ref.code), ref
    assert classification is None or ref.classification == classification
    assert try_parse_code(text, classification) == ref


@SHORT
@given(query=HOSTILE, kind=KIND, limit=st.integers(-1, 60))
def test_search_never_raises(reference_db: sqlite3.Connection, query: str, kind, limit: int) -> None:
    check_search(reference_db, query, kind, limit)


@pytest.mark.slow
@LONG
@given(query=HOSTILE, kind=KIND, limit=st.integers(-1, 60))
def test_search_never_raises_long(reference_db: sqlite3.Connection, query: str, kind, limit: int) -> None:
    check_search(reference_db, query, kind, limit)


@pytest.mark.parametrize("query", ["x" * 10_000, "NEAR(" * 2000, '"' * 10_001, "l804 " * 2000,
                                   "\ud800" * 5000, "٣" * 10_000, "a OR " * 2000])
def test_search_survives_huge_queries(reference_db: sqlite3.Connection, query: str) -> None:
    check_search(reference_db, query, None, 50)


@SHORT
@given(text=st.one_of(HOSTILE, st.from_regex(r"\s*[A-Za-z]\s*\d{0,3}\s*[.\-]?\s*[\d\-A-Z]{0,3}\s*", fullmatch=True)),
       classification=st.sampled_from([None, "opcs4", "icd10"]))
def test_parse_code_raises_only_code_error(text: str, classification) -> None:
    check_code(text, classification)


@pytest.mark.slow
@settings(max_examples=20_000, deadline=None)
@given(text=st.one_of(HOSTILE, st.from_regex(r"\s*[A-Za-z]\s*\d{0,3}\s*[.\-]?\s*[\d\-A-Z]{0,3}\s*", fullmatch=True)),
       classification=st.sampled_from([None, "opcs4", "icd10"]))
def test_parse_code_raises_only_code_error_long(text: str, classification) -> None:
    check_code(text, classification)


# Lone surrogates are left out here: lookup() assumes text that came through parse_code or
# the database (a lone surrogate makes sqlite3 raise UnicodeEncodeError; reported).
PRINTABLE_HOSTILE = HOSTILE.map(lambda s: s.encode("utf-8", "ignore").decode("utf-8"))


@SHORT
@given(text=PRINTABLE_HOSTILE, classification=st.sampled_from(["opcs4", "icd10"]))
def test_catalog_lookups_never_raise(catalog, text: str, classification: str) -> None:
    info = catalog.lookup(classification, text)
    assert info is None or info.classification == classification
    assert catalog.exists(classification, text) is (info is not None)
    assert catalog.title(classification, text) == (info.title if info else None)


# ------------------------------------------------------------------ through the CLI, as a user

CLI_QUERIES = ['NEAR("(', '"', "AND", "OR OR", "*", "-", "(", ":", "title:stent", "ref:*", "NOT stent",
               "l804*", "stent NEAR/0 vein", "'; DROP TABLE codes; --", "{title}: x", "😀 stent",
               "\u0301", "x" * 10_000, "^stent", "IPG", "ipg 0", "ipg 99999999999999999999", "L80.-.-"]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    return subprocess.run([sys.executable, "-m", "workbench", *args], capture_output=True, text=True,
                          env=env, timeout=120, cwd=REPO_ROOT)


def test_cli_search_hostile_strings_give_json() -> None:
    # One process for the first (it builds the reference DB), then each string in turn.
    for query in CLI_QUERIES:
        result = run_cli("search", query, "--json")
        assert "Traceback" not in result.stderr, (query, result.stderr)
        assert result.returncode == 0, (query, result.stderr)
        hits = json.loads(result.stdout)
        assert isinstance(hits, list)
        assert all({"kind", "code", "title", "score"} <= set(h) for h in hits)
