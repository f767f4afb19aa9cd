"""Guidance replaced by later guidance says so (issue 24): a search for the old number finds the new.

The library has no document for IPG124, IPG73, IPG48, IPG279 or IPG16; the guidance that
replaced them says so in its front matter (`replaces`), and a search for the old number
lists the newer guidance first, noting what it replaces, in `search()`, the CLI and the app.
"""

from __future__ import annotations

import json

import pytest

from workbench.core.search import search

REPLACED = {"IPG124": ["IPG476"], "IPG73": ["IPG348"], "IPG48": ["IPG339", "IPG340"], "IPG279": ["IPG438"],
            "IPG16": ["IPG193"], "IPG343": ["IPG494"], "IPG35": ["IPG377"]}


@pytest.mark.parametrize("old", sorted(REPLACED))
def test_a_search_for_a_replaced_number_lists_what_replaced_it(reference_db, old: str) -> None:
    for query in (old, old.lower(), "ipg " + old[3:], old[3:]):
        hits = search(reference_db, query, limit=10)
        newer = REPLACED[old]
        assert [h.code for h in hits[:len(newer)]] == newer, query
        assert all(h.kind == "guidance" and h.match_note.startswith(f"replaces {old}") for h in hits[:len(newer)])


def test_a_guidance_in_the_library_is_found_as_itself(reference_db) -> None:
    hits = search(reference_db, "IPG476", limit=3)
    assert hits[0].code == "IPG476" and hits[0].match_note == ""


def test_an_unknown_number_finds_no_replacement(reference_db) -> None:
    assert not any(h.detail == "replaces" for h in search(reference_db, "IPG9999", limit=10))


def test_the_cli_says_what_replaced_it(reference_db, capsys) -> None:
    from workbench.cli import main

    assert main(["search", "ipg 124", "--limit", "2"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert "IPG476" in first and "(replaces IPG124)" in first
    assert main(["search", "IPG48", "--limit", "2", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["code"] for r in rows] == ["IPG339", "IPG340"] and all("replaces IPG48" in r["match_note"] for r in rows)
