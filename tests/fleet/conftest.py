"""The fleet, for the whole module: an org that rotates refresh tokens, one PostgreSQL database
holding a connection to it, and three ``serve --stateless`` replicas sharing that database and
one secret key. Each test gets an HTTP client and a client of the emulator's control endpoints,
with no faults and an empty request log."""

from __future__ import annotations

import base64
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import httpx2
import pytest
from pydantic import SecretStr

from emulator.config import EmulatorConfig
from emulator.server import BackgroundEmulator
from server.settings import Settings
from server.store.interface import Connection
from server.store.opening import open_store
from tests.fleet.replicas import Replica, replica_env
from tests.helpers.demo_org import CLIENT_ID, CLIENT_SECRET, CONNECTION, DEMO_USER, demo_tokens
from tests.helpers.emulator import demo_user_id
from tests.helpers.postgres import PostgresCluster

REPLICAS = 3
#: Longer than the default 4.5 s: three replicas, PostgreSQL, the emulator and the test share
#: two cores here, and a call that runs out of time would be a flake, not a finding.
DEADLINE_SECONDS = "10"


@dataclass
class Fleet:
    """What the tests act on: the replicas, their database, their settings, the org."""

    replicas: list[Replica]
    database_url: str
    settings: Settings
    emulator: BackgroundEmulator
    cluster: PostgresCluster

    def store(self) -> Connection:
        """The connection as the database holds it now."""
        store = open_store(self.settings)
        try:
            conn = store.get(CONNECTION)
        finally:
            store.close()
        assert conn is not None
        return conn

    def logs(self) -> str:
        """Every replica's stderr tail, for a failure's message."""
        return "\n".join(f"--- {r.name}\n{r.log_tail()}" for r in self.replicas)


@pytest.fixture(scope="module")
def rotating() -> Iterator[BackgroundEmulator]:
    """An org that answers every refresh with a new refresh token and kills the old one."""
    with BackgroundEmulator(EmulatorConfig(rotate_refresh_tokens=True)) as running:
        yield running


@pytest.fixture(scope="module")
def fleet(
    postgres: PostgresCluster,
    rotating: BackgroundEmulator,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Fleet]:
    """The connection saved once into a fresh database; three replicas started and answering."""
    root = tmp_path_factory.mktemp("fleet")
    database_url = postgres.database()
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    settings = Settings(
        home=root / "setup",
        database_url=SecretStr(database_url),
        secret_key=SecretStr(key),
        production_login_url=rotating.base_url,
        client_id=CLIENT_ID,
        client_secret=SecretStr(CLIENT_SECRET),
    )
    _save_connection(settings, rotating)
    replicas = [
        Replica(
            name,
            root / name,
            replica_env(
                root / name,
                database_url,
                name,
                secret_key=key,
                production_login_url=rotating.base_url,
                client_id=CLIENT_ID,
                client_secret=CLIENT_SECRET,
                call_deadline_seconds=DEADLINE_SECONDS,
            ),
        )
        for name in (f"replica-{number}" for number in range(1, REPLICAS + 1))
    ]
    try:
        for replica in replicas:  # all at once: they migrate and check the key together
            replica.start()
        for replica in replicas:
            replica.wait_ready()
        yield Fleet(replicas, database_url, settings, rotating, postgres)
    finally:
        for replica in replicas:
            replica.stop()


def _save_connection(settings: Settings, emulator: BackgroundEmulator) -> None:
    """The demo user's connection with tokens issued by the org, as the connect flow leaves it."""
    access, refresh = demo_tokens(emulator)
    store = open_store(settings)
    try:
        store.save(
            Connection(
                name=CONNECTION,
                environment="production",
                login_url=emulator.base_url,
                instance_url=emulator.base_url,
                auth_kind="oauth",
                access_token=SecretStr(access),
                refresh_token=SecretStr(refresh),
                org_id=emulator.org.org_id,
                user_id=demo_user_id(emulator.org),
                username=DEMO_USER,
                is_default=True,
            )
        )
    finally:
        store.close()


@pytest.fixture
async def http() -> AsyncIterator[httpx2.AsyncClient]:
    """The clients' shared HTTP pool (room for every concurrent call of a test)."""
    async with httpx2.AsyncClient(
        timeout=httpx2.Timeout(30), limits=httpx2.Limits(max_connections=200)
    ) as client:
        yield client


@pytest.fixture
async def control(fleet: Fleet) -> AsyncIterator[httpx.AsyncClient]:
    """The emulator's /_emulator/ endpoints; no faults and an empty request log to start."""
    async with httpx.AsyncClient(base_url=fleet.emulator.base_url) as client:
        await client.delete("/_emulator/faults")
        await client.delete("/_emulator/requests")
        yield client
        await client.delete("/_emulator/faults")
