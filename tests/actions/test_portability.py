"""Configured actions' definitions follow the generic tools' rules: every schema a valid Gemini
schema and OpenAI strict-ready (an action's arguments are all typed), examples and defaults said
in the descriptions; their results read as short text too."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from mcp.types import Tool

from server.settings import Settings
from server.store.sqlite import SQLiteConnectionStore
from tests.helpers.action_files import ACTIONS, EXAMPLES, OrgAccess, served, write_actions
from tests.helpers.demo_org import clear_log, request_log
from tests.helpers.org_records import read_record, unique
from tests.helpers.schema_rules import gemini_problems, openai_strict_problems, subschemas
from tests.helpers.tool_calls import Tools, text_of


@pytest.fixture(params=["examples", "one_of_each_kind"])
async def action_tools(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    settings: Settings,
    store: SQLiteConnectionStore,
    org_access: OrgAccess,
) -> list[Tool]:
    """The action tools of the shipped example file, or of the one-of-each-kind file."""
    source = EXAMPLES if request.param == "examples" else write_actions(tmp_path, ACTIONS)
    async with served(source, settings, store, org_access, expose="actions") as (tools, _):
        return list((await tools.client.list_tools()).tools)


async def test_action_schemas_are_valid_gemini_schemas(action_tools: list[Tool]) -> None:
    """google-genai's Schema accepts each action's schema and keeps every description."""
    assert action_tools
    for tool in action_tools:
        assert gemini_problems(tool.input_schema) == [], tool.name


async def test_action_schemas_are_openai_strict_ready(action_tools: list[Tool]) -> None:
    """Every action's arguments are closed, all required (optional ones nullable)."""
    for tool in action_tools:
        assert openai_strict_problems(tool.input_schema) == [], tool.name


async def test_examples_and_defaults_are_in_the_descriptions(action_tools: list[Tool]) -> None:
    """No examples or default keyword: a variable's example and default are in its text."""
    for tool in action_tools:
        for where, sub in subschemas(tool.input_schema):
            assert not {"examples", "default", "title", "$ref"} & sub.keys(), (tool.name, where)
    by_name = {tool.name: tool for tool in action_tools}
    if "request_callback" in by_name:
        topic = by_name["request_callback"].input_schema["properties"]["topic"]
        assert topic["description"] == (
            'What the caller wants, in a few words. E.g. "a refund for a damaged shipment".'
        )
        upsert = by_name["upsert_lead"].input_schema["properties"]["leadExternalId"]
        assert upsert["description"] == 'The lead\'s id in the calling system. E.g. "L-000123".'
    if "open_case" in by_name:
        priority = by_name["open_case"].input_schema["properties"]["priority"]
        assert priority["anyOf"][0]["description"].endswith('Default: "Medium".')


async def test_null_takes_the_default_and_leaves_out_an_optional_value(
    tmp_path: Path,
    settings: Settings,
    store: SQLiteConnectionStore,
    org_access: OrgAccess,
    reader: httpx.AsyncClient,
) -> None:
    """As a strict client sends them: null for a defaulted variable is its default, null for
    an optional one leaves its field out; the result reads as one short line."""
    path = write_actions(tmp_path, ACTIONS)
    async with served(path, settings, store, org_access) as (tools, _):
        subject = unique("Null ")
        opened = await tools.call(
            "open_case", {"subject": subject, "priority": None, "assign": None, "escalate": None}
        )
        assert not opened.is_error, text_of(opened)
        body = opened.structured_content["body"]  # type: ignore[index]
        case = await read_record(reader, "Case", body["id"])
        assert (case["Subject"], case["Priority"]) == (subject, "Medium")
        assert text_of(opened).startswith("HTTP 201\n")
        found = await tools.call("read_contact", {"key": "C-000001"})
        assert text_of(found).splitlines()[0] == "HTTP 200"
        assert "attributes" not in text_of(found)


async def test_action_results_read_as_short_text(examples: Tools) -> None:
    """A query action answers with a table, a create action with what it created."""
    found = await examples.call("find_contact_by_email", {"email": "ana@example.com"})
    header, row = text_of(found).splitlines()
    assert header == "Id|FirstName|LastName|Email"
    assert row.endswith("|Ana|García|ana@example.com")
    who = row.split("|")[0]
    filed = await examples.call("request_callback", {"topic": "a refund", "whoId": who})
    assert text_of(filed).startswith("Created Task 00T")


async def test_lengths_are_enforced_though_not_shown(
    tmp_path: Path,
    settings: Settings,
    store: SQLiteConnectionStore,
    org_access: OrgAccess,
    control: httpx.AsyncClient,
) -> None:
    """The schema leaves a field's length out, the server still refuses a longer value."""
    path = write_actions(tmp_path, ACTIONS)
    async with served(path, settings, store, org_access) as (tools, _):
        phone = (await tools.client.list_tools()).tools
        [update] = [tool for tool in phone if tool.name == "set_contact_phone"]
        assert "maxLength" not in update.input_schema["properties"]["phone"]
        await clear_log(control)
        refused = await tools.call(
            "set_contact_phone",
            {"contactId": "003000000000000AAA", "phone": "5" * 41, "birthday": None},
        )
    assert refused.is_error
    assert "at most 40 characters" in text_of(refused)
    assert await request_log(control) == []
