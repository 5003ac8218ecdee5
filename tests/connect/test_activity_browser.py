"""The activity pages in a real headless Chromium (Debian's, driven by Playwright): calls made
over Streamable HTTP with the platform's ``X-Call-Id``, then sign in, the list, the filters and a
call's timeline — bars where their times say, coloured by outcome, no script, nothing sticking
out at a phone's width — and the screenshots for the docs (test-artifacts/, and
docs/screenshots/ when CALLFORCE_UPDATE_SCREENSHOTS=1).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from playwright.async_api import ConsoleMessage, Page
from pydantic import SecretStr

from emulator.server import BackgroundEmulator
from server.activity.record import ActivityQuery
from server.settings import Settings
from server.store.sqlite import SQLiteConnectionStore
from tests.connect import test_browser as browsing
from tests.helpers.activity_calls import CALLER, DrivenCall, drive_call, new_call_id
from tests.helpers.background_app import BackgroundApp
from tests.helpers.connect_flow import build_app
from tests.helpers.demo_org import connect

#: The connect page's browser test's Chromium, page and screenshots (fixtures are registered
#: by the names they have here).
pytestmark = browsing.pytestmark
chromium, browser, page = browsing.chromium, browsing.browser, browsing.page
screenshot = browsing.screenshot

API_TOKEN = "browser-activity-token-0123456789abcdef"
#: The bars' colours (server/connect/templates/activity_call.html).
OK_GREEN, ERROR_RED = "rgb(46, 132, 74)", "rgb(186, 5, 23)"


@asynccontextmanager
async def mcp_client(app: BackgroundApp, call_id: str | None) -> AsyncIterator[Client]:
    """An MCP client of the app over real HTTP, with the API token and (if any) X-Call-Id."""
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    if call_id is not None:
        headers["X-Call-Id"] = call_id
    async with (
        httpx2.AsyncClient(headers=headers, timeout=20) as http,
        Client(streamable_http_client(f"{app.url}/mcp", http_client=http)) as client,
    ):
        yield client


async def _recorded(store: SQLiteConnectionStore, call_id: str, count: int) -> None:
    """Wait until the recorder's thread has written ``count`` records of the call."""
    for _ in range(100):
        if len(store.activity().read(ActivityQuery(call_id=call_id))) >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the call {call_id} was not recorded")


async def _sign_in(page: Page, app: BackgroundApp) -> None:
    """Open /activity: the sign-in form; sign in, then follow the header's Activity link."""
    await page.goto(f"{app.url}/activity")
    assert await page.title() == "Sign in · callforce"
    await page.fill("#token", API_TOKEN)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{app.url}/")
    await page.click("nav >> text=Activity")
    await page.wait_for_url(f"{app.url}/activity")


async def test_the_activity_pages_in_the_browser(
    page: Page, settings: Settings, production: BackgroundEmulator, logs: None
) -> None:
    """Sign in → Activity: the calls, the tool call without a call id, the filters; a call's
    timeline: a bar per tool call in order, coloured by outcome, with its facts; no script,
    no CSP complaint, no value sent; screenshots at desktop and phone width."""
    guarded = settings.model_copy(update={"api_tokens": [SecretStr(API_TOKEN)]})
    store = SQLiteConnectionStore.from_settings(guarded)
    complaints: list[str] = []
    page.on("console", lambda message: complaints.append(_text(message)))
    try:
        await connect(store, production, "demo")
        with BackgroundApp(build_app(guarded, store)) as app:
            async with httpx.AsyncClient(base_url=production.base_url) as control:
                short_id, call_id = new_call_id(), new_call_id()
                async with mcp_client(app, short_id) as client:
                    await client.call_tool("find_caller", {"phone": CALLER})
                    await client.call_tool("log_call", {"summary": "Asked for opening hours."})
                async with mcp_client(app, None) as client:
                    await client.call_tool("connection_status", {})
                async with mcp_client(app, call_id) as client:
                    driven = await drive_call(client, control, call_id)
            await _recorded(store, call_id, len(driven.steps))
            await _recorded(store, short_id, 2)

            await _sign_in(page, app)
            await _check_the_list(page, driven, short_id)
            await screenshot(page, "activity", for_docs=True)
            await _check_the_filters(page, driven, short_id)

            await page.click(f"a.call-id >> text={call_id}")
            await page.wait_for_url(f"{app.url}/activity/call/{call_id}")
            await _check_the_timeline(page, driven)
            await screenshot(page, "activity-call", for_docs=True)
    finally:
        store.close()
    assert not [text for text in complaints if "Content Security Policy" in text]


def _text(message: ConsoleMessage) -> str:
    return message.text


async def _check_the_list(page: Page, driven: DrivenCall, short_id: str) -> None:
    rows = page.locator("#calls tbody tr")
    assert await rows.count() == 3
    texts = [await rows.nth(index).inner_text() for index in range(3)]
    assert driven.call_id in texts[0]
    assert "no call id" in texts[1]
    assert "connection_status" in texts[1]
    assert short_id in texts[2]
    facts = {
        label: await rows.nth(0).locator(f'td[data-label="{label}"]').inner_text()
        for label in ("Tool calls", "Errors", "Connection")
    }
    assert facts == {"Tool calls": "4", "Errors": "1", "Connection": "demo"}
    body = await page.content()
    assert "<script" not in body
    for value in driven.values:
        assert value not in body, value


async def _check_the_filters(page: Page, driven: DrivenCall, short_id: str) -> None:
    await page.select_option("#outcome", "error")
    await page.click("#filter")
    await page.wait_for_url(re.compile(r"/activity\?.*outcome=error"))
    assert await page.locator("#calls tbody tr").count() == 1
    assert driven.call_id in await page.locator("#calls").inner_text()
    await page.select_option("#outcome", "")
    await page.select_option("#tool", "log_call")
    await page.click("#filter")
    await page.wait_for_url(re.compile(r"/activity\?.*tool=log_call"))
    listed = await page.locator("#calls").inner_text()
    assert driven.call_id in listed
    assert short_id in listed
    assert "no call id" not in listed
    await page.click("text=Clear filters")
    assert await page.locator("#calls tbody tr").count() == 3


async def _check_the_timeline(page: Page, driven: DrivenCall) -> None:
    rows = page.locator("li.tl-row")
    assert await rows.count() == len(driven.steps)
    lefts = []
    for index, step in enumerate(driven.steps):
        row = rows.nth(index)
        text = await row.inner_text()
        assert step.tool in text
        assert f"{step.requests} Salesforce request" in text
        for record_id in step.record_ids:
            assert record_id in text
        bar = row.locator(".tl-bar")
        box = await bar.bounding_box()
        assert box is not None
        assert box["width"] >= 3
        lefts.append(box["x"])
        colour = await bar.evaluate("element => getComputedStyle(element).backgroundColor")
        assert colour == (ERROR_RED if step.outcome == "error" else OK_GREEN)
    assert lefts == sorted(lefts)
    assert lefts[-1] > lefts[0]
    assert "Email" in await rows.nth(2).locator(".tl-error").inner_text()
    body = await page.content()
    assert "<script" not in body
    for value in driven.values:
        assert value not in body, value
