"""A link scanner opens the OAuth callback first (hardening issue, item 10): a mail scanner or a
preview bot follows the callback URL before the person's browser does. Without the session
cookie of the browser that started the attempt its visit must change nothing — no code exchange,
the attempt not used up — and it is told to open the link in that browser; the browser, arriving
after it, connects as usual."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from emulator.server import BackgroundEmulator
from server.connect.errors import ConnectFailed
from server.connect.flow import ConnectFlow
from server.settings import Settings
from server.store.sqlite import SQLiteConnectionStore
from tests.helpers.connect_flow import (
    APP_URL,
    build_app,
    local_part,
    query_of,
    salesforce_answer,
    start_connect,
)
from tests.helpers.demo_org import request_log, token_requests

CALLBACK = f"{APP_URL}/oauth/callback"
WHERE_TO_OPEN = "browser that started the sign-in"


@asynccontextmanager
async def two_clients(
    settings: Settings, store: SQLiteConnectionStore
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """One app, reached by two cookie jars: the person's browser and a link scanner."""
    transport = httpx.ASGITransport(app=build_app(settings, store))
    async with (
        httpx.AsyncClient(transport=transport, base_url=APP_URL) as browser,
        httpx.AsyncClient(transport=transport, base_url=APP_URL) as scanner,
    ):
        yield browser, scanner


@pytest.mark.parametrize("scanner_binding", [None, "", "another-browser"])
async def test_a_scanner_first_does_not_use_up_the_attempt(
    settings: Settings,
    store: SQLiteConnectionStore,
    production: BackgroundEmulator,
    logs: None,
    scanner_binding: str | None,
) -> None:
    """Flow level: the scanner's callback is refused as another browser's, nothing is exchanged
    or stored, and the starting browser then completes the same attempt."""
    flow = ConnectFlow(settings, store)
    url = flow.begin(choice="production", name="prod", redirect_uri=CALLBACK, binding="browser-a")
    answer = query_of(await salesforce_answer(url))
    with pytest.raises(ConnectFailed) as caught:
        await flow.complete(answer["state"], code=answer["code"], binding=scanner_binding)
    assert caught.value.reason == "wrong_browser"
    assert WHERE_TO_OPEN in str(caught.value)
    assert token_requests(await request_log(production)) == []
    assert store.list() == []

    conn = await flow.complete(answer["state"], code=answer["code"], binding="browser-a")
    assert conn.name == "prod"
    assert [e["grant_type"] for e in token_requests(await request_log(production))] == [
        "authorization_code"
    ]
    # Single use still holds for the right browser, and the scanner, coming back, learns so.
    for binding in ("browser-a", scanner_binding):
        with pytest.raises(ConnectFailed) as again:
            await flow.complete(answer["state"], code=answer["code"], binding=binding)
        assert again.value.reason == "state_used"


async def test_a_scanner_denial_does_not_end_the_attempt(
    settings: Settings, store: SQLiteConnectionStore
) -> None:
    """An error callback replayed by a scanner (e.g. access_denied) does not end the attempt."""
    flow = ConnectFlow(settings, store)
    url = flow.begin(choice="production", name="prod", redirect_uri=CALLBACK, binding="browser-a")
    answer = query_of(await salesforce_answer(url))
    with pytest.raises(ConnectFailed) as caught:
        await flow.complete(answer["state"], error="access_denied", binding=None)
    assert caught.value.reason == "wrong_browser"
    assert (await flow.complete(answer["state"], code=answer["code"], binding="browser-a")).name


async def test_scanner_then_browser_through_the_pages(
    settings: Settings, store: SQLiteConnectionStore, production: BackgroundEmulator, logs: None
) -> None:
    """Pages: the scanner (no cookie) is told plainly where to open the link, with no redirect
    and no exchange; the person's browser, after it, lands on Connected."""
    async with two_clients(settings, store) as (browser, scanner):
        callback = await salesforce_answer(await start_connect(browser, "production", "prod"))
        seen = await scanner.get(local_part(callback))
        assert seen.status_code == 403
        assert "location" not in seen.headers
        assert WHERE_TO_OPEN in seen.text
        assert "Nothing was used up" in seen.text
        assert "Connect Salesforce" not in seen.text  # no connection list for a stranger
        assert token_requests(await request_log(production)) == []
        assert store.list() == []

        landed = await browser.get(local_part(callback))
        assert landed.headers["location"] == "/?notice=connected&name=prod"
        assert "Connected" in (await browser.get(landed.headers["location"])).text
        [conn] = store.list()
        assert conn.name == "prod"

        # A second visit by the scanner, after the browser, changes nothing either.
        late = await scanner.get(local_part(callback))
        assert late.headers["location"] == "/?notice=state_used"
    assert store.list() == [conn]
    assert len(token_requests(await request_log(production))) == 1
