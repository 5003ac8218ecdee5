"""``search`` actions: one parameterized search, its objects and fields the operator's.

A search action's file gives the text to search for (a template: :mod:`server.actions.sosl_text`
makes each value plain words), where to look (``in``: ALL, NAME, EMAIL or PHONE fields), and
what to return (``returning``: objects, their fields, a ``where`` and a limit each). A call is
exactly one ``POST /parameterizedSearch`` (REST API Developer Guide, "Search with Parameters in
the Request Body")::

    {"q": "<rendered text>", "in": "NAME", "overallLimit": 10,
     "sobjects": [{"name": "Account", "fields": ["Id", "Name"], "where": "…", "limit": 5}]}

Only ``q`` carries what the caller said; the objects, fields, conditions and limits are the
file's, checked when it is loaded (:func:`search_shape_problems`) and against the org
(:mod:`server.actions.check`). Salesforce answers ``{"searchRecords": [record, …]}`` (the bare
list before v37.0); :class:`SearchResult` holds each record without its ``attributes`` but with
its object, as ``"object": "Account"`` (``type`` would meet Account's own Type field).
A refusal (INVALID_FIELD in a ``where``, MALFORMED_SEARCH) is said as the query kind says one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any, Literal

import httpx
from pydantic import BaseModel, Field

from server.actions.model import Action, ReturningConfig
from server.actions.sosl_text import operator_text_problem, search_problem
from server.errors import InvalidArguments, InvalidRequest, ServerError
from server.salesforce.answers import json_or_none
from server.toolkit import ToolContext
from server.toolkit.agent_text import table
from tools.run_query import strip_attributes


class SearchResult(BaseModel):
    """The records a search action found, in Salesforce's order."""

    records: list[dict[str, Any]] = Field(
        description="The records found: each its `object` (Account, Contact …) and the "
        "configured fields by API name; a parent's fields are a nested object."
    )
    count: int = Field(description="How many records were found.")
    match: Literal["none", "one", "several"]
    more: bool = Field(description="True when a limit was reached: more records may match.")

    def agent_text(self) -> str:
        """A table per object; a hint when more may match."""
        if not self.records:
            return "No records found."
        groups: dict[str, list[dict[str, Any]]] = {}
        for record in self.records:
            row = {key: value for key, value in record.items() if key != "object"}
            groups.setdefault(str(record.get("object")), []).append(row)
        lines: list[str] = []
        for name, rows in groups.items():
            lines += [f"{name} ({len(rows)}):", table(rows)]
        if self.more:
            lines.append("More records may match: ask the caller for more detail.")
        return "\n".join(lines)


def search_shape_problems(action: Action) -> list[tuple[str | None, str]]:
    """What is wrong with a search action's text and ``returning``, without the org."""
    config = action.config
    if config.kind != "search":
        return []
    found: list[tuple[str | None, str]] = []
    if action.search is not None:
        sample = dict.fromkeys((use.variable for use in action.uses), "x")
        problem = operator_text_problem(str(action.search.render(sample)))
        if problem:
            found.append(("search", problem))
    seen: set[str] = set()
    for index, entry in enumerate(config.returning or ()):
        where = f"returning[{index}]"
        if entry.object.lower() in seen:
            found.append((f"{where}.object", f"{entry.object} is already in returning"))
        seen.add(entry.object.lower())
        counts = Counter(name.lower() for name in entry.fields)
        twice = sorted({name for name in entry.fields if counts[name.lower()] > 1})
        found += [(f"{where}.fields", f"{name} is listed twice") for name in twice]
        if entry.where is not None and any(brace in entry.where for brace in "{}"):
            message = (
                "where is sent as written, not as a template, and cannot hold braces: the "
                "caller's words go in search"
            )
            found.append((f"{where}.where", message))
    return found


def _object_parameters(entry: ReturningConfig) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": entry.object, "fields": list(entry.fields)}
    if entry.where is not None:
        spec["where"] = entry.where
    if entry.max_records is not None:
        spec["limit"] = entry.max_records
    return spec


def search_body(action: Action, text: str) -> dict[str, Any]:
    """The JSON body of the parameterized search for the rendered ``text``."""
    config = action.config
    return {
        "q": text,
        "in": config.search_in,
        "overallLimit": config.record_limit,
        "sobjects": [_object_parameters(entry) for entry in config.returning or ()],
    }


def _refused(exc: InvalidRequest) -> InvalidRequest:
    """Salesforce's refusal in the words the query kind uses (the error's kind and code kept)."""
    lines = [line.strip() for line in exc.salesforce_message.splitlines() if line.strip()]
    useful = lines[-1] if lines else "(no message)"
    return exc.with_message(f"Salesforce rejected the search ({exc.error_code}): {useful}")


def _found(response: httpx.Response) -> list[dict[str, Any]]:
    """The records of an answer: ``{"searchRecords": […]}``, or the list itself (before v37)."""
    answer = json_or_none(response)
    rows = answer.get("searchRecords") if isinstance(answer, dict) else answer
    if not isinstance(rows, list):
        status = response.status_code
        raise ServerError(status, "INVALID_RESPONSE", "the search answer is not a list of records")
    records = []
    for row in rows:
        if isinstance(row, dict):
            kind = (row.get("attributes") or {}).get("type")
            records.append({"object": kind, **strip_attributes(row)})
    return records


async def run_search(
    ctx: ToolContext, action: Action, values: Mapping[str, Any], connection: str | None
) -> SearchResult:
    """Render the text, then one parameterized search; nothing is sent for unusable text."""
    config = action.config
    text = str(action.search.render(values) if action.search is not None else "").strip()
    problem = search_problem(text)
    if problem:
        raise InvalidArguments(f"Cannot search: {problem}. Nothing was sent.")
    client = ctx.services.client
    try:
        response = await client.request(
            "POST",
            client.api_path("parameterizedSearch"),
            connection=connection,
            json=search_body(action, text),
            idempotent=True,  # a search: safe to send again
        )
    except InvalidRequest as exc:
        raise _refused(exc) from None
    records = _found(response)
    per_object = Counter(str(record["object"]).lower() for record in records)
    more = len(records) >= config.record_limit or any(
        entry.max_records is not None and per_object[entry.object.lower()] >= entry.max_records
        for entry in config.returning or ()
    )
    count = len(records)
    return SearchResult(
        records=records,
        count=count,
        match="none" if not count else "one" if count == 1 else "several",
        more=more,
    )
