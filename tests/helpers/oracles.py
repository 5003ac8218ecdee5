"""Real Salesforce answers (the oracles) and how the fidelity tests compare ours with them.

Where a recording is read from depends on its licence:

- the permissively licensed ones (restforce: MIT; CumulusCI, Snowfakery, GanttChart:
  BSD-3-Clause; apache/camel: Apache-2.0) are vendored under ``tests/oracles/salesforce`` with
  the relative paths they have in ``../shared/salesforce``, so tests that use only them never
  skip (``tests/oracles/NOTICE`` says where each came from);
- the Nango recordings (Elastic License 2.0; every path with ``nango`` in it) are not vendored:
  they are read from ``../shared/salesforce`` when that checkout is next to this one, and the
  test skips, saying so, when it is not.

A JSON value's *shape* is its type (``null``, ``boolean``, ``number``, ``string``, ``array``,
``object``), the keys of every object, recursively, and the shapes beneath them. Values are data
and may differ (ids, names, counts). The rules of :func:`shape_differences`:

- every key of a real object must be in ours; a key only ours has is a difference unless the
  object's path is in ``allow_extra``;
- ``null`` on either side matches any type: whether a field is set is data, not shape;
- ``int`` and ``float`` are both ``number`` (Salesforce writes ``139000000`` and ``23.0``);
- an empty array on either side matches any array;
- array elements are compared pairwise (element *i* with element *i*; ours beyond the real
  array's length with its first element), unless the array's path is in ``keyed_lists``: then
  elements are paired by the value of a key (or of a tuple of keys) and elements present on one
  side only are ignored — use it for lists whose membership is data, like a describe's
  ``fields``.

Paths look like ``objectDescribe.urls``, ``fields[Name]``, ``records[0].attributes``; in
``allow_extra`` and ``keyed_lists`` they are written with every index as ``[]``
(``""`` is the top level, ``fields[]`` every field, ``records[].attributes``).

Typical use, for a recording with the usual ``{"request", "response": {"status", "body"}}``::

    recording = load("fixtures/limits/nango__limits_v60_200.json")
    response = await client.get(...)
    assert response.status_code == recording["response"]["status"]
    assert_same_shape(recording["response"]["body"], response.json())
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import pytest

#: The vendored, permissively licensed recordings.
VENDORED = Path(__file__).resolve().parents[1] / "oracles" / "salesforce"
#: The full set of recordings, next to this checkout (absent on most machines).
SHARED = Path(__file__).resolve().parents[3] / "shared" / "salesforce"
NANGO_ABSENT = (
    "needs the Elastic-licensed Nango recordings in ../shared/salesforce, which are not vendored"
)

#: The Content-Type of Salesforce's JSON answers.
JSON_CONTENT_TYPE = "application/json;charset=UTF-8"
#: ``Sforce-Limit-Info`` as Salesforce writes it.
LIMIT_INFO = re.compile(r"^api-usage=\d+/\d+$")
#: Real fields the demo org may lack: custom fields of the recording org, and the ISO code
#: fields that only exist when state and country picklists are enabled.
ORG_SPECIFIC_FIELD = re.compile(r"__c$|(Billing|Shipping|Mailing|Other)?(State|Country)Code$")

ListKey = str | tuple[str, ...]
_INDEX = re.compile(r"\[[^\]]*\]")


def oracle_path(relative: str) -> Path:
    """The file of the recording ``relative`` (a path under ``shared/salesforce``).

    A Nango recording comes from ``../shared/salesforce`` and skips the calling test when that
    is absent; any other comes from the vendored copy, and a missing one is an error: it was
    never vendored, not merely absent from this machine."""
    if "nango" in relative:
        if not SHARED.is_dir():
            pytest.skip(NANGO_ABSENT)
        return SHARED / relative
    return VENDORED / relative


def load(relative: str) -> Any:
    """The parsed JSON of the recording (or bare body) ``relative``, see :func:`oracle_path`."""
    return json.loads(oracle_path(relative).read_text(encoding="utf-8"))


def json_type(value: Any) -> str:
    """The JSON type name of a parsed JSON value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    raise TypeError(f"not a JSON value: {value!r}")


def _pattern(path: str) -> str:
    return _INDEX.sub("[]", path)


def _key_of(item: Any, key: ListKey) -> Any:
    if not isinstance(item, dict):
        return None
    return tuple(item.get(k) for k in key) if isinstance(key, tuple) else item.get(key)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def shape_differences(
    real: Any,
    ours: Any,
    path: str = "",
    *,
    allow_extra: Collection[str] = (),
    keyed_lists: Mapping[str, ListKey] | None = None,
) -> list[str]:
    """Every way ``ours`` differs in shape from ``real``, one line each (empty when alike)."""
    keyed = keyed_lists or {}
    real_type, our_type = json_type(real), json_type(ours)
    if "null" in (real_type, our_type):
        return []
    if real_type != our_type:
        return [f"{path or '<top>'}: real is {real_type}, ours is {our_type}"]
    problems: list[str] = []
    if isinstance(real, dict):
        for key in real:
            if key not in ours:
                problems.append(f"{path or '<top>'}: missing key {key!r}")
            else:
                problems += shape_differences(
                    real[key],
                    ours[key],
                    _join(path, key),
                    allow_extra=allow_extra,
                    keyed_lists=keyed,
                )
        if _pattern(path) not in allow_extra:
            problems += [f"{path or '<top>'}: extra key {key!r}" for key in ours if key not in real]
    elif isinstance(real, list) and real and ours:
        list_key = keyed.get(_pattern(path))
        if list_key is not None:
            by_key = {_key_of(item, list_key): item for item in real}
            pairs = [
                (by_key[_key_of(item, list_key)], item, f"{path}[{_key_of(item, list_key)}]")
                for item in ours
                if _key_of(item, list_key) in by_key
            ]
        else:
            pairs = [
                (real[i] if i < len(real) else real[0], item, f"{path}[{i}]")
                for i, item in enumerate(ours)
            ]
        for real_item, our_item, item_path in pairs:
            problems += shape_differences(
                real_item, our_item, item_path, allow_extra=allow_extra, keyed_lists=keyed
            )
    return problems


def assert_same_shape(
    real: Any,
    ours: Any,
    path: str = "",
    *,
    allow_extra: Collection[str] = (),
    keyed_lists: Mapping[str, ListKey] | None = None,
) -> None:
    """Fail, listing the differences, unless ``ours`` has the shape of ``real``."""
    problems = shape_differences(real, ours, path, allow_extra=allow_extra, keyed_lists=keyed_lists)
    if problems:
        shown = "\n  ".join(problems[:40])
        more = f"\n  … and {len(problems) - 40} more" if len(problems) > 40 else ""
        raise AssertionError(f"shape differs from the real answer:\n  {shown}{more}")
