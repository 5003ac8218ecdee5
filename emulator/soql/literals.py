"""SOQL literal values: string escapes, LIKE patterns, numbers, dates and datetimes.

String escapes (CONTRACT.md §12): ``\\n \\N \\r \\R \\t \\T \\b \\B \\f \\F \\" \\' \\\\`` and
``\\uXXXX``; ``\\%`` and ``\\_`` only inside a LIKE pattern; any other backslash sequence is
MALFORMED_QUERY. ``\\b`` is the backspace character, as in Java, whose escapes SOQL borrows.

Datetimes are compared through a *key*: the UTC instant as ``YYYY-MM-DDTHH:MM:SS.mmm``, which
orders like the instant. Stored values are in wire format (``…T07:25:37.000+0000``), so the key
of a stored value is usually a slice.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from types import MappingProxyType

from emulator.soql.errors import MALFORMED_QUERY, LocatedError
from emulator.soql.syntax import Value

_SIMPLE_ESCAPES: Mapping[str, str] = MappingProxyType(
    {
        "n": "\n",
        "N": "\n",
        "r": "\r",
        "R": "\r",
        "t": "\t",
        "T": "\t",
        "b": "\b",
        "B": "\b",
        "f": "\f",
        "F": "\f",
        '"': '"',
        "'": "'",
        "\\": "\\",
    }
)
_HEX = frozenset("0123456789abcdefABCDEF")


def _bad_escape(value: Value, sequence: str) -> LocatedError:
    return LocatedError(
        value.pos,
        MALFORMED_QUERY,
        f"Invalid string literal {value.raw}. Illegal character sequence '{sequence}' in string "
        "literal.",
    )


def _decode(value: Value, *, like: bool) -> list[tuple[str, bool]]:
    """The characters of a string literal, each flagged True when it is a LIKE wildcard."""
    body = value.raw[1:-1]
    out: list[tuple[str, bool]] = []
    i = 0
    while i < len(body):
        char = body[i]
        if char != "\\":
            out.append((char, like and char in "%_"))
            i += 1
            continue
        nxt = body[i + 1]  # the lexer guarantees a character after every backslash
        if nxt in _SIMPLE_ESCAPES:
            out.append((_SIMPLE_ESCAPES[nxt], False))
            i += 2
        elif nxt in "%_" and like:
            out.append((nxt, False))
            i += 2
        elif nxt == "u" and len(body) >= i + 6 and set(body[i + 2 : i + 6]) <= _HEX:
            out.append((chr(int(body[i + 2 : i + 6], 16)), False))
            i += 6
        else:
            raise _bad_escape(value, body[i : i + 2])
    return out


def string_value(value: Value) -> str:
    """The text of a quoted literal outside LIKE."""
    return "".join(char for char, _ in _decode(value, like=False))


def like_matcher(value: Value) -> Callable[[str], bool]:
    """A case-insensitive matcher for a LIKE pattern.

    The pattern is split at ``%`` into fixed-length segments matched left to right (leftmost
    match first), which is exact for such segments and linear in the value: a hostile pattern
    like ``%a%a%a…%b`` cannot make the match backtrack exponentially.
    """
    decoded = _decode(value, like=True)
    if not any(wildcard and char == "_" for char, wildcard in decoded):
        fast = _literal_runs_matcher(decoded)
        if fast is not None:
            return fast
    segments: list[list[str]] = [[]]
    for char, wildcard in decoded:
        if wildcard and char == "%":
            segments.append([])
        else:
            segments[-1].append("." if wildcard else re.escape(char))
    flags = re.IGNORECASE | re.DOTALL
    compiled = [re.compile("".join(segment), flags) for segment in segments]
    if len(compiled) == 1:
        whole = compiled[0]
        return lambda text: whole.fullmatch(text) is not None
    first, *middle, last = compiled
    last_length = len(segments[-1])

    def match(text: str) -> bool:
        found = first.match(text)
        if found is None:
            return False
        pos = found.end()
        for segment in middle:
            found = segment.search(text, pos)
            if found is None:
                return False
            pos = found.end()
        start = len(text) - last_length
        return start >= pos and last.fullmatch(text, start) is not None

    return match


def _literal_runs_matcher(decoded: list[tuple[str, bool]]) -> Callable[[str], bool] | None:
    """Plain string tests for the common patterns without ``_``: ``abc``, ``abc%``, ``%abc``,
    ``%abc%`` (compared in lower case)."""
    runs = [""]
    for char, wildcard in decoded:
        if wildcard:
            runs.append("")
        else:
            runs[-1] += char
    runs = [run.lower() for run in runs]
    if len(runs) == 1:
        whole = runs[0]
        return lambda text: text.lower() == whole
    if len(runs) == 2:
        head, tail = runs
        least = len(head) + len(tail)

        def ends(text: str) -> bool:
            low = text.lower()
            return len(low) >= least and low.startswith(head) and low.endswith(tail)

        return ends
    if len(runs) == 3 and runs[0] == "" and runs[2] == "":
        middle = runs[1]
        return lambda text: middle in text.lower()
    return None


def number_value(value: Value) -> int | float:
    """The number a numeric literal denotes."""
    text = value.raw
    return float(text) if "." in text else int(text)


def date_value(value: Value) -> str:
    """A date literal, checked, in wire format ``YYYY-MM-DD``."""
    try:
        return dt.date.fromisoformat(value.raw).isoformat()
    except ValueError:
        raise _bad_value(value) from None


def datetime_value(value: Value) -> str:
    """A datetime literal as a comparison key (see the module docstring)."""
    try:
        parsed = dt.datetime.fromisoformat(value.raw.replace("Z", "+00:00"))
    except ValueError:
        raise _bad_value(value) from None
    return instant_key(parsed)


def _bad_value(value: Value) -> LocatedError:
    return LocatedError(value.pos, MALFORMED_QUERY, f"unexpected token: '{value.raw}'")


def instant_key(moment: dt.datetime) -> str:
    """The comparison key of an aware datetime."""
    utc = moment.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}"


def stored_datetime_key(stored: str) -> str:
    """The comparison key of a stored datetime value (wire format, or any ISO 8601 form)."""
    if len(stored) == 28 and stored.endswith("+0000"):
        return stored[:23]
    text = stored.replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit():
        text = text[:-2] + ":" + text[-2:]
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return stored
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return instant_key(parsed)
