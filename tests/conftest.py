"""Shared fixtures: an emulated org, and HTTP clients that reach it through its real ASGI app;
a throwaway PostgreSQL cluster, and the store backends the store tests run against."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from emulator.app import create_app
from emulator.config import EmulatorConfig
from emulator.org import Org
from emulator.seed import seeder_for
from server.store.interface import ConnectionStore
from tests.helpers.emulator import BASE_URL
from tests.helpers.postgres import PostgresCluster, find_bindir
from tests.helpers.stores import Backend


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


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    """A throwaway PostgreSQL cluster for the session (of this test worker)."""
    bindir = find_bindir()
    if bindir is None:
        pytest.skip(
            "PostgreSQL is not installed (no pg_config, no /usr/lib/postgresql/*/bin): "
            "apt-get install postgresql, as .ci/run does"
        )
    cluster = PostgresCluster(bindir).start()
    yield cluster
    cluster.close()


@pytest.fixture
def database_url(postgres: PostgresCluster) -> str:
    """The URL of a new, empty database on the cluster."""
    return postgres.database()


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """Each store backend in turn: SQLite in a home, PostgreSQL in a fresh database."""
    url = request.getfixturevalue("database_url") if request.param == "postgres" else None
    opened = Backend(request.param, tmp_path / "home", url)
    yield opened
    opened.close()


@pytest.fixture
def any_store(backend: Backend) -> ConnectionStore:
    """A store of each backend in turn."""
    return backend.open()
