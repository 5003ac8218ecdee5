"""The tool surface: the tools/list snapshot, invariants over every tool, read-only mode."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from mcp.types import Tool

from server.app import build_server
from server.settings import Settings
from server.store.sqlite import SQLiteConnectionStore
from tests.helpers.tool_calls import Tools, serving, text_of

SNAPSHOT = Path(__file__).parent / "snapshots" / "tools_list.json"
ALL = [
    "run_query",
    "describe_object",
    "find_caller",
    "create_record",
    "update_record",
    "upsert_record",
    "bulk_write",
    "custom_api_call",
    "connection_status",
    "log_call",
]
TITLES = {
    "run_query": "Run Query",
    "describe_object": "Describe Object",
    "find_caller": "Find Caller",
    "create_record": "Create Object",
    "update_record": "Update Object",
    "upsert_record": "Upsert",
    "bulk_write": "Bulk Create/Update",
    "custom_api_call": "Custom API Call",
    "connection_status": "Connection Status",
    "log_call": "Log Call",
}


def _surface(tool: Tool) -> dict[str, Any]:
    return {
        "name": tool.name,
        "title": tool.title,
        "annotations": tool.annotations.model_dump(mode="json", by_alias=True, exclude_none=True)
        if tool.annotations
        else None,
        "inputSchema": tool.input_schema,
    }


async def test_tools_list_matches_the_snapshot(tools: Tools) -> None:
    """tools/list (names, titles, annotations, input schemas) equals the stored snapshot."""
    listed = [_surface(tool) for tool in (await tools.client.list_tools()).tools]
    if os.environ.get("CALLFORCE_UPDATE_SNAPSHOTS") == "1" and not SNAPSHOT.exists():
        SNAPSHOT.write_text(json.dumps(listed, indent=2, ensure_ascii=False) + "\n")
    if not SNAPSHOT.exists():
        pytest.fail(f"no snapshot: run once with CALLFORCE_UPDATE_SNAPSHOTS=1 to write {SNAPSHOT}")
    assert listed == json.loads(SNAPSHOT.read_text())


async def test_every_tool_of_the_contract_is_listed_with_its_title(tools: Tools) -> None:
    """The contract's generic tools are listed, with the titles users know."""
    listed = (await tools.client.list_tools()).tools
    assert [tool.name for tool in listed] == ALL
    assert {tool.name: tool.title for tool in listed} == TITLES


async def test_every_tool_is_described_and_annotated(tools: Tools) -> None:
    """Each tool has a description and all four safety hints set."""
    for tool in (await tools.client.list_tools()).tools:
        assert tool.description, tool.name
        assert len(tool.description) > 80, tool.name
        hints = tool.annotations
        assert hints is not None, tool.name
        for hint in ("read_only_hint", "destructive_hint", "idempotent_hint", "open_world_hint"):
            assert isinstance(getattr(hints, hint), bool), (tool.name, hint)


async def test_input_schemas_are_flat_and_described(tools: Tools) -> None:
    """No top-level combinators; every argument has a description (a nullable one's inside its
    type, where google-genai keeps it), none an example (examples are in the descriptions)."""
    for tool in (await tools.client.list_tools()).tools:
        schema = tool.input_schema
        assert schema["type"] == "object", tool.name
        assert not {"anyOf", "oneOf", "allOf", "$ref"} & schema.keys(), tool.name
        for name, prop in schema.get("properties", {}).items():
            assert prop.get("description") or prop["anyOf"][0].get("description"), (tool.name, name)
            assert "examples" not in json.dumps(prop), (tool.name, name)
            assert "$ref" not in json.dumps(prop), (tool.name, name)


async def test_every_tool_has_an_output_schema(tools: Tools) -> None:
    """Each tool declares the structured result it returns."""
    for tool in (await tools.client.list_tools()).tools:
        assert tool.output_schema is not None, tool.name
        assert tool.output_schema["type"] == "object", tool.name


async def test_read_and_write_hints_are_true_to_the_tool(tools: Tools) -> None:
    """Only the query, describe and status tools claim to be read-only."""
    hints = {tool.name: tool.annotations for tool in (await tools.client.list_tools()).tools}
    read_only = {name for name, hint in hints.items() if hint and hint.read_only_hint}
    assert read_only == {"run_query", "describe_object", "find_caller", "connection_status"}
    assert hints["create_record"]
    assert hints["create_record"].idempotent_hint is False
    assert hints["upsert_record"]
    assert hints["upsert_record"].idempotent_hint is True
    assert hints["custom_api_call"]
    assert hints["custom_api_call"].destructive_hint is True
    assert hints["connection_status"]
    assert hints["connection_status"].open_world_hint is False


async def test_read_only_mode_lists_only_reading_tools(
    settings: Settings, store: SQLiteConnectionStore
) -> None:
    """read_only=True registers run_query, describe_object, find_caller and connection_status,
    nothing else."""
    async with serving(build_server(settings, read_only=True, store=store)) as client:
        names = [tool.name for tool in (await client.list_tools()).tools]
        refused = await client.call_tool("create_record", {"object": "Contact", "data": {"a": 1}})
    assert names == ["run_query", "describe_object", "find_caller", "connection_status"]
    assert refused.is_error


async def test_read_only_setting_is_honoured(
    settings: Settings, store: SQLiteConnectionStore
) -> None:
    """Settings(read_only=True) has the same effect as the read_only argument."""
    read_only = settings.model_copy(update={"read_only": True})
    async with serving(build_server(read_only, store=store)) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
    assert names == {"run_query", "describe_object", "find_caller", "connection_status"}


async def test_the_agent_gets_instructions(
    settings: Settings, store: SQLiteConnectionStore
) -> None:
    """The server tells the agent how to use the tools; read-only mode says it is read-only."""
    async with serving(build_server(settings, store=store)) as client:
        instructions = client.instructions or ""
    assert "run_query" in instructions
    assert "never invent" in instructions
    assert "read-only" not in instructions
    async with serving(build_server(settings, read_only=True, store=store)) as client:
        assert "read-only" in (client.instructions or "")


async def test_without_a_store_the_server_opens_its_own(tmp_path: Path, settings: Settings) -> None:
    """build_server without a store opens the one under home; an empty one says to connect."""
    fresh = settings.model_copy(update={"home": tmp_path / "fresh-home"})
    async with serving(build_server(fresh)) as client:
        status = await client.call_tool("connection_status", {})
        query = await client.call_tool("run_query", {"soql": "SELECT Id FROM Account"})
    assert status.structured_content == {"connections": [], "default": None}
    assert query.is_error
    assert "No Salesforce org is connected yet" in text_of(query)
    assert (tmp_path / "fresh-home" / "callforce.db").exists()


def test_importing_the_app_starts_nothing() -> None:
    """Importing server.app pulls in no emulator code (no heavy import, no module state)."""
    code = "import sys, server.app; print(any(m.startswith('emulator') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
