"""Issue 13 item 4: the org's daily API allowance as callforce sees it. The emulator's count moves
with each request and is set through ``/_emulator/limits``; callforce's HTTP app (in-process,
tools called over Streamable HTTP with an API token, the connect page signed in with it) shows
the count in ``connection_status`` and as a bar on the connect page, and says plainly when a
call fails because the allowance is used up — and only then."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult
from pydantic import SecretStr

from emulator.config import EmulatorConfig
from server import web
from server.settings import Settings
from server.store.sqlite import SQLiteConnectionStore
from tests.helpers.connect_flow import APP_URL, csrf_of
from tests.helpers.demo_org import API, CONNECTION, add_fault, clear_log, request_log
from tests.helpers.org_fixtures import (  # noqa: F401 - fixtures, registered by being imported
    fixture_control,
    fixture_emulator,
    fixture_reader,
    fixture_settings,
    fixture_store,
)
from tests.helpers.org_records import unique
from tests.helpers.tool_calls import text_of

API_TOKEN = "usage-token-0123456789abcdef0123456789"
LIMITS = "/_emulator/limits"
ALLOWANCE = EmulatorConfig().api_request_limit
QUERY = {"soql": "SELECT Id FROM Account LIMIT 1"}
USED_UP = (
    "The Salesforce org's daily API allowance is used up{numbers}, so Salesforce refused the "
    "request (REQUEST_LIMIT_EXCEEDED); nothing was done. Do not retry: tell the caller the "
    "system is unavailable for now and offer a follow-up."
)


@pytest.fixture
async def limits(control: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """The emulator's control client; its count and allowance are put back after the test."""
    yield control
    await control.post(LIMITS, json={"api_requests": 0, "api_request_limit": ALLOWANCE})


@dataclass
class Running:
    """callforce's HTTP app, running: an MCP client of ``/mcp`` and a signed-in browser."""

    mcp: Client
    browser: httpx.AsyncClient

    async def call(self, tool: str, arguments: dict[str, Any]) -> CallToolResult:
        """One tool call over Streamable HTTP."""
        return await self.mcp.call_tool(tool, arguments)

    async def status(self) -> tuple[dict[str, Any], str]:
        """The demo connection as connection_status gives it, and the tool's text."""
        result = await self.call("connection_status", {})
        assert not result.is_error, text_of(result)
        assert result.structured_content is not None
        [conn] = result.structured_content["connections"]
        assert isinstance(conn, dict)
        return conn, text_of(result)

    async def card(self) -> str:
        """The demo connection's card on the connect page."""
        page = await self.browser.get("/")
        assert page.status_code == 200, page.text
        assert "<script" not in page.text
        start = page.text.index(f'id="conn-{CONNECTION}"')
        return page.text[start : page.text.index("</article>", start)]


@asynccontextmanager
async def running(settings: Settings, store: SQLiteConnectionStore) -> AsyncIterator[Running]:
    """The app behind an API token, its lifespan entered, with an MCP client and a browser."""
    secured = settings.model_copy(update={"api_tokens": [SecretStr(API_TOKEN)]})
    app = web.build_app(secured, store)
    bearer = {"Authorization": f"Bearer {API_TOKEN}"}
    async with (
        app.router.lifespan_context(app),
        httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=app), base_url=APP_URL, headers=bearer
        ) as mcp_http,
        Client(streamable_http_client(f"{APP_URL}/mcp", http_client=mcp_http)) as client,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=APP_URL) as browser,
    ):
        locked = await browser.get("/")
        assert locked.status_code == 401
        form = {"csrf": csrf_of(locked.text), "token": API_TOKEN}
        assert (await browser.post("/signin", data=form)).status_code == 303
        yield Running(client, browser)


async def _count(control: httpx.AsyncClient) -> int:
    """The emulator's count of data requests today."""
    count: int = (await control.get(LIMITS)).json()["api_requests"]
    return count


def _bar(card: str) -> dict[str, str]:
    """The ``<meter>`` of a card: its attributes, and the text beside it."""
    found = re.search(r"<meter ([^>]*)>[^<]*</meter>\s*([^<]+?)\s*<span", card)
    assert found, card
    attributes = dict(re.findall(r'([\w-]+)="([^"]*)"', found.group(1)))
    return {**attributes, "text": found.group(2)}


async def test_connection_status_shows_the_emulators_count(
    settings: Settings, store: SQLiteConnectionStore, limits: httpx.AsyncClient
) -> None:
    """Before any answer nothing is claimed; after a tool call connection_status gives the
    count Salesforce reported, in its structure and its one line of text."""
    async with running(settings, store) as app:
        conn, text = await app.status()
        assert conn["api_usage"] is None
        assert "API" not in text
        assert "not measured yet" in await app.card()
        assert "<meter" not in await app.card()
        assert not (await app.call("run_query", QUERY)).is_error
        used = await _count(limits)
        conn, text = await app.status()
    assert used > 0
    assert conn["api_usage"]["used"] == used
    assert conn["api_usage"]["limit"] == ALLOWANCE
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", conn["api_usage"]["seen_at"])
    assert text == (
        f"{CONNECTION}: connected, production, default, user demo@callforce.dev, "
        f"API {used:,} of {ALLOWANCE:,} daily requests used"
    )


async def test_the_bar_moves_with_the_emulators_counter(
    settings: Settings, store: SQLiteConnectionStore, limits: httpx.AsyncClient
) -> None:
    """A call, then the count set near the allowance and another call: the page's bar and
    connection_status follow the emulator's count; past 90 % the card warns."""
    async with running(settings, store) as app:
        assert not (await app.call("run_query", QUERY)).is_error
        first = await _count(limits)
        low = _bar(await app.card())
        await limits.post(LIMITS, json={"api_requests": 14_000})
        assert not (await app.call("run_query", QUERY)).is_error
        near = await _count(limits)
        card = await app.card()
        conn, text = await app.status()
    assert low["value"] == str(first)
    assert low["max"] == str(ALLOWANCE)
    assert low["text"] == f"{first:,} / {ALLOWANCE:,}"
    assert "Over 90%" not in card.split("<meter", 1)[0]
    high = _bar(card)
    assert 14_000 < near < ALLOWANCE
    assert high["value"] == str(near)
    assert high["text"] == f"{near:,} / {ALLOWANCE:,}"
    assert float(high["value"]) > float(high["low"])  # drawn amber, not green
    assert 'class="usage high"' in card
    assert "Over 90% of the org's daily API allowance is used" in card
    assert conn["api_usage"]["used"] == near
    assert f"API {near:,} of {ALLOWANCE:,} daily requests used" in text


async def test_at_the_limit_a_call_fails_saying_the_allowance_is_used_up(
    settings: Settings,
    store: SQLiteConnectionStore,
    limits: httpx.AsyncClient,
    reader: httpx.AsyncClient,
) -> None:
    """With the count at the allowance a create is refused once (not retried, nothing written)
    and the agent reads that the allowance is used up, with the numbers; connection_status and
    the page then show it full."""
    last_name = unique("Allowance-")
    async with running(settings, store) as app:
        assert not (await app.call("run_query", QUERY)).is_error
        await limits.post(LIMITS, json={"api_requests": ALLOWANCE})
        await clear_log(limits)
        refused = await app.call(
            "create_record", {"object": "Account", "data": {"Name": last_name}}
        )
        log = await request_log(limits)
        conn, text = await app.status()
        card = await app.card()
    assert refused.is_error
    numbers = f" ({ALLOWANCE:,} of {ALLOWANCE:,} requests)"
    assert text_of(refused).endswith(USED_UP.format(numbers=numbers))
    assert [entry["status"] for entry in log] == [403]
    assert conn["api_usage"]["used"] == conn["api_usage"]["limit"] == ALLOWANCE
    assert f"API {ALLOWANCE:,} of {ALLOWANCE:,} daily requests used" in text
    assert _bar(card)["value"] == str(ALLOWANCE)
    assert 'class="usage spent"' in card
    assert "daily API allowance is used up" in card
    await limits.post(LIMITS, json={"api_requests": 0})
    soql = f"SELECT Id FROM Account WHERE Name = '{last_name}'"  # noqa: S608 - the test's own value
    assert (await reader.get("/query", params={"q": soql})).json()["totalSize"] == 0


async def test_refused_before_any_answer_the_message_has_no_numbers(
    settings: Settings, store: SQLiteConnectionStore, limits: httpx.AsyncClient
) -> None:
    """When the very first request is refused, the message says so without numbers it does not
    know, and connection_status and the page still claim nothing."""
    await limits.post(LIMITS, json={"api_requests": ALLOWANCE})
    async with running(settings, store) as app:
        refused = await app.call("run_query", QUERY)
        conn, _ = await app.status()
        card = await app.card()
    assert refused.is_error
    assert text_of(refused).endswith(USED_UP.format(numbers=""))
    assert conn["api_usage"] is None
    assert "not measured yet" in card


@pytest.mark.parametrize(
    ("code", "message", "expected"),
    [
        (
            "INSUFFICIENT_ACCESS",
            "insufficient access rights on object id",
            "Salesforce answered 403 INSUFFICIENT_ACCESS: insufficient access rights on object id",
        ),
        (
            "REQUEST_LIMIT_EXCEEDED",
            "ConcurrentPerOrgLongTxn Limit exceeded.",
            "Salesforce answered 403 REQUEST_LIMIT_EXCEEDED: ConcurrentPerOrgLongTxn Limit "
            "exceeded.",
        ),
    ],
)
async def test_other_refusals_keep_their_words(
    settings: Settings,
    store: SQLiteConnectionStore,
    limits: httpx.AsyncClient,
    code: str,
    message: str,
    expected: str,
) -> None:
    """Another 403, or the concurrent-request limit, is said as before: no allowance message,
    and the usage shown stays what Salesforce last reported."""
    async with running(settings, store) as app:
        assert not (await app.call("run_query", QUERY)).is_error
        used = await _count(limits)
        body = [{"errorCode": code, "message": message}]
        await add_fault(limits, path=f"{API}/query", status=403, body=body, times=2)
        refused = await app.call("run_query", QUERY)
        conn, _ = await app.status()
    assert refused.is_error
    assert text_of(refused).endswith(expected)
    assert "allowance" not in text_of(refused)
    assert conn["api_usage"]["used"] == used
