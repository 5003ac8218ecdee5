"""Helpers for the emulator's tests: its URLs, an org's own client, and records over REST.

:mod:`tests.helpers.emulator.web_flow` drives the OAuth web-server flow;
:mod:`tests.helpers.emulator.soql_org` builds the small in-memory org of the SOQL tests;
:mod:`tests.helpers.emulator.searches` runs SOSL searches over REST.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from emulator.app import create_app
from emulator.config import EmulatorConfig
from emulator.ids import to18
from emulator.org import Org
from emulator.seed import seeder_for

#: The base URL the test clients use (the emulator's default address).
BASE_URL = "http://127.0.0.1:8787"
#: The REST API root at the version the tests speak.
API = "/services/data/v62.0"


@asynccontextmanager
async def client_for(config: EmulatorConfig) -> AsyncIterator[tuple[Org, httpx.AsyncClient]]:
    """An org built from ``config`` and an anonymous client of its app."""
    org = Org.create(config, seeder_for(config))
    transport = httpx.ASGITransport(app=create_app(org=org))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        yield org, http


async def create(client: httpx.AsyncClient, sobject: str, body: dict[str, Any]) -> str:
    """POST a record and return its id (asserting the create succeeded)."""
    response = await client.post(f"{API}/sobjects/{sobject}", json=body)
    assert response.status_code == 201, response.text
    record_id: str = response.json()["id"]
    return record_id


async def get_record(client: httpx.AsyncClient, sobject: str, record_id: str) -> dict[str, Any]:
    """GET a record by id, every field (asserting it was found)."""
    response = await client.get(f"{API}/sobjects/{sobject}/{record_id}")
    assert response.status_code == 200, response.text
    record: dict[str, Any] = response.json()
    return record


def demo_user_id(org: Org) -> str:
    """The id of the demo user the test client acts as."""
    user = org.user_by_username(org.config.username)
    assert user is not None
    user_id: str = user["Id"]
    return user_id


def is_id18(value: Any, prefix: str) -> bool:
    """True for an 18-character id of ``prefix`` whose last three characters are its checksum."""
    return (
        isinstance(value, str)
        and len(value) == 18
        and value.startswith(prefix)
        and to18(value) == value
    )
