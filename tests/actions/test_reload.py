"""Reloading the action file without a restart: tools are swapped, clients told, and a bad
file leaves the served tools as they were."""

from __future__ import annotations

import asyncio
from pathlib import Path

from mcp.shared.subscriptions import ToolsListChanged

from server.actions.model import GENERIC_TOOL_NAMES
from server.actions.serving import reload_actions, watch_actions
from server.settings import Settings
from server.store.sqlite import SQLiteConnectionStore
from tests.helpers.action_files import OrgAccess, served, write_actions
from tests.helpers.tool_calls import Tools

FIRST = """
[[action]]
name = "find_contact"
kind = "query"
description = "Find a contact by email."
soql = "SELECT Id, LastName FROM Contact WHERE Email = '{{ email }}'"
"""

SECOND = """
[[action]]
name = "find_lead"
kind = "query"
description = "Find a lead by email."
soql = "SELECT Id, LastName FROM Lead WHERE Email = '{{ email }}'"

[[action]]
name = "new_lead"
kind = "create"
object = "Lead"
description = "Create a lead."
data = { LastName = "{{ lastName }}", Company = "{{ company }}" }
"""


async def _names(tools: Tools) -> set[str]:
    return {tool.name for tool in (await tools.client.list_tools()).tools} - GENERIC_TOOL_NAMES


async def test_reload_swaps_the_action_tools(
    tmp_path: Path, settings: Settings, store: SQLiteConnectionStore, org_access: OrgAccess
) -> None:
    """The old file's tools go, the new file's come; the generic tools stay."""
    path = write_actions(tmp_path, FIRST)
    async with served(path, settings, store, org_access) as (tools, server):
        assert await _names(tools) == {"find_contact"}
        write_actions(tmp_path, SECOND)
        result = await reload_actions(
            server, path, client=org_access.client, describe=org_access.describe
        )
        assert result.loaded
        assert result.tools == ("find_lead", "new_lead")
        assert await _names(tools) == {"find_lead", "new_lead"}
        listed = {tool.name for tool in (await tools.client.list_tools()).tools}
        assert listed >= GENERIC_TOOL_NAMES
        found = await tools.ok("find_lead", {"email": "marco.rossi@brightline.example.com"})
        assert found["records"][0]["LastName"] == "Rossi"
        gone = await tools.call("find_contact", {"email": "ana@example.com"})
        assert gone.is_error


async def test_a_bad_reload_keeps_the_old_tools(
    tmp_path: Path, settings: Settings, store: SQLiteConnectionStore, org_access: OrgAccess
) -> None:
    """Invalid TOML, or fields the org does not have: problems reported, old tools served."""
    path = write_actions(tmp_path, FIRST)
    async with served(path, settings, store, org_access) as (tools, server):
        for text, problem in (
            (SECOND.replace("kind = ", "kind == "), "not valid TOML"),
            (
                SECOND.replace("Company =", "Compnay ="),
                "action 'new_lead': data.Compnay: Lead has no",
            ),
            (
                SECOND.replace("FROM Lead", "FROM Laed"),
                "action 'find_lead': soql: Salesforce has no",
            ),
        ):
            write_actions(tmp_path, text)
            result = await reload_actions(
                server, path, client=org_access.client, describe=org_access.describe
            )
            assert not result.loaded
            assert result.tools == ("find_contact",)
            assert any(problem in str(p) for p in result.problems), result.problems
            assert await _names(tools) == {"find_contact"}
            found = await tools.ok("find_contact", {"email": "ana@example.com"})
            assert found["records"][0]["LastName"] == "García"


async def test_read_only_reload_drops_write_actions(
    tmp_path: Path, settings: Settings, store: SQLiteConnectionStore, org_access: OrgAccess
) -> None:
    """A reload honours read-only mode like start-up does."""
    path = write_actions(tmp_path, FIRST)
    async with served(path, settings, store, org_access, read_only=True) as (tools, server):
        write_actions(tmp_path, SECOND)
        result = await reload_actions(
            server, path, client=org_access.client, describe=org_access.describe, read_only=True
        )
        assert result.tools == ("find_lead",)
        assert await _names(tools) == {"find_lead"}


async def test_clients_are_told_the_tool_list_changed(
    tmp_path: Path, settings: Settings, store: SQLiteConnectionStore, org_access: OrgAccess
) -> None:
    """A listening client receives tools/list_changed when the reload lands."""
    path = write_actions(tmp_path, FIRST)
    async with served(path, settings, store, org_access) as (tools, server):
        async with tools.client.listen(tools_list_changed=True) as events:
            write_actions(tmp_path, SECOND)
            await reload_actions(
                server, path, client=org_access.client, describe=org_access.describe
            )
            event = await asyncio.wait_for(anext(aiter(events)), timeout=5)
        assert isinstance(event, ToolsListChanged)


async def test_the_watcher_reloads_when_the_file_changes(
    tmp_path: Path, settings: Settings, store: SQLiteConnectionStore, org_access: OrgAccess
) -> None:
    """watch_actions notices a changed file and swaps the tools; it stops when cancelled."""
    path = write_actions(tmp_path, FIRST)
    async with served(path, settings, store, org_access) as (tools, server):
        watcher = asyncio.create_task(
            watch_actions(
                server, path, client=org_access.client, describe=org_access.describe, interval=0.05
            )
        )
        try:
            await asyncio.sleep(0.1)
            write_actions(tmp_path, SECOND)
            for _ in range(100):
                if await _names(tools) == {"find_lead", "new_lead"}:
                    break
                await asyncio.sleep(0.05)
            assert await _names(tools) == {"find_lead", "new_lead"}
        finally:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)
