"""Boolean values.

The rules (documented behaviour; tests/values/ checks each):

- boolean: true/false, yes/no, y/n, on/off, 1/0 (any case), and the integers 0 and 1.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from server.values.problems import _EXPECTED, _InvalidValueError

_BOOLEANS = MappingProxyType(
    {"true": True, "yes": True, "y": True, "on": True, "1": True}
    | {"false": False, "no": False, "n": False, "off": False, "0": False}
)


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
