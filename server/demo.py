"""``callforce demo``: a local demo org, connected and served over HTTP, with a sample call.

In order:

1. the emulator starts on a free loopback port, on a thread (demo seed, in memory);
2. the state goes to a **temporary home**, removed when the demo stops. The demo never uses
   ``CALLFORCE_HOME``, even when it is set: the demo org vanishes with the demo, so its
   connection must not outlive it as a dead default in a real store;
3. the connection ``demo`` is made with the password grant (login URL = the emulator; a loopback
   instance is accepted because the login host is loopback) and made the default. As the
   browser sign-in would, it also holds a refresh token (issued by the org, which runs in this
   process), so an expired session renews itself like a real connection's;
4. the configured actions of ``--actions FILE`` (default: the shipped example file, the seed's
   actions) are checked against the demo org and served beside the generic tools, reloaded
   when the file changes; an invalid file stops the demo with each problem and its place;
5. MCP is served over Streamable HTTP at ``http://127.0.0.1:PORT/mcp``, the connect page at
   ``/`` (see :mod:`server.web`; ``CALLFORCE_API_TOKENS``, when set, still apply);
6. how to connect a client is printed, then a scripted sample call runs through the MCP SDK's
   client against that endpoint, step by step (``--no-sample`` skips it): the client plays the
   voice platform, sending a call id and the caller's number as headers; the call finds the
   caller with ``find_caller``, writes, uses an example action when they are served and ends
   with ``log_call``;
7. it serves until Ctrl-C or SIGTERM, and then exits 0.

Everything is printed to stderr, as all of callforce's diagnostics.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import socket
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import httpx
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult, TextContent
from pydantic import SecretStr

from emulator.config import EmulatorConfig
from emulator.server import BackgroundEmulator
from server import web
from server.actions.cli import EXAMPLE_FILE, print_problems
from server.actions.model import ActionFileError
from server.actions.serving import load_action_specs
from server.errors import CallforceError
from server.salesforce import grants
from server.settings import Settings
from server.store.interface import Connection, ConnectionStore
from server.store.opening import open_store
from server.toolkit import ToolSpec

CONNECTION = "demo"
#: The demo caller's number (Ana García's Phone in the demo org).
ANA_NUMBER = "+1 415 555 0100"
INSPECTOR = "npx @modelcontextprotocol/inspector"


async def connect_demo(
    settings: Settings, store: ConnectionStore, emulator: BackgroundEmulator
) -> Connection:
    """Connect the emulator's demo user as the default connection ``demo``."""
    config = emulator.org.config
    async with httpx.AsyncClient(timeout=10) as http:
        tokens = await grants.password(
            http,
            login_url=emulator.base_url,
            client_id=config.client_id,
            client_secret=config.client_secret,
            username=config.username,
            password=config.password,
        )
    user = emulator.org.user_by_username(config.username)
    refresh = (
        emulator.org.tokens.issue_refresh_token(user["Id"], config.client_id, "api refresh_token")
        if user
        else None
    )
    conn = Connection(
        name=CONNECTION,
        environment="custom",
        login_url=emulator.base_url,
        instance_url=tokens.instance_url,
        auth_kind="oauth" if refresh else "token",
        access_token=SecretStr(tokens.access_token),
        refresh_token=SecretStr(refresh) if refresh else None,
        org_id=tokens.org_id,
        user_id=tokens.user_id,
        username=config.username,
        client_id=config.client_id,
        is_default=True,
    )
    store.save(conn)
    return conn


def _say(out: TextIO, text: str = "") -> None:
    print(text, file=out, flush=True)


def print_instructions(
    out: TextIO,
    url: str,
    emulator: BackgroundEmulator,
    settings: Settings,
    actions: Sequence[str] = (),
) -> None:
    """Where everything is and how to point a client at it."""
    mcp_url = f"{url}{web.MCP_PATH}"
    header = ' --header "Authorization: Bearer $TOKEN"' if settings.api_tokens else ""
    client_config = {"mcpServers": {"callforce-demo": {"type": "http", "url": mcp_url}}}
    lines = [
        "callforce demo is running.",
        f"  MCP endpoint (Streamable HTTP): {mcp_url}",
        f"  connect page:                   {url}/",
        f"  activity (what the agent did):  {url}/activity",
        f"  demo org (emulated):            {emulator.base_url}  login demo@callforce.dev / demo",
        "  state: a temporary directory, removed when the demo stops",
    ]
    if actions and settings.actions is not None:
        lines += [
            f"  configured actions:             {', '.join(actions)}",
            f"    from {settings.actions} (reloaded when it changes)",
        ]
    lines += [
        "",
        "Connect a client:",
        f"  MCP Inspector CLI:  {INSPECTOR} --cli {mcp_url}{header} --method tools/list",
        f"  MCP Inspector UI:   {INSPECTOR}  (transport Streamable HTTP, URL {mcp_url})",
        f"  Claude Code:        claude mcp add --transport http callforce-demo {mcp_url}",
        f"  HTTP client config: {json.dumps(client_config)}",
    ]
    if settings.api_tokens:
        lines.append("  CALLFORCE_API_TOKENS is set: send Authorization: Bearer <one of them>.")
    _say(out, "\n".join(lines))


def _text(result: CallToolResult) -> str:
    return " ".join(b.text for b in result.content if isinstance(b, TextContent))


def _summary(tool: str, data: dict[str, Any]) -> str:
    """One line about a tool's structured result (an action's by the generic tool it runs)."""
    if tool == "find_caller":
        candidates = data.get("candidates") or []
        if not candidates:
            return "no record has this number"
        first = candidates[0]
        return f"{data.get('match')}: {first.get('object')} {first.get('name')} ({first.get('id')})"
    if tool == "log_call":
        verb = "logged the call as" if data.get("created") else "updated the call's"
        return f"{verb} Task {data.get('id')}"
    if tool == "run_query" or "records" in data:
        records = data.get("records") or []
        if not records:
            return "no record found"
        first = records[0]
        who = " ".join(str(first.get(k)) for k in ("FirstName", "LastName") if first.get(k))
        return f"{data.get('total_size')} record(s): {who} <{first.get('Email')}> ({first['Id']})"
    if tool == "create_record" or set(data) == {"id", "object", "url"}:
        return f"created {data.get('object')} {data.get('id')}"
    if tool == "upsert_record":
        verb = "created" if data.get("created") else "updated"
        return f"{verb} {data.get('object', 'record')} {data.get('id')}"
    if tool == "describe_object":
        fields = data.get("fields") or []
        required = [f["name"] for f in fields if f.get("required")]
        status = next((f for f in fields if f.get("name") == "Status"), None)
        values = ", ".join((status or {}).get("picklist_values", [])[:4])
        return (
            f"{data.get('label')}: {len(fields)} fields, required on create: "
            f"{', '.join(required) or 'none'}; Status is one of {values}, …"
        )
    return json.dumps(data, ensure_ascii=False)[:120]


async def sample_call(url: str, headers: dict[str, str], out: TextIO) -> bool:
    """A scripted call through the MCP SDK's client; whether every step succeeded.

    The client plays the voice platform: it sends the call's id and the caller's number as
    headers (X-Call-Id, X-Caller-Number), as Vapi or a LiveKit agent would.
    """
    call_id = f"demo-call-{secrets.token_hex(4)}"
    _say(
        out,
        f"\nSample call {call_id}: Ana García phones in from {ANA_NUMBER} "
        "(the platform sends both as headers).",
    )
    call_headers = headers | {"X-Call-Id": call_id, "X-Caller-Number": ANA_NUMBER}
    async with (
        httpx2.AsyncClient(headers=call_headers, timeout=httpx2.Timeout(30, read=300)) as http,
        Client(streamable_http_client(url, http_client=http)) as client,
    ):

        async def step(number: int, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
            _say(out, f"  {number}. {tool} {json.dumps(arguments, ensure_ascii=False)}")
            result = await client.call_tool(tool, arguments)
            if result.is_error or not isinstance(result.structured_content, dict):
                raise _StepError(_text(result))
            _say(out, f"     → {_summary(tool, result.structured_content)}")
            return result.structured_content

        try:
            found = await step(1, "find_caller", {})
            ana = found["candidates"][0]["id"]
            await step(
                2,
                "upsert_record",
                {
                    "object": "Lead",
                    "external_id_field": "External_Id__c",
                    "data": {
                        "External_Id__c": "demo-referral-ben-okafor",
                        "FirstName": "Ben",
                        "LastName": "Okafor",
                        "Company": "Globex",
                        "Email": "ben.okafor@example.com",
                        "LeadSource": "Phone Inquiry",
                    },
                },
            )
            await step(3, "describe_object", {"object": "Case"})
            listed = {tool.name for tool in (await client.list_tools()).tools}
            if "request_callback" in listed:
                _say(out, "  A configured action (the example file):")
                await step(
                    4,
                    "request_callback",
                    {"topic": "replacement shipment", "details": "Arrived damaged.", "whoId": ana},
                )
            await step(
                5,
                "log_call",
                {
                    "summary": "Ana reported a damaged shipment and referred a colleague, Ben "
                    "Okafor at Globex. A callback is booked.",
                    "who_id": ana,
                    "call_type": "Inbound",
                },
            )
        except (_StepError, KeyError, IndexError) as exc:
            _say(out, f"     → the sample call stopped: {exc}")
            return False
    _say(out, "Sample call done.")
    return True


class _StepError(Exception):
    """A sample step came back as a tool error."""


async def _serve(
    settings: Settings,
    store: ConnectionStore,
    emulator: BackgroundEmulator,
    sock: socket.socket,
    sample: bool,
    out: TextIO,
) -> int:
    await connect_demo(settings, store, emulator)
    actions: list[ToolSpec[Any, Any]] = []
    if settings.actions is not None:
        try:
            actions = await load_action_specs(settings, store, settings.actions)
        except ActionFileError as exc:
            print_problems("callforce demo", settings.actions, exc.problems, out)
            return 2
    server = web.HttpServer(web.build_app(settings, store, actions=actions))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if serving.done():
            await serving  # start-up failed: uvicorn has said why
            return 1
        await asyncio.sleep(0.01)
    url = web.url_of(sock)
    print_instructions(out, url, emulator, settings, [spec.name for spec in actions])
    if sample:
        headers = {}
        if settings.api_tokens:
            headers["Authorization"] = f"Bearer {settings.api_tokens[0].get_secret_value()}"
        sampler = asyncio.create_task(sample_call(f"{url}{web.MCP_PATH}", headers, out))
        await asyncio.wait({serving, sampler}, return_when=asyncio.FIRST_COMPLETED)
        if not sampler.done():  # stopped while the sample ran
            sampler.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            try:
                await sampler
            except Exception as exc:  # the demo keeps serving; say what broke, no traceback
                _say(out, f"The sample call failed: {type(exc).__name__}")
    if not serving.done():
        _say(out, "\nServing until Ctrl-C.")
    await serving
    _say(out, "callforce demo stopped.")
    return 0


def run_demo(
    settings: Settings,
    *,
    port: int = 8000,
    actions: str | Path | None = None,
    sample: bool = True,
    out: TextIO = sys.stderr,
) -> int:
    """``callforce demo``: 0 after Ctrl-C or SIGTERM, 1 if the demo org cannot be connected,
    2 when the port is taken or the action file is invalid.

    ``actions``: the action file to serve (default: the shipped example file).
    """
    try:
        sock = web.listen("127.0.0.1", port)
    except web.PortUnavailable as exc:
        _say(out, f"callforce demo: {exc}; choose another with --port (0: any free port)")
        return 2
    try:
        with (
            tempfile.TemporaryDirectory(prefix="callforce-demo-") as home,
            BackgroundEmulator(EmulatorConfig()) as emulator,
        ):
            demo_settings = settings.model_copy(
                update={
                    "home": Path(home),
                    # The demo's org and connection are throwaway: never in a shared database.
                    "database_url": None,
                    "production_login_url": emulator.base_url,
                    "sandbox_login_url": emulator.base_url,
                    "client_id": emulator.org.config.client_id,
                    "client_secret": SecretStr(emulator.org.config.client_secret),
                    "default_connection": None,
                    "ca_bundle": None,
                    "http_host": "127.0.0.1",
                    "http_port": sock.getsockname()[1],
                    "read_only": False,
                    "expose": "all",
                    "actions": Path(actions) if actions else EXAMPLE_FILE,
                }
            )
            store = open_store(demo_settings)
            try:
                return web.run_fast(_serve(demo_settings, store, emulator, sock, sample, out))
            except CallforceError as exc:  # connecting the demo org failed
                _say(out, f"callforce demo: {exc.message}")
                return 1
            finally:
                store.close()
    finally:
        sock.close()
