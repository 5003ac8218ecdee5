"""Fixtures for the server core: an emulated org over real HTTP, settings, a store, a client.

The emulators run on background threads for the whole module; each test gets a fresh home
directory, fresh tokens, and an emulator without faults and with an empty request log.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import certifi
import httpx
import pytest
from pydantic import SecretStr

from emulator.config import EmulatorConfig
from emulator.server import BackgroundEmulator
from server.salesforce.client import SalesforceClient
from server.settings import Settings
from server.store.interface import AuthKind, Connection
from server.store.sqlite import SQLiteConnectionStore
from tests.jwt_keys import write_jwt_key

DEMO_USER = "demo@callforce.dev"
CLIENT_ID = "callforce-demo"
CLIENT_SECRET = "callforce-demo-secret"
API = "/services/data/v62.0"


@pytest.fixture(scope="module")
def emulator() -> Iterator[BackgroundEmulator]:
    """The demo org on a free port, for the whole module."""
    with BackgroundEmulator(EmulatorConfig()) as running:
        yield running


@pytest.fixture(scope="module")
def rotating_emulator() -> Iterator[BackgroundEmulator]:
    """A demo org that answers every refresh with a new refresh token and kills the old one."""
    with BackgroundEmulator(EmulatorConfig(rotate_refresh_tokens=True)) as running:
        yield running


@pytest.fixture(scope="module")
def jwt_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """An RSA private key file and the PEM certificate of its public key."""
    return write_jwt_key(tmp_path_factory.mktemp("jwt"))


@pytest.fixture(scope="module")
def jwt_emulator(jwt_key: tuple[Path, str]) -> Iterator[BackgroundEmulator]:
    """An org whose connected app holds the test certificate."""
    with BackgroundEmulator(EmulatorConfig(jwt_certificate_pem=jwt_key[1])) as running:
        yield running


@pytest.fixture(autouse=True)
def _clean_emulators(request: pytest.FixtureRequest) -> None:
    """Every test starts with no fault rules and an empty request log on the emulators it uses."""
    for name in ("emulator", "rotating_emulator", "jwt_emulator"):
        if name in request.fixturenames:
            running: BackgroundEmulator = request.getfixturevalue(name)
            running.org.faults.clear()
            running.org.request_log.clear()


@pytest.fixture(scope="session")
def tls_context() -> ssl.SSLContext:
    """One CA store for the tests' HTTP clients: loading it costs ~0.5 s on a busy machine."""
    return ssl.create_default_context(cafile=certifi.where())


def shared_transport(tls_context: ssl.SSLContext) -> httpx.AsyncHTTPTransport:
    """A real network transport that reuses the shared CA store."""
    return httpx.AsyncHTTPTransport(verify=tls_context)


@pytest.fixture
async def control(
    emulator: BackgroundEmulator, tls_context: ssl.SSLContext
) -> AsyncIterator[httpx.AsyncClient]:
    """A plain client for the emulator's /_emulator/ endpoints."""
    async with httpx.AsyncClient(base_url=emulator.base_url, verify=tls_context) as http:
        yield http


def make_settings(home: Path, emulator: BackgroundEmulator, **overrides: Any) -> Settings:
    """Settings whose login hosts are the emulator and whose state lives under ``home``."""
    values: dict[str, Any] = {
        "home": home,
        "production_login_url": emulator.base_url,
        "sandbox_login_url": emulator.base_url,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(tmp_path: Path, emulator: BackgroundEmulator) -> Settings:
    """Settings pointing at the emulator, home in a temporary directory."""
    return make_settings(tmp_path / "home", emulator)


@pytest.fixture
def store(settings: Settings) -> Iterator[SQLiteConnectionStore]:
    """The SQLite connection store under the test's home."""
    opened = SQLiteConnectionStore.from_settings(settings)
    yield opened
    opened.close()


def connect_demo(
    store: SQLiteConnectionStore,
    emulator: BackgroundEmulator,
    name: str = "demo",
    *,
    auth_kind: AuthKind = "oauth",
    refresh: bool = True,
) -> Connection:
    """Save a connection to the emulator's demo user with fresh tokens, issued by the org.

    This is what the web-server flow leaves behind (an access token tied to a refresh token),
    without driving the login pages in every test.
    """
    org = emulator.org
    user = org.user_by_username(DEMO_USER)
    assert user is not None
    scope = "api refresh_token"
    refresh_token = (
        org.tokens.issue_refresh_token(user["Id"], CLIENT_ID, scope) if refresh else None
    )
    access_token = org.tokens.issue_access_token(user["Id"], CLIENT_ID, scope, refresh_token)
    conn = Connection(
        name=name,
        environment="production",
        login_url=emulator.base_url,
        instance_url=emulator.base_url,
        auth_kind=auth_kind,
        access_token=SecretStr(access_token),
        refresh_token=SecretStr(refresh_token) if refresh_token else None,
        org_id=org.org_id,
        user_id=user["Id"],
        username=DEMO_USER,
    )
    store.save(conn)
    return conn


@pytest.fixture
async def client(
    settings: Settings, store: SQLiteConnectionStore, tls_context: ssl.SSLContext
) -> AsyncIterator[SalesforceClient]:
    """The Salesforce client over the test's store (real HTTP; shared CA store)."""
    async with SalesforceClient(settings, store, transport=shared_transport(tls_context)) as sf:
        yield sf


async def request_log(control: httpx.AsyncClient) -> list[dict[str, Any]]:
    """What reached the emulator since the test began, oldest first."""
    response = await control.get("/_emulator/requests")
    entries: list[dict[str, Any]] = response.json()
    return entries


def token_requests(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The token endpoint calls of a request log."""
    return [entry for entry in log if entry["path"] == "/services/oauth2/token"]


async def add_fault(control: httpx.AsyncClient, **rule: Any) -> None:
    """Install a fault rule on the emulator."""
    response = await control.post("/_emulator/faults", json=rule)
    assert response.status_code == 201, response.text
