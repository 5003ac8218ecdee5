"""One tool call as the activity record keeps it, and what is asked of the record.

A :class:`ToolCallRecord` holds what an operator needs to see what the agent did — when, in
which call, which tool on which connection, the outcome (the error text the agent got, if any),
how long it took, how many requests it made of Salesforce and for how long, the ids of records
it created or changed, whether it was a replayed write — and no caller data: no argument values
unless the operator asks for them (``CALLFORCE_ACTIVITY_VALUES``, with sensitive fields
redacted), and an error text has every argument value it would otherwise echo cut out
(:func:`scrubbed`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

Outcome = Literal["ok", "error"]
#: The activity table's columns, in the order both stores write and read them.
ACTIVITY_COLUMNS = (
    "started_at, call_id, connection, tool, outcome, error, duration_ms, sf_requests, sf_ms, "
    "record_ids, replayed, arguments"
)
#: What stands where a value was cut out or redacted.
REDACTED = "[redacted]"
#: Argument values shorter than this are not cut out of error texts (a "1" is everywhere).
_SCRUB_MIN_CHARS = 3
_RECORD_ID = re.compile(r"[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?")
#: Keys of a result that hold the id of a record written.
_ID_KEYS = ("id", "Id")
#: Keys of a result holding a list of per-record results (bulk_write's ``results``).
_LIST_KEYS = ("results", "records")


@dataclass(frozen=True, slots=True)
class ToolCallRecord:
    """One tool call (see the module docstring). Times are seconds since the epoch."""

    started_at: float
    tool: str
    outcome: Outcome
    duration_ms: float
    call_id: str | None = None
    connection: str | None = None
    #: The text the agent got, when the outcome is an error (argument values cut out).
    error: str | None = None
    sf_requests: int = 0
    sf_ms: float = 0.0
    record_ids: tuple[str, ...] = ()
    replayed: bool = False
    #: The arguments, only with ``CALLFORCE_ACTIVITY_VALUES`` (sensitive ones redacted).
    arguments: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class ActivityQuery:
    """Which records to read, newest first."""

    since: float | None = None
    call_id: str | None = None
    connection: str | None = None
    tool: str | None = None
    outcome: Outcome | None = None
    limit: int = 1000

    def select(self, placeholder: str) -> tuple[str, list[Any]]:
        """The ``SELECT`` of the activity table this query asks for, and its bound values, in
        the driver's ``placeholder`` style (``?`` for SQLite, ``%s`` for psycopg)."""
        where: list[str] = []
        values: list[Any] = []
        for column, operator, value in (
            ("started_at", ">=", self.since),
            ("call_id", "=", self.call_id),
            ("connection", "=", self.connection),
            ("tool", "=", self.tool),
            ("outcome", "=", self.outcome),
        ):
            if value is not None:
                where.append(f"{column} {operator} {placeholder}")
                values.append(value)
        clause = f"WHERE {' AND '.join(where)} " if where else ""
        # Only fixed column names are joined in; every value is a bound parameter.
        statement = (
            f"SELECT {ACTIVITY_COLUMNS} FROM activity {clause}"  # noqa: S608
            f"ORDER BY started_at DESC, id DESC LIMIT {placeholder}"
        )
        return statement, [*values, self.limit]


class ActivityLog(Protocol):
    """Where the records are kept (the store's activity table)."""

    def add(self, records: Sequence[ToolCallRecord]) -> None:
        """Store ``records`` in one transaction."""
        ...

    def read(self, query: ActivityQuery) -> list[ToolCallRecord]:
        """The records ``query`` asks for, newest first."""
        ...

    def prune(self, before: float) -> int:
        """Delete the records started before ``before``; how many went."""
        ...


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield str(value)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def scrubbed(text: str, arguments: Mapping[str, Any]) -> str:
    """``text`` with every argument value in it (and its words) cut out, longest first."""
    values = set()
    for value in _strings(arguments):
        values.add(value)
        values.update(value.split())
    for value in sorted(values, key=len, reverse=True):
        if len(value) >= _SCRUB_MIN_CHARS and value in text:
            text = text.replace(value, REDACTED)
    return text


def written_ids(structured: Mapping[str, Any] | None) -> tuple[str, ...]:
    """The record ids a write's result names: its ``id``, and each per-record result's."""
    if not structured:
        return ()
    found: list[str] = []
    for key in _ID_KEYS:
        value = structured.get(key)
        if isinstance(value, str) and _RECORD_ID.fullmatch(value):
            found.append(value)
    for key in _LIST_KEYS:
        items = structured.get(key)
        if isinstance(items, list):
            for item in items:
                if isinstance(item, Mapping):
                    found.extend(
                        value
                        for id_key in _ID_KEYS
                        if isinstance(value := item.get(id_key), str)
                        and _RECORD_ID.fullmatch(value)
                    )
    return tuple(dict.fromkeys(found))


def redacted(arguments: Mapping[str, Any], sensitive: re.Pattern[str]) -> dict[str, Any]:
    """``arguments`` with the value of every key ``sensitive`` matches replaced, at any depth."""

    def walk(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {
                key: REDACTED if sensitive.search(str(key)) else walk(item)
                for key, item in value.items()
            }
        if isinstance(value, list | tuple):
            return [walk(item) for item in value]
        return value

    result: dict[str, Any] = walk(arguments)
    return result
