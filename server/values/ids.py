"""Record ids and references to other records.

The rules (documented behaviour; tests/values/ checks each):

- reference and id: 15 or 18 letters and digits; the 18-character checksum is verified; the
  18-character form is sent. With ``key_prefixes`` (object name → key prefix), an id whose prefix
  is another object's is refused ("an Account id, but the field takes a Contact or Lead id"); an
  unknown prefix passes unless every target object's prefix is known.
"""

from __future__ import annotations

import re
from typing import Any

from server.salesforce.fields import FieldInfo
from server.values.context import _Context
from server.values.problems import (
    _EXPECTED,
    FieldProblem,
    ValueCoercionError,
    _article,
    _InvalidValueError,
    _or,
    _shown,
)

_ID = re.compile(r"[0-9A-Za-z]{15}(?:[0-9A-Za-z]{3})?")
_CHECKSUM_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_REFERENCE_TARGETS_LISTED = 5


def parse_id(value: Any, *, field: str = "Id") -> str:
    """The 18-character form of a 15- or 18-character record id, or `ValueCoercionError`."""
    try:
        return _id18(value)
    except _InvalidValueError as invalid:
        message = f"{field}: {_shown(value)} {invalid.text}"
        raise ValueCoercionError([FieldProblem(field, message)]) from None


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
