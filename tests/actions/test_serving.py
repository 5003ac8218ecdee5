"""Configured actions served for real: `callforce serve --actions` over stdio, `--expose`, and
the running server reloading the file it was started with."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from mcp import Client, StdioServerParameters

from emulator.server import BackgroundEmulator
from server.actions.model import GENERIC_TOOL_NAMES
from server.actions.serving import load_action_specs
from server.app import build_server
from server.settings import Settings
from server.store.sqlite import SQLiteConnectionStore
from tests.helpers.action_files import EXAMPLE_TOOLS, EXAMPLES, write_actions
from tests.helpers.demo_org import CLIENT_ID, CLIENT_SECRET
from tests.helpers.tool_calls import serving

ROOT = Path(__file__).resolve().parents[2]
FIND = """
[[action]]
name = "find_contact"
kind = "query"
description = "Find a contact by email."
soql = "SELECT Id, LastName FROM Contact WHERE Email = '{{ email }}'"
"""
FIND_LEAD = FIND.replace("find_contact", "find_lead").replace("FROM Contact", "FROM Lead")


async def test_stdio_serves_only_the_actions(
    settings: Settings, store: SQLiteConnectionStore, emulator: BackgroundEmulator
) -> None:
    """`serve --actions FILE --expose actions` over stdio: exactly the file's tools, working."""
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "server.cli", "serve", "--actions", str(EXAMPLES), "--expose", "actions"],
        env={
            "CALLFORCE_HOME": str(settings.home),
            "CALLFORCE_PRODUCTION_LOGIN_URL": emulator.base_url,
            "CALLFORCE_CLIENT_ID": CLIENT_ID,
            "CALLFORCE_CLIENT_SECRET": CLIENT_SECRET,
        },
        cwd=ROOT,
    )
    async with Client(params) as client:
        listed = await client.list_tools()
        found = await client.call_tool("find_contact_by_email", {"email": "ana@example.com"})
        generic = await client.call_tool("run_query", {"soql": "SELECT Id FROM Contact"})
    assert [tool.name for tool in listed.tools] == EXAMPLE_TOOLS
    assert not found.is_error
    assert isinstance(found.structured_content, dict)
    assert [r["Email"] for r in found.structured_content["records"]] == ["ana@example.com"]
    assert generic.is_error, "run_query is not offered with --expose actions"


async def test_reads_exposes_only_tools_that_cannot_write(
    settings: Settings, store: SQLiteConnectionStore
) -> None:
    """`expose = reads`: the generic reads and the query actions, nothing that writes."""
    specs = await load_action_specs(settings, store, EXAMPLES)
    reads = settings.model_copy(update={"expose": "reads"})
    async with serving(build_server(reads, store=store, actions=specs)) as client:
        listed = (await client.list_tools()).tools
    assert [tool.name for tool in listed] == [
        "run_query",
        "describe_object",
        "find_caller",
        "connection_status",
        "find_contact_by_email",
        "find_company",
    ]
    assert all(tool.annotations and tool.annotations.read_only_hint for tool in listed)


async def _action_names(client: Client) -> set[str]:
    return {tool.name for tool in (await client.list_tools()).tools} - GENERIC_TOOL_NAMES


async def _until(client: Client, expected: set[str]) -> set[str]:
    """The served action tools, once they are ``expected`` (or after 60 s of waiting)."""
    for _ in range(600):
        names = await _action_names(client)
        if names == expected:
            break
        await asyncio.sleep(0.1)
    return names


async def test_the_server_reloads_its_action_file(
    tmp_path: Path, settings: Settings, store: SQLiteConnectionStore
) -> None:
    """A server started with an action file picks up edits on its own; a broken edit keeps
    the tools it had."""
    path = write_actions(tmp_path, FIND)
    watched = settings.model_copy(update={"actions": path, "actions_reload_seconds": 0.05})
    specs = await load_action_specs(watched, store, path)
    async with serving(build_server(watched, store=store, actions=specs)) as client:
        assert await _action_names(client) == {"find_contact"}
        write_actions(tmp_path, FIND + FIND_LEAD)
        assert await _until(client, {"find_contact", "find_lead"}) == {"find_contact", "find_lead"}
        write_actions(tmp_path, FIND_LEAD.replace("FROM Lead", "FROM Leed"))
        await asyncio.sleep(1)  # twenty polls: the broken file was seen and refused
        assert await _action_names(client) == {"find_contact", "find_lead"}
        found = await client.call_tool("find_lead", {"email": "nobody@example.com"})
    assert not found.is_error


async def test_an_edit_made_before_the_server_starts_is_not_missed(
    tmp_path: Path, settings: Settings, store: SQLiteConnectionStore
) -> None:
    """The watch compares with the file version the tools were built from, not with the file
    as it is when watching begins: an edit in between is picked up."""
    path = write_actions(tmp_path, FIND)
    watched = settings.model_copy(update={"actions": path, "actions_reload_seconds": 0.05})
    specs = await load_action_specs(watched, store, path)
    write_actions(tmp_path, FIND + FIND_LEAD)  # after loading, before serving
    async with serving(build_server(watched, store=store, actions=specs)) as client:
        assert await _until(client, {"find_contact", "find_lead"}) == {"find_contact", "find_lead"}


async def test_an_edit_keeping_size_and_timestamp_is_not_missed(
    tmp_path: Path, settings: Settings, store: SQLiteConnectionStore
) -> None:
    """Content is compared, not size and modification time: an edit of the same length within
    one timestamp tick (here: the old timestamp put back) is still seen."""
    path = write_actions(tmp_path, FIND)
    before = path.stat()
    watched = settings.model_copy(update={"actions": path, "actions_reload_seconds": 0.05})
    specs = await load_action_specs(watched, store, path)
    async with serving(build_server(watched, store=store, actions=specs)) as client:
        assert await _action_names(client) == {"find_contact"}
        await asyncio.sleep(0.3)  # a few rounds of the watch first: it has seen the file
        write_actions(tmp_path, FIND.replace("find_contact", "find_person1"))
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        assert path.stat().st_size == before.st_size
        assert await _until(client, {"find_person1"}) == {"find_person1"}
