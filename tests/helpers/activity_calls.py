"""A phone call for the activity tests to look at: four tool calls made through the MCP client —
find the caller, create a contact, a refused update, log the call — each with what reached the
emulator counted, and the values sent, which must show up nowhere (pages, terminal, store).

The call id comes from the platform: in ``_meta["callforce/call"]`` (in-process client) or the
``X-Call-Id`` header (Streamable HTTP, :func:`over_http`).
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from starlette.applications import Starlette

from server.store.sqlite import SQLiteConnectionStore
from tests.helpers.connect_flow import APP_URL
from tests.helpers.demo_org import clear_log, request_log
from tests.helpers.tool_calls import text_of

#: The seeded caller's number (Contact Ana García).
CALLER = "+1 415 555 0100"


@dataclass(frozen=True)
class Step:
    """One tool call of the driven call, and what it should be recorded as."""

    tool: str
    outcome: str
    requests: int
    record_ids: tuple[str, ...]


@dataclass(frozen=True)
class DrivenCall:
    """The call as driven: its steps in order, and the values that were sent."""

    call_id: str
    steps: list[Step]
    values: tuple[str, ...]
    error_text: str

    @property
    def requests(self) -> int:
        """Salesforce requests, all steps together."""
        return sum(step.requests for step in self.steps)


def new_call_id() -> str:
    """A call id no other test uses."""
    return f"call-{secrets.token_hex(6)}"


async def drive_call(
    client: Client, control: httpx.AsyncClient, call_id: str, **call: Any
) -> DrivenCall:
    """Make the four tool calls (``call``: extra arguments of ``call_tool``, e.g. ``meta``)."""
    secret = secrets.token_hex(8)
    last_name, email = f"Zyqx{secret}", f"ana.{secret}@example.org"
    wrong_email, summary = f"not-an-email-{secret}", f"Wants a refund, code {secret}"
    steps: list[Step] = []
    error_text = ""

    async def step(tool: str, arguments: dict[str, Any], *, fails: bool = False) -> dict[str, Any]:
        nonlocal error_text
        await clear_log(control)
        result = await client.call_tool(tool, arguments, **call)
        reached = len(await request_log(control))
        assert result.is_error == fails, text_of(result)
        structured = result.structured_content or {}
        written = (structured["id"],) if "id" in structured and not fails else ()
        steps.append(Step(tool, "error" if fails else "ok", reached, written))
        if fails:
            error_text = text_of(result)
        return structured

    await step("find_caller", {"phone": CALLER})
    created = await step(
        "create_record", {"object": "Contact", "data": {"LastName": last_name, "Email": email}}
    )
    await step(
        "update_record",
        {"object": "Contact", "id": created["id"], "data": {"Email": wrong_email}},
        fails=True,
    )
    await step("log_call", {"summary": summary})
    assert secret in error_text  # the agent was told the value it sent; the record must not be
    return DrivenCall(
        call_id=call_id,
        steps=steps,
        values=(secret, last_name, email, wrong_email, summary),
        error_text=error_text,
    )


def in_call(call_id: str) -> dict[str, Any]:
    """The ``call_tool`` arguments that place a tool call in the call ``call_id``."""
    return {"meta": {"callforce/call": {"id": call_id}}}


@asynccontextmanager
async def over_http(app: Starlette, headers: dict[str, str]) -> AsyncIterator[Client]:
    """An MCP client of ``app``'s ``/mcp`` (Streamable HTTP, in-process), sending ``headers``
    with every request; the app's lifespan must be running."""
    async with (
        httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=app), base_url=APP_URL, headers=headers
        ) as http,
        Client(streamable_http_client(f"{APP_URL}/mcp", http_client=http)) as client,
    ):
        yield client


def store_bytes(store: SQLiteConnectionStore) -> bytes:
    """Every byte of the store's database, its write-ahead log included."""
    files = [store.path, Path(f"{store.path}-wal")]
    return b"".join(path.read_bytes() for path in files if path.exists())
