"""Fixtures for configured actions: the demo org, a client and describe cache built outside the
server (as the CLI builds them to type the action tools), and a server serving the example file.

The org fixtures are those of the tool tests (:mod:`tests.helpers.org_fixtures`); action files
are written and served with :mod:`tests.helpers.action_files`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from server.salesforce.client import SalesforceClient
from server.salesforce.describe_cache import DescribeCache
from server.settings import Settings
from server.store.sqlite import SQLiteConnectionStore
from tests.helpers.action_files import EXAMPLES, OrgAccess, served
from tests.helpers.org_fixtures import (  # noqa: F401 - fixtures, registered by being imported
    fixture_control,
    fixture_emulator,
    fixture_reader,
    fixture_settings,
    fixture_store,
)
from tests.helpers.tool_calls import Tools


@pytest.fixture
async def org_access(settings: Settings, store: SQLiteConnectionStore) -> AsyncIterator[OrgAccess]:
    """A client of the connected demo org and a describe cache, outside any server."""
    async with SalesforceClient(settings, store) as client:
        yield OrgAccess(client, DescribeCache.from_settings(settings))


@pytest.fixture
async def examples(
    settings: Settings, store: SQLiteConnectionStore, org_access: OrgAccess
) -> AsyncIterator[Tools]:
    """The server serving the example action file and the generic tools."""
    async with served(EXAMPLES, settings, store, org_access) as (tools, _):
        yield tools
