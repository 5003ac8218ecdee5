"""custom_api_call: header values and bodies the wire cannot carry are argument errors, said
before anything is sent — not "callforce hit an internal error"."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from starlette.applications import Starlette

from server import web
from server.settings import Settings
from server.store.sqlite import SQLiteConnectionStore
from server.toolkit import INTERNAL_ERROR, ToolSpec
from tests.helpers.demo_org import API, clear_log, request_log
from tests.helpers.tool_calls import Tools


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"X-Caller": "García"}, "the value of X-Caller has characters a header cannot carry"),
        ({"X-Caller": "☎ 555"}, "the value of X-Caller has characters a header cannot carry"),
        ({"X-Caller": "a\x85b"}, "the value of X-Caller has characters a header cannot carry"),
        ({"X-Caller": "x" * 5000}, "the value of X-Caller is longer than 4000 characters"),
    ],
)
async def test_a_header_value_the_wire_cannot_carry_is_refused(
    tools: Tools, control: httpx.AsyncClient, headers: dict[str, str], expected: str
) -> None:
    """A non-ASCII header value is refused by name, saying what to do; nothing is sent."""
    await clear_log(control)
    text = await tools.error(
        "custom_api_call", {"method": "GET", "endpoint": f"{API}/limits", "headers": headers}
    )
    assert INTERNAL_ERROR not in text
    assert "nothing was sent" in text
    assert expected in text
    assert await request_log(control) == []


#: Numbers the client writes as they are, replaced on the wire by what a model may write:
#: ``1e309`` and ``-1e309``, which no SDK client writes (a Python or JS client sends null for
#: infinity) and the server's JSON parser reads as infinity.
INFINITY = 987654321987654321
MINUS_INFINITY = 987654321987654322
_ON_THE_WIRE = {str(INFINITY).encode(): b"1e309", str(MINUS_INFINITY).encode(): b"-1e309"}


class _AsAModelWrites(httpx2.AsyncBaseTransport):
    """The HTTP app in-process, each request's marker numbers written as a model wrote them."""

    def __init__(self, app: Starlette) -> None:
        self._app = httpx2.ASGITransport(app=app)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        body = await request.aread()
        for marker, written in _ON_THE_WIRE.items():
            body = body.replace(marker, written)
        headers = [(k, v) for k, v in request.headers.raw if k.lower() != b"content-length"]
        sent = httpx2.Request(request.method, request.url, headers=headers, content=body)
        return await self._app.handle_async_request(sent)


@asynccontextmanager
async def over_http(
    settings: Settings, store: SQLiteConnectionStore, actions: Sequence[ToolSpec[Any, Any]] = ()
) -> AsyncIterator[Tools]:
    """callforce's HTTP app (stateless, with ``actions``), reached by the SDK's client through
    the transport above: :data:`INFINITY` in the arguments arrives as ``1e309``."""
    stateless = settings.model_copy(update={"http_stateless": True})
    app = web.build_app(stateless, store, actions=actions)
    async with (
        app.router.lifespan_context(app),
        httpx2.AsyncClient(
            transport=_AsAModelWrites(app), base_url="http://127.0.0.1:8000"
        ) as http,
        Client(streamable_http_client("http://127.0.0.1:8000/mcp", http_client=http)) as client,
    ):
        yield Tools(client, store, settings)


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"NumberOfEmployees": INFINITY}, "body.NumberOfEmployees"),
        ({"LastName": "Lee", "Address": {"lines": [1, MINUS_INFINITY]}}, "body.Address.lines.1"),
        ([INFINITY], "body.0"),
    ],
)
async def test_1e309_in_a_body_is_refused(
    settings: Settings,
    store: SQLiteConnectionStore,
    control: httpx.AsyncClient,
    body: Any,
    where: str,
) -> None:
    """1e309 parses as infinity, which JSON cannot carry: refused, naming where; nothing sent."""
    await clear_log(control)
    async with over_http(settings, store) as tools:
        text = await tools.error(
            "custom_api_call",
            {"method": "POST", "endpoint": f"{API}/sobjects/Lead", "body": body},
        )
    assert INTERNAL_ERROR not in text
    assert "nothing was sent" in text
    assert f"{where} is not a finite number" in text
    assert await request_log(control) == []


async def test_ascii_header_values_are_still_sent(tools: Tools, control: httpx.AsyncClient) -> None:
    """ASCII values (tabs and spaces included) are sent as given."""
    await clear_log(control)
    result = await tools.ok(
        "custom_api_call",
        {"method": "GET", "endpoint": f"{API}/limits", "headers": {"X-Caller": "Garcia\t(555) 1"}},
    )
    assert result["status"] == 200
    assert len(await request_log(control)) == 1
