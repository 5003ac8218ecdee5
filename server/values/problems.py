"""What is wrong with a value, said so that an agent can fix it or ask the caller.

`FieldProblem` is one problem: the field's API name and one sentence naming the field (API name,
with the label when it differs), the value as given (control characters escaped, at most ~60
characters) and the expected form with an example. `ValueCoercionError` carries every problem of
a call. Inside the package, a value that cannot be coerced raises `_InvalidValueError` with the
text that follows the quoted value; the entry points turn it into a `FieldProblem`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from types import MappingProxyType
from typing import Any

from server.errors import InvalidArguments
from server.salesforce.fields import FieldInfo

_SHOWN_MAX = 60
_ESCAPES = MappingProxyType({c: repr(chr(c))[1:-1] for c in (*range(0x20), *range(0x7F, 0xA0))})

_EXPECTED = MappingProxyType(
    {
        "boolean": "true or false (yes/no, y/n, on/off and 1/0 also work)",
        "int": "a whole number, e.g. 250",
        "long": "a whole number, e.g. 250",
        "double": "a number, e.g. 1250.5",
        "currency": "an amount, e.g. 1250.50",
        "percent": "a percentage, e.g. 12.5",
        "date": "a date, e.g. 2026-03-05 or March 5, 2026",
        "datetime": "a date and time, e.g. 2026-03-05T14:30:00Z or March 5, 2026 2:30 PM",
        "time": "a time, e.g. 14:30 or 2:30 PM",
        "email": "an email address, e.g. ana@example.com",
        "phone": "a phone number, e.g. +14155550100 or (415) 555-0100",
        "reference": "a record id (15 or 18 letters and digits) taken from a query result",
        "id": "a record id (15 or 18 letters and digits) taken from a query result",
        "multipicklist": "values separated by ';', e.g. A;B",
    }
)


@dataclasses.dataclass(frozen=True, slots=True)
class FieldProblem:
    """One thing wrong with the data: the field's API name and a sentence saying what to do."""

    field: str
    message: str

    def __str__(self) -> str:
        return self.message


class ValueCoercionError(InvalidArguments, ValueError):
    """Values that cannot be sent as they are; ``problems`` lists every one, in data order.

    ``message`` is one line per problem; the agent reads them after "Nothing was sent". It is
    also a ``ValueError``: a value that does not fit is one.
    """

    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        self.problems: list[FieldProblem] = list(problems)
        super().__init__("\n".join(problem.message for problem in self.problems))

    def for_agent(self) -> str:
        """Nothing was sent, then each problem on a line of its own."""
        lines = "\n".join(f"- {problem.message}" for problem in self.problems)
        return f"Nothing was sent to Salesforce. Fix these and call again:\n{lines}"


class _InvalidValueError(Exception):
    """A value that cannot be coerced; ``text`` follows the quoted value in the message."""

    def __init__(self, text: str, *, show_value: bool = True) -> None:
        super().__init__(text)
        self.text = text
        self.show_value = show_value


def _problem(field: FieldInfo, value: Any, invalid: _InvalidValueError) -> FieldProblem:
    if invalid.show_value:
        return FieldProblem(field.name, f"{_ref(field)}: {_shown(value)} {invalid.text}")
    return FieldProblem(field.name, f"{_ref(field)} {invalid.text}")


def _ref(field: FieldInfo) -> str:
    """How messages name a field: API name, with the label when it differs."""
    return field.name if field.label == field.name else f"{field.name} ({field.label})"


def _shown(value: Any) -> str:
    """The value as the message quotes it: control characters escaped, at most ~60 characters."""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = value if isinstance(value, str) else repr(value)
    text = text.translate(_ESCAPES)
    if len(text) > _SHOWN_MAX:
        text = text[: _SHOWN_MAX - 1] + "…"
    return f"'{text}'" if isinstance(value, str) else text


def _expected(field: FieldInfo) -> str:
    if field.type in ("picklist", "combobox") and field.picklist_values:
        return f"one of its values, e.g. {field.picklist_values[0]}"
    return _EXPECTED.get(field.type, "text")


def _article(word: str) -> str:
    return "an" if word[:1].upper() in "AEIOU" else "a"


def _and(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _or(words: Sequence[str]) -> str:
    if not words:
        return ""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"
