"""How callforce serves HTTP for voice platforms: answers leave at once (TCP_NODELAY on every
accepted connection, whatever the loop), the fastest loop, and stateless serving — no session,
JSON answers, one Salesforce request per warm call, cursors valid on any process that shares
the secret key."""

from __future__ import annotations

import asyncio
import base64
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from pydantic import SecretStr

from emulator.config import EmulatorConfig
from emulator.server import BackgroundEmulator
from server import web
from server.settings import Settings
from server.store.sqlite import SQLiteConnectionStore
from tests.helpers.demo_org import make_settings, request_log, save_demo

SECRET = base64.b64encode(b"k" * 32).decode()
QUERY = "SELECT Id, LastName FROM Contact ORDER BY LastName LIMIT 12"


@pytest.fixture(scope="module")
def emulator() -> Iterator[BackgroundEmulator]:
    """The demo org on a free port, for the whole module."""
    with BackgroundEmulator(EmulatorConfig()) as running:
        yield running


def _settings(home: Path, emulator: BackgroundEmulator, **overrides: Any) -> Settings:
    settings = make_settings(home, emulator, **overrides)
    store = SQLiteConnectionStore.from_settings(settings)
    save_demo(store, emulator, is_default=True)
    store.close()
    return settings


def _nodelay_of_accepted(server: web.HttpServer) -> list[int]:
    """TCP_NODELAY of the server side of every connection the server holds open."""
    found = []
    for protocol in server.server_state.connections:
        transport = getattr(protocol, "transport", None)
        sock = transport.get_extra_info("socket") if transport else None
        if sock is not None:  # asyncio's TransportSocket or uvloop's: both read options
            found.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
    return found


@pytest.mark.parametrize("loop", ["asyncio", "fastest"])
def test_every_accepted_connection_sends_at_once(
    tmp_path: Path, emulator: BackgroundEmulator, loop: str
) -> None:
    """The server side of a keep-alive connection has TCP_NODELAY, on the plain asyncio loop
    (which sets it only for IPPROTO_TCP sockets: the demo's 40 ms stall) and on the fastest."""
    settings = _settings(tmp_path / "home", emulator)
    store = SQLiteConnectionStore.from_settings(settings)
    sock = web.listen("127.0.0.1", 0)
    server = web.HttpServer(web.build_app(settings, store))

    def run() -> None:
        if loop == "asyncio":
            asyncio.run(server.serve(sockets=[sock]))
        else:
            web.run_fast(server.serve(sockets=[sock]))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        while not server.started:
            assert thread.is_alive()
            threading.Event().wait(0.01)
        with httpx.Client(base_url=web.url_of(sock)) as http:
            assert http.get("/healthz").status_code == 200  # the connection stays open
            accepted = _nodelay_of_accepted(server)
            assert accepted, "the keep-alive connection is held by the server"
            assert all(accepted)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        store.close()


def test_the_fastest_loop_is_uvloop_when_installed() -> None:
    """uvicorn[standard] brings uvloop; run_fast uses it, as uvicorn's own run does."""
    pytest.importorskip("uvloop")

    async def which() -> str:
        return type(asyncio.get_running_loop()).__module__

    assert web.run_fast(which()).startswith("uvloop")


@asynccontextmanager
async def _stateless(settings: Settings) -> AsyncIterator[httpx2.AsyncClient]:
    """A stateless HTTP app with its lifespan running, and an HTTP client reaching it."""
    store = SQLiteConnectionStore.from_settings(settings)
    app = web.build_app(settings, store)
    try:
        async with (
            app.router.lifespan_context(app),
            httpx2.AsyncClient(
                transport=httpx2.ASGITransport(app=app), base_url="http://127.0.0.1:8000"
            ) as http,
        ):
            yield http
    finally:
        store.close()


def _client(http: httpx2.AsyncClient, mode: str) -> Client:
    return Client(
        streamable_http_client(str(http.base_url.join("/mcp")), http_client=http),
        mode=mode,  # type: ignore[arg-type]
    )


async def test_stateless_answers_with_json_and_no_session(
    tmp_path: Path, emulator: BackgroundEmulator
) -> None:
    """`--stateless`: an initialize gets a JSON answer and no Mcp-Session-Id to keep."""
    settings = _settings(tmp_path / "home", emulator, http_stateless=True)
    initialize = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "probe", "version": "1"},
        },
    }
    async with _stateless(settings) as http:
        answer = await http.post(
            "/mcp",
            json=initialize,
            headers={"Accept": "application/json, text/event-stream"},
        )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    assert "mcp-session-id" not in answer.headers
    assert answer.json()["result"]["serverInfo"]["name"] == "callforce"


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
async def test_a_client_per_call_costs_one_salesforce_request_per_warm_call(
    tmp_path: Path, emulator: BackgroundEmulator, mode: str
) -> None:
    """As Vapi does: a new MCP client for every tool call. The pooled Salesforce client, the
    store and the caches are the process's, so a warm call is still exactly one request."""
    settings = _settings(tmp_path / "home", emulator, http_stateless=True)
    async with _stateless(settings) as http:
        async with _client(http, mode) as first:  # warm-up: the session is renewed once
            assert not (await first.call_tool("run_query", {"soql": QUERY})).is_error
        before = len(await request_log(emulator))
        for _ in range(3):
            async with _client(http, mode) as client:
                result = await client.call_tool("run_query", {"soql": QUERY, "max_records": 2})
            assert not result.is_error
        calls = (await request_log(emulator))[before:]
    assert [entry["path"] for entry in calls] == ["/services/data/v62.0/query"] * 3


async def _first_page(http: httpx2.AsyncClient) -> str:
    async with _client(http, "legacy") as client:
        result = await client.call_tool("run_query", {"soql": QUERY, "max_records": 5})
    assert isinstance(result.structured_content, dict)
    cursor = result.structured_content["next_page"]
    assert isinstance(cursor, str)
    return cursor


async def _next_page(http: httpx2.AsyncClient, cursor: str) -> Any:
    async with _client(http, "legacy") as client:
        return await client.call_tool(
            "run_query", {"soql": QUERY, "cursor": cursor, "max_records": 5}
        )


async def test_a_cursor_works_on_another_process_sharing_the_secret_key(
    tmp_path: Path, emulator: BackgroundEmulator
) -> None:
    """Two replicas with one CALLFORCE_SECRET_KEY: a page asked of one continues on the other."""
    settings = _settings(
        tmp_path / "home", emulator, http_stateless=True, secret_key=SecretStr(SECRET)
    )
    async with _stateless(settings) as one:
        cursor = await _first_page(one)
    async with _stateless(settings) as other:
        continued = await _next_page(other, cursor)
    assert not continued.is_error
    assert len(continued.structured_content["records"]) == 5


async def test_without_a_shared_secret_a_cursor_stays_with_its_process(
    tmp_path: Path, emulator: BackgroundEmulator
) -> None:
    """No CALLFORCE_SECRET_KEY: each process signs with a key of its own."""
    settings = _settings(tmp_path / "home", emulator, http_stateless=True)
    async with _stateless(settings) as one:
        cursor = await _first_page(one)
    async with _stateless(settings) as other:
        refused = await _next_page(other, cursor)
    assert refused.is_error
