"""Fixtures for the fault suite: the demo org (with its /_emulator/ fault rules), a connected
store, and the callforce server driven through the MCP SDK's client — as the tool tests have.
A test that needs other settings builds its server from ``settings.model_copy(update=…)``."""

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
