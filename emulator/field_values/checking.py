"""Step 2 of a field value (see :mod:`emulator.field_values`): the save-time checks of a
well-typed value, and its stored form.

Text length (``STRING_TOO_LONG``), e-mail syntax (``INVALID_EMAIL_ADDRESS``), restricted
picklists (``INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST``), number precision
(``NUMBER_OUTSIDE_VALID_RANGE``; extra decimals are rounded half-up to the field's scale, as
Salesforce does) and id syntax (``MALFORMED_ID``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from emulator.errors import SalesforceError
from emulator.field_values.value_errors import malformed_id, not_of_type
from emulator.ids import normalize
from emulator.schema import NUMBER_TYPES, TEXT_TYPES, FieldSchema

_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+"
)
_INT32 = 2**31
_MAX_MAGNITUDE = 40  # decimal exponent beyond any field's precision (max 18)


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
