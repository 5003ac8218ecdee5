"""Step 1 of a field value (see :mod:`emulator.field_values`): reading it as the field's type,
as Salesforce's request parser does.

JSON values (:func:`from_json`) follow Salesforce's Jackson-based parser: a wrong JSON type, or
a string that cannot become the field's type, is a ``JSON_PARSER_ERROR``. Text values
(:func:`from_text`: Bulk API CSV cells, external ids in a URL) that cannot become the field's
type are ``INVALID_TYPE_ON_FIELD_IN_RECORD``. Dates, datetimes and times come out in their wire
form (datetimes in UTC, :data:`DATETIME_FORMAT`); numbers as :class:`~decimal.Decimal`, for
:func:`~emulator.field_values.checking.finish` to round.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal
from typing import Any

from emulator.errors import json_parser_error
from emulator.field_values.json_location import Locator
from emulator.field_values.value_errors import cannot_deserialize, not_of_type
from emulator.schema import NUMBER_TYPES, TEXT_TYPES, FieldSchema

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?"
    r"(Z|[+-]\d{2}:?\d{2})?"
)
_TIME = re.compile(r"(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?Z?")
_JSON_TRUE = frozenset({"true", "True", "TRUE"})
_JSON_FALSE = frozenset({"false", "False", "FALSE"})
_TEXT_TRUE = frozenset({"true", "1"})
_TEXT_FALSE = frozenset({"false", "0"})
_CLEARED_BY_EMPTY = frozenset(
    {"int", "double", "currency", "percent", "date", "datetime", "time", "reference", "id"}
)
DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S.000+0000"


def from_json(field: FieldSchema, value: Any, locate: Locator) -> Any:
    """A non-null JSON value read as ``field``'s type (coercions: :mod:`emulator.field_values`)."""
    kind = field.type
    if isinstance(value, float) and not math.isfinite(value):
        # Python's json accepts NaN/Infinity; Salesforce's parser does not.
        raise json_parser_error(
            f"Non-standard token '{value}': enable JsonParser.Feature.ALLOW_NON_NUMERIC_NUMBERS "
            f"to allow at {locate()}"
        )
    if isinstance(value, dict | list):
        if kind in ("address", "location"):
            return value  # compound fields are refused later as not writable
        raise cannot_deserialize(kind, value, locate)
    if isinstance(value, str) and value == "" and kind in _CLEARED_BY_EMPTY:
        return None
    if kind in TEXT_TYPES or kind in ("id", "reference", "base64", "anyType", "encryptedstring"):
        if isinstance(value, bool):
            return "true" if value else "false"
        return value if isinstance(value, str) else str(value)
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and (value in _JSON_TRUE or value in _JSON_FALSE):
            return value in _JSON_TRUE
        raise cannot_deserialize(kind, value, locate)
    if kind in NUMBER_TYPES:
        if isinstance(value, bool):
            raise cannot_deserialize(kind, value, locate)
        if isinstance(value, int | float):
            return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if _NUMBER.fullmatch(value):
            return Decimal(value)
        raise cannot_deserialize(kind, value, locate)
    if not isinstance(value, str):
        raise cannot_deserialize(kind, value, locate)
    parsed = _parse_temporal(kind, value)
    if parsed is None:
        raise cannot_deserialize(kind, value, locate)
    return parsed


def from_text(field: FieldSchema, text: str) -> Any:
    """A text value (CSV cell, URL segment) read as ``field``'s type; ``""`` is null."""
    kind = field.type
    if text == "":
        return None
    if kind == "boolean":
        lowered = text.lower()
        if lowered in _TEXT_TRUE or lowered in _TEXT_FALSE:
            return lowered in _TEXT_TRUE
        raise not_of_type(field, text)
    if kind in NUMBER_TYPES:
        if _NUMBER.fullmatch(text.strip()):
            return Decimal(text.strip())
        raise not_of_type(field, text)
    if kind in ("date", "datetime", "time"):
        parsed = _parse_temporal(kind, text.strip())
        if parsed is None:
            raise not_of_type(field, text)
        return parsed
    return text


def _parse_temporal(kind: str, text: str) -> str | None:
    """The wire form of a date/datetime/time string, or ``None`` when it is not one."""
    if kind == "date":
        return _date(text)
    if kind == "datetime":
        return normalize_datetime(text)
    if kind == "time":
        return _time(text)
    return text


def _date(text: str) -> str | None:
    if not _DATE.fullmatch(text):
        return None
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        return None


def normalize_datetime(text: str) -> str | None:
    """An ISO 8601 datetime (``Z``, ``±HH:MM``, ``±HHMM`` or no offset = UTC; optional
    seconds and fraction) in Salesforce's wire form, in UTC; ``None`` when it is not one."""
    match = _DATETIME.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, offset = match.groups()
    try:
        tz = dt.UTC
        if offset and offset != "Z":
            sign = -1 if offset[0] == "-" else 1
            digits = offset[1:].replace(":", "")
            tz = dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
        moment = dt.datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0), tzinfo=tz
        )
    except ValueError:
        return None
    return moment.astimezone(dt.UTC).strftime(DATETIME_FORMAT)


def _time(text: str) -> str | None:
    match = _TIME.fullmatch(text)
    if match is None:
        return None
    hour, minute, second, millis = match.groups()
    if int(hour) > 23 or int(minute) > 59 or int(second or 0) > 59:
        return None
    return f"{hour}:{minute}:{second or '00'}.{(millis or '').ljust(3, '0')}Z"
