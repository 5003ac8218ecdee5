"""The tools actions make: arguments typed from describe, hints from the kind, exposure."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from mcp.types import Tool

from server.actions.model import GENERIC_TOOL_NAMES
from server.settings import Settings
from server.store.sqlite import SQLiteConnectionStore
from server.toolkit import DESTRUCTIVE, IDEMPOTENT_WRITE, READ, WRITE, Expose
from tests.helpers.action_files import ACTIONS, OrgAccess, served, write_actions

ID_PATTERN = "^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$"


@pytest.fixture
async def listed(
    tmp_path: Path, settings: Settings, store: SQLiteConnectionStore, org_access: OrgAccess
) -> AsyncIterator[dict[str, Tool]]:
    """The tools of the one-of-each-kind file, by name."""
    path = write_actions(tmp_path, ACTIONS)
    async with served(path, settings, store, org_access) as (tools, _):
        yield {tool.name: tool for tool in (await tools.client.list_tools()).tools}


def _properties(tool: Tool) -> dict[str, Any]:
    properties: dict[str, Any] = tool.input_schema["properties"]
    return properties


async def test_query_variables_are_typed_by_the_field_they_are_compared_with(
    listed: dict[str, Tool],
) -> None:
    """Picklist → enum, currency → bounded number, date, boolean, datetime, LIMIT → integer."""
    tool = listed["find_opportunities"]
    p = _properties(tool)
    assert p["prefix"]["type"] == "string"
    assert p["prefix"]["maxLength"] == 120
    assert "Name" in p["prefix"]["description"]
    assert p["stage"]["enum"][:3] == ["Prospecting", "Qualification", "Needs Analysis"]
    assert p["minimum"]["type"] == "number"
    assert (p["minimum"]["exclusiveMinimum"], p["minimum"]["exclusiveMaximum"]) == (-1e16, 1e16)
    assert (p["before"]["type"], p["before"]["format"]) == ("string", "date")
    assert p["private"]["type"] == "boolean"
    assert p["createdBefore"]["format"] == "date-time"
    assert (p["most"]["type"], p["most"]["minimum"], p["most"]["maximum"]) == ("integer", 1, 200)
    assert sorted(tool.input_schema["required"]) == sorted(p)


async def test_record_variables_are_typed_by_the_field_they_fill(listed: dict[str, Tool]) -> None:
    """Enum of active picklist values, integer digits, boolean, id pattern, email, max length."""
    lead = _properties(listed["new_lead"])
    assert lead["rating"]["enum"] == ["Hot", "Warm", "Cold"]
    assert (lead["employees"]["type"], lead["employees"]["maximum"]) == ("integer", 99_999_999)
    assert lead["employees"]["minimum"] == -99_999_999
    assert lead["unread"]["type"] == "boolean"
    assert lead["lastName"]["maxLength"] == 80
    update = listed["set_contact_phone"]
    p = _properties(update)
    assert p["contactId"]["pattern"] == ID_PATTERN
    assert "Contact" in p["contactId"]["description"]
    assert p["phone"]["maxLength"] == 40
    assert sorted(update.input_schema["required"]) == ["contactId", "phone"]
    assert {"type": "string", "format": "date", "maxLength": 64} in p["birthday"]["anyOf"]
    assert p["birthday"]["default"] is None
    upsert = _properties(listed["upsert_contact"])
    assert (upsert["email"]["format"], upsert["email"]["maxLength"]) == ("email", 80)
    assert upsert["key"]["maxLength"] == 255


async def test_bulk_takes_a_list_of_typed_records(listed: dict[str, Tool]) -> None:
    """records is 1-200 objects whose fields are typed like a create's."""
    schema = listed["add_leads"].input_schema
    records = schema["properties"]["records"]
    assert (records["type"], records["minItems"], records["maxItems"]) == ("array", 1, 200)
    item = schema["$defs"][records["items"]["$ref"].rsplit("/", 1)[-1]]
    assert item["properties"]["email"]["format"] == "email"
    assert item["properties"]["company"]["maxLength"] == 255
    assert sorted(item["required"]) == ["company", "email", "lastName"]
    assert schema["required"] == ["records"]


async def test_api_call_variables_use_the_file_types_and_defaults(listed: dict[str, Tool]) -> None:
    """A type and default from the file; optional variables are not required."""
    p = _properties(listed["open_case"])
    assert p["priority"]["default"] == "Medium"
    assert {"type": "boolean"} in p["escalate"]["anyOf"]
    assert listed["open_case"].input_schema["required"] == ["subject"]


async def test_every_action_tool_is_described_and_annotated(listed: dict[str, Tool]) -> None:
    """Descriptions from the file, a description per argument, an output schema, true hints."""
    hints = {
        "find_opportunities": READ,
        "new_lead": WRITE,
        "set_contact_phone": IDEMPOTENT_WRITE,
        "upsert_contact": IDEMPOTENT_WRITE,
        "add_leads": WRITE,
        "sync_contacts": IDEMPOTENT_WRITE,
        "read_contact": READ,
        "open_case": DESTRUCTIVE,
    }
    for name, preset in hints.items():
        tool = listed[name]
        assert tool.annotations == preset, name
        assert tool.description
        assert tool.output_schema is not None
        assert tool.title
        for prop in _properties(tool).values():
            assert prop.get("description"), name
    assert listed["find_opportunities"].description == (
        "Opportunities of a stage, above an amount, closing before a date. "
        "Returns at most 25 records."
    )
    assert listed["read_contact"].description == "Read a contact by its external id."
    assert listed["set_contact_phone"].title == "Set contact phone"


READS = {"run_query", "describe_object", "connection_status", "find_opportunities", "read_contact"}
THREE = """
[[action]]
name = "find_opportunities"
kind = "query"
description = "Opportunities by name."
soql = "SELECT Id FROM Opportunity WHERE Name = '{{ name }}'"

[[action]]
name = "new_lead"
kind = "create"
object = "Lead"
description = "Create a lead."
data = { LastName = "{{ lastName }}", Company = "{{ company }}" }

[[action]]
name = "read_contact"
kind = "api_call"
method = "GET"
endpoint = "/services/data/v62.0/sobjects/Contact/External_Id__c/{{ key }}"
description = "Read a contact by its external id."
"""


@pytest.mark.parametrize(
    ("read_only", "expose", "expected"),
    [
        (False, "all", GENERIC_TOOL_NAMES | {"find_opportunities", "new_lead", "read_contact"}),
        (True, "all", READS),
        (False, "reads", READS),
        (False, "actions", {"find_opportunities", "new_lead", "read_contact"}),
        (True, "actions", {"find_opportunities", "read_contact"}),
    ],
)  # fmt: skip
async def test_exposure_and_read_only_choose_the_tools(
    tmp_path: Path,
    settings: Settings,
    store: SQLiteConnectionStore,
    org_access: OrgAccess,
    read_only: bool,
    expose: Expose,
    expected: set[str],
) -> None:
    """read-only drops writing tools; expose picks generic and/or action tools."""
    path = write_actions(tmp_path, THREE)
    async with served(path, settings, store, org_access, read_only=read_only, expose=expose) as (
        tools,
        _,
    ):
        names = {tool.name for tool in (await tools.client.list_tools()).tools}
    assert names == expected
