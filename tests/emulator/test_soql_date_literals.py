"""Relative date literals as day ranges ``[start, end)``."""

from __future__ import annotations

import datetime as dt

import pytest

from emulator.soql.date_literals import FIXED_LITERALS, N_LITERALS, date_range

D = dt.date
#: A Wednesday in the second quarter.
TODAY = D(2026, 5, 13)


@pytest.mark.parametrize(
    ("name", "n", "start", "end"),
    [
        ("TODAY", None, D(2026, 5, 13), D(2026, 5, 14)),
        ("YESTERDAY", None, D(2026, 5, 12), D(2026, 5, 13)),
        ("TOMORROW", None, D(2026, 5, 14), D(2026, 5, 15)),
        ("THIS_WEEK", None, D(2026, 5, 10), D(2026, 5, 17)),
        ("LAST_WEEK", None, D(2026, 5, 3), D(2026, 5, 10)),
        ("NEXT_WEEK", None, D(2026, 5, 17), D(2026, 5, 24)),
        ("THIS_MONTH", None, D(2026, 5, 1), D(2026, 6, 1)),
        ("LAST_MONTH", None, D(2026, 4, 1), D(2026, 5, 1)),
        ("NEXT_MONTH", None, D(2026, 6, 1), D(2026, 7, 1)),
        ("THIS_QUARTER", None, D(2026, 4, 1), D(2026, 7, 1)),
        ("LAST_QUARTER", None, D(2026, 1, 1), D(2026, 4, 1)),
        ("NEXT_QUARTER", None, D(2026, 7, 1), D(2026, 10, 1)),
        ("THIS_YEAR", None, D(2026, 1, 1), D(2027, 1, 1)),
        ("LAST_YEAR", None, D(2025, 1, 1), D(2026, 1, 1)),
        ("NEXT_YEAR", None, D(2027, 1, 1), D(2028, 1, 1)),
        ("LAST_90_DAYS", None, D(2026, 2, 12), D(2026, 5, 14)),
        ("NEXT_90_DAYS", None, D(2026, 5, 14), D(2026, 8, 12)),
        ("LAST_N_DAYS", 7, D(2026, 5, 6), D(2026, 5, 14)),
        ("NEXT_N_DAYS", 7, D(2026, 5, 14), D(2026, 5, 21)),
        ("N_DAYS_AGO", 3, D(2026, 5, 10), D(2026, 5, 11)),
        ("LAST_N_WEEKS", 2, D(2026, 4, 26), D(2026, 5, 10)),
        ("NEXT_N_WEEKS", 1, D(2026, 5, 17), D(2026, 5, 24)),
        ("N_WEEKS_AGO", 1, D(2026, 5, 3), D(2026, 5, 10)),
        ("LAST_N_MONTHS", 5, D(2025, 12, 1), D(2026, 5, 1)),
        ("NEXT_N_MONTHS", 8, D(2026, 6, 1), D(2027, 2, 1)),
        ("N_MONTHS_AGO", 5, D(2025, 12, 1), D(2026, 1, 1)),
        ("LAST_N_QUARTERS", 2, D(2025, 10, 1), D(2026, 4, 1)),
        ("N_QUARTERS_AGO", 4, D(2025, 4, 1), D(2025, 7, 1)),
        ("NEXT_N_YEARS", 2, D(2027, 1, 1), D(2029, 1, 1)),
        ("N_YEARS_AGO", 1, D(2025, 1, 1), D(2026, 1, 1)),
        ("THIS_FISCAL_YEAR", None, D(2026, 1, 1), D(2027, 1, 1)),
        ("LAST_N_FISCAL_QUARTERS", 1, D(2026, 1, 1), D(2026, 4, 1)),
    ],
)
def test_date_range(name: str, n: int | None, start: dt.date, end: dt.date) -> None:
    """Each literal covers the documented days (weeks start on Sunday)."""
    assert name in (N_LITERALS if n is not None else FIXED_LITERALS)
    assert date_range(name, n, TODAY) == (start, end)


def test_week_of_a_sunday_starts_that_day() -> None:
    """On a Sunday, THIS_WEEK starts today."""
    assert date_range("THIS_WEEK", None, D(2026, 5, 17)) == (D(2026, 5, 17), D(2026, 5, 24))


def test_months_roll_over_the_year() -> None:
    """NEXT_MONTH in December is January of the next year."""
    assert date_range("NEXT_MONTH", None, D(2026, 12, 31)) == (D(2027, 1, 1), D(2027, 2, 1))
    assert date_range("LAST_QUARTER", None, D(2026, 2, 1)) == (D(2025, 10, 1), D(2026, 1, 1))
