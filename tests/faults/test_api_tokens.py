"""API tokens (hardening issue, item 11): a 1-character ``CALLFORCE_API_TOKENS`` was accepted for a
public bind, and 100 wrong tokens in 0.2 s met no resistance. Now a non-loopback bind needs
tokens of 32 characters or more, and wrong tokens are throttled per client address — on ``/mcp``,
on the connect page's bearer header and on its sign-in form alike — while right tokens from
other addresses pass untouched."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from server import web
from server.connect.admission import ApiTokens
from server.settings import Settings
from server.store.sqlite import SQLiteConnectionStore

TOKEN = "a-right-token-of-forty-characters-000000"
MCP_HEADERS = {"Accept": "application/json, text/event-stream"}
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "test", "version": "1"},
    },
}
ATTACKER = ("203.0.113.7", 40000)
COLLEAGUE = ("198.51.100.20", 40001)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


@asynccontextmanager
async def app_with(
    settings: Settings, store: SQLiteConnectionStore, tokens: ApiTokens | None = None
) -> AsyncIterator[web.Starlette]:
    """callforce's HTTP app (lifespan running) with ``TOKEN`` as its one API token."""
    secured = settings.model_copy(update={"api_tokens": [SecretStr(TOKEN)]})
    app = web.build_app(secured, store, tokens=tokens)
    async with app.router.lifespan_context(app):
        yield app


def client_at(app: web.Starlette, address: tuple[str, int]) -> httpx.AsyncClient:
    """A client of ``app`` whose requests come from ``address``."""
    transport = httpx.ASGITransport(app=app, client=address)
    return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000")


async def mcp_with(http: httpx.AsyncClient, token: str) -> httpx.Response:
    """``initialize`` on /mcp with ``token`` as the bearer."""
    headers = {**MCP_HEADERS, "Authorization": f"Bearer {token}"}
    return await http.post("/mcp", json=INITIALIZE, headers=headers)


@pytest.mark.parametrize("length", [1, 31])
def test_a_short_token_is_refused_for_a_public_bind(tmp_path: Path, length: int) -> None:
    """A public bind with a token under 32 characters is refused saying so (the token itself
    not shown); 32 characters pass, and loopback keeps short tokens. (`callforce serve` prints
    the refusal and exits 2, as for a missing token: tests/test_transports.py.)"""
    short = "Q" * length
    public = {"home": tmp_path, "http_host": "0.0.0.0", "allowed_hosts": ["mcp.example.com"]}  # noqa: S104
    with pytest.raises(web.UnsafeBind) as refused:
        web.check_bind(Settings(**public, api_tokens=[TOKEN, short]))
    message = str(refused.value)
    assert message.startswith("refusing to listen on 0.0.0.0")
    assert "at least 32 characters" in message
    assert f"the 2nd has {length}." in message
    assert short not in message
    web.check_bind(Settings(**public, api_tokens=["k" * 32]))
    web.check_bind(Settings(home=tmp_path, http_host="127.0.0.1", api_tokens=[short]))


async def test_a_burst_of_wrong_tokens_meets_resistance(
    settings: Settings, store: SQLiteConnectionStore
) -> None:
    """100 wrong tokens from one address: after a handful, 429 with Retry-After, never 200."""
    async with app_with(settings, store) as app, client_at(app, ATTACKER) as attacker:
        answers = [(await mcp_with(attacker, f"guess-{n:04d}")) for n in range(100)]
    statuses = [answer.status_code for answer in answers]
    assert 200 not in statuses
    assert statuses[:5] == [401] * 5
    assert statuses[5:] == [429] * 95
    assert all(int(answer.headers["retry-after"]) >= 1 for answer in answers[5:])
    assert "too many wrong API tokens" in answers[-1].json()["error_description"]


async def test_throttle_window_per_address_and_growing(
    settings: Settings, store: SQLiteConnectionStore
) -> None:
    """Wrong tokens lock out their address for a window that doubles; another address with the
    right token is served meanwhile; after the window the address may try again."""
    clock = Clock()
    tokens = ApiTokens([SecretStr(TOKEN)], clock=clock)
    async with (
        app_with(settings, store, tokens) as app,
        client_at(app, ATTACKER) as attacker,
        client_at(app, COLLEAGUE) as colleague,
    ):
        for n in range(5):
            assert (await mcp_with(attacker, f"guess-{n}")).status_code == 401
        locked = await mcp_with(attacker, "guess-5")
        assert locked.status_code == 429
        first_window = int(locked.headers["retry-after"])
        assert first_window >= 1
        # Not even the right token gets through from there while the window lasts …
        assert (await mcp_with(attacker, TOKEN)).status_code == 429
        # … but from another address it does, as the connect page's bearer header does.
        assert (await mcp_with(colleague, TOKEN)).status_code == 200
        page = await colleague.get("/", headers={"Authorization": f"Bearer {TOKEN}"})
        assert page.status_code == 200

        clock.now += first_window
        assert (await mcp_with(attacker, "guess-6")).status_code == 401
        again = await mcp_with(attacker, "guess-7")
        assert again.status_code == 429
        assert int(again.headers["retry-after"]) == 2 * first_window

        clock.now += 2 * first_window
        assert (await mcp_with(attacker, TOKEN)).status_code == 200
        # A right token clears the address's record: a later typo starts from scratch.
        assert (await mcp_with(attacker, "typo")).status_code == 401
        assert (await mcp_with(attacker, TOKEN)).status_code == 200


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]{64})"', html)
    assert found
    return found.group(1)


async def test_the_sign_in_form_and_page_bearer_count_too(
    settings: Settings, store: SQLiteConnectionStore
) -> None:
    """Wrong tokens on the page's sign-in form and bearer header share the address's count with
    /mcp: once locked, the form answers 429 with Retry-After and says when to try again."""
    clock = Clock()
    tokens = ApiTokens([SecretStr(TOKEN)], clock=clock)
    async with (
        app_with(settings, store, tokens) as app,
        client_at(app, ATTACKER) as attacker,
        client_at(app, COLLEAGUE) as colleague,
    ):
        csrf = _csrf((await attacker.get("/")).text)
        for n in range(3):
            wrong = await attacker.post("/signin", data={"csrf": csrf, "token": f"guess-{n}"})
            assert wrong.status_code == 401
        assert (await mcp_with(attacker, "guess-3")).status_code == 401
        bearer = await attacker.get("/", headers={"Authorization": "Bearer guess-4"})
        assert bearer.status_code == 401
        locked = await attacker.post("/signin", data={"csrf": csrf, "token": TOKEN})
        assert locked.status_code == 429
        assert int(locked.headers["retry-after"]) >= 1
        assert "Too many wrong API tokens" in locked.text
        assert "callforce-signin" not in locked.headers.get("set-cookie", "")

        csrf_colleague = _csrf((await colleague.get("/")).text)
        signed = await colleague.post("/signin", data={"csrf": csrf_colleague, "token": TOKEN})
        assert signed.status_code == 303

        clock.now += int(locked.headers["retry-after"])
        signed = await attacker.post("/signin", data={"csrf": csrf, "token": TOKEN})
        assert signed.status_code == 303
