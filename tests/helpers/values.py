"""Coercing values as the value tests do: a fixed clock and time zone, the demo org's record ids,
and shorthands for `coerce_value` and `coerce_record` that return the result or the refusal.

"Now" is Thursday 2026-03-05 10:00 in New York; objects and fields are the emulator's describes
(:mod:`tests.helpers.object_infos`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from emulator import ids
from server.salesforce.fields import FieldInfo
from server.values import Operation, ValueCoercionError, coerce_record, coerce_value
from tests.helpers.object_infos import describe, field

TZ = ZoneInfo("America/New_York")
NOW = datetime(2026, 3, 5, 10, 0, tzinfo=TZ)
PREFIXES = {"Account": "001", "Contact": "003", "Lead": "00Q", "User": "005", "Group": "00G"}
ACCOUNT_ID = "001M000000qfPySIAU"  # CONTRACT.md §11 example
CONTACT_ID = ids.to18("003Dn00000Xy1Zq")
LEAD_ID = ids.to18("00QDn00000Ab1Cd")
EVENT_ID = ids.to18("00UDn00000Ef1Gh")


def custom(type_: str, **attrs: Any) -> FieldInfo:
    """A field of a type the standard objects lack (time, multipicklist, base64)."""
    return FieldInfo(name="Custom__c", label="Custom", type=type_, createable=True, **attrs)


def value(target: tuple[str, str] | FieldInfo, given: Any, **options: Any) -> Any:
    """What coerce_value sends for ``given`` in ``target``, an (object, field) pair or a field."""
    info = target if isinstance(target, FieldInfo) else field(*target)
    return coerce_value(info, given, tz=TZ, now=NOW, **options)


def refusal(target: tuple[str, str] | FieldInfo, given: Any, **options: Any) -> str:
    """The message coerce_value gives for a refused value (and check it is one problem)."""
    with pytest.raises(ValueCoercionError) as caught:
        value(target, given, **options)
    assert len(caught.value.problems) == 1
    return str(caught.value)


def record(obj: str, data: Any, operation: Operation = "create", **options: Any) -> dict[str, Any]:
    """The body coerce_record makes of ``data`` for ``operation`` on ``obj``."""
    return coerce_record(describe(obj), data, operation=operation, tz=TZ, now=NOW, **options)


def problems(obj: str, data: Any, operation: Operation = "create", **options: Any) -> list[str]:
    """The problem messages coerce_record raises for ``data``."""
    with pytest.raises(ValueCoercionError) as caught:
        record(obj, data, operation, **options)
    assert str(caught.value) == "\n".join(p.message for p in caught.value.problems)
    return [p.message for p in caught.value.problems]
