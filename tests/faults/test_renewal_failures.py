"""Items 2–4: a hiccup is not a disconnect. A session refused right after renewal fails that
call and keeps the connection; a failing token endpoint is asked once per backoff window, not on
every call, and the reason shows in connection_status; a token request whose answer was lost is
not sent again within the call."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from server.app import build_server
from server.settings import Settings
from server.store.sqlite import SQLiteConnectionStore
from tests.helpers.demo_org import API, add_fault, clear_log, request_log, token_requests
from tests.helpers.tool_calls import Tools, serving

QUERY = {"soql": "SELECT Id FROM Account LIMIT 1"}
TOKEN = "/services/oauth2/token"
INVALID_SESSION = [{"errorCode": "INVALID_SESSION_ID", "message": "Session expired or invalid"}]


@asynccontextmanager
async def _served(
    settings: Settings, store: SQLiteConnectionStore, **changes: Any
) -> AsyncIterator[Tools]:
    changed = settings.model_copy(update=changes)
    async with serving(build_server(changed, store=store)) as client:
        yield Tools(client, store, changed)


async def _state(tools: Tools) -> dict[str, Any]:
    status = await tools.ok("connection_status", {})
    (connection,) = status["connections"]
    return dict(connection)


async def test_a_session_refused_right_after_renewal_keeps_the_connection(
    tools: Tools, control: httpx.AsyncClient
) -> None:
    """401, renewal, 401 again: that call fails plainly; the connection stays connected and the
    next call works without anyone signing in."""
    await add_fault(
        control, method="GET", path=f"{API}/query", status=401, body=INVALID_SESSION, times=2
    )
    text = await tools.error("run_query", QUERY)
    assert "did not renew the session" in text
    assert "refused the session right after renewing it" in text
    assert (await _state(tools))["state"] == "connected"
    rows = await tools.ok("run_query", QUERY)
    assert rows["total_size"] == 1


async def test_a_failing_token_endpoint_is_not_hammered(
    settings: Settings, store: SQLiteConnectionStore, control: httpx.AsyncClient
) -> None:
    """invalid_client: one token request per backoff window, failing fast meanwhile with the
    reason (shown in connection_status); three failures in a row need a person to reconnect."""
    refusal = {"error": "invalid_client", "error_description": "client secret invalid"}
    await add_fault(control, method="POST", path=TOKEN, status=400, body=refusal, times=10)
    await control.post("/_emulator/expire-sessions")
    await clear_log(control)
    async with _served(settings, store, renewal_backoff_seconds=0.3) as tools:
        first = await tools.error("run_query", QUERY)
        fast = await tools.error("run_query", QUERY)  # within the backoff window
        shown = await _state(tools)
        assert len(token_requests(await request_log(control))) == 1
        await asyncio.sleep(0.35)
        await tools.error("run_query", QUERY)  # second attempt (backoff now 0.6 s)
        await asyncio.sleep(0.65)
        third = await tools.error("run_query", QUERY)  # third attempt: give up
        after = await _state(tools)
    assert "invalid_client" in first
    assert "invalid_client" in fast
    assert "tries again in" in fast
    assert shown["state"] == "connected"
    assert "invalid_client" in (shown["last_error"] or "")
    assert len(token_requests(await request_log(control))) == 3
    assert "needs to be reconnected" in third
    assert after["state"] == "needs_reconnect"


async def test_a_lost_token_answer_is_not_sent_again(
    tools: Tools, control: httpx.AsyncClient
) -> None:
    """The refresh went out and its answer was lost: with rotation Salesforce may have replaced
    the refresh token, so callforce does not repeat it within the call; the connection stays."""
    await control.post("/_emulator/expire-sessions")
    await add_fault(control, method="POST", path=TOKEN, drop=True, times=1)
    await clear_log(control)
    text = await tools.error("run_query", QUERY)
    assert "answer was lost" in text
    assert len([e for e in await request_log(control) if e["path"] == TOKEN]) == 1
    assert (await _state(tools))["state"] == "connected"
