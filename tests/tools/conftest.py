"""Fixtures for the MCP tools: an emulated org over real HTTP, a connection made through its
password grant and saved with the store API, and the callforce server driven through the MCP
SDK's in-process client.

The emulator runs for the whole session; records created by one test never collide with
another's (names and external ids carry a random suffix). Each test gets a fresh home, store,
connection and server, and an emulator without faults. The org fixtures come from
:mod:`tests.helpers.org_fixtures`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from server.app import build_server
from server.settings import Settings
from server.store.sqlite import SQLiteConnectionStore
from tests.helpers.org_fixtures import (  # noqa: F401 - fixtures, registered by being imported
    fixture_control,
    fixture_emulator,
    fixture_reader,
    fixture_settings,
    fixture_store,
)
from tests.helpers.tool_calls import Tools, serving


@pytest.fixture
async def tools(settings: Settings, store: SQLiteConnectionStore) -> AsyncIterator[Tools]:
    """The callforce server in-process, through the SDK's client."""
    async with serving(build_server(settings, store=store)) as client:
        yield Tools(client, store, settings)
