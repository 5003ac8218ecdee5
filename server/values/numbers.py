"""Numbers: int, long, double, currency and percent values.

The rules (documented behaviour; tests/values/ checks each):

- int/long/double/currency/percent: JSON numbers or text with "." as decimal point and optional
  groups of three digits separated by "," or spaces ("1,250.50", "1 250"); currency may carry a
  currency symbol ($ € £ ¥, dropped: amounts are stored in the record's currency, never
  converted), percent a "%" or "percent" ("12%" is 12). Number words ("twelve") are not parsed.
  NaN, infinity and booleans are refused. int/long must be whole and within the field's digits
  (and 32 bits for int). double/currency/percent are rounded half-up to the field's scale, as
  Salesforce rounds on save, and refused past its precision.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from server.salesforce.fields import FieldInfo
from server.values.problems import _expected, _InvalidValueError

_INT32 = 2**31

_NUMBER = re.compile(
    r"(?P<sign>[+-]?)\s*"
    r"(?P<int>\d{1,3}(?:,\d{3})+|\d{1,3}(?:[\x20\u00a0\u202f]\d{3})+|\d*)"
    r"(?:\.(?P<frac>\d*))?"
)
_CURRENCY_LEAD = re.compile(r"^([+-]?)\s*[$€£¥]\s*")
_CURRENCY_TRAIL = re.compile(r"\s*[$€£¥]$")
_PERCENT_TRAIL = re.compile(r"\s*(?:%|percent|per\s+cent)$", re.IGNORECASE)
_NUMBER_MAX_CHARS = 40
_NOT_DIGIT = re.compile(r"\D")


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
