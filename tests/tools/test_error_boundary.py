"""The one error boundary: what each kind of failure looks like to an MCP client."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp.server.mcpserver import MCPServer
from pydantic import BaseModel, Field

from server.errors import NotFound
from server.salesforce.client import SalesforceClient
from server.salesforce.describe_cache import DescribeCache
from server.settings import Settings
from server.store.sqlite import SQLiteConnectionStore
from server.toolkit import INTERNAL_ERROR, READ, Services, ToolContext, ToolSpec, register
from server.values import FieldProblem, ValueCoercionError
from tests.helpers.demo_org import API, add_fault
from tests.helpers.tool_calls import Tools, serving, text_of


class _Args(BaseModel):
    kind: str = Field(description="Which failure to raise.", examples=["crash"])


class _Result(BaseModel):
    ok: bool


class _Nested(BaseModel):
    count: int


async def _fail(ctx: ToolContext, args: _Args) -> _Result:
    if args.kind == "crash":
        raise RuntimeError("secret at /srv/callforce/server/app.py line 3, token=abc123")
    if args.kind == "salesforce":
        raise NotFound(404, "NOT_FOUND", "The requested resource does not exist")
    if args.kind == "coercion":
        raise ValueCoercionError([FieldProblem("Email", "Email: 'x' is not an email address")])
    if args.kind == "validation":
        _Nested.model_validate({"count": "many"})
    return _Result(ok=True)


@asynccontextmanager
async def _services(_: MCPServer[Any]) -> AsyncIterator[Services]:
    """Real services (the call's deadline reads the settings); the handler uses none."""
    with tempfile.TemporaryDirectory() as home:
        settings = Settings(home=Path(home))
        store = SQLiteConnectionStore.from_settings(settings)
        try:
            async with SalesforceClient(settings, store) as client:
                describe = DescribeCache.from_settings(settings)
                yield Services(settings, store, client, describe, cursor_key=b"k")
        finally:
            store.close()


def _server() -> MCPServer[Any]:
    server = MCPServer[Any]("boundary-test", lifespan=_services)
    register(server, ToolSpec("fail", "Fail", "Raises on purpose.", READ, _Args, _Result, _fail))
    return server


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("crash", INTERNAL_ERROR),
        ("salesforce", "Salesforce answered 404 NOT_FOUND: The requested resource does not exist"),
        ("coercion", "Nothing was sent to Salesforce. Fix these and call again:\n- Email: 'x'"),
        ("validation", "count: Input should be a valid integer"),
    ],
)
async def test_each_failure_becomes_a_plain_tool_error(kind: str, expected: str) -> None:
    """Our errors keep their message; anything unforeseen becomes the generic one."""
    async with serving(_server()) as client:
        result = await client.call_tool("fail", {"kind": kind})
    text = text_of(result)
    assert result.is_error
    assert expected in text
    for leaked in ("Traceback", "secret", "/srv/", "abc123", "RuntimeError", "'many'"):
        assert leaked not in text


async def test_a_garbled_salesforce_answer_is_a_clean_error(
    tools: Tools, control: httpx.AsyncClient
) -> None:
    """A 200 that is not JSON is reported plainly, without internals."""
    await add_fault(control, path=f"{API}/query", status=200, body="<html>oops</html>", times=2)
    text = await tools.error("run_query", {"soql": "SELECT Id FROM Account"})
    assert "INVALID_RESPONSE" in text
