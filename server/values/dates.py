"""Dates, date-times and times of day.

The rules (documented behaviour; tests/values/ checks each):

- date: ISO 2026-03-05 (also 2026/03/05), month names in any order ("March 5, 2026",
  "5th of March 2026", "Thu, 5 Mar 2026"), numeric 03/05/2026 read in ``date_order`` (MDY by
  default: March 5; DMY: 3 May; impossible dates are refused, never swapped), today/tomorrow/
  yesterday in ``tz``. Two-digit years and dates without a year are refused. A weekday that
  does not match the date is refused. Years 1700-4000 (Salesforce's range). Output YYYY-MM-DD.
- datetime: ISO 8601 with Z or an offset; without one, or in the spoken forms ("March 5, 2026
  2:30 PM", "tomorrow at noon", "2026-03-05 14:30"), the time is local to ``tz``; a local time
  the clocks skip (DST) is refused, a repeated one takes its first occurrence. A date without a
  time is refused: the agent should ask for the time. Output UTC "YYYY-MM-DDTHH:MM:SS.sssZ",
  which Salesforce accepts.
- time: "14:30", "2:30 pm", "2pm", "noon" → "14:30:00.000Z".
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from server.values.context import _Context
from server.values.problems import _EXPECTED, _InvalidValueError

_MIN_YEAR, _MAX_YEAR = 1700, 4000

_ISO_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_NUMERIC_DATE = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})")
_SHORT_YEAR_DATE = re.compile(r"\d{1,2}[-/.]\d{1,2}[-/.]\d{2}")
_DATE_TOKEN_SPLIT = re.compile(r"[\s,/-]+")
_DAY_TOKEN = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?")
_YEAR_TOKEN = re.compile(r"\d{4}")
_FILLER_WORDS = frozenset({"the", "of", "on"})
_MONTHS = MappingProxyType(
    {
        name: number
        for number, names in enumerate(
            (
                ("january", "jan"),
                ("february", "feb"),
                ("march", "mar"),
                ("april", "apr"),
                ("may",),
                ("june", "jun"),
                ("july", "jul"),
                ("august", "aug"),
                ("september", "sep", "sept"),
                ("october", "oct"),
                ("november", "nov"),
                ("december", "dec"),
            ),
            start=1,
        )
        for name in names
    }
)
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_WEEKDAYS = MappingProxyType(
    {
        name: number
        for number, names in enumerate(
            (
                ("monday", "mon"),
                ("tuesday", "tue", "tues"),
                ("wednesday", "wed"),
                ("thursday", "thu", "thur", "thurs"),
                ("friday", "fri"),
                ("saturday", "sat"),
                ("sunday", "sun"),
            )
        )
        for name in names
    }
)
_RELATIVE_DAYS = MappingProxyType({"today": 0, "tomorrow": 1, "yesterday": -1})

_ISO_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?",
    re.IGNORECASE,
)
_AMPM = r"\s*(?P<{}>[ap])\.?\s?m\.?"
_TIME_TEXT = (
    r"(?:(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:\.(?P<f>\d{1,9}))?)?(?:"
    + _AMPM.format("ap")
    + r")?|(?P<h2>\d{1,2})"
    + _AMPM.format("ap2")
    + r"|(?P<word>noon|midnight))"
)
_TIME = re.compile(_TIME_TEXT + r"z?")
_TRAILING_TIME = re.compile(r"(?:^|(?<=[\s,]))(?:at\s+|@\s*)?" + _TIME_TEXT + r"$")
_LEADING_TIME = re.compile(r"^" + _TIME_TEXT + r"(?:\s+on)?(?:[\s,]+|$)")


def _date(value: Any, ctx: _Context) -> str:
    if isinstance(value, datetime):
        _check_year(value.year)
        day = (value.astimezone(ctx.tz) if value.tzinfo else value).date()
    elif isinstance(value, date):
        day = value
    elif isinstance(value, str):
        text = value.strip()
        if _ISO_DATETIME.fullmatch(text):
            moment = _iso_datetime(text, ctx.tz)
            day = moment.astimezone(ctx.tz).date()
        else:
            day = _parse_date(text.lower(), ctx)
    else:
        raise _InvalidValueError(f"is not a date — give {_EXPECTED['date']}")
    _check_year(day.year)
    return day.isoformat()


def _parse_date(text: str, ctx: _Context) -> date:
    """A date from lower-cased text in one of the forms of the module docstring."""
    if text in _RELATIVE_DAYS:
        return ctx.today() + timedelta(days=_RELATIVE_DAYS[text])
    if match := _ISO_DATE.fullmatch(text):
        year, month, day = (int(part) for part in match.groups())
        return _make_date(year, month, day)
    if match := _NUMERIC_DATE.fullmatch(text):
        first, second, year = (int(part) for part in match.groups())
        month, day = (first, second) if ctx.date_order == "MDY" else (second, first)
        if not 1 <= month <= 12:
            order = "month/day/year" if ctx.date_order == "MDY" else "day/month/year"
            raise _InvalidValueError(
                f"is not a valid date in {order} order — say the month by name, e.g. March 5, 2026"
            )
        return _make_date(year, month, day)
    if _SHORT_YEAR_DATE.fullmatch(text):
        raise _InvalidValueError("has a two-digit year — give the full year, e.g. 2026-03-05")
    return _parse_date_words(text)


def _parse_date_words(text: str) -> date:
    months: list[int] = []
    days: list[int] = []
    years: list[int] = []
    weekdays: list[int] = []
    for token in _DATE_TOKEN_SPLIT.split(text):
        token = token.rstrip(".")
        if not token or token in _FILLER_WORDS:
            continue
        if token in _MONTHS:
            months.append(_MONTHS[token])
        elif token in _WEEKDAYS:
            weekdays.append(_WEEKDAYS[token])
        elif match := _DAY_TOKEN.fullmatch(token):
            days.append(int(match[1]))
        elif _YEAR_TOKEN.fullmatch(token):
            years.append(int(token))
        else:
            raise _InvalidValueError(f"is not a date — give {_EXPECTED['date']}")
    if len(months) == 1 and len(days) == 1 and not years:
        raise _InvalidValueError("has no year — give the year too, e.g. March 5, 2026")
    if len(months) != 1 or len(days) != 1 or len(years) != 1 or len(weekdays) > 1:
        raise _InvalidValueError(f"is not a date — give {_EXPECTED['date']}")
    result = _make_date(years[0], months[0], days[0])
    if weekdays and weekdays[0] != result.weekday():
        raise _InvalidValueError(
            f"falls on a {_WEEKDAY_NAMES[result.weekday()]}, not a "
            f"{_WEEKDAY_NAMES[weekdays[0]]} — confirm the date with the caller"
        )
    return result


def _make_date(year: int, month: int, day: int) -> date:
    _check_year(year)
    try:
        return date(year, month, day)
    except ValueError:
        raise _InvalidValueError(f"is not a real date — give {_EXPECTED['date']}") from None


def _check_year(year: int) -> None:
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        raise _InvalidValueError(
            f"is outside the years Salesforce stores ({_MIN_YEAR}-{_MAX_YEAR})"
        )


def _datetime(value: Any, ctx: _Context) -> str:
    if isinstance(value, datetime):
        _check_year(value.year)
        moment = value if value.tzinfo else _localize(value, ctx.tz)
    elif isinstance(value, date):
        raise _InvalidValueError(f"has no time — give {_EXPECTED['datetime']}")
    elif isinstance(value, str):
        moment = _parse_datetime(value.strip(), ctx)
    else:
        raise _InvalidValueError(f"is not a date and time — give {_EXPECTED['datetime']}")
    moment = moment.astimezone(UTC)
    _check_year(moment.year)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


def _parse_datetime(text: str, ctx: _Context) -> datetime:
    if _ISO_DATETIME.fullmatch(text):
        return _iso_datetime(text, ctx.tz)
    lowered = text.lower()
    match = _TRAILING_TIME.search(lowered)
    if match is not None:
        date_text = lowered[: match.start()].rstrip(" ,")
    else:
        match = _LEADING_TIME.match(lowered)
        date_text = lowered[match.end() :].strip(" ,") if match else ""
    if match is not None and not date_text:
        raise _InvalidValueError(f"has no date — give {_EXPECTED['datetime']}")
    if match is None:
        try:
            _parse_date(lowered, ctx)
        except _InvalidValueError:
            raise _InvalidValueError(
                f"is not a date and time — give {_EXPECTED['datetime']}"
            ) from None
        raise _InvalidValueError(f"has no time — ask for the time and give {_EXPECTED['datetime']}")
    day = _parse_date(date_text, ctx)
    return _localize(datetime.combine(day, _clock(match)), ctx.tz)


def _iso_datetime(text: str, tz: ZoneInfo) -> datetime:
    try:
        moment = datetime.fromisoformat(text.upper())
    except ValueError:
        raise _InvalidValueError(
            f"is not a real date and time — give {_EXPECTED['datetime']}"
        ) from None
    _check_year(moment.year)
    return moment if moment.tzinfo else _localize(moment, tz)


def _localize(naive: datetime, tz: ZoneInfo) -> datetime:
    """``naive`` as wall-clock time in ``tz``; a time the clocks skip is refused.

    A repeated time (clocks going back) takes its first occurrence (``fold=0``).
    """
    aware = naive.replace(tzinfo=tz, fold=0)
    if aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != naive.replace(fold=0):
        raise _InvalidValueError(
            f"does not exist in {tz.key}: the clocks skip that hour — confirm the time"
        )
    return aware


def _clock(match: re.Match[str]) -> time:
    """The time of day a `_TIME_TEXT` match names."""
    if match["word"]:
        return time(12) if match["word"] == "noon" else time(0)
    if match["h2"]:
        hour, minute, second, fraction, ampm = int(match["h2"]), 0, 0, "", match["ap2"]
    else:
        hour, minute = int(match["h"]), int(match["m"])
        second, fraction, ampm = int(match["s"] or 0), match["f"] or "", match["ap"]
    if ampm:
        if not 1 <= hour <= 12:
            raise _InvalidValueError(f"is not a real time — give {_EXPECTED['time']}")
        hour = hour % 12 + (12 if ampm == "p" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise _InvalidValueError(f"is not a real time — give {_EXPECTED['time']}")
    return time(hour, minute, second, int(fraction[:6].ljust(6, "0")))


def _time_value(value: Any) -> str:
    if isinstance(value, time):
        clock = value
    elif isinstance(value, str) and (match := _TIME.fullmatch(value.strip().lower())):
        clock = _clock(match)
    else:
        raise _InvalidValueError(f"is not a time — give {_EXPECTED['time']}")
    return f"{clock:%H:%M:%S}.{clock.microsecond // 1000:03d}Z"
