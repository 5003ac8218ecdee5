"""The generic tools' definitions: accepted by every LLM platform's converter, and short.

A voice agent reads every definition before it can answer the caller, and several platforms
convert the schemas for their model: google-genai (Gemini) forbids unknown keywords such as
``examples``; OpenAI's strict mode wants closed objects with every property required.
"""

from __future__ import annotations

import json

import pytest

from tests.helpers.schema_rules import (
    definition_size,
    gemini_problems,
    is_closed,
    openai_strict_problems,
    subschemas,
)
from tests.helpers.tool_calls import Tools
from tools import ALL_TOOLS

#: The tools whose arguments have a declared shape throughout (the others take free-form
#: records or JSON bodies, which strict mode cannot describe).
CLOSED = {"run_query", "describe_object", "find_caller", "connection_status", "log_call"}
#: What the ten definitions (name, description, input schema) may add up to, in characters
#: (issue 10's eight came to 5,527; the write tools' idempotency_key added ~120 each, and
#: find_caller and log_call ~500 and ~1,230).
DEFINITIONS_BUDGET = 7_900


async def test_every_input_schema_is_a_valid_gemini_schema(tools: Tools) -> None:
    """google-genai's Schema accepts each schema, and its conversion keeps every description."""
    for tool in (await tools.client.list_tools()).tools:
        assert gemini_problems(tool.input_schema) == [], tool.name


async def test_closed_tools_are_openai_strict_ready(tools: Tools) -> None:
    """The tools without free-form arguments meet OpenAI's strict-mode rules."""
    listed = (await tools.client.list_tools()).tools
    assert {tool.name for tool in listed if is_closed(tool.input_schema)} == CLOSED
    for tool in listed:
        if tool.name in CLOSED:
            assert openai_strict_problems(tool.input_schema) == [], tool.name


async def test_every_top_level_object_is_closed(tools: Tools) -> None:
    """Each tool's arguments object declares additionalProperties false, argument-less too."""
    for tool in (await tools.client.list_tools()).tools:
        assert tool.input_schema["additionalProperties"] is False, tool.name
    status = await tools.client.list_tools()
    [empty] = [tool for tool in status.tools if tool.name == "connection_status"]
    assert empty.input_schema == {"type": "object", "properties": {}, "additionalProperties": False}


async def test_no_schema_carries_examples_titles_or_defaults(tools: Tools) -> None:
    """examples, title and default appear nowhere: an example or default is in the text."""
    for tool in (await tools.client.list_tools()).tools:
        for where, sub in subschemas(tool.input_schema):
            assert not {"examples", "title", "default", "$defs", "$ref"} & sub.keys(), (
                tool.name,
                where,
            )
    listed = {tool.name: tool for tool in (await tools.client.list_tools()).tools}
    max_records = listed["run_query"].input_schema["properties"]["max_records"]
    assert "Default: 25." in json.dumps(max_records)


async def test_the_definitions_fit_their_budget(tools: Tools) -> None:
    """Names, descriptions and input schemas of the ten tools add up to at most 7,900 chars."""
    listed = (await tools.client.list_tools()).tools
    assert len(listed) == len(ALL_TOOLS) == 10
    assert sum(definition_size(tool) for tool in listed) <= DEFINITIONS_BUDGET


async def test_a_null_argument_means_its_default(tools: Tools) -> None:
    """Strict clients send every argument: null max_records, cursor, connection, fields work."""
    page = await tools.ok(
        "run_query",
        {"soql": "SELECT Id FROM Contact", "max_records": None, "cursor": None, "connection": None},
    )
    assert len(page["records"]) == 25
    described = await tools.ok(
        "describe_object", {"object": "Case", "fields": None, "connection": None}
    )
    assert described["name"] == "Case"


@pytest.mark.parametrize(
    ("schema", "problem"),
    [
        ({"type": "object", "properties": {"a": {"type": "string"}}}, "additionalProperties"),
        (
            {
                "type": "object",
                "properties": {"a": {"type": "string"}},
                "additionalProperties": False,
            },
            "not in required",
        ),
        (
            {
                "type": "object",
                "properties": {"a": {"type": "string", "minLength": 1}},
                "required": ["a"],
                "additionalProperties": False,
            },
            "unsupported keywords",
        ),
        (
            {
                "type": "object",
                "properties": {"a": {"description": "anything"}},
                "required": ["a"],
                "additionalProperties": False,
            },
            "no type",
        ),
    ],
)
def test_the_strict_mode_check_finds_what_strict_mode_refuses(
    schema: dict[str, object], problem: str
) -> None:
    """The check is not vacuous: an open object, an optional property, a length bound, an
    untyped value are each reported."""
    assert any(problem in found for found in openai_strict_problems(schema))


def test_the_gemini_check_finds_what_gemini_refuses() -> None:
    """The check is not vacuous: examples are refused, and a description google-genai would
    drop (beside a nullable anyOf) is reported."""
    examples = {"type": "object", "properties": {"a": {"type": "string", "examples": ["x"]}}}
    assert gemini_problems(examples)
    beside = {
        "type": "object",
        "properties": {
            "a": {"anyOf": [{"type": "string"}, {"type": "null"}], "description": "lost"}
        },
    }
    assert any("drops" in problem for problem in gemini_problems(beside))
