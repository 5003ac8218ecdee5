"""Fixtures for the MCP tools: an emulated org over real HTTP, a connection made through its
password grant and saved with the store API, and the callforce server driven through the MCP
SDK's in-process client.

The emulator runs for the whole session; records created by one test never collide with
another's (names and external ids carry a random suffix). Each test gets a fresh home, store,
connection and server, and an emulator without faults.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client
from mcp.server.mcpserver import MCPServer
from mcp.types import CallToolResult, TextContent
from pydantic import SecretStr

from emulator.config import EmulatorConfig
from emulator.server import BackgroundEmulator
from server.app import build_server
from server.salesforce import grants as auth
from server.settings import Settings
from server.store.interface import Connection
from server.store.sqlite import SQLiteConnectionStore

DEMO_USER = "demo@callforce.dev"
DEMO_PASSWORD = "demo"
CLIENT_ID = "callforce-demo"
CLIENT_SECRET = "callforce-demo-secret"
API = "/services/data/v62.0"
CONNECTION = "demo"
_SOURCE_FILE = re.compile(r"\w\.py\b|line \d+, in ")


@pytest.fixture(scope="session")
def emulator() -> Iterator[BackgroundEmulator]:
    """The demo org on a free port, for the whole session."""
    with BackgroundEmulator(EmulatorConfig()) as running:
        yield running


@pytest.fixture
async def control(emulator: BackgroundEmulator) -> AsyncIterator[httpx.AsyncClient]:
    """A client for the emulator's /_emulator/ endpoints; no faults before or after the test."""
    async with httpx.AsyncClient(base_url=emulator.base_url) as http:
        await http.delete("/_emulator/faults")
        yield http
        await http.delete("/_emulator/faults")


def make_settings(home: Path, emulator: BackgroundEmulator, **overrides: Any) -> Settings:
    """Settings whose login hosts are the emulator and whose state lives under ``home``."""
    values: dict[str, Any] = {
        "home": home,
        "production_login_url": emulator.base_url,
        "sandbox_login_url": emulator.base_url,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "time_zone": "America/Los_Angeles",
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(tmp_path: Path, emulator: BackgroundEmulator) -> Settings:
    """Settings pointing at the emulator, home in a temporary directory."""
    return make_settings(tmp_path / "home", emulator)


async def connect(store: SQLiteConnectionStore, emulator: BackgroundEmulator, name: str) -> None:
    """Connect the demo user: password grant for the session, a refresh token from the org.

    The password grant issues no refresh token, so one is issued by the org itself, as the
    web-server flow would have; the call path only ever sees what is in the store.
    """
    async with httpx.AsyncClient() as http:
        tokens = await auth.password(
            http,
            login_url=emulator.base_url,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            username=DEMO_USER,
            password=DEMO_PASSWORD,
        )
    user = emulator.org.user_by_username(DEMO_USER)
    assert user is not None
    refresh = emulator.org.tokens.issue_refresh_token(user["Id"], CLIENT_ID, "api refresh_token")
    store.save(
        Connection(
            name=name,
            environment="production",
            login_url=emulator.base_url,
            instance_url=tokens.instance_url,
            auth_kind="oauth",
            access_token=SecretStr(tokens.access_token),
            refresh_token=SecretStr(refresh),
            org_id=tokens.org_id,
            user_id=tokens.user_id,
            username=DEMO_USER,
            is_default=name == CONNECTION,
        )
    )


@pytest.fixture
async def store(
    settings: Settings, emulator: BackgroundEmulator
) -> AsyncIterator[SQLiteConnectionStore]:
    """The test's connection store, holding the connected demo org as the default."""
    opened = SQLiteConnectionStore.from_settings(settings)
    await connect(opened, emulator, CONNECTION)
    yield opened
    opened.close()


class Tools:
    """Calls callforce's tools through the MCP client and checks what comes back."""

    def __init__(self, client: Client, store: SQLiteConnectionStore, settings: Settings) -> None:
        self.client = client
        self.store = store
        self.settings = settings

    async def call(self, name: str, arguments: dict[str, Any], **kwargs: Any) -> CallToolResult:
        """The raw result of one tool call."""
        return await self.client.call_tool(name, arguments, **kwargs)

    async def ok(self, name: str, arguments: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """The structured result of a call that must succeed."""
        result = await self.call(name, arguments, **kwargs)
        assert not result.is_error, text_of(result)
        assert isinstance(result.structured_content, dict)
        return result.structured_content

    async def error(self, name: str, arguments: dict[str, Any]) -> str:
        """The text of a call that must fail; it must leak nothing."""
        result = await self.call(name, arguments)
        assert result.is_error, result.structured_content
        text = text_of(result)
        self.assert_safe(text)
        return text

    def assert_safe(self, text: str) -> None:
        """No traceback, token, token name or filesystem path in ``text``."""
        forbidden = ["Traceback", "access_token", "refresh_token", str(self.settings.home)]
        forbidden += [str(Path(__file__).parents[2]), "site-packages", "/tmp/", "/usr/"]  # noqa: S108 - looked for, not used
        for conn in self.store.list():
            forbidden += [
                token.get_secret_value()
                for token in (conn.access_token, conn.refresh_token)
                if token is not None
            ]
        for word in forbidden:
            assert word not in text, f"{word!r} leaked into: {text}"
        assert not _SOURCE_FILE.search(text), f"a file name leaked into: {text}"


def text_of(result: CallToolResult) -> str:
    """The text content of a tool result."""
    return "\n".join(block.text for block in result.content if isinstance(block, TextContent))


@asynccontextmanager
async def serving(server: MCPServer[Any]) -> AsyncIterator[Client]:
    """An in-process client of ``server``, entered and left in one task of its own.

    pytest-asyncio runs a fixture's setup and teardown in different tasks, and the client's
    cancel scopes must be left in the task that entered them.
    """
    ready: asyncio.Future[Client] = asyncio.get_running_loop().create_future()
    stop = asyncio.Event()

    async def hold() -> None:
        try:
            async with Client(server) as client:
                ready.set_result(client)
                await stop.wait()
        except BaseException as exc:
            if not ready.done():
                ready.set_exception(exc)
            raise

    task = asyncio.create_task(hold())
    try:
        yield await ready
    finally:
        stop.set()
        await task


@pytest.fixture
async def tools(settings: Settings, store: SQLiteConnectionStore) -> AsyncIterator[Tools]:
    """The callforce server in-process, through the SDK's client."""
    async with serving(build_server(settings, store=store)) as client:
        yield Tools(client, store, settings)


@pytest.fixture
async def reader(emulator: BackgroundEmulator) -> AsyncIterator[httpx.AsyncClient]:
    """A REST client of the org, with a token of its own, to read records back."""
    async with httpx.AsyncClient() as http:
        tokens = await auth.password(
            http,
            login_url=emulator.base_url,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            username=DEMO_USER,
            password=DEMO_PASSWORD,
        )
    headers = {"Authorization": f"Bearer {tokens.access_token}"}
    async with httpx.AsyncClient(base_url=emulator.base_url + API, headers=headers) as http:
        yield http


async def read_record(reader: httpx.AsyncClient, sobject: str, record_id: str) -> dict[str, Any]:
    """A record as the org stores it."""
    response = await reader.get(f"/sobjects/{sobject}/{record_id}")
    assert response.status_code == 200, response.text
    record: dict[str, Any] = response.json()
    return record


async def insert_many(
    reader: httpx.AsyncClient, sobject: str, records: list[dict[str, Any]]
) -> list[str]:
    """Insert records straight through sObject Collections (not through callforce); their ids."""
    ids: list[str] = []
    for start in range(0, len(records), 200):
        chunk = [{"attributes": {"type": sobject}, **r} for r in records[start : start + 200]]
        response = await reader.post("/composite/sobjects", json={"records": chunk})
        assert response.status_code == 200, response.text
        assert all(item["success"] for item in response.json()), response.text
        ids += [item["id"] for item in response.json()]
    return ids


async def request_log(control: httpx.AsyncClient) -> list[dict[str, Any]]:
    """What reached the emulator since the log was last cleared, oldest first."""
    response = await control.get("/_emulator/requests")
    entries: list[dict[str, Any]] = response.json()
    return entries


async def clear_log(control: httpx.AsyncClient) -> None:
    """Empty the emulator's request log."""
    await control.delete("/_emulator/requests")


async def add_fault(control: httpx.AsyncClient, **rule: Any) -> None:
    """Install a fault rule on the emulator."""
    response = await control.post("/_emulator/faults", json=rule)
    assert response.status_code == 201, response.text


def unique(prefix: str = "") -> str:
    """A value no other test uses."""
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def dumps(value: Any) -> str:
    """Compact JSON, for messages."""
    return json.dumps(value, ensure_ascii=False)
