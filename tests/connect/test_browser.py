"""The connect flow in a real headless Chromium (Debian's, driven by Playwright) against two
emulators playing Production and Sandbox: the page, Salesforce's login and consent pages, the
callback, and the page again — plus the deny path, forged and replayed callbacks, an unknown app,
and the screenshots for the docs (test-artifacts/, and docs/screenshots/ when
CALLFORCE_UPDATE_SCREENSHOTS=1).

One browser serves the whole module; each test has its own home, store and app on a real port.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import pytest_asyncio
from mcp import Client
from playwright.async_api import Browser, Page, Route, async_playwright

from emulator.server import BackgroundEmulator
from server.settings import Settings
from server.store.sqlite import SQLiteConnectionStore
from tests.helpers.background_app import BackgroundApp
from tests.helpers.connect_flow import build_app
from tests.helpers.demo_org import DEMO_PASSWORD, DEMO_USER, make_settings, request_log

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1100, "height": 820}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def chromium() -> str:
    """Debian's chromium, which .ci/run installs."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    return CHROMIUM


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser(chromium: str) -> AsyncIterator[Browser]:
    """One headless Chromium for the module."""
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@pytest_asyncio.fixture(loop_scope="module")
async def page(browser: Browser) -> AsyncIterator[Page]:
    """A fresh browser context (no cookies) and page at desktop size."""
    context = await browser.new_context(viewport=DESKTOP, locale="en-US")
    context.set_default_timeout(20_000)
    opened = await context.new_page()
    yield opened
    await context.close()


@contextmanager
def serving(settings: Settings) -> Iterator[tuple[BackgroundApp, SQLiteConnectionStore]]:
    """callforce's HTTP app on a free loopback port, and its store."""
    store = SQLiteConnectionStore.from_settings(settings)
    try:
        with BackgroundApp(build_app(settings, store)) as app:
            yield app, store
    finally:
        store.close()


async def log_in_and_answer(page: Page, *, approve: bool) -> None:
    """On Salesforce's (the emulator's) pages: log in as the demo user, then Allow or Deny."""
    await page.fill("#username", DEMO_USER)
    await page.fill("#password", DEMO_PASSWORD)
    await page.click("#Login")
    await page.click("#oaapprove" if approve else "#oadeny")


async def start(page: Page, app: BackgroundApp, environment: str, name: str) -> None:
    """On the connect page: choose the environment, name the connection, press Connect."""
    await page.goto(f"{app.url}/")
    await page.check(f"#env-{environment}")
    await page.fill("#name", name)
    await page.click("#connect")


async def screenshot(page: Page, name: str, *, for_docs: bool) -> None:
    """Desktop and phone-width screenshots into test-artifacts/ (and the docs when asked); the
    page fits a phone's width."""
    ARTIFACTS.mkdir(exist_ok=True)
    await page.set_viewport_size(DESKTOP)
    desktop = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(desktop), full_page=True)
    await page.set_viewport_size(PHONE)
    await page.screenshot(path=str(ARTIFACTS / f"{name}-phone.png"), full_page=True)
    # At a phone's width nothing sticks out sideways: no horizontal scrolling.
    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name} is {overflow}px wider than a phone's screen"
    await page.set_viewport_size(DESKTOP)
    if for_docs and os.environ.get("CALLFORCE_UPDATE_SCREENSHOTS") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(desktop, DOCS_SCREENSHOTS / f"{name}.png")


async def test_connect_a_sandbox_in_the_browser(
    page: Page,
    settings: Settings,
    production: BackgroundEmulator,
    sandbox: BackgroundEmulator,
    logs: None,
) -> None:
    """Sandbox → login → Allow → Connected (org, user, instance) → a tool call; prod unseen."""
    with serving(settings) as (app, store):
        await page.goto(f"{app.url}/")
        assert await page.title() == "Salesforce connections · callforce"
        assert await page.locator("#my_domain").is_hidden()  # until My Domain is chosen
        await page.check("#env-mydomain")
        assert await page.locator("#my_domain").is_visible()
        await page.check("#env-sandbox")
        await page.fill("#name", "uat")
        await screenshot(page, "connect", for_docs=True)
        await page.click("#connect")
        await page.wait_for_url(f"{sandbox.base_url}/services/oauth2/authorize?*")
        await log_in_and_answer(page, approve=True)
        await page.wait_for_url(f"{app.url}/?notice=connected&name=uat")

        notice = page.locator("#notice")
        assert await notice.locator("h2").inner_text() == "Connected"
        text = await notice.inner_text()
        assert sandbox.org.org_id in text
        assert DEMO_USER in text
        assert sandbox.base_url in text
        card = page.locator("#conn-uat")
        assert "Connected" in await card.inner_text()
        assert "Default" in await card.inner_text()
        await screenshot(page, "connected", for_docs=True)

        async with Client(f"{app.url}/mcp") as client:
            result = await client.call_tool(
                "run_query",
                {"soql": "SELECT Id, Name FROM Account LIMIT 1", "connection": "uat"},
            )
        assert not result.is_error, result.content
        assert isinstance(result.structured_content, dict)
        assert result.structured_content["records"]
        [conn] = store.list()
        assert (conn.name, conn.environment, conn.org_id) == (
            "uat",
            "sandbox",
            sandbox.org.org_id,
        )
    paths = [entry["path"] for entry in await request_log(sandbox)]
    assert "/services/oauth2/authorize" in paths
    assert "/services/oauth2/token" in paths
    assert "/services/data/v62.0/query" in paths
    assert await request_log(production) == []


async def test_deny_in_the_browser(
    page: Page, settings: Settings, production: BackgroundEmulator, logs: None
) -> None:
    """Deny on the consent page → back on the page, which says consent was denied; nothing saved."""
    with serving(settings) as (app, store):
        await start(page, app, "production", "prod")
        await page.wait_for_url(f"{production.base_url}/services/oauth2/authorize?*")
        await log_in_and_answer(page, approve=False)
        await page.wait_for_url(f"{app.url}/?notice=denied")
        text = await page.locator("#notice").inner_text()
        assert "Not connected" in text
        assert "Deny was chosen" in text
        assert "No Salesforce org is connected yet" in await page.content()
        assert store.list() == []
    grants = [e["grant_type"] for e in await request_log(production) if e["grant_type"]]
    assert grants == []


async def test_forged_and_replayed_callbacks_in_the_browser(
    page: Page, browser: Browser, settings: Settings, production: BackgroundEmulator
) -> None:
    """A changed state is refused; a link scanner (another browser, no cookie) opening the real
    callback first is told where to open it and uses nothing up; the real one then connects
    once, and its replay is refused."""
    with serving(settings) as (app, store):
        held: list[str] = []
        arrived = asyncio.Event()

        async def hold(route: Route) -> None:
            # Let the consent POST reach Salesforce, keep its redirect to our callback, and
            # answer the browser 204 (it stays where it is).
            answer = await route.fetch(max_redirects=0)
            held.append(answer.headers["location"])
            arrived.set()
            await route.fulfill(status=204)

        await page.route(f"{production.base_url}/services/oauth2/authorize/consent", hold)
        await start(page, app, "production", "prod")
        await page.wait_for_url(f"{production.base_url}/services/oauth2/authorize?*")
        await log_in_and_answer(page, approve=True)
        await asyncio.wait_for(arrived.wait(), timeout=20)
        await page.unroute(f"{production.base_url}/services/oauth2/authorize/consent")
        [callback] = held
        assert callback.startswith(f"{app.url}/oauth/callback?code=")
        state = callback.split("state=", 1)[1].split("&", 1)[0]

        await page.goto(
            callback.replace(state, "A" + state[1:] if state[0] != "A" else "B" + state[1:])
        )
        assert page.url == f"{app.url}/?notice=state_unknown"
        assert "did not start on this page" in await page.locator("#notice").inner_text()
        assert store.list() == []

        scanner = await browser.new_context()
        try:
            seen = await (await scanner.new_page()).goto(callback)
            assert seen is not None
            assert seen.status == 403
            assert "browser that started the sign-in" in await seen.text()
        finally:
            await scanner.close()
        assert store.list() == []

        await page.goto(callback)
        assert page.url == f"{app.url}/?notice=connected&name=prod"
        [first] = store.list()

        await page.goto(callback)
        assert page.url == f"{app.url}/?notice=state_used"
        assert "already used" in await page.locator("#notice").inner_text()
        assert store.list() == [first]


async def test_unknown_client_id_in_the_browser(
    page: Page,
    tmp_path: Path,
    production: BackgroundEmulator,
    sandbox: BackgroundEmulator,
) -> None:
    """An unknown consumer key: Salesforce's error page, no callback to us, nothing stored."""
    settings = make_settings(tmp_path / "home", production, sandbox, client_id="nope")
    with serving(settings) as (app, store):
        seen: list[str] = []
        page.on("request", lambda request: seen.append(request.url))
        await start(page, app, "sandbox", "uat")
        await page.wait_for_url(f"{sandbox.base_url}/services/oauth2/authorize?*")
        body = await page.locator("body").inner_text()
        assert "invalid_client_id" in body
        assert "client identifier invalid" in body
        assert not any(url.startswith(f"{app.url}/oauth/callback") for url in seen)
        assert store.list() == []
