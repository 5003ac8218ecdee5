"""Relative date literals (``TODAY``, ``LAST_N_DAYS:30``, ``THIS_QUARTER`` …) as date ranges.

Each literal names a half-open range of days ``[start, end)`` counted from "today" in the user's
time zone (Salesforce: "ranges start at 00:00:00 in the user's time zone"). Semantics follow
Salesforce's "Date Formats and Date Literals" page:

- ``LAST_N_DAYS:n`` (and ``LAST_90_DAYS``) covers today and the n days before it;
  ``NEXT_N_DAYS:n`` (and ``NEXT_90_DAYS``) starts tomorrow and covers n days;
  ``N_DAYS_AGO:n`` is the single day n days ago.
- Weeks start on Sunday (the en_US locale of the demo user).
- ``LAST_N_<UNIT>S:n`` covers the n whole units before the current one, ``NEXT_N_<UNIT>S:n`` the
  n whole units after it, ``N_<UNIT>S_AGO:n`` the one unit n units ago.
- Fiscal literals use the calendar year: the demo org's fiscal year starts in January.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from types import MappingProxyType

DateRange = tuple[dt.date, dt.date]


def _week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=(day.weekday() + 1) % 7)


def _add_weeks(start: dt.date, n: int) -> dt.date:
    return start + dt.timedelta(weeks=n)


def _add_months(start: dt.date, n: int) -> dt.date:
    months = start.year * 12 + start.month - 1 + n
    return dt.date(months // 12, months % 12 + 1, 1)


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def _add_quarters(start: dt.date, n: int) -> dt.date:
    return _add_months(start, 3 * n)


def _year_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 1, 1)


def _add_years(start: dt.date, n: int) -> dt.date:
    return dt.date(start.year + n, 1, 1)


_Unit = tuple[Callable[[dt.date], dt.date], Callable[[dt.date, int], dt.date]]

_UNITS: Mapping[str, _Unit] = MappingProxyType(
    {
        "WEEK": (_week_start, _add_weeks),
        "MONTH": (_month_start, _add_months),
        "QUARTER": (_quarter_start, _add_quarters),
        "FISCAL_QUARTER": (_quarter_start, _add_quarters),
        "YEAR": (_year_start, _add_years),
        "FISCAL_YEAR": (_year_start, _add_years),
    }
)

#: Literals without an argument.
FIXED_LITERALS = frozenset(
    {"YESTERDAY", "TODAY", "TOMORROW", "LAST_90_DAYS", "NEXT_90_DAYS"}
    | {f"{when}_{unit}" for when in ("LAST", "THIS", "NEXT") for unit in _UNITS}
)

#: Literals written ``NAME:n``.
N_LITERALS = frozenset(
    {"LAST_N_DAYS", "NEXT_N_DAYS", "N_DAYS_AGO"}
    | {f"{when}_N_{unit}S" for when in ("LAST", "NEXT") for unit in _UNITS}
    | {f"N_{unit}S_AGO" for unit in _UNITS}
)


def _days(today: dt.date, first: int, count: int) -> DateRange:
    start = today + dt.timedelta(days=first)
    return start, start + dt.timedelta(days=count)


def date_range(name: str, n: int | None, today: dt.date) -> DateRange:
    """The days ``[start, end)`` that literal ``name`` (with argument ``n``) covers on ``today``.

    ``name`` is upper case and one of :data:`FIXED_LITERALS` or :data:`N_LITERALS`.
    """
    count = n or 0
    simple: dict[str, DateRange] = {
        "YESTERDAY": _days(today, -1, 1),
        "TODAY": _days(today, 0, 1),
        "TOMORROW": _days(today, 1, 1),
        "LAST_90_DAYS": _days(today, -90, 91),
        "NEXT_90_DAYS": _days(today, 1, 90),
        "LAST_N_DAYS": _days(today, -count, count + 1),
        "NEXT_N_DAYS": _days(today, 1, count),
        "N_DAYS_AGO": _days(today, -count, 1),
    }
    if name in simple:
        return simple[name]
    if name.startswith(("LAST_N_", "NEXT_N_")):
        unit, offset, length = name[7:-1], (-count if name[0] == "L" else 1), count
    elif name.startswith("N_") and name.endswith("S_AGO"):
        unit, offset, length = name[2:-5], -count, 1
    else:
        when, unit = name.split("_", 1)
        offset, length = {"LAST": -1, "THIS": 0, "NEXT": 1}[when], 1
    start_of, add = _UNITS[unit]
    current = start_of(today)
    start = add(current, offset)
    return start, add(start, length)
