"""Text as the content of a SOQL string literal: :func:`soql_quoted`.

Used wherever callforce itself writes a value into SOQL (an action's template, log_call's look-up
of the call's Task); the quotes around it are the caller's.
"""

from __future__ import annotations

# Each character maps on its own (str.translate), so an escape's backslash is never escaped
# again: the same result as escaping the backslash first, then the rest.
_QUOTED_ESCAPES = {
    ord(char): "\\" + letter for char, letter in zip("\\'\"\n\r\t\b\f", "\\'\"nrtbf", strict=True)
}
# Other control characters as \uXXXX (the text coercion refuses most of them anyway).
_QUOTED_ESCAPES |= {c: f"\\u{c:04x}" for c in (*range(0x20), 0x7F) if c not in _QUOTED_ESCAPES}
_LIKE_ESCAPES = _QUOTED_ESCAPES | {ord("%"): "\\%", ord("_"): "\\_"}


def soql_quoted(text: str, *, like: bool = False) -> str:
    """``text`` as the content of a SOQL string literal (quotes not included)."""
    return text.translate(_LIKE_ESCAPES if like else _QUOTED_ESCAPES)
