"""Fixtures for the connect flow: two emulators playing Production (pod 5g0) and Sandbox (pod 3x0),
settings whose login hosts point at them, the callforce HTTP app (in-process through an ASGI
transport, or on a real socket for the browser), and a driver of the emulator's login and consent
pages over plain HTTP for the tests that do not need a browser.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from starlette.applications import Starlette

from emulator.config import EmulatorConfig
from emulator.server import BackgroundEmulator
from server import web
from server.settings import Settings
from server.store.interface import Connection
from server.store.sqlite import SQLiteConnectionStore

CLIENT_ID = "callforce-demo"
CLIENT_SECRET = "callforce-demo-secret"
DEMO_USER = "demo@callforce.dev"
DEMO_PASSWORD = "demo"
#: Where the in-process app pretends to listen (the callback URL is built from it).
APP_URL = "http://127.0.0.1:8000"
_PENDING = re.compile(r'name="pending" value="([^"]+)"')


@pytest.fixture(scope="session")
def production() -> Iterator[BackgroundEmulator]:
    """The emulator playing the production login host and org."""
    with BackgroundEmulator(EmulatorConfig(pod="5g0", org_name="Acme production")) as running:
        yield running


@pytest.fixture(scope="session")
def sandbox() -> Iterator[BackgroundEmulator]:
    """The emulator playing the sandbox login host and org."""
    config = EmulatorConfig(is_sandbox=True, pod="3x0", org_name="Acme UAT sandbox")
    with BackgroundEmulator(config) as running:
        yield running


def make_settings(
    home: Path, production: BackgroundEmulator, sandbox: BackgroundEmulator, **overrides: Any
) -> Settings:
    """Settings whose Production and Sandbox login hosts are the two emulators."""
    values: dict[str, Any] = {
        "home": home,
        "production_login_url": production.base_url,
        "sandbox_login_url": sandbox.base_url,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(
    tmp_path: Path, production: BackgroundEmulator, sandbox: BackgroundEmulator
) -> Settings:
    """Settings pointing at the two emulators, home in a temporary directory."""
    return make_settings(tmp_path / "home", production, sandbox)


@pytest.fixture
def store(settings: Settings) -> Iterator[SQLiteConnectionStore]:
    """The test's (empty) connection store."""
    opened = SQLiteConnectionStore.from_settings(settings)
    yield opened
    opened.close()


@pytest.fixture
async def logs(production: BackgroundEmulator, sandbox: BackgroundEmulator) -> AsyncIterator[None]:
    """Both emulators start the test with an empty request log and no faults."""
    async with httpx.AsyncClient() as http:
        for emulator in (production, sandbox):
            await http.delete(f"{emulator.base_url}/_emulator/requests")
            await http.delete(f"{emulator.base_url}/_emulator/faults")
        yield
        for emulator in (production, sandbox):
            await http.delete(f"{emulator.base_url}/_emulator/faults")


async def request_log(emulator: BackgroundEmulator) -> list[dict[str, Any]]:
    """What reached ``emulator`` since its log was cleared."""
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{emulator.base_url}/_emulator/requests")
    entries: list[dict[str, Any]] = response.json()
    return entries


def build_app(settings: Settings, store: SQLiteConnectionStore) -> Starlette:
    """callforce's HTTP app (MCP, health and the connect page) over ``store``."""
    return web.build_app(settings, store)


@asynccontextmanager
async def page_client(
    settings: Settings, store: SQLiteConnectionStore, **options: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """A cookie-keeping client of the app, in-process, as a browser at ``APP_URL`` would be."""
    app = build_app(settings, store)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=APP_URL, **options) as http:
        yield http


def csrf_of(html: str) -> str:
    """The CSRF value of the first form on a page."""
    found = re.search(r'name="csrf" value="([0-9a-f]{64})"', html)
    assert found, "the page has no form with a CSRF value"
    return found.group(1)


async def start_connect(
    http: httpx.AsyncClient, environment: str, name: str = "", **fields: str
) -> str:
    """Load the page, submit "Connect Salesforce"; the authorize URL it redirects to."""
    page = await http.get("/")
    form = {"csrf": csrf_of(page.text), "environment": environment, "name": name, **fields}
    response = await http.post("/connect", data=form)
    assert response.status_code == 303, response.text
    return response.headers["location"]


async def salesforce_answer(authorize_url: str, *, approve: bool = True) -> str:
    """Log in on the emulator's pages and answer its consent; the callback URL it sends back."""
    parts = urlsplit(authorize_url)
    base = f"{parts.scheme}://{parts.netloc}"
    async with httpx.AsyncClient(base_url=base) as http:
        login_page = await http.get(authorize_url)
        assert login_page.status_code == 200, login_page.text
        pending = _PENDING.search(login_page.text)
        assert pending, login_page.text
        consent_page = await http.post(
            "/services/oauth2/authorize/login",
            data={"pending": pending.group(1), "username": DEMO_USER, "password": DEMO_PASSWORD},
        )
        consent = _PENDING.search(consent_page.text)
        assert consent, consent_page.text
        button = {"oaapprove": "Allow"} if approve else {"oadeny": "Deny"}
        answer = await http.post(
            "/services/oauth2/authorize/consent", data={"pending": consent.group(1), **button}
        )
    assert answer.status_code == 302, answer.text
    location: str = answer.headers["location"]
    return location


def local_part(url: str) -> str:
    """``path?query`` of a callback URL, to send to the in-process app."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def query_of(url: str) -> dict[str, str]:
    """A URL's query parameters (last value wins)."""
    return {key: values[-1] for key, values in parse_qs(urlsplit(url).query).items()}


async def connect_through_page(
    http: httpx.AsyncClient, environment: str, name: str = "", **fields: str
) -> httpx.Response:
    """The whole flow without a browser; the page the callback lands on."""
    authorize = await start_connect(http, environment, name, **fields)
    callback = await salesforce_answer(authorize)
    landed = await http.get(local_part(callback))
    assert landed.status_code == 303, landed.text
    return await http.get(landed.headers["location"])


def saved(store: SQLiteConnectionStore) -> list[Connection]:
    """Every stored connection."""
    return store.list()


class BackgroundApp:
    """The callforce HTTP app on a real loopback socket and its own thread (for the browser)."""

    def __init__(self, app: Starlette) -> None:
        self._socket = web.listen("127.0.0.1", 0)
        self.url = web.url_of(self._socket)
        self._server = web.HttpServer(app)
        self._thread = threading.Thread(target=self._run, name="callforce-app", daemon=True)

    def _run(self) -> None:
        asyncio.run(self._server.serve(sockets=[self._socket]))

    def __enter__(self) -> BackgroundApp:
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the callforce app did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=15)
        self._socket.close()
