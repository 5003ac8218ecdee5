"""Fixtures for configured actions: the demo org, a client and describe cache built outside the
server (as the CLI builds them to type the action tools), and a server serving an action file.

The org fixtures come from tests/tools/conftest.py; :func:`served` loads an action file (a path
or TOML text), checks it against the org, registers its tools on a fresh server and yields the
``Tools`` helper driving it through the MCP client.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from mcp.server.mcpserver import MCPServer

from server.action_tools import Expose, build_action_specs, register_actions, select_tools
from server.actions import load_actions
from server.app import build_server
from server.describe import DescribeCache
from server.salesforce import SalesforceClient
from server.settings import Settings
from server.store import SQLiteConnectionStore
from tests.tools import conftest as tool_fixtures
from tests.tools.conftest import Tools, serving
from tools import ALL_TOOLS

# The org fixtures of the tool tests, shared.
emulator = tool_fixtures.emulator
control = tool_fixtures.control
settings = tool_fixtures.settings
store = tool_fixtures.store
reader = tool_fixtures.reader

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "actions.toml"


@dataclass(frozen=True, slots=True)
class OrgAccess:
    """What typing action tools needs: a Salesforce client and a describe cache."""

    client: SalesforceClient
    describe: DescribeCache


@pytest.fixture
async def org_access(settings: Settings, store: SQLiteConnectionStore) -> AsyncIterator[OrgAccess]:
    """A client of the connected demo org and a describe cache, outside any server."""
    async with SalesforceClient(settings, store) as client:
        yield OrgAccess(client, DescribeCache.from_settings(settings))


def write_actions(directory: Path, text: str, name: str = "actions.toml") -> Path:
    """An action file holding ``text``."""
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


@asynccontextmanager
async def served(
    source: Path,
    settings: Settings,
    store: SQLiteConnectionStore,
    access: OrgAccess,
    *,
    read_only: bool = False,
    expose: Expose = "all",
) -> AsyncIterator[tuple[Tools, MCPServer[Any]]]:
    """The server with the actions of ``source`` (and the generic tools as ``expose`` says)."""
    specs = await build_action_specs(load_actions(source), access.client, access.describe)
    # What build_server will do with an ``actions`` parameter: the generic tools as exposed,
    # then the actions.
    server = build_server(settings, store=store, read_only=read_only)
    keep = {spec.name for spec in select_tools(ALL_TOOLS, [], read_only=read_only, expose=expose)}
    for tool in await server.list_tools():
        if tool.name not in keep:
            server.remove_tool(tool.name)
    register_actions(server, select_tools([], specs, read_only=read_only, expose=expose))
    async with serving(server) as client:
        yield Tools(client, store, settings), server


@pytest.fixture
async def examples(
    settings: Settings, store: SQLiteConnectionStore, org_access: OrgAccess
) -> AsyncIterator[Tools]:
    """The server serving examples/actions.toml and the generic tools."""
    async with served(EXAMPLES, settings, store, org_access) as (tools, _):
        yield tools
