"""callforce over its two wires: stdio (a real subprocess) and Streamable HTTP (the Starlette app
through an ASGI transport), and what guards the HTTP side: bind, Host/Origin, bearer tokens."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client, MCPError, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.types import METHOD_NOT_FOUND
from pydantic import SecretStr
from starlette.applications import Starlette

from emulator.config import EmulatorConfig
from emulator.server import BackgroundEmulator
from server import __version__, cli, web
from server.settings import Settings
from server.store.sqlite import SQLiteConnectionStore
from tests.helpers.demo_org import CLIENT_ID, CLIENT_SECRET, make_settings, save_demo
from tools import ALL_TOOLS

ROOT = Path(__file__).resolve().parents[1]
API_TOKEN = "mcp-client-token-0123456789abcdef"
ANA = "SELECT Id, Email FROM Contact WHERE Email = 'ana@example.com'"


@pytest.fixture(scope="module")
def emulator() -> Iterator[BackgroundEmulator]:
    """The demo org on a free port, for the whole module."""
    with BackgroundEmulator(EmulatorConfig()) as running:
        yield running


@pytest.fixture
def settings(tmp_path: Path, emulator: BackgroundEmulator) -> Settings:
    """Settings with a home holding the connected demo org."""
    made = make_settings(tmp_path / "home", emulator)
    store = SQLiteConnectionStore.from_settings(made)
    save_demo(store, emulator, is_default=True)
    store.close()
    return made


@asynccontextmanager
async def serving(
    settings: Settings,
    *,
    base_url: str = "http://127.0.0.1:8000",
    headers: dict[str, str] | None = None,
) -> AsyncIterator[tuple[Starlette, httpx2.AsyncClient]]:
    """The HTTP app with its lifespan running, and a client that reaches it in-process."""
    store = SQLiteConnectionStore.from_settings(settings)
    app = web.build_app(settings, store)
    try:
        async with (
            app.router.lifespan_context(app),
            httpx2.AsyncClient(
                transport=httpx2.ASGITransport(app=app), base_url=base_url, headers=headers
            ) as http,
        ):
            yield app, http
    finally:
        store.close()


def mcp_client(http: httpx2.AsyncClient) -> Client:
    """An MCP client speaking Streamable HTTP through ``http``."""
    return Client(streamable_http_client(str(http.base_url.join("/mcp")), http_client=http))


async def test_stdio_serves_tools_and_queries(
    settings: Settings, emulator: BackgroundEmulator
) -> None:
    """`callforce serve` over stdio lists the tools and runs a query against the saved org."""
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "server.cli", "serve"],
        env={
            "CALLFORCE_HOME": str(settings.home),
            "CALLFORCE_PRODUCTION_LOGIN_URL": emulator.base_url,
            "CALLFORCE_CLIENT_ID": CLIENT_ID,
            "CALLFORCE_CLIENT_SECRET": CLIENT_SECRET,
        },
        cwd=ROOT,
    )
    async with Client(params) as client:
        listed = await client.list_tools()
        result = await client.call_tool("run_query", {"soql": ANA})
    assert "run_query" in {tool.name for tool in listed.tools}
    assert not result.is_error
    assert isinstance(result.structured_content, dict)
    records = result.structured_content["records"]
    assert [record["Email"] for record in records] == ["ana@example.com"]


async def test_http_serves_tools_and_queries(settings: Settings) -> None:
    """Streamable HTTP at /mcp lists the tools and runs a query against the saved org."""
    async with serving(settings) as (_, http), mcp_client(http) as client:
        listed = await client.list_tools()
        result = await client.call_tool("run_query", {"soql": ANA})
    assert len(listed.tools) == len(ALL_TOOLS)
    assert not result.is_error
    assert isinstance(result.structured_content, dict)
    assert result.structured_content["total_size"] == 1


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_only_the_tools_capability_is_declared(settings: Settings, mode: str) -> None:
    """callforce has no prompts or resources: it does not advertise them, and asking for them
    is "method not found" rather than an empty list or an error without a code."""
    async with (
        serving(settings) as (_, http),
        Client(
            streamable_http_client(str(http.base_url.join("/mcp")), http_client=http),
            mode=mode,  # type: ignore[arg-type]
        ) as client,
    ):
        capabilities = client.server_capabilities
        assert capabilities.tools is not None
        assert capabilities.prompts is None
        assert capabilities.resources is None
        asks = (client.list_prompts, lambda: client.get_prompt("x"), client.list_resources)
        for ask in asks:
            with pytest.raises(MCPError) as refused:
                await ask()
            assert refused.value.error.code == METHOD_NOT_FOUND


async def test_health_and_status_page(settings: Settings) -> None:
    """/healthz says ok and the version only; / lists the connection and its state."""
    async with serving(settings) as (_, http):
        health = await http.get("/healthz")
        page = await http.get("/")
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "version": __version__}
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert 'id="conn-demo"' in page.text
    assert 'class="badge connected">Connected<' in page.text
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["content-security-policy"].startswith("default-src 'none'")


async def test_status_page_escapes_values(tmp_path: Path, emulator: BackgroundEmulator) -> None:
    """Values on the connect page are HTML-escaped."""
    made = make_settings(tmp_path / "home", emulator)
    store = SQLiteConnectionStore.from_settings(made)
    save_demo(store, emulator, username="<script>alert(1)</script>@example.com", is_default=True)
    store.close()
    async with serving(made) as (_, http):
        page = await http.get("/")
    assert "<script>alert(1)" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;@example.com" in page.text


async def test_bearer_token_required_when_configured(
    tmp_path: Path, emulator: BackgroundEmulator
) -> None:
    """With API tokens, /mcp and / answer 401 without or with a wrong token, 200 with one."""
    made = make_settings(tmp_path / "home", emulator, api_tokens=["other-token", API_TOKEN])
    async with serving(made) as (_, http):
        initialize = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
        mcp_headers = {"Accept": "application/json, text/event-stream"}
        missing = await http.post("/mcp", json=initialize, headers=mcp_headers)
        wrong = await http.post(
            "/mcp", json=initialize, headers={**mcp_headers, "Authorization": "Bearer nope"}
        )
        page_missing = await http.get("/")
        page_ok = await http.get("/", headers={"Authorization": f"Bearer {API_TOKEN}"})
        health = await http.get("/healthz")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert wrong.status_code == 401
    assert 'error="invalid_token"' in wrong.headers["www-authenticate"]
    assert page_missing.status_code == 401
    assert page_ok.status_code == 200
    assert health.status_code == 200
    assert API_TOKEN not in missing.text + wrong.text + health.text

    async with (
        serving(made, headers={"Authorization": f"Bearer {API_TOKEN}"}) as (_, http),
        mcp_client(http) as client,
    ):
        listed = await client.list_tools()
    assert len(listed.tools) == len(ALL_TOOLS)


class _Recorder(BaseHTTPRequestHandler):
    """A stand-in org that records every request's headers and answers an empty query."""

    seen: list[dict[str, str]]

    def do_GET(self) -> None:
        self.seen.append(dict(self.headers.items()))
        body = json.dumps({"totalSize": 0, "done": True, "records": []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


async def test_client_token_never_reaches_salesforce(
    tmp_path: Path, emulator: BackgroundEmulator
) -> None:
    """The MCP client's bearer token is not forwarded: Salesforce sees the org's token only."""
    seen: list[dict[str, str]] = []
    handler = type("Recorder", (_Recorder,), {"seen": seen})
    org = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=org.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{org.server_address[1]}"
        made = make_settings(tmp_path / "home", emulator, api_tokens=[API_TOKEN])
        store = SQLiteConnectionStore.from_settings(made)
        save_demo(
            store,
            emulator,
            login_url=base,
            instance_url=base,
            access_token=SecretStr("00Dorg!salesforce-session"),
            is_default=True,
        )
        store.close()
        async with (
            serving(made, headers={"Authorization": f"Bearer {API_TOKEN}"}) as (_, http),
            mcp_client(http) as client,
        ):
            result = await client.call_tool("run_query", {"soql": ANA})
    finally:
        org.shutdown()
        org.server_close()
    assert not result.is_error
    assert seen
    assert all(headers["Authorization"] == "Bearer 00Dorg!salesforce-session" for headers in seen)
    assert not any(API_TOKEN in value for headers in seen for value in headers.values())


async def test_bad_host_and_origin_refused(settings: Settings) -> None:
    """A Host outside the allowlist gets 421 on /mcp and /; a foreign Origin 403; loopback: ok."""
    async with serving(settings, base_url="http://evil.example:8000") as (_, http):
        mcp = await http.post(
            "/mcp",
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
            headers={"Accept": "application/json, text/event-stream"},
        )
        page = await http.get("/")
        health = await http.get("/healthz")
    assert mcp.status_code == 421
    assert page.status_code == 421
    assert health.status_code == 200
    async with serving(settings) as (_, http):
        foreign = await http.get("/", headers={"Origin": "https://evil.example"})
        local = await http.get("/", headers={"Origin": "http://localhost:8000"})
    assert foreign.status_code == 403
    assert local.status_code == 200
    async with serving(settings, base_url="http://localhost") as (_, http):
        assert (await http.get("/")).status_code == 200, "a loopback name needs no port"


async def test_configured_host_accepted(tmp_path: Path, emulator: BackgroundEmulator) -> None:
    """CALLFORCE_ALLOWED_HOSTS adds names: any port without one, that port only with one."""
    made = make_settings(
        tmp_path / "home", emulator, allowed_hosts=["mcp.example.com", "voice.example.com:8443"]
    )
    answers = {}
    for base in (
        "https://mcp.example.com",
        "http://mcp.example.com:9000",
        "https://voice.example.com:8443",
        "https://voice.example.com:9443",
    ):
        async with serving(made, base_url=base) as (_, http):
            answers[base] = (await http.get("/")).status_code
    assert answers == {
        "https://mcp.example.com": 200,
        "http://mcp.example.com:9000": 200,
        "https://voice.example.com:8443": 200,
        "https://voice.example.com:9443": 421,
    }


def test_non_loopback_bind_needs_hosts_and_tokens(tmp_path: Path) -> None:
    """A public bind is refused without allowed hosts and API tokens, and allowed with both."""
    base = {"home": tmp_path, "http_host": "0.0.0.0"}  # noqa: S104 - the bind under test
    with pytest.raises(web.UnsafeBind, match="CALLFORCE_ALLOWED_HOSTS and CALLFORCE_API_TOKENS"):
        web.check_bind(Settings(**base))
    with pytest.raises(web.UnsafeBind, match="needs CALLFORCE_API_TOKENS"):
        web.check_bind(Settings(**base, allowed_hosts=["mcp.example.com"]))
    web.check_bind(Settings(**base, allowed_hosts=["mcp.example.com"], api_tokens=[API_TOKEN]))
    web.check_bind(Settings(home=tmp_path, http_host="::1"))


def test_serve_refuses_public_bind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`callforce serve --transport http --host 0.0.0.0` exits 2 and says what is missing."""
    monkeypatch.setenv("CALLFORCE_HOME", str(tmp_path / "home"))
    for name in ("CALLFORCE_ALLOWED_HOSTS", "CALLFORCE_API_TOKENS"):
        monkeypatch.delenv(name, raising=False)
    code = cli.main(["serve", "--transport", "http", "--host", "0.0.0.0", "--port", "0"])  # noqa: S104
    assert code == 2
    assert "refusing to listen on 0.0.0.0" in capsys.readouterr().err
    assert not (tmp_path / "home").exists()
