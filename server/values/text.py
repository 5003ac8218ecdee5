"""Text values, and the checks every value shares: its length, and whether it may be empty.

The rules (documented behaviour; tests/values/ checks each):

- Text (string, url, encryptedstring): numbers become text, leading and trailing whitespace is
  trimmed; textarea keeps whitespace. Control characters other than tab, CR and LF are refused.
  Length is counted as Salesforce counts it (UTF-16 code units, so an emoji counts 2). Values are
  stored as given: "{{ 7*7 }}" is text, never a template.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from server.salesforce.fields import FieldInfo
from server.values.context import Operation
from server.values.problems import _expected, _InvalidValueError

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


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
