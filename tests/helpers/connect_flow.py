"""Driving the connect flow over plain HTTP, without a browser: callforce's HTTP app in-process
(as a browser at ``APP_URL`` would reach it), its connect page and form, and the emulator's
login and consent pages answering the authorize redirect."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from starlette.applications import Starlette

from server import web
from server.settings import Settings
from server.store.sqlite import SQLiteConnectionStore
from tests.helpers.demo_org import DEMO_PASSWORD, DEMO_USER

#: Where the in-process app pretends to listen (the callback URL is built from it).
APP_URL = "http://127.0.0.1:8000"
_PENDING = re.compile(r'name="pending" value="([^"]+)"')


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
