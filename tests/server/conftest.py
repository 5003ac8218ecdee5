"""Fixtures for the server core: an emulated org over real HTTP, settings, a store, a client.

The emulators run on background threads for the whole module; each test gets a fresh home
directory, fresh tokens, and an emulator without faults and with an empty request log. The
helpers the tests import are in :mod:`tests.helpers.demo_org`.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import certifi
import httpx
import pytest

from emulator.config import EmulatorConfig
from emulator.server import BackgroundEmulator
from server.salesforce.client import SalesforceClient
from server.settings import Settings
from server.store.sqlite import SQLiteConnectionStore
from tests.helpers.demo_org import make_settings
from tests.helpers.jwt_keys import write_jwt_key


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


@pytest.fixture
async def control(
    emulator: BackgroundEmulator, tls_context: ssl.SSLContext
) -> AsyncIterator[httpx.AsyncClient]:
    """A plain client for the emulator's /_emulator/ endpoints."""
    async with httpx.AsyncClient(base_url=emulator.base_url, verify=tls_context) as http:
        yield http


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


@pytest.fixture
async def client(
    settings: Settings, store: SQLiteConnectionStore, tls_context: ssl.SSLContext
) -> AsyncIterator[SalesforceClient]:
    """The Salesforce client over the test's store (real HTTP; the CA store is the process's)."""
    async with SalesforceClient(settings, store) as sf:
        yield sf
