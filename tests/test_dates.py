"""Dates as coders write them: UK order, ISO, two-digit years, today and yesterday."""

from __future__ import annotations

import datetime as dt

import pytest

from workbench.core.dates import DateError, parse_coder_date, show_date

TODAY = dt.date(2025, 11, 29)


@pytest.mark.parametrize(("text", "expected"), [
    ("20/11/2025", dt.date(2025, 11, 20)),
    ("1/2/2024", dt.date(2024, 2, 1)),
    ("01.02.2024", dt.date(2024, 2, 1)),
    ("1-2-2024", dt.date(2024, 2, 1)),
    ("5/3/25", dt.date(2025, 3, 5)),
    ("5/3/99", dt.date(1999, 3, 5)),          # a two-digit year is never in the future
    ("2025-11-20", dt.date(2025, 11, 20)),
    ("2024-2-29", dt.date(2024, 2, 29)),
    (" today ", TODAY),
    ("Yesterday", dt.date(2025, 11, 28)),
    ("29/02/2024", dt.date(2024, 2, 29)),
])
def test_accepted_forms(text: str, expected: dt.date) -> None:
    assert parse_coder_date(text, TODAY) == expected


@pytest.mark.parametrize("text", ["31/02/2025", "29/02/2025", "2025-13-01", "0/1/2025", "32/1/2025"])
def test_impossible_dates_are_refused(text: str) -> None:
    with pytest.raises(DateError, match="not a real calendar date"):
        parse_coder_date(text, TODAY)


@pytest.mark.parametrize("text", ["", "20 Nov", "2025/11/20", "20/11", "11/20/2025x", "tomorrow", "20/11-2025"])
def test_other_text_is_refused_without_repeating_it(text: str) -> None:
    with pytest.raises(DateError) as caught:
        parse_coder_date(text, TODAY)
    assert "dd/mm/yyyy" in str(caught.value)
    if text:
        assert text not in str(caught.value)


def test_us_order_is_not_guessed() -> None:
    with pytest.raises(DateError, match="calendar"):
        parse_coder_date("11/20/2025", TODAY)


def test_shown_back_in_one_unambiguous_form() -> None:
    assert show_date(dt.date(2025, 11, 20)) == "20 Nov 2025"
    assert show_date("3/4/2024") == "3 Apr 2024"
    assert show_date(None) == ""


def test_log_add_takes_uk_dates_and_refuses_impossible_ones(reference_db, tmp_path, capsys) -> None:
    from workbench.cli import main

    log = str(tmp_path / "episodes.db")
    base = ["--log", log, "log", "add", "--patient", "P1", "--episode", "E1",
            "--procedures", "K57.8", "--diagnoses", "I50.0", "--json"]
    assert main([*base, "--date", "20/11/2025"]) == 0
    import json

    saved = json.loads(capsys.readouterr().out)
    assert saved["date"] == "2025-11-20"
    code = main([*base, "--date", "31/02/2025"])
    err = capsys.readouterr().err
    assert code != 0 and "--date: not a real calendar date" in err
