"""Shared fixtures: an emulated org, and HTTP clients that reach it through its real ASGI app."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from emulator.app import create_app
from emulator.config import EmulatorConfig
from emulator.org import Org
from emulator.seed import seeder_for
from tests.helpers.emulator import BASE_URL


@pytest.fixture
def org() -> Org:
    """A fresh demo org in memory."""
    config = EmulatorConfig()
    return Org.create(config, seeder_for(config))


@pytest.fixture
def token(org: Org) -> str:
    """A valid access token of the demo user."""
    user = org.user_by_username(org.config.username)
    assert user is not None
    return org.tokens.issue_access_token(user["Id"], org.config.client_id, "api refresh_token")


@pytest.fixture
async def client(org: Org, token: str) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client authenticated as the demo user, talking to the org's ASGI app."""
    transport = httpx.ASGITransport(app=create_app(org=org))
    async with httpx.AsyncClient(
        transport=transport, base_url=BASE_URL, headers={"Authorization": f"Bearer {token}"}
    ) as http:
        yield http


@pytest.fixture
async def anon_client(org: Org) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client without credentials, talking to the org's ASGI app."""
    transport = httpx.ASGITransport(app=create_app(org=org))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        yield http
