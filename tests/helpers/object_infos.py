"""The typed view (``ObjectInfo``, ``FieldInfo``) of the emulator's describes, read from its
derived metadata: what the field and value-coercion tests check against."""

from __future__ import annotations

import functools
import json
from pathlib import Path

from server.salesforce.fields import FieldInfo, ObjectInfo

#: The emulator's describes, one JSON file per object.
METADATA = Path(__file__).resolve().parents[2] / "emulator" / "metadata"


@functools.cache
def describe(name: str) -> ObjectInfo:
    """The ObjectInfo of one of the emulator's describes (parsed once per test run)."""
    return ObjectInfo.from_describe(json.loads((METADATA / f"{name}.json").read_text()))


def field(obj: str, name: str) -> FieldInfo:
    """The FieldInfo of ``obj.name``, which must exist."""
    info = describe(obj).field(name)
    assert info is not None, f"{obj}.{name}"
    return info
