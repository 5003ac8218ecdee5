"""Picklist, combobox and multipicklist values.

The rules (documented behaviour; tests/values/ checks each):

- picklist: matched to an active value or label ignoring case and extra spaces, sent as the API
  value; an unknown value is refused on a restricted picklist (listing allowed values) and sent
  as given on an unrestricted one. combobox: the same, never restricted. multipicklist: a list
  or "a;b", each matched, duplicates dropped, joined with ";".
"""

from __future__ import annotations

import difflib
from typing import Any

from server.salesforce.fields import FieldInfo
from server.values.problems import _EXPECTED, _InvalidValueError, _shown
from server.values.text import _as_text, _check_empty, _check_length

_PICKLIST_LISTED = 10


def _picklist(field: FieldInfo, value: Any, *, restricted: bool) -> str:
    if isinstance(value, bool):
        raise _InvalidValueError(f"is not one of the values — {_allowed(field, '')}")
    text = _as_text(value, trim=True)
    matched = field.picklist_value(text)
    if matched is not None:
        return matched  # a label may be longer than the field; its API value fits
    if restricted and field.picklist_values:
        raise _InvalidValueError(f"is not one of the allowed values — {_allowed(field, text)}")
    _check_length(field, text)
    return text


def _multipicklist(field: FieldInfo, value: Any) -> str | None:
    if isinstance(value, str):
        items: list[Any] = value.split(";")
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        raise _InvalidValueError(f"is not a list of values — give {_EXPECTED['multipicklist']}")
    chosen: list[str] = []
    unknown: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise _InvalidValueError(f"is not a list of values — give {_EXPECTED['multipicklist']}")
        text = _as_text(item, trim=True)
        if not text:
            continue
        matched = field.picklist_value(text)
        if matched is None and field.restricted_picklist and field.picklist_values:
            unknown.append(text)
        elif (matched or text) not in chosen:
            chosen.append(matched or text)
    if unknown:
        names = ", ".join(_shown(name) for name in unknown)
        raise _InvalidValueError(
            f"has values that are not allowed ({names}) — {_allowed(field, unknown[0])}"
        )
    if not chosen:
        _check_empty(field, None)
        return None
    joined = ";".join(chosen)
    _check_length(field, joined)
    return joined


def _allowed(field: FieldInfo, given: str) -> str:
    values = field.picklist_values
    listed = ", ".join(values[:_PICKLIST_LISTED])
    more = f" ({len(values)} values in all)" if len(values) > _PICKLIST_LISTED else ""
    folded = {value.casefold(): value for value in values}
    # difflib's cost grows with the length of what it compares: no guess for a huge value.
    close = difflib.get_close_matches(given.casefold(), folded, n=1) if len(given) < 100 else []
    guess = f"did you mean {folded[close[0]]}? " if close else ""
    return f"{guess}use one of: {listed}{more}"
