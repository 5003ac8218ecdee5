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

from server.actions.cli import EXAMPLE_FILE
from server.actions.model import load_actions
from server.actions.specs import build_action_specs
from server.app import build_server
from server.salesforce.client import SalesforceClient
from server.salesforce.describe_cache import DescribeCache
from server.settings import Settings
from server.store.sqlite import SQLiteConnectionStore
from server.toolkit import Expose
from tests.tools import conftest as tool_fixtures
from tests.tools.conftest import Tools, serving

# The org fixtures of the tool tests, shared.
emulator = tool_fixtures.emulator
control = tool_fixtures.control
settings = tool_fixtures.settings
store = tool_fixtures.store
reader = tool_fixtures.reader

EXAMPLES = EXAMPLE_FILE
#: The tools of the example file, in order.
EXAMPLE_TOOLS = [
    "find_contact_by_email",
    "find_caller_by_phone",
    "create_contact",
    "update_account",
    "upsert_lead",
    "log_call",
]


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
    exposed = settings.model_copy(update={"expose": expose})
    server = build_server(exposed, store=store, read_only=read_only, actions=specs)
    async with serving(server) as client:
        yield Tools(client, store, settings), server


@pytest.fixture
async def examples(
    settings: Settings, store: SQLiteConnectionStore, org_access: OrgAccess
) -> AsyncIterator[Tools]:
    """The server serving the example action file and the generic tools."""
    async with served(EXAMPLES, settings, store, org_access) as (tools, _):
        yield tools
