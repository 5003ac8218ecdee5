"""Which fields a search group searches, and a search expression bound to one object's fields.

Search groups (SOSL "IN SearchGroup"):

- ``ALL FIELDS`` (the default): every searchable field — text, text area, e-mail, phone, URL and
  combobox fields and the person ``Name``; not ids, numbers, dates, booleans or picklists
  ("Numeric fields aren't searchable"; picklists are not in the index), nor text Salesforce
  writes itself (a field neither createable nor updateable, such as ``PhotoUrl``) [U];
- ``NAME FIELDS``: the fields whose describe says ``nameField`` (``Name`` when a trimmed describe
  marks none) and the extra ones Salesforce lists for standard objects — Account Website, Site,
  NameLocal; Case SuppliedName, SuppliedCompany, Subject; Contact AssistantName,
  FirstNameLocal, LastNameLocal; Event and Task Subject; Lead Company, CompanyLocal,
  FirstNameLocal, LastNameLocal; User CommunityNickname — where the demo org has them. Contact's
  AccountName (its account's name) is not served;
- ``EMAIL FIELDS``: e-mail fields; ``PHONE FIELDS``: phone fields;
- ``SIDEBAR FIELDS``: the fields of the Sidebar's drop-down, which the emulator does not know:
  it searches ALL FIELDS [U].

A term matches a record when it matches one of the searched fields (:mod:`.terms` says how); a
term written like a phone number also matches a phone field by digits (:mod:`.phones`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from emulator.schema import ObjectSchema
from emulator.soql.columns import Column, column_of
from emulator.soql.context import Row
from emulator.sosl import phones
from emulator.sosl.terms import BoolOp, Expr, Not, Term, value_tokens

SEARCH_GROUPS = ("ALL", "NAME", "EMAIL", "PHONE", "SIDEBAR")
_SEARCHABLE_TYPES = frozenset({"string", "textarea", "email", "phone", "url", "combobox"})
_NAME_EXTRAS = {
    "Account": ("Website", "Site", "NameLocal"),
    "Case": ("SuppliedName", "SuppliedCompany", "Subject"),
    "Contact": ("AssistantName", "FirstNameLocal", "LastNameLocal"),
    "Event": ("Subject",),
    "Lead": ("Company", "CompanyLocal", "FirstNameLocal", "LastNameLocal"),
    "Task": ("Subject",),
    "User": ("CommunityNickname",),
}

Matcher = Callable[[Row], bool]
_Test = Callable[["_Values"], bool]


def searched_fields(obj: ObjectSchema, group: str) -> tuple[Column, ...]:
    """The columns of ``obj`` that ``IN <group> FIELDS`` searches."""
    fields = list(obj.fields.values())
    if group == "EMAIL":
        chosen = [f for f in fields if f.type == "email"]
    elif group == "PHONE":
        chosen = [f for f in fields if f.type == "phone"]
    elif group == "NAME":
        names = [f for f in fields if f.name_field] or [f for f in fields if f.name == "Name"]
        extras = [f for n in _NAME_EXTRAS.get(obj.name, ()) if (f := obj.field(n)) is not None]
        chosen = names + [f for f in extras if f not in names]
    else:
        chosen = [
            f
            for f in fields
            if f.type in _SEARCHABLE_TYPES and (f.createable or f.updateable or f.name_field)
        ]
    return tuple(column_of(f, obj) for f in chosen)


class _Values:
    """One record's searched values, read and tokenized on first use."""

    __slots__ = ("_columns", "_record", "_sobject", "_tokens")

    def __init__(self, sobject: str, columns: tuple[Column, ...], record: Row) -> None:
        self._sobject = sobject
        self._columns = columns
        self._record = record
        self._tokens: dict[int, list[str]] = {}

    def text(self, index: int) -> str | None:
        value = self._columns[index].read(self._sobject, self._record)
        return value if isinstance(value, str) else None

    def tokens(self, index: int) -> list[str]:
        found = self._tokens.get(index)
        if found is None:
            text = self.text(index)
            found = self._tokens[index] = value_tokens(text) if text else []
        return found


def bind(expression: Expr, sobject: str, columns: tuple[Column, ...]) -> Matcher:
    """The test of a record of ``sobject`` against ``expression`` over ``columns``."""
    test = _compile(expression, columns)
    return lambda record: test(_Values(sobject, columns, record))


def _compile(expression: Expr, columns: tuple[Column, ...]) -> _Test:
    if isinstance(expression, Not):
        inner = _compile(expression.operand, columns)
        return lambda values: not inner(values)
    if isinstance(expression, BoolOp):
        parts = [_compile(operand, columns) for operand in expression.operands]
        if expression.op == "AND":
            return lambda values: all(part(values) for part in parts)
        return lambda values: any(part(values) for part in parts)
    return _compile_term(expression, columns)


def _compile_term(term: Term, columns: tuple[Column, ...]) -> _Test:
    searched = term.phone
    phone_fields = [i for i, c in enumerate(columns) if c.type == "phone"] if searched else []
    patterns = [_token_test(token) for token in term.tokens]
    every = range(len(columns)) if patterns else range(0)

    def test(values: _Values) -> bool:
        for index in phone_fields:
            stored = values.text(index)
            if stored and searched and phones.matches(searched, stored):
                return True
        return any(_phrase_in(patterns, values.tokens(index)) for index in every)

    return test


def _token_test(token: str) -> Callable[[str], bool]:
    if "*" not in token and "?" not in token:
        return token.__eq__
    pattern = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in token)
    compiled = re.compile(pattern, re.DOTALL)
    return lambda candidate: compiled.fullmatch(candidate) is not None


def _phrase_in(patterns: list[Callable[[str], bool]], tokens: list[str]) -> bool:
    """The tokens hold a run that the patterns match one by one."""
    width = len(patterns)
    for start in range(len(tokens) - width + 1):
        if all(test(tokens[start + k]) for k, test in enumerate(patterns)):
            return True
    return False
