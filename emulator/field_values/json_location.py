"""Where a value sits in a JSON request body, as Salesforce's parser errors report it.

Positions are only needed on the error path, so nothing is recorded while a body is read: a
:data:`Locator` is a thunk that re-scans the text when an error message asks for it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence

#: Returns where a JSON value sits, ``[line:L, column:C]``; only called when reporting an error.
Locator = Callable[[], str]

_DECODER = json.JSONDecoder()
_WS = re.compile(r"\s*")


def json_location(raw: bytes | str, path: Sequence[str | int]) -> str:
    """``[line:L, column:C]`` just after the start of the value at ``path`` in ``raw``.

    Only called on the error path, so it re-scans the text instead of keeping positions for
    every request. Falls back to ``[line:1, column:1]`` when the path is not found.
    """
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    try:
        pos = _find(text, path)
    except (ValueError, IndexError):
        pos = None
    if pos is None:
        return "[line:1, column:1]"
    line = text.count("\n", 0, pos) + 1
    column = pos - (text.rfind("\n", 0, pos) + 1) + 2
    return f"[line:{line}, column:{column}]"


def _skip(text: str, pos: int) -> int:
    match = _WS.match(text, pos)
    return match.end() if match else pos


def _find(text: str, path: Sequence[str | int]) -> int | None:
    pos = _skip(text, 0)
    for step in path:
        if isinstance(step, str):
            if text[pos] != "{":
                return None
            pos = _skip(text, pos + 1)
            while text[pos] != "}":
                key, pos = _DECODER.raw_decode(text, pos)
                pos = _skip(text, pos)
                pos = _skip(text, pos + 1)  # the colon
                if key == step:
                    break
                _, pos = _DECODER.raw_decode(text, pos)
                pos = _skip(text, pos)
                if text[pos] == ",":
                    pos = _skip(text, pos + 1)
            else:
                return None
        else:
            if text[pos] != "[":
                return None
            pos = _skip(text, pos + 1)
            for _ in range(step):
                _, pos = _DECODER.raw_decode(text, pos)
                pos = _skip(text, pos)
                if text[pos] != ",":
                    return None
                pos = _skip(text, pos + 1)
    return pos
