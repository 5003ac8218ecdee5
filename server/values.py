"""Coercion of spoken and transcribed values to Salesforce field types.

`coerce_record` turns an agent's ``data`` into the JSON body Salesforce expects: canonical API
field names, Salesforce wire formats. Everything wrong is collected into one
`ValueCoercionError` whose text has one sentence per problem, naming the field, what was given
and the expected form with an example, so an agent can fix it or ask the caller.

The rules (these are the documented behaviour; tests/test_values.py checks each):

- Field names match case-insensitively and come out in canonical case; ``attributes`` is
  ignored; an unknown name gets "did you mean …?". ``Id`` never goes in data (the id of an
  update is its own argument; upsert identifies by ``external_id_field``, which may be ``Id``).
- create refuses non-createable fields, update non-updateable ones, upsert fields that are
  neither. A compound field (Contact Name, BillingAddress) is refused with its components.
- create reports missing required fields (not nillable, no default, not boolean) in one
  problem; upsert leaves that to Salesforce (it may be an update); update only refuses clearing
  a required field.
- ``None``, ``""`` or only whitespace means "empty": sent as ``null`` for a nillable field,
  refused otherwise. Lists and objects are refused for single-value fields. Text for a parsed
  type (number, date, phone, email, id…) longer than 255 characters is refused unparsed.
- Text (string, url, encryptedstring): numbers become text, leading and trailing whitespace is
  trimmed; textarea keeps whitespace. Control characters other than tab, CR and LF are refused.
  Length is counted as Salesforce counts it (UTF-16 code units, so an emoji counts 2). Values are
  stored as given: "{{ 7*7 }}" is text, never a template.
- boolean: true/false, yes/no, y/n, on/off, 1/0 (any case), and the integers 0 and 1.
- int/long/double/currency/percent: JSON numbers or text with "." as decimal point and optional
  groups of three digits separated by "," or spaces ("1,250.50", "1 250"); currency may carry a
  currency symbol ($ € £ ¥, dropped: amounts are stored in the record's currency, never
  converted), percent a "%" or "percent" ("12%" is 12). Number words ("twelve") are not parsed.
  NaN, infinity and booleans are refused. int/long must be whole and within the field's digits
  (and 32 bits for int). double/currency/percent are rounded half-up to the field's scale, as
  Salesforce rounds on save, and refused past its precision.
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
- email: trimmed; one @; local part as RFC 5322 dot-atom (no quoted forms), at most 64
  characters; domain of letter-digit-hyphen labels with a letter TLD, lower-cased, an
  internationalised domain converted to its ASCII (punycode) form. Spoken forms ("ana at example
  dot com") are refused with the written form suggested, for the agent to confirm.
- phone: digits with spaces ( ) . - / and an extension ("x12", "ext. 12", "extension 12",
  written back as " ext. 12"). A number starting with + becomes E.164 ("+1 (415) 555-0100" →
  "+14155550100", "+44 (0)20 …" drops the "(0)"); other numbers are kept as written (spaces
  collapsed): the country is not guessed. Letters, fewer than 3 digits, or an E.164 number
  outside 7-15 digits are refused.
- picklist: matched to an active value or label ignoring case and extra spaces, sent as the API
  value; an unknown value is refused on a restricted picklist (listing allowed values) and sent
  as given on an unrestricted one. combobox: the same, never restricted. multipicklist: a list
  or "a;b", each matched, duplicates dropped, joined with ";".
- reference and id: 15 or 18 letters and digits; the 18-character checksum is verified; the
  18-character form is sent. With ``key_prefixes`` (object name → key prefix), an id whose prefix
  is another object's is refused ("an Account id, but the field takes a Contact or Lead id"); an
  unknown prefix passes unless every target object's prefix is known.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType
from typing import Any, Literal, NamedTuple
from zoneinfo import ZoneInfo

from server.fields import FieldInfo, ObjectInfo

__all__ = [
    "DateOrder",
    "FieldProblem",
    "Operation",
    "ValueCoercionError",
    "coerce_record",
    "coerce_value",
    "parse_id",
]

Operation = Literal["create", "update", "upsert"]
DateOrder = Literal["MDY", "DMY"]

# --- constants --------------------------------------------------------------------------------

_SHOWN_MAX = 60
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_ESCAPES = MappingProxyType({c: repr(chr(c))[1:-1] for c in (*range(0x20), *range(0x7F, 0xA0))})
_TEXT_TYPES = frozenset({"string", "url", "encryptedstring", "anyType"})
#: Types whose text is parsed (dates, numbers, phones…): longer input is refused before any
#: regular expression sees it, so a hostile value cannot make matching slow.
_PARSED_MAX_CHARS = 255
_UNPARSED_TYPES = _TEXT_TYPES | {"textarea", "picklist", "combobox", "multipicklist"}
_INT32 = 2**31
_MIN_YEAR, _MAX_YEAR = 1700, 4000

_BOOLEANS = MappingProxyType(
    {"true": True, "yes": True, "y": True, "on": True, "1": True}
    | {"false": False, "no": False, "n": False, "off": False, "0": False}
)

_NUMBER = re.compile(
    r"(?P<sign>[+-]?)\s*"
    r"(?P<int>\d{1,3}(?:,\d{3})+|\d{1,3}(?:[\x20\u00a0\u202f]\d{3})+|\d*)"
    r"(?:\.(?P<frac>\d*))?"
)
_CURRENCY_LEAD = re.compile(r"^([+-]?)\s*[$€£¥]\s*")
_CURRENCY_TRAIL = re.compile(r"\s*[$€£¥]$")
_PERCENT_TRAIL = re.compile(r"\s*(?:%|percent|per\s+cent)$", re.IGNORECASE)
_NUMBER_MAX_CHARS = 40

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

_EMAIL_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
# Letter-digit-hyphen labels of at most 63 characters, and a top-level domain of letters
# (or its punycode form).
_DOMAIN = re.compile(
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})"
)
_WHITESPACE = re.compile(r"\s")
_SPOKEN_AT = re.compile(r"\s+at\s+", re.IGNORECASE)
_SPOKEN_DOT = re.compile(r"\s*\bdot\b\s*", re.IGNORECASE)

_PHONE_EXTENSION = re.compile(r"(?:ext\.?|extension|x|#)\s*(\d{1,10})$", re.IGNORECASE)
_PHONE_MAIN = re.compile(r"\+?[\d\s().\-/]+")
_NOT_DIGIT = re.compile(r"\D")
_HAS_LETTER = re.compile(r"[^\W\d_]")

_ID = re.compile(r"[0-9A-Za-z]{15}(?:[0-9A-Za-z]{3})?")
_CHECKSUM_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_PICKLIST_LISTED = 10
_REFERENCE_TARGETS_LISTED = 5

_EXPECTED = MappingProxyType(
    {
        "boolean": "true or false (yes/no, y/n, on/off and 1/0 also work)",
        "int": "a whole number, e.g. 250",
        "long": "a whole number, e.g. 250",
        "double": "a number, e.g. 1250.5",
        "currency": "an amount, e.g. 1250.50",
        "percent": "a percentage, e.g. 12.5",
        "date": "a date, e.g. 2026-03-05 or March 5, 2026",
        "datetime": "a date and time, e.g. 2026-03-05T14:30:00Z or March 5, 2026 2:30 PM",
        "time": "a time, e.g. 14:30 or 2:30 PM",
        "email": "an email address, e.g. ana@example.com",
        "phone": "a phone number, e.g. +14155550100 or (415) 555-0100",
        "reference": "a record id (15 or 18 letters and digits) taken from a query result",
        "id": "a record id (15 or 18 letters and digits) taken from a query result",
        "multipicklist": "values separated by ';', e.g. A;B",
    }
)


# --- public types -----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class FieldProblem:
    """One thing wrong with the data: the field's API name and a sentence saying what to do."""

    field: str
    message: str

    def __str__(self) -> str:
        return self.message


class ValueCoercionError(ValueError):
    """Values that cannot be sent as they are; ``problems`` lists every one, in data order."""

    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        self.problems: list[FieldProblem] = list(problems)
        self.message = "\n".join(problem.message for problem in self.problems)
        super().__init__(self.message)


class _InvalidValueError(Exception):
    """A value that cannot be coerced; ``text`` follows the quoted value in the message."""

    def __init__(self, text: str, *, show_value: bool = True) -> None:
        super().__init__(text)
        self.text = text
        self.show_value = show_value


class _Context(NamedTuple):
    """The settings one coercion runs with (a tuple: cheap to build once per record)."""

    tz: ZoneInfo
    date_order: DateOrder
    key_prefixes: Mapping[str, str] | None
    now: datetime | None

    def today(self) -> date:
        now = self.now or datetime.now(self.tz)
        if now.tzinfo is None:
            return now.date()
        return now.astimezone(self.tz).date()


def _context(
    tz: ZoneInfo,
    date_order: DateOrder,
    key_prefixes: Mapping[str, str] | None,
    now: datetime | None,
) -> _Context:
    # A wrong date_order is the caller's bug, not the agent's: a plain ValueError.
    if date_order not in ("MDY", "DMY"):
        raise ValueError(f"date_order must be 'MDY' or 'DMY', not {date_order!r}")
    return _Context(tz, date_order, key_prefixes, now)


# --- entry points -----------------------------------------------------------------------------


def coerce_record(
    obj: ObjectInfo,
    data: Mapping[str, Any],
    *,
    operation: Operation,
    tz: ZoneInfo,
    date_order: DateOrder = "MDY",
    external_id_field: str | None = None,
    key_prefixes: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The JSON body for ``operation`` on ``obj``, or `ValueCoercionError` listing every problem.

    For an upsert, ``external_id_field`` names the field whose value (in ``data``) identifies
    the record; it is checked and coerced like the others and stays in the result (other
    operations ignore it). ``now``
    (default: the clock) anchors "today" and "tomorrow"; ``key_prefixes`` enables the check
    that a reference id points at the right kind of object.
    """
    if not isinstance(data, Mapping):
        raise ValueCoercionError(
            [FieldProblem("data", 'data must be an object of fields, e.g. {"LastName": "Smith"}')]
        )
    ctx = _context(tz, date_order, key_prefixes, now)
    problems: list[FieldProblem] = []
    out: dict[str, Any] = {}
    seen: set[str] = set()
    key_field = (
        _external_id_field(obj, external_id_field, problems) if operation == "upsert" else None
    )
    if operation in ("create", "upsert") and not obj.createable:
        problems.append(FieldProblem(obj.name, f"{obj.name} records cannot be created"))
    if operation in ("update", "upsert") and not obj.updateable:
        problems.append(FieldProblem(obj.name, f"{obj.name} records cannot be updated"))
    for key, value in data.items():
        if key == "attributes":
            continue
        field = obj.field(key) if isinstance(key, str) else None
        if field is None:
            problems.append(_unknown_field(obj, key))
            continue
        if field.name in seen:
            problems.append(FieldProblem(field.name, f"{_ref(field)} is given twice; give it once"))
            continue
        seen.add(field.name)
        refusal = _refusal(obj, field, operation, key_field)
        if refusal is not None:
            problems.append(FieldProblem(field.name, refusal))
            continue
        try:
            out[field.name] = _coerce(field, value, ctx, operation)
        except _InvalidValueError as invalid:
            problems.append(_problem(field, value, invalid))
    if operation == "create":
        missing = [f for f in obj.required_fields() if f.name not in seen]
        if missing:
            names = ", ".join(_ref(f) for f in missing)
            problems.append(
                FieldProblem(
                    ", ".join(f.name for f in missing),
                    f"Missing required fields: {names} — ask the caller for them",
                )
            )
    if key_field is not None and (
        key_field.name not in seen or (key_field.name in out and out[key_field.name] is None)
    ):
        problems.append(
            FieldProblem(
                key_field.name,
                f"{_ref(key_field)} must have a value in data: it says which record to update "
                f"or create",
            )
        )
    if problems:
        raise ValueCoercionError(problems)
    return out


def coerce_value(
    field: FieldInfo,
    value: Any,
    *,
    tz: ZoneInfo,
    date_order: DateOrder = "MDY",
    key_prefixes: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> Any:
    """One value in ``field``'s wire format (``None`` for empty), or `ValueCoercionError`.

    Permissions are not checked here: that depends on the operation (see `coerce_record`).
    """
    try:
        return _coerce(field, value, _context(tz, date_order, key_prefixes, now), None)
    except _InvalidValueError as invalid:
        raise ValueCoercionError([_problem(field, value, invalid)]) from None


def parse_id(value: Any, *, field: str = "Id") -> str:
    """The 18-character form of a 15- or 18-character record id, or `ValueCoercionError`."""
    try:
        return _id18(value)
    except _InvalidValueError as invalid:
        message = f"{field}: {_shown(value)} {invalid.text}"
        raise ValueCoercionError([FieldProblem(field, message)]) from None


# --- record-level checks ----------------------------------------------------------------------


def _external_id_field(
    obj: ObjectInfo, name: str | None, problems: list[FieldProblem]
) -> FieldInfo | None:
    if name is None:
        return None
    field = obj.field(name)
    if field is not None and (field.external_id or field.id_lookup):
        return field
    if field is None:
        what = f"{obj.name} has no field {_shown(name)}"
    else:
        what = f"{_ref(field)} is not an external id field of {obj.name}"
    usable = ", ".join(f.name for f in obj.fields if f.external_id or f.id_lookup)
    problems.append(FieldProblem(name, f"{what} — upsert by one of: {usable or 'Id'}"))
    return None


def _unknown_field(obj: ObjectInfo, key: object) -> FieldProblem:
    if not isinstance(key, str):
        return FieldProblem(str(key), f"Field names must be text, not {_shown(key)}")
    for f in obj.fields:
        if f.relationship_name and f.relationship_name.lower() == key.lower():
            return FieldProblem(
                key,
                f"{key} is a relationship; set {f.name} to the related record's id instead",
            )
    hint = _or(obj.suggest(key))
    advice = f"did you mean {hint}?" if hint else "describe_object lists its fields"
    return FieldProblem(key, f"{obj.name} has no field {_shown(key)} — {advice}")


def _refusal(
    obj: ObjectInfo, field: FieldInfo, operation: Operation, key_field: FieldInfo | None
) -> str | None:
    """Why ``field`` cannot be written by ``operation``, or None when it can."""
    if field.type == "id":
        if field is key_field:
            return None
        if operation == "update":
            return "Id goes in the separate id argument, not in data"
        if operation == "upsert":
            return "Id cannot be in data for an upsert by another field; leave it out"
        return "Id cannot be set when creating a record; Salesforce assigns it"
    if operation == "create":
        allowed = field.createable
    elif operation == "update":
        allowed = field.updateable
    else:
        allowed = field.createable or field.updateable
    if allowed:
        return None
    parts = _components(obj, field)
    if parts:
        names = _and([f.name for f in parts])
        return f"{field.name} on {obj.name} is computed by Salesforce; set {names} instead"
    if field.calculated:
        return f"{_ref(field)} is a formula field computed by Salesforce; it cannot be set"
    if not field.createable and not field.updateable:
        return f"{_ref(field)} is read-only; Salesforce sets it"
    if operation == "create":
        return f"{_ref(field)} cannot be set when creating a record"
    return f"{_ref(field)} cannot be changed after the record is created"


def _components(obj: ObjectInfo, field: FieldInfo) -> list[FieldInfo]:
    """The settable parts of a compound field: street…country of an address, names of a Name."""
    kinds = {"address": ("string", "textarea"), "location": ("double",)}.get(
        field.type, ("string",)
    )
    parts = [f for f in obj.components(field.name) if f.type in kinds and f.createable]
    # People say the first name first.
    return sorted(parts, key=lambda f: not f.name.startswith("First"))


# --- values -----------------------------------------------------------------------------------


def _coerce(field: FieldInfo, value: Any, ctx: _Context, operation: Operation | None) -> Any:
    kind = field.type
    if kind in ("address", "location"):
        raise _InvalidValueError(
            f"is a compound {kind} field; set its component fields instead "
            f"(e.g. BillingStreet, BillingCity for BillingAddress)",
            show_value=False,
        )
    if isinstance(value, str):
        if not value.strip():
            _check_empty(field, operation)
            return None
        if len(value) > _PARSED_MAX_CHARS and kind not in _UNPARSED_TYPES:
            raise _InvalidValueError(
                f"is {len(value)} characters, too long — give {_expected(field)}"
            )
    elif value is None:
        _check_empty(field, operation)
        return None
    elif isinstance(value, Mapping | set | frozenset) or (
        isinstance(value, list | tuple) and kind != "multipicklist"
    ):
        raise _InvalidValueError(f"is not a single value — give {_expected(field)}")
    if kind in _TEXT_TYPES:
        return _text(field, value, trim=True)
    match kind:
        case "textarea":
            return _text(field, value, trim=False)
        case "email":
            return _email(field, value)
        case "phone":
            return _phone(field, value)
        case "picklist":
            return _picklist(field, value, restricted=field.restricted_picklist)
        case "combobox":
            return _picklist(field, value, restricted=False)
        case "multipicklist":
            return _multipicklist(field, value)
        case "boolean":
            return _boolean(value)
        case "int" | "long":
            return _integer(field, value)
        case "double" | "currency" | "percent":
            return _decimal(field, value)
        case "date":
            return _date(value, ctx)
        case "datetime":
            return _datetime(value, ctx)
        case "time":
            return _time_value(value)
        case "reference" | "id":
            return _reference(field, value, ctx)
    raise _InvalidValueError(f"has type {kind}, which callforce cannot set", show_value=False)


def _check_empty(field: FieldInfo, operation: Operation | None) -> None:
    """Refuse emptying ``field`` unless Salesforce lets it be null."""
    if field.nillable:
        return
    if field.type == "boolean":
        raise _InvalidValueError("must be true or false; it cannot be empty", show_value=False)
    if operation == "update":
        raise _InvalidValueError("is required and cannot be cleared", show_value=False)
    raise _InvalidValueError(
        f"is required and cannot be empty — give {_expected(field)}", show_value=False
    )


def _text(field: FieldInfo, value: Any, *, trim: bool) -> str:
    text = _as_text(value, trim=trim)
    _check_length(field, text)
    return text


def _as_text(value: Any, *, trim: bool) -> str:
    """A string or number as text, without control characters other than tab, CR and LF."""
    if isinstance(value, str):
        text = value.strip() if trim else value
    elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        text = _plain_number(value)
    else:
        raise _InvalidValueError("is not text — give the text to store")
    if _CONTROL.search(text):
        raise _InvalidValueError(
            "contains control characters — remove them (line breaks and tabs are fine)"
        )
    return text


def _plain_number(value: float | Decimal) -> str:
    if isinstance(value, int):
        return str(value)
    number = Decimal(repr(value)) if isinstance(value, float) else value
    if not number.is_finite():
        raise _InvalidValueError("is not a finite number")
    return format(number.normalize(), "f")


def _check_length(field: FieldInfo, text: str) -> None:
    # Salesforce counts UTF-16 code units (Java string length): an emoji takes two.
    size = len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2
    if field.length and size > field.length:
        raise _InvalidValueError(f"is {size} characters; the limit is {field.length} — shorten it")


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        answer = _BOOLEANS.get(value.strip().lower())
        if answer is not None:
            return answer
    raise _InvalidValueError(f"is not true or false — give {_EXPECTED['boolean']}")


# --- numbers ----------------------------------------------------------------------------------


def _number(field: FieldInfo, value: Any) -> Decimal:
    """The exact decimal value of a JSON number or of number text (see the module docstring)."""
    if isinstance(value, bool):
        raise _InvalidValueError(f"is not a number — give {_expected(field)}")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float | Decimal):
        if (isinstance(value, float) and not math.isfinite(value)) or (
            isinstance(value, Decimal) and not value.is_finite()
        ):
            raise _InvalidValueError(f"is not a finite number — give {_expected(field)}")
        return Decimal(repr(value)) if isinstance(value, float) else value
    if not isinstance(value, str):
        raise _InvalidValueError(f"is not a number — give {_expected(field)}")
    text = value.strip().replace("\u2212", "-")
    if len(text) > _NUMBER_MAX_CHARS:
        raise _InvalidValueError(f"is too long to be a number — give {_expected(field)}")
    if field.type == "currency":
        text = _CURRENCY_TRAIL.sub("", _CURRENCY_LEAD.sub(r"\1", text))
    elif field.type == "percent":
        text = _PERCENT_TRAIL.sub("", text)
    match = _NUMBER.fullmatch(text)
    if match is None or not (match["int"] or match["frac"]):
        raise _InvalidValueError(
            f"is not a number — give {_expected(field)} "
            f"(digits, '.' for decimals, ',' only between groups of three)"
        )
    digits = _NOT_DIGIT.sub("", match["int"]) or "0"
    return Decimal(f"{match['sign']}{digits}.{match['frac'] or '0'}")


def _integer(field: FieldInfo, value: Any) -> int:
    number = _number(field, value)
    if number != number.to_integral_value():
        raise _InvalidValueError(f"is not a whole number — give {_expected(field)}")
    result = int(number)
    digits = field.digits or (9 if field.type == "int" else 18)
    if abs(result) >= 10**digits or (field.type == "int" and not -_INT32 <= result < _INT32):
        raise _InvalidValueError(f"is too large — the field holds at most {digits} digits")
    return result


def _decimal(field: FieldInfo, value: Any) -> int | float:
    number = _number(field, value)
    if field.precision:
        whole_digits = field.precision - field.scale
        too_large = _InvalidValueError(
            f"is too large — the field holds at most {whole_digits} digits before the decimal point"
        )
        if number and number.adjusted() >= whole_digits:
            raise too_large
        number = number.quantize(Decimal(1).scaleb(-field.scale), rounding=ROUND_HALF_UP)
        if number and number.adjusted() >= whole_digits:
            raise too_large
    # JSON has no decimal type: a whole number goes as an exact int, others as a float.
    if number == number.to_integral_value():
        return int(number)
    return float(number)


# --- dates and times --------------------------------------------------------------------------


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


# --- email and phone --------------------------------------------------------------------------


def _email(field: FieldInfo, value: Any) -> str:
    if not isinstance(value, str):
        raise _InvalidValueError(f"is not an email address — give {_EXPECTED['email']}")
    text = value.strip()
    if "@" not in text and _SPOKEN_AT.search(text):
        written = _SPOKEN_DOT.sub(".", _SPOKEN_AT.sub("@", text)).replace(" ", "")
        try:
            guess = _valid_email(written)
        except _InvalidValueError:
            pass
        else:
            raise _InvalidValueError(
                f"is spoken, not written — did you mean {guess}? Confirm the spelling with "
                f"the caller and send it written"
            )
    address = _valid_email(text)
    _check_length(field, address)
    return address


def _valid_email(text: str) -> str:
    """``text`` with its domain lower-cased and in ASCII; else what is wrong, as an error."""
    local, at, domain = text.rpartition("@")
    if local and len(local) <= 64 and _EMAIL_LOCAL.fullmatch(local):
        ascii_domain = _ascii_domain(domain)
        if ascii_domain is not None:
            return f"{local}@{ascii_domain}"
    if not at or not local or not domain:
        reason = "it has no @"
    elif _WHITESPACE.search(text):
        reason = "it contains a space"
    elif "@" in local:
        reason = "it has more than one @"
    elif len(local) > 64 or not _EMAIL_LOCAL.fullmatch(local):
        reason = "the part before the @ has characters an address cannot have"
    else:
        reason = "the part after the @ is not a domain name"
    raise _InvalidValueError(
        f"is not a valid email address ({reason}) — ask the caller to spell it, "
        f"e.g. ana@example.com"
    )


def _ascii_domain(domain: str) -> str | None:
    domain = domain.lower()
    if not domain.isascii():
        try:
            # Internationalised domains travel as punycode (IDNA 2003, the stdlib codec).
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    if len(domain) > 253 or not _DOMAIN.fullmatch(domain):
        return None
    return domain


def _phone(field: FieldInfo, value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise _InvalidValueError(f"is not a phone number — give {_EXPECTED['phone']}")
    text = value.strip()
    extension = ""
    if match := _PHONE_EXTENSION.search(text):
        text, extension = text[: match.start()].rstrip(" \t,;"), match[1]
    if not _PHONE_MAIN.fullmatch(text):
        if _HAS_LETTER.search(text):
            raise _InvalidValueError(
                "contains letters — give the number as digits (spell out a vanity number), "
                "e.g. +14155550100"
            )
        raise _InvalidValueError(f"is not a phone number — give {_EXPECTED['phone']}")
    if text.startswith("+"):
        # "+44 (0)20 …": the (0) is the national trunk prefix, not part of the E.164 number.
        digits = _NOT_DIGIT.sub("", text.replace("(0)", ""))
        if not 7 <= len(digits) <= 15:
            raise _InvalidValueError(
                "is not a valid international number: after the + come the country code and "
                "number, 7 to 15 digits, e.g. +14155550100"
            )
        number = f"+{digits}"
    else:
        if len(_NOT_DIGIT.sub("", text)) < 3:
            raise _InvalidValueError(f"has too few digits — give {_EXPECTED['phone']}")
        number = " ".join(text.split())
    if extension:
        number = f"{number} ext. {extension}"
    _check_length(field, number)
    return number


# --- picklists and references -----------------------------------------------------------------


def _picklist(field: FieldInfo, value: Any, *, restricted: bool) -> str:
    if isinstance(value, bool):
        raise _InvalidValueError(f"is not one of the values — {_allowed(field, '')}")
    text = _as_text(value, trim=True)
    matched = field.picklist_value(text)
    if matched is not None:
        return matched  # a label may be longer than the field; its API value fits
    if restricted and field.picklist_values:
        raise _InvalidValueError(f"is not one of the allowed values — {_allowed(field, text)}")
    _check_length(field, text)
    return text


def _multipicklist(field: FieldInfo, value: Any) -> str | None:
    if isinstance(value, str):
        items: list[Any] = value.split(";")
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        raise _InvalidValueError(f"is not a list of values — give {_EXPECTED['multipicklist']}")
    chosen: list[str] = []
    unknown: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise _InvalidValueError(f"is not a list of values — give {_EXPECTED['multipicklist']}")
        text = _as_text(item, trim=True)
        if not text:
            continue
        matched = field.picklist_value(text)
        if matched is None and field.restricted_picklist and field.picklist_values:
            unknown.append(text)
        elif (matched or text) not in chosen:
            chosen.append(matched or text)
    if unknown:
        names = ", ".join(_shown(name) for name in unknown)
        raise _InvalidValueError(
            f"has values that are not allowed ({names}) — {_allowed(field, unknown[0])}"
        )
    if not chosen:
        _check_empty(field, None)
        return None
    joined = ";".join(chosen)
    _check_length(field, joined)
    return joined


def _allowed(field: FieldInfo, given: str) -> str:
    values = field.picklist_values
    listed = ", ".join(values[:_PICKLIST_LISTED])
    more = f" ({len(values)} values in all)" if len(values) > _PICKLIST_LISTED else ""
    folded = {value.casefold(): value for value in values}
    # difflib's cost grows with the length of what it compares: no guess for a huge value.
    close = difflib.get_close_matches(given.casefold(), folded, n=1) if len(given) < 100 else []
    guess = f"did you mean {folded[close[0]]}? " if close else ""
    return f"{guess}use one of: {listed}{more}"


def _id18(value: Any) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not _ID.fullmatch(text):
        raise _InvalidValueError(f"is not a Salesforce record id — give {_EXPECTED['id']}")
    id15 = text[:15]
    checksum = _checksum(id15)
    if len(text) == 18 and text[15:].upper() != checksum:
        raise _InvalidValueError(
            "is not a valid record id: its last 3 characters do not match the first 15, so it "
            "was probably misheard or mistyped — take the id from a query result"
        )
    return id15 + checksum


def _checksum(id15: str) -> str:
    """CONTRACT.md §11: per 5-character chunk, a bit per upper-case letter, mapped to A-Z0-5."""
    suffix = ""
    for start in (0, 5, 10):
        bits = 0
        for position, char in enumerate(id15[start : start + 5]):
            if "A" <= char <= "Z":
                bits |= 1 << position
        suffix += _CHECKSUM_ALPHABET[bits]
    return suffix


def _reference(field: FieldInfo, value: Any, ctx: _Context) -> str:
    record_id = _id18(value)
    if not ctx.key_prefixes or not field.reference_to:
        return record_id
    prefix = record_id[:3]
    actual = next((name for name, p in ctx.key_prefixes.items() if p == prefix), None)
    targets = field.reference_to
    if actual in targets:
        return record_id
    # An unknown prefix may belong to a target whose prefix we were not told: let it through.
    if actual is None and not all(name in ctx.key_prefixes for name in targets):
        return record_id
    what = f"{_article(actual)} {actual} id" if actual else "the id of another kind of record"
    wanted = list(targets[:_REFERENCE_TARGETS_LISTED])
    more = " or another related object" if len(targets) > len(wanted) else ""
    raise _InvalidValueError(
        f"is {what}, but the field takes {_article(wanted[0])} {_or(wanted)}{more} id — "
        f"take the id from a query result"
    )


# --- message helpers --------------------------------------------------------------------------


def _problem(field: FieldInfo, value: Any, invalid: _InvalidValueError) -> FieldProblem:
    if invalid.show_value:
        return FieldProblem(field.name, f"{_ref(field)}: {_shown(value)} {invalid.text}")
    return FieldProblem(field.name, f"{_ref(field)} {invalid.text}")


def _ref(field: FieldInfo) -> str:
    """How messages name a field: API name, with the label when it differs."""
    return field.name if field.label == field.name else f"{field.name} ({field.label})"


def _shown(value: Any) -> str:
    """The value as the message quotes it: control characters escaped, at most ~60 characters."""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = value if isinstance(value, str) else repr(value)
    text = text.translate(_ESCAPES)
    if len(text) > _SHOWN_MAX:
        text = text[: _SHOWN_MAX - 1] + "…"
    return f"'{text}'" if isinstance(value, str) else text


def _expected(field: FieldInfo) -> str:
    if field.type in ("picklist", "combobox") and field.picklist_values:
        return f"one of its values, e.g. {field.picklist_values[0]}"
    return _EXPECTED.get(field.type, "text")


def _article(word: str) -> str:
    return "an" if word[:1].upper() in "AEIOU" else "a"


def _and(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _or(words: Sequence[str]) -> str:
    if not words:
        return ""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"
