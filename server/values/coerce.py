"""One value in its field's wire format: empty values, the shape of a value, and dispatch by
field type to the module that knows that type.

The rules (documented behaviour; tests/values/ checks each):

- ``None``, ``""`` or only whitespace means "empty": sent as ``null`` for a nillable field,
  refused otherwise. Lists and objects are refused for single-value fields. Text for a parsed
  type (number, date, phone, email, id…) longer than 255 characters is refused unparsed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from server.salesforce.fields import FieldInfo
from server.values.booleans import _boolean
from server.values.context import DateOrder, Operation, _Context, _context
from server.values.dates import _date, _datetime, _time_value
from server.values.emails import _email
from server.values.ids import _reference
from server.values.numbers import _decimal, _integer
from server.values.phones import _phone
from server.values.picklists import _multipicklist, _picklist
from server.values.problems import ValueCoercionError, _expected, _InvalidValueError, _problem
from server.values.text import _check_empty, _text

_TEXT_TYPES = frozenset({"string", "url", "encryptedstring", "anyType"})
#: Types whose text is parsed (dates, numbers, phones…): longer input is refused before any
#: regular expression sees it, so a hostile value cannot make matching slow.
_PARSED_MAX_CHARS = 255
_UNPARSED_TYPES = _TEXT_TYPES | {"textarea", "picklist", "combobox", "multipicklist"}


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
