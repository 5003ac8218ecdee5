"""Dates, date-times and times of day, written and spoken, read in New York on 2026-03-05."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import pytest

from server.values import ValueCoercionError
from tests.helpers.values import custom, refusal, value

# --- dates ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("1990-03-05", "1990-03-05"),
        ("1990/3/5", "1990-03-05"),
        ("March 5, 1990", "1990-03-05"),
        ("5 March 1990", "1990-03-05"),
        ("Mar 5 1990", "1990-03-05"),
        ("Mar. 5th, 1990", "1990-03-05"),
        ("5th of March 1990", "1990-03-05"),
        ("the 5th of march, 1990", "1990-03-05"),
        ("05-Mar-1990", "1990-03-05"),
        ("03/05/1990", "1990-03-05"),
        ("3.5.1990", "1990-03-05"),
        ("Thursday, March 5, 2026", "2026-03-05"),
        ("Thu 5 Mar 2026", "2026-03-05"),
        ("February 29, 2024", "2024-02-29"),
        ("today", "2026-03-05"),
        ("Tomorrow", "2026-03-06"),
        ("yesterday", "2026-03-04"),
        (date(1990, 3, 5), "1990-03-05"),
        (datetime(2026, 3, 6, 2, 30, tzinfo=UTC), "2026-03-05"),
        ("2026-03-06T02:30:00Z", "2026-03-05"),
    ],
)
def test_date_values(given: Any, expected: str) -> None:
    """Dates: ISO, month names in any order, MDY numerics, relative days, date objects."""
    assert value(("Contact", "Birthdate"), given) == expected


def test_numeric_dates_follow_date_order() -> None:
    """03/05/1990 is March 5 in MDY (the default) and 3 May in DMY."""
    assert value(("Contact", "Birthdate"), "03/05/1990") == "1990-03-05"
    assert value(("Contact", "Birthdate"), "03/05/1990", date_order="DMY") == "1990-05-03"
    assert value(("Contact", "Birthdate"), "25/12/1990", date_order="DMY") == "1990-12-25"


def test_an_unknown_date_order_is_a_programming_error() -> None:
    """date_order other than MDY/DMY is a ValueError for the caller, not a field problem."""
    with pytest.raises(ValueError, match="date_order must be 'MDY' or 'DMY'") as caught:
        value(("Contact", "Birthdate"), "03/05/1990", date_order="YMD")
    assert not isinstance(caught.value, ValueCoercionError)


@pytest.mark.parametrize(
    ("given", "options", "expected"),
    [
        ("13/05/1990", {}, "is not a valid date in month/day/year order — say the month by name"),
        ("05/13/1990", {"date_order": "DMY"}, "is not a valid date in day/month/year order"),
        ("02/30/1990", {}, "is not a real date — give a date, e.g. 2026-03-05 or March 5, 2026"),
        ("February 29, 2023", {}, "is not a real date"),
        ("03/05/90", {}, "has a two-digit year — give the full year, e.g. 2026-03-05"),
        ("March 5", {}, "has no year — give the year too, e.g. March 5, 2026"),
        ("Tuesday, March 5, 2026", {}, "falls on a Thursday, not a Tuesday — confirm the date"),
        ("next week", {}, "is not a date — give a date, e.g. 2026-03-05 or March 5, 2026"),
        ("March April 5 1990", {}, "is not a date"),
        ("1600-01-01", {}, "is outside the years Salesforce stores (1700-4000)"),
        (19900305, {}, "is not a date"),
    ],
)
def test_date_refusals(given: Any, options: dict[str, Any], expected: str) -> None:
    """Impossible dates, two-digit years, missing years and wrong weekdays are refused."""
    message = refusal(("Contact", "Birthdate"), given, **options)
    assert message.startswith("Birthdate: ")
    assert expected in message


# --- date-times -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2026-03-05T14:30:00Z", "2026-03-05T14:30:00.000Z"),
        ("2026-03-05T14:30:00.123z", "2026-03-05T14:30:00.123Z"),
        ("2026-03-05T14:30:00+02:00", "2026-03-05T12:30:00.000Z"),
        ("2026-05-01T07:25:37.000+0000", "2026-05-01T07:25:37.000Z"),
        ("2026-03-05T14:30:00", "2026-03-05T19:30:00.000Z"),
        ("2026-03-05 14:30", "2026-03-05T19:30:00.000Z"),
        ("2026-07-01 09:00", "2026-07-01T13:00:00.000Z"),
        ("March 5, 2026 2:30 PM", "2026-03-05T19:30:00.000Z"),
        ("March 5, 2026 at 2:30 p.m.", "2026-03-05T19:30:00.000Z"),
        ("5 March 2026, 14:30", "2026-03-05T19:30:00.000Z"),
        ("03/05/2026 2pm", "2026-03-05T19:00:00.000Z"),
        ("2026-03-05 2:30 pm", "2026-03-05T19:30:00.000Z"),
        ("2:30 pm on March 5, 2026", "2026-03-05T19:30:00.000Z"),
        ("tomorrow at noon", "2026-03-06T17:00:00.000Z"),
        ("today 12 am", "2026-03-05T05:00:00.000Z"),
        ("November 1, 2026 1:30 AM", "2026-11-01T05:30:00.000Z"),
        (datetime(2026, 3, 5, 14, 30, tzinfo=UTC), "2026-03-05T14:30:00.000Z"),
        (datetime(2026, 3, 5, 14, 30), "2026-03-05T19:30:00.000Z"),
    ],
)
def test_datetime_values(given: Any, expected: str) -> None:
    """Datetimes: offsets honoured, local times read in tz, spoken forms; sent as UTC with ms."""
    assert value(("Event", "StartDateTime"), given) == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2026-03-05", "has no time — ask for the time and give a date and time, e.g."),
        (date(2026, 3, 5), "has no time"),
        ("March 8, 2026 2:30 AM", "does not exist in America/New_York: the clocks skip that hour"),
        ("2026-02-30 10:00", "is not a real date"),
        ("2026-02-30T10:00:00Z", "is not a real date and time"),
        ("March 5, 2026 13:30 pm", "is not a real time — give a time, e.g. 14:30 or 2:30 PM"),
        ("March 5, 2026 24:10", "is not a real time"),
        ("soon", "is not a date and time — give a date and time, e.g. 2026-03-05T14:30:00Z"),
        ("March 5 at 2pm", "has no year"),
        ("2:30 pm", "has no date — give a date and time"),
        ("0001-01-01T00:00:00+05:00", "is outside the years Salesforce stores"),
        (1741185000, "is not a date and time"),
    ],
)
def test_datetime_refusals(given: Any, expected: str) -> None:
    """A datetime needs a real date and time; skipped DST times and bare dates are refused."""
    message = refusal(("Event", "StartDateTime"), given)
    assert message.startswith("StartDateTime (Start Date Time): ")
    assert expected in message


# --- times ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("14:30", "14:30:00.000Z"),
        ("2:30 pm", "14:30:00.000Z"),
        ("2:30PM", "14:30:00.000Z"),
        ("2pm", "14:00:00.000Z"),
        ("12 am", "00:00:00.000Z"),
        ("12:15 p.m.", "12:15:00.000Z"),
        ("noon", "12:00:00.000Z"),
        ("midnight", "00:00:00.000Z"),
        ("14:30:15.250Z", "14:30:15.250Z"),
        (time(9, 5), "09:05:00.000Z"),
    ],
)
def test_time_values(given: Any, expected: str) -> None:
    """Times: 24-hour or am/pm, noon/midnight, time objects; sent as HH:MM:SS.sssZ."""
    assert value(custom("time"), given) == expected


@pytest.mark.parametrize("given", ["25:00", "13 pm", "half past two", "2", 1430])
def test_time_refusals(given: Any) -> None:
    """A bare number or an impossible time is refused with the accepted forms."""
    assert "give a time, e.g. 14:30 or 2:30 PM" in refusal(custom("time"), given)
