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
    assert "maxLength" not in p["prefix"]  # enforced, not advertised (strict mode refuses it)
    assert "Name" in p["prefix"]["description"]
    assert p["stage"]["enum"][:3] == ["Prospecting", "Qualification", "Needs Analysis"]
    assert p["minimum"]["type"] == "number"
    assert (p["minimum"]["minimum"], p["minimum"]["maximum"]) == (-1e16, 1e16)  # Gemini: inclusive
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
    assert "maxLength" not in lead["lastName"]
    update = listed["set_contact_phone"]
    p = _properties(update)
    assert p["contactId"]["pattern"] == ID_PATTERN
    assert "Contact" in p["contactId"]["description"]
    assert "maxLength" not in p["phone"]
    # Strict mode: every argument required, the optional one nullable (no default keyword).
    assert sorted(update.input_schema["required"]) == ["birthday", "contactId", "phone"]
    assert {"type": "null"} in p["birthday"]["anyOf"]
    birthday = p["birthday"]["anyOf"][0]
    assert (birthday["type"], birthday["format"]) == ("string", "date")
    assert "default" not in p["birthday"]
    upsert = _properties(listed["upsert_contact"])
    assert upsert["email"]["format"] == "email"
    assert "maxLength" not in upsert["key"]


async def test_bulk_takes_a_list_of_typed_records(listed: dict[str, Tool]) -> None:
    """records is 1-200 objects whose fields are typed like a create's."""
    schema = listed["add_leads"].input_schema
    records = schema["properties"]["records"]
    assert (records["type"], records["minItems"], records["maxItems"]) == ("array", 1, 200)
    item = records["items"]  # inlined: not every converter follows $ref
    assert item["properties"]["email"]["format"] == "email"
    assert "maxLength" not in item["properties"]["company"]
    assert sorted(item["required"]) == ["company", "email", "lastName"]
    assert schema["required"] == ["records"]


async def test_api_call_variables_use_the_file_types_and_defaults(listed: dict[str, Tool]) -> None:
    """A type and default from the file; optional variables are nullable (strict mode)."""
    p = _properties(listed["open_case"])
    assert p["priority"]["anyOf"][0]["description"].endswith('Default: "Medium".')  # null: it
    assert [arm["type"] for arm in p["escalate"]["anyOf"]] == ["boolean", "null"]
    # Strict mode: optional and defaulted variables are required too, and nullable.
    assert sorted(listed["open_case"].input_schema["required"]) == sorted(p)


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
            # A nullable argument's description is inside its type, where google-genai keeps it.
            assert prop.get("description") or prop["anyOf"][0].get("description"), name
    assert listed["find_opportunities"].description == (
        "Opportunities of a stage, above an amount, closing before a date. "
        "Returns at most 25 records."
    )
    assert listed["read_contact"].description == "Read a contact by its external id."
    assert listed["set_contact_phone"].title == "Set contact phone"


READS = {
    "run_query",
    "describe_object",
    "find_caller",
    "connection_status",
    "find_opportunities",
    "read_contact",
}
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
