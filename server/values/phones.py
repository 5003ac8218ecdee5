"""Phone numbers.

The rules (documented behaviour; tests/values/ checks each):

- phone: digits with spaces ( ) . - / and an extension ("x12", "ext. 12", "extension 12",
  written back as " ext. 12"). A number starting with + becomes E.164 ("+1 (415) 555-0100" →
  "+14155550100", "+44 (0)20 …" drops the "(0)"); other numbers are kept as written (spaces
  collapsed): the country is not guessed. Letters, fewer than 3 digits, or an E.164 number
  outside 7-15 digits are refused.
"""

from __future__ import annotations

import re
from typing import Any

from server.salesforce.fields import FieldInfo
from server.values.numbers import _NOT_DIGIT
from server.values.problems import _EXPECTED, _InvalidValueError
from server.values.text import _check_length

_PHONE_EXTENSION = re.compile(r"(?:ext\.?|extension|x|#)\s*(\d{1,10})$", re.IGNORECASE)
_PHONE_MAIN = re.compile(r"\+?[\d\s().\-/]+")
_HAS_LETTER = re.compile(r"[^\W\d_]")


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
