"""One field value, checked and converted to Salesforce's wire form, per field type.

A value goes through two steps:

1. **Reading** (:func:`from_json` or :func:`from_text`) — what Salesforce's request parser does.
   JSON bodies are read the way Salesforce's Jackson-based parser reads them: a wrong JSON
   type, or a string that cannot become the field's type, is a ``JSON_PARSER_ERROR``
   ("Cannot deserialize instance of boolean from VALUE_STRING value yes or request may be
   missing a required field at [line:1, column:25]"; objects and arrays: "… from START_ARRAY
   value [line:1, column:51]"). Text values (Bulk API CSV cells, external ids in a URL) that
   cannot become the field's type are ``INVALID_TYPE_ON_FIELD_IN_RECORD`` ("<Label>: value not
   of required type: <v>"), as Bulk API results report them.
2. **Checking** (:func:`finish`) — what the save does with a well-typed value: text length
   (``STRING_TOO_LONG``), e-mail syntax (``INVALID_EMAIL_ADDRESS``), restricted picklists
   (``INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST``), number precision (``NUMBER_OUTSIDE_VALID_RANGE``;
   extra decimals are rounded half-up to the field's scale, as Salesforce does) and id syntax
   (``MALFORMED_ID``). Messages name the field **label**; ``fields`` names the API name.

Coercions JSON accepts (decided from recordings and client reports; strict where unsure):
numbers as numeric strings (``"NumberOfEmployees": "10000"`` is in a real recording); booleans
as ``"true"``/``"false"`` (any case: Jackson's textual booleans); numbers and booleans for text
fields (rendered as text); ``""`` clears number, date, datetime, time and reference fields and
is stored as null for text (Salesforce never stores empty strings). Rejected: numbers for
booleans, non-finite numbers, dates not ``YYYY-MM-DD``, datetimes without a time part.
Datetimes are stored in UTC as ``YYYY-MM-DDTHH:MM:SS.000+0000`` (Salesforce keeps seconds).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from emulator.errors import SalesforceError, json_parser_error
from emulator.ids import normalize
from emulator.schema import NUMBER_TYPES, TEXT_TYPES, FieldSchema

#: Returns where a JSON value sits, ``[line:L, column:C]``; only called when reporting an error.
Locator = Callable[[], str]

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?"
    r"(Z|[+-]\d{2}:?\d{2})?"
)
_TIME = re.compile(r"(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?Z?")
_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+"
)
_JSON_TRUE = frozenset({"true", "True", "TRUE"})
_JSON_FALSE = frozenset({"false", "False", "FALSE"})
_TEXT_TRUE = frozenset({"true", "1"})
_TEXT_FALSE = frozenset({"false", "0"})
_INT32 = 2**31
_MAX_MAGNITUDE = 40  # decimal exponent beyond any field's precision (max 18)
_CLEARED_BY_EMPTY = frozenset(
    {"int", "double", "currency", "percent", "date", "datetime", "time", "reference", "id"}
)
DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S.000+0000"


# --- errors -------------------------------------------------------------------------------


def cannot_deserialize(type_name: str, value: Any, locate: Locator) -> SalesforceError:
    """Salesforce's JSON_PARSER_ERROR for a JSON value of the wrong kind."""
    if isinstance(value, dict | list):
        token = "START_OBJECT" if isinstance(value, dict) else "START_ARRAY"
        return json_parser_error(
            f"Cannot deserialize instance of {type_name} from {token} value {locate()}"
        )
    if isinstance(value, bool):
        token, text = ("VALUE_TRUE", "true") if value else ("VALUE_FALSE", "false")
    elif isinstance(value, int):
        token, text = "VALUE_NUMBER_INT", str(value)
    elif isinstance(value, float):
        token, text = "VALUE_NUMBER_FLOAT", repr(value)
    else:
        token, text = "VALUE_STRING", str(value)
    return json_parser_error(
        f"Cannot deserialize instance of {type_name} from {token} value {text} "
        f"or request may be missing a required field at {locate()}"
    )


def not_of_type(field: FieldSchema, value: Any) -> SalesforceError:
    """INVALID_TYPE_ON_FIELD_IN_RECORD: a value that cannot become the field's type."""
    return SalesforceError(
        400,
        "INVALID_TYPE_ON_FIELD_IN_RECORD",
        f"{field.label}: value not of required type: {value}",
        [field.name],
    )


def malformed_id(field: FieldSchema, value: Any) -> SalesforceError:
    """MALFORMED_ID: a value that is not a 15/18-character id."""
    return SalesforceError(
        400, "MALFORMED_ID", f"{field.label}: id value of incorrect type: {value}", [field.name]
    )


# --- reading ------------------------------------------------------------------------------


def from_json(field: FieldSchema, value: Any, locate: Locator) -> Any:
    """A non-null JSON value read as ``field``'s type (see the module docstring)."""
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


# --- checking -----------------------------------------------------------------------------


def finish(field: FieldSchema, value: Any) -> Any:
    """The stored form of a read, non-null value, after the save-time checks."""
    kind = field.type
    if kind in TEXT_TYPES:
        return _text(field, value)
    if kind in NUMBER_TYPES:
        return _number(field, value)
    if kind in ("id", "reference"):
        id18 = normalize(value)
        if id18 is None:
            raise malformed_id(field, value)
        return id18
    return value


def _text(field: FieldSchema, value: str) -> str | None:
    if value == "":
        return None
    if field.length and len(value) > field.length:
        raise SalesforceError(
            400,
            "STRING_TOO_LONG",
            f"{field.label}: data value too large: {value} (max length={field.length})",
            [field.name],
        )
    if field.type == "email" and not _EMAIL.fullmatch(value):
        raise SalesforceError(
            400,
            "INVALID_EMAIL_ADDRESS",
            f"{field.label}: invalid email address: {value}",
            [field.name],
        )
    if field.restricted_picklist and field.picklist_values:
        chosen: Sequence[str] = value.split(";") if field.type == "multipicklist" else [value]
        if any(item not in field.picklist_values for item in chosen):
            raise SalesforceError(
                400,
                "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                f"{field.label}: bad value for restricted picklist field: {value}",
                [field.name],
            )
    return value


def _number(field: FieldSchema, value: Decimal) -> int | float:
    def outside() -> SalesforceError:
        return SalesforceError(
            400,
            "NUMBER_OUTSIDE_VALID_RANGE",
            f"{field.label}: value outside of valid range on numeric field: {value}",
            [field.name],
        )

    if value.adjusted() >= _MAX_MAGNITUDE:
        raise outside()  # before int(): 1e999999999 would build a gigantic integer
    try:
        if field.type == "int":
            if value != value.to_integral_value():
                raise not_of_type(field, value)
            whole = int(value)
            limit = 10**field.digits if field.digits else _INT32
            if not -limit < whole < limit or not -_INT32 <= whole < _INT32:
                raise outside()
            return whole
        scale = field.scale
        rounded = value.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        # quantize refuses results with more digits than the context allows: far out of range.
        raise outside() from None
    if field.precision and abs(rounded) >= Decimal(10) ** (field.precision - scale):
        raise outside()
    return int(rounded) if scale == 0 else float(rounded)


# --- where a value sits in the request text ----------------------------------------------


def json_location(raw: bytes | str, path: Sequence[str | int]) -> str:
    """``[line:L, column:C]`` just after the start of the value at ``path`` in ``raw``.

    Only called on the error path, so it re-scans the text instead of keeping positions for
    every request. Falls back to ``[line:1, column:1]`` when the path is not found.
    """
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    try:
        pos = _find(text, path)
    except (ValueError, IndexError):
        pos = None
    if pos is None:
        return "[line:1, column:1]"
    line = text.count("\n", 0, pos) + 1
    column = pos - (text.rfind("\n", 0, pos) + 1) + 2
    return f"[line:{line}, column:{column}]"


_DECODER = json.JSONDecoder()
_WS = re.compile(r"\s*")


def _skip(text: str, pos: int) -> int:
    match = _WS.match(text, pos)
    return match.end() if match else pos


def _find(text: str, path: Sequence[str | int]) -> int | None:
    pos = _skip(text, 0)
    for step in path:
        if isinstance(step, str):
            if text[pos] != "{":
                return None
            pos = _skip(text, pos + 1)
            while text[pos] != "}":
                key, pos = _DECODER.raw_decode(text, pos)
                pos = _skip(text, pos)
                pos = _skip(text, pos + 1)  # the colon
                if key == step:
                    break
                _, pos = _DECODER.raw_decode(text, pos)
                pos = _skip(text, pos)
                if text[pos] == ",":
                    pos = _skip(text, pos + 1)
            else:
                return None
        else:
            if text[pos] != "[":
                return None
            pos = _skip(text, pos + 1)
            for _ in range(step):
                _, pos = _DECODER.raw_decode(text, pos)
                pos = _skip(text, pos)
                if text[pos] != ",":
                    return None
                pos = _skip(text, pos + 1)
    return pos
