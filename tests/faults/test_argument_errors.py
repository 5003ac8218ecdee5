"""Argument errors read like callforce's other errors — which argument, what it needs, one line
each, no echo of the value, no pydantic dump, no link — and an action's picklist variable
accepts what the generic tools accept (any case, or the label)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from server.salesforce.client import SalesforceClient
from server.salesforce.describe_cache import DescribeCache
from server.settings import Settings
from server.store.sqlite import SQLiteConnectionStore
from tests.helpers.action_files import OrgAccess, served, write_actions
from tests.helpers.org_records import unique
from tests.helpers.tool_calls import Tools

#: Actions whose variables are picklists: Lead Rating (Hot/Warm/Cold) and Task Subtype, whose
#: value ListEmail has the label "List Email".
ACTIONS = """
[[action]]
name = "upsert_lead"
kind = "upsert"
object = "Lead"
external_id_field = "External_Id__c"
description = "Create or update the caller's lead."
data.External_Id__c = "{{ key }}"
data.LastName = "{{ lastName }}"
data.Company = "{{ company }}"
data.Rating = "{{ rating }}"

[[action]]
name = "log_task"
kind = "create"
object = "Task"
description = "Log a task."
data = { Subject = "{{ subject }}", TaskSubtype = "{{ subtype }}" }
"""
_PYDANTIC = ("validation error", "pydantic", "input_value", "input_type", "https://", "http://")


def _lines(text: str, tool: str) -> list[str]:
    """The error's lines, after the SDK's "Error executing tool X: " prefix."""
    prefix = f"Error executing tool {tool}: "
    assert text.startswith(prefix), text
    return text.removeprefix(prefix).splitlines()


def _plain(text: str, *echoes: str) -> None:
    for word in (*_PYDANTIC, *echoes):
        assert word not in text, f"{word!r} in: {text}"


@pytest.mark.parametrize(
    ("tool", "arguments", "expected", "echo"),
    [
        ("run_query", {"max_records": 5}, "soql: Field required", None),
        (
            "run_query",
            {"soql": "SELECT Id FROM Account", "max_records": "lots"},
            "max_records: Input should be a valid integer, unable to parse string as an integer",
            "lots",
        ),
        (
            "run_query",
            {"soql": "SELECT Id FROM Account", "max_records": 987654},
            "max_records: Input should be less than or equal to 200",
            "987654",
        ),
        (
            "run_query",
            {"soql": "SELECT Id FROM Account", "connection": "c" * 65},
            "connection: String should have at most 64 characters",
            "c" * 65,
        ),
        (
            "custom_api_call",
            {"method": "FETCHX", "endpoint": "/services/data/v62.0/limits"},
            "method: Input should be 'GET', 'POST', 'PATCH', 'PUT' or 'DELETE'",
            "FETCHX",
        ),
        (
            "custom_api_call",
            {"method": "POST", "endpoint": "/services/data/v62.0/limits", "body": "notjson"},
            "body: Input should be a valid dictionary or a valid list",
            "notjson",
        ),
        (
            "bulk_write",
            {"object": "Lead", "operation": "mergex", "records": [{"LastName": "A"}]},
            "operation: Input should be 'insert', 'update' or 'upsert'",
            "mergex",
        ),
        (
            "describe_object",
            {"object": ["Lead"]},
            "object: Input should be a valid string",
            None,
        ),
        (
            "create_record",
            {"object": "Lead", "data": ["LastName", "Lee"]},
            "data: Input should be a valid dictionary",
            "Lee",
        ),
    ],
)
async def test_a_bad_argument_is_one_plain_line_naming_it(
    tools: Tools, tool: str, arguments: dict[str, Any], expected: str, echo: str | None
) -> None:
    """Missing, wrong type, out of range, too long, not one of the values: one line each."""
    text = await tools.error(tool, arguments)
    assert _lines(text, tool) == [expected]
    _plain(text, *([echo] if echo else []))


async def test_several_bad_arguments_give_one_line_each(tools: Tools) -> None:
    """Each problem is its own line, naming its argument."""
    text = await tools.error("run_query", {"max_records": 0, "cursor": 7})
    assert sorted(_lines(text, "run_query")) == [
        "cursor: Input should be a valid string",
        "max_records: Input should be greater than or equal to 1",
        "soql: Field required",
    ]
    _plain(text)


@pytest.fixture
async def picklist_actions(
    tmp_path: Path, settings: Settings, store: SQLiteConnectionStore
) -> AsyncIterator[Tools]:
    """A server serving the picklist actions above."""
    async with SalesforceClient(settings, store) as client:
        access = OrgAccess(client, DescribeCache.from_settings(settings))
        path = write_actions(tmp_path, ACTIONS)
        async with served(path, settings, store, access) as (served_tools, _):
            yield served_tools


async def _field(tools: Tools, sobject: str, field: str, record_id: str) -> Any:
    soql = f"SELECT {field} FROM {sobject} WHERE Id = '{record_id}'"  # noqa: S608 - test SOQL, an id from the org
    found = await tools.ok("run_query", {"soql": soql})
    return found["records"][0][field]


@pytest.mark.parametrize(
    ("given", "stored"), [("warm", "Warm"), (" HOT ", "Hot"), ("Cold", "Cold")]
)
async def test_an_action_picklist_takes_any_case(
    picklist_actions: Tools, given: str, stored: str
) -> None:
    """Lead Rating given "warm" is saved as Warm, as create_record would save it."""
    arguments = {"key": unique("L-"), "lastName": unique("Lee-"), "company": "Acme"}
    result = await picklist_actions.ok("upsert_lead", arguments | {"rating": given})
    assert await _field(picklist_actions, "Lead", "Rating", result["id"]) == stored


async def test_an_action_picklist_takes_a_label(picklist_actions: Tools) -> None:
    """Task Subtype given its label "list email" is saved as its API value, ListEmail."""
    result = await picklist_actions.ok(
        "log_task", {"subject": "Follow-up", "subtype": "list email"}
    )
    assert await _field(picklist_actions, "Task", "TaskSubtype", result["id"]) == "ListEmail"


async def test_an_action_picklist_still_advertises_its_values(picklist_actions: Tools) -> None:
    """The schema lists the API values as an enum, and an unknown value is one plain line."""
    listed = {tool.name: tool for tool in (await picklist_actions.client.list_tools()).tools}
    rating = listed["upsert_lead"].input_schema["properties"]["rating"]
    assert rating["enum"] == ["Hot", "Warm", "Cold"]
    arguments = {"key": "L-1", "lastName": "Lee", "company": "Acme", "rating": "Tepidx"}
    text = await picklist_actions.error("upsert_lead", arguments)
    assert _lines(text, "upsert_lead") == ["rating: Input should be 'Hot', 'Warm' or 'Cold'"]
    _plain(text, "Tepidx")
