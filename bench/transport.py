"""callforce through the wires real clients use — a Streamable HTTP socket, a stdio pipe — with
each figure beside its floor, measured in the same run.

Everything runs in its own process: the emulator (``callforce emulator --tls``: Salesforce over
https, its CA trusted through ``CALLFORCE_CA_BUNDLE``), each server under test (``callforce
serve --transport http``, the same with ``--stateless``, ``callforce demo --port P
--no-sample``, ``callforce serve`` over stdio — each with its own ``CALLFORCE_HOME`` holding a
connection to the emulator, made with the client credentials grant and saved with the store
API), and the floor server (``bench/_bare_server.py``: a bare ``MCPServer`` with an async echo
tool, served the same way: uvicorn over HTTP, or stdio). The *direct request* floor is one httpx
request doing the same Salesforce operation from this process: same TLS trust, a reused
keep-alive client, a valid token, the headers callforce sends. The clients are the MCP SDK's
(``mcp.Client``), one shared ``httpx2`` pool for HTTP; the warm ones negotiate as the SDK does
by default (``--warm-mode auto``: 2026-07-28 against these servers).

Each measured thing and its floors alternate round by round (``--per-round`` calls of each,
their order rotating), after ``--warmup`` calls each; a figure is the median over all its calls.

1. **HTTP, warm client** (``serve --transport http``; one client, many calls): run_query (a
   5-row SOQL), create_record (a Contact), connection_status, median ms. Floors: bare echo over
   the same transport, the direct request. Target: run_query ≤ echo + direct + 1.5 ms.
2. **Server CPU per call**: the server process's user+system time (``/proc/<pid>/stat``) over
   the same calls, beside wall time; likewise for the bare echo server; for the direct request,
   this process's ``time.process_time()`` around it (client-side CPU of the httpx request).
   Target: run_query ≤ 1.25 × (echo + direct).
3. **A client per call over HTTP**, against ``serve --stateless`` and plain ``serve``: a fresh
   legacy session per call (new client, initialize, call, close — as Vapi does) against the bare
   server doing the same with echo (+ the direct request, for run_query): target ≤ 1.2×; and the
   2026-07-28 single exchange (``Client(mode="2026-07-28")``: pinned, no discover round trip)
   for run_query against the warm client's call: target ≤ warm + 1 ms; beside it the same
   difference for the bare echo (the SDK client's own share). The call goes out as one
   ``tools/call`` (``session.send_request``): the SDK's ``call_tool`` on a client that never
   listed the tools also sends ``tools/list`` (to validate the structured result), shown apart
   as ``sdk_call_tool_ms``; ``http_requests`` counts what each path sends.
4. **stdio**: warm run_query vs bare echo (and the direct request); 50 concurrent run_query
   calls on one session vs 50 concurrent echo calls on the bare server, wall time, median of
   ``--bursts``: target ≤ 2.5×; cold start (spawn → ``tools/list`` answered, raw JSON lines)
   vs the bare server, median of ``--spawns``: target ≤ 1.15×.
5. **demo vs serve**: warm run_query and connection_status on ``callforce demo`` against
   ``serve --transport http``: target within 10%. The demo brings its own org (in its process,
   plain http): a third server, ``serve`` connected to the demo's org, compares the servers on
   the same org.
6. **Sizes**: the 5-row query's text content and its structured content (compact JSON), in
   characters: text ≤ 450; ``describe_object Account`` text ≤ 4,000; what an LLM reads of the 8
   generic tools (name + description + ``json.dumps(inputSchema)``) ≤ 5,600 in all; no
   ``examples`` in any tool's input schema.
7. **Salesforce requests per warm call** (the emulator's ``/_emulator/requests`` log):
   run_query, create_record, find_caller, log_call (a later one in the same call): target 1.
9. **The activity record**: warm run_query on ``serve`` (recording each call) against the same
   server with ``CALLFORCE_ACTIVITY_RECORD=0``, wall and server CPU: target ≤ 0.3 ms added.
8. **The voice calls**, warm over HTTP beside run_query, wall and server CPU: find_caller (a
   spoken number), log_call (again in one call: an update), and create_record with a fresh call
   id per call (its idempotency key claimed and settled in the store) against create_record
   without one: the difference is the bookkeeping, target ≤ 0.5 ms of server CPU.

Why ratios and CPU rather than single wall times: on a shared 2-core machine a wall time moves
by tens of percent between runs (and within one) with whatever else runs; a floor measured in
the same rounds moves with it, so the difference or ratio to it is what callforce adds. CPU
time per call does not stretch while a process waits for the core, so it shows the cost of
callforce's own code even when wall times are noisy. CPU readings tick in 10 ms: per-call CPU
is a total over all of a kind's calls.

    .venv/bin/python bench/transport.py [--calls 400] [--fresh-calls 120] [--spawns 12]
                                        [--json bench/results/transport.json]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import AsyncIterator, Awaitable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Run as a file, this module's directory comes first on sys.path and `bench/tools.py` would
# shadow the `tools` package: put the project root ahead of it.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
import httpx2
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolRequest, CallToolRequestParams, CallToolResult, TextContent

from bench._fleet import Fleet
from bench._harness import DEMO_CLIENT, DEMO_USER
from bench._lab import BARE, CALLFORCE, HttpServer, Lab, child_env, start_lab
from bench._timing import (
    Call,
    Kind,
    burst,
    interleave,
    interrupt_on_signals,
    only_interrupts,
    run_fast,
    time_to_tools,
)

API = "/services/data/v62.0"
SOQL = "SELECT Id, Name, Industry, Phone FROM Account ORDER BY Name LIMIT 5"
CONTACT = {"FirstName": "Ann", "LastName": "Bench", "Email": "ann.bench@example.com"}
#: The seeded caller Ana García's number, as speech-to-text writes it.
SPOKEN_NUMBER = "four one five, five five five, oh one double oh"
_FLAGS = ["DoNotCall", "HasOptedOutOfEmail"]
#: What find_caller sends for it (its default objects and fields): the direct-request floor.
CALLER_SEARCH = {
    "q": "+14155550100",
    "in": "PHONE",
    "sobjects": [
        {
            "name": "Contact",
            "fields": [
                *("Id", "Name", "Phone", "MobilePhone", "HomePhone", "OtherPhone"),
                *_FLAGS,
                *("AccountId", "Account.Name"),
            ],
            "limit": 10,
        },
        {
            "name": "Lead",
            "fields": ["Id", "Name", "Phone", "MobilePhone", *_FLAGS],
            "where": "IsConverted = false",
            "limit": 10,
        },
        {"name": "Account", "fields": ["Id", "Name", "Phone"], "limit": 10},
    ],
    "overallLimit": 30,
}
GENERIC_TOOLS = (
    "run_query",
    "describe_object",
    "create_record",
    "update_record",
    "upsert_record",
    "bulk_write",
    "custom_api_call",
    "connection_status",
)
MODERN = "2026-07-28"
_STARTED = time.monotonic()  # this script is run, not imported: its start is the run's
Figures = dict[str, dict[str, Any]]


def ms(value: float) -> float:
    """A figure in ms, rounded for the report."""
    return round(value, 3)


# -- calls ----------------------------------------------------------------------------------------


def _failed(result: CallToolResult) -> str:
    return " ".join(block.text for block in result.content if isinstance(block, TextContent))


async def checked(client: Client, tool: str, arguments: dict[str, Any]) -> CallToolResult:
    """Call ``tool``; a tool error stops the benchmark (a figure of failures means nothing)."""
    result = await client.call_tool(tool, arguments)
    if result.is_error:
        raise RuntimeError(f"{tool} failed: {_failed(result)[:300]}")
    return result


def tool(client: Client, name: str, arguments: dict[str, Any], meta: Any = None) -> Call:
    async def call() -> None:
        result = await client.call_tool(name, arguments, meta=meta)
        if result.is_error:
            raise RuntimeError(f"{name} failed: {_failed(result)[:300]}")

    return call


def in_call(call_id: str) -> dict[str, Any]:
    """The ``_meta`` a voice platform's client sends with a call's requests."""
    return {"callforce/call": {"id": call_id}}


def keyed(client: Client, name: str, arguments: dict[str, Any]) -> Call:
    """``name`` in a new call each time: a write whose idempotency key is new."""
    calls = itertools.count()
    run = f"bench-{os.getpid()}-{time.monotonic_ns()}"

    async def call() -> None:
        await tool(client, name, arguments, in_call(f"{run}-{next(calls)}"))()

    return call


def per_call_client(
    http: httpx2.AsyncClient,
    url: str,
    mode: str,
    name: str,
    arguments: dict[str, Any],
    *,
    sdk_call: bool = False,
) -> Call:
    """A new MCP client per call: connect (``legacy``: initialize), one ``tools/call``, close.

    The call goes out as the bare request (``session.send_request``): the SDK's ``call_tool``
    on a client that has not listed the tools first sends ``tools/list`` as well, to validate
    the structured result against the output schema — a second exchange the client of a voice
    platform, which listed the tools once, does not make. ``sdk_call`` times that path too.
    """

    async def call() -> None:
        async with Client(
            streamable_http_client(url, http_client=http), mode=mode, read_timeout_seconds=30
        ) as client:
            if sdk_call:
                await checked(client, name, arguments)
                return
            result = await client.session.send_request(
                CallToolRequest(params=CallToolRequestParams(name=name, arguments=arguments)),
                CallToolResult,
            )
            if result.is_error:
                raise RuntimeError(f"{name} failed: {_failed(result)[:300]}")

    return call


class RequestCount:
    """Counts the HTTP requests an ``httpx2`` client sends (an event hook)."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def __call__(self, request: httpx2.Request) -> None:
        self.sent.append(request.method)

    async def of(self, call: Call) -> int:
        """How many requests ``call`` sends."""
        self.sent.clear()
        await call()
        return len(self.sent)


@dataclass
class Direct:
    """The direct-request floor: the same Salesforce operation, one httpx request."""

    http: httpx.AsyncClient

    @staticmethod
    def _ok(response: httpx.Response) -> None:
        if response.status_code >= 400:
            raise RuntimeError(f"direct request: {response.status_code} {response.text[:200]}")

    async def search(self) -> None:
        # The search find_caller sends for the seeded caller (its default objects and fields).
        self._ok(await self.http.post(f"{API}/parameterizedSearch", json=CALLER_SEARCH))

    async def query(self) -> None:
        # The header callforce's run_query sends (its 200-row batch).
        self._ok(
            await self.http.get(
                f"{API}/query",
                params={"q": SOQL},
                headers={"Sforce-Query-Options": "batchSize=200"},
            )
        )

    async def create(self) -> None:
        self._ok(await self.http.post(f"{API}/sobjects/Contact", json=CONTACT))


def row(
    figure: int,
    value: float | None,
    unit: str,
    target: str,
    ok: bool | None,
    ratio: float | None = None,
    **measured: Any,
) -> dict[str, Any]:
    """One line of the report; ``ok`` None: reported, no target."""
    return {
        "figure": figure,
        "value": value,
        "unit": unit,
        "ratio": None if ratio is None else round(ratio, 3),
        "target": target,
        "ok": ok,
        **measured,
    }


def _leaf(exc: BaseException) -> str:
    while isinstance(exc, BaseExceptionGroup):
        exc = exc.exceptions[0]
    return f"{type(exc).__name__}: {exc}"[:300]


async def attempt(figure: int, what: str, section: Awaitable[Figures]) -> Figures:
    """A section's figures; when it fails, one failed row saying why, and the run goes on (the
    server is being changed while this runs: one broken tool should not cost every figure)."""
    try:
        return await section
    except Exception as exc:
        return {f"{what}: FAILED": row(figure, None, "", "measured", False, error=_leaf(exc))}


# -- figures --------------------------------------------------------------------------------------


async def warm_http(
    cf: Client, bare: Client, direct: Direct, lab: Lab, args: argparse.Namespace
) -> Figures:
    """Figures 1 and 2: warm calls over Streamable HTTP, their wall and CPU time."""
    serve_cpu, bare_cpu = lab.serve.child.cpu_seconds, lab.bare.child.cpu_seconds
    m = await interleave(
        {
            "run_query": Kind(tool(cf, "run_query", {"soql": SOQL}), serve_cpu),
            "create_record": Kind(
                tool(cf, "create_record", {"object": "Contact", "data": CONTACT}), serve_cpu
            ),
            "connection_status": Kind(tool(cf, "connection_status", {}), serve_cpu),
            "echo": Kind(tool(bare, "echo", {"text": "x"}), bare_cpu),
            "direct query": Kind(direct.query, time.process_time),
            "direct create": Kind(direct.create, time.process_time),
        },
        args.calls,
        args.per_round,
        args.warmup,
    )
    echo = m["echo"]
    figures: Figures = {}
    for name, floor in (
        ("run_query", m["direct query"]),
        ("create_record", m["direct create"]),
        ("connection_status", None),
    ):
        floor_ms = echo.ms + (floor.ms if floor else 0.0)
        added = m[name].ms - floor_ms
        target = "<= echo + direct + 1.5 ms" if name == "run_query" else "(reported)"
        figures[f"HTTP warm, {name}"] = row(
            1,
            ms(m[name].ms),
            "ms",
            target,
            added <= 1.5 if name == "run_query" else None,
            m[name].ms / floor_ms,
            echo_ms=ms(echo.ms),
            direct_ms=ms(floor.ms) if floor else None,
            added_ms=ms(added),
            p90_ms=ms(statistics.quantiles(m[name].latencies, n=10)[-1] * 1000),
            calls=len(m[name].latencies),
        )
        floor_cpu = echo.cpu_ms + (floor.cpu_ms if floor else 0.0)
        ratio = m[name].cpu_ms / floor_cpu
        figures[f"server CPU per warm {name}"] = row(
            2,
            ms(m[name].cpu_ms),
            "ms CPU",
            "<= 1.25x (echo + direct)" if name == "run_query" else "(reported)",
            ratio <= 1.25 if name == "run_query" else None,
            ratio,
            wall_ms=ms(m[name].ms),
            echo_cpu_ms=ms(echo.cpu_ms),
            echo_wall_ms=ms(echo.ms),
            direct_cpu_ms=ms(floor.cpu_ms) if floor else None,
            direct_wall_ms=ms(floor.ms) if floor else None,
            calls=len(m[name].latencies),
        )
    return figures


async def voice_calls(
    cf: Client, bare: Client, direct: Direct, lab: Lab, args: argparse.Namespace
) -> Figures:
    """Figure 8: find_caller, log_call and a keyed create_record beside run_query."""
    serve_cpu, bare_cpu = lab.serve.child.cpu_seconds, lab.bare.child.cpu_seconds
    create = {"object": "Contact", "data": CONTACT}
    m = await interleave(
        {
            "run_query": Kind(tool(cf, "run_query", {"soql": SOQL}), serve_cpu),
            "find_caller": Kind(tool(cf, "find_caller", {"phone": SPOKEN_NUMBER}), serve_cpu),
            "log_call": Kind(
                tool(cf, "log_call", {"summary": "Benchmark."}, in_call(f"bench-{os.getpid()}")),
                serve_cpu,
            ),
            "create_record": Kind(tool(cf, "create_record", create), serve_cpu),
            "create_record keyed": Kind(keyed(cf, "create_record", create), serve_cpu),
            "echo": Kind(tool(bare, "echo", {"text": "x"}), bare_cpu),
            "direct search": Kind(direct.search, time.process_time),
        },
        args.calls // 2,
        args.per_round,
        args.warmup,
    )
    query = m["run_query"]
    figures: Figures = {}
    search = m["direct search"]
    for name in ("find_caller", "log_call"):
        floor = search if name == "find_caller" else None
        figures[f"HTTP warm, {name}"] = row(
            8,
            ms(m[name].ms),
            "ms",
            "(reported, beside run_query)",
            None,
            m[name].ms / query.ms,
            added_to_echo_and_direct_ms=ms(m[name].ms - m["echo"].ms - floor.ms) if floor else None,
            direct_search_ms=ms(floor.ms) if floor else None,
            run_query_ms=ms(query.ms),
            cpu_ms=ms(m[name].cpu_ms),
            run_query_cpu_ms=ms(query.cpu_ms),
            cpu_ratio=round(m[name].cpu_ms / query.cpu_ms, 3),
            echo_ms=ms(m["echo"].ms),
            calls=len(m[name].latencies),
        )
    plain, with_key = m["create_record"], m["create_record keyed"]
    added_cpu = with_key.cpu_ms - plain.cpu_ms
    figures["idempotency bookkeeping per write"] = row(
        8,
        ms(added_cpu),
        "ms CPU",
        "<= 0.5 ms",
        added_cpu <= 0.5,
        with_key.cpu_ms / plain.cpu_ms,
        keyed_cpu_ms=ms(with_key.cpu_ms),
        plain_cpu_ms=ms(plain.cpu_ms),
        added_wall_ms=ms(with_key.ms - plain.ms),
        keyed_ms=ms(with_key.ms),
        plain_ms=ms(plain.ms),
        calls=len(with_key.latencies),
    )
    return figures


async def recording_cost(
    cf: Client, unrecorded: Client, lab: Lab, args: argparse.Namespace
) -> Figures:
    """Figure 9: what recording each tool call adds to a warm run_query."""
    m = await interleave(
        {
            "recorded": Kind(tool(cf, "run_query", {"soql": SOQL}), lab.serve.child.cpu_seconds),
            "unrecorded": Kind(
                tool(unrecorded, "run_query", {"soql": SOQL}), lab.unrecorded.child.cpu_seconds
            ),
        },
        args.calls // 2,
        args.per_round,
        args.warmup,
    )
    on, off = m["recorded"], m["unrecorded"]
    added_cpu = on.cpu_ms - off.cpu_ms
    return {
        "activity record per warm call": row(
            9,
            ms(added_cpu),
            "ms CPU",
            "<= 0.3 ms",
            added_cpu <= 0.3,
            on.cpu_ms / off.cpu_ms,
            recorded_cpu_ms=ms(on.cpu_ms),
            unrecorded_cpu_ms=ms(off.cpu_ms),
            added_wall_ms=ms(on.ms - off.ms),
            recorded_ms=ms(on.ms),
            unrecorded_ms=ms(off.ms),
            calls=len(on.latencies),
        )
    }


async def per_call_http(
    http: httpx2.AsyncClient,
    counter: RequestCount,
    server: HttpServer,
    bare: HttpServer,
    warm_cf: Client,
    warm_bare: Client,
    direct: Direct,
    label: str,
    args: argparse.Namespace,
) -> Figures:
    """Figure 3: a client per call (legacy session; 2026-07-28 single exchange) on one server."""
    query = {"soql": SOQL}
    echo = {"text": "x"}
    cf_cpu, bare_cpu = server.child.cpu_seconds, bare.child.cpu_seconds
    url, bare_url = server.mcp_url, bare.mcp_url
    kinds = {
        "fresh run_query": Kind(per_call_client(http, url, "legacy", "run_query", query), cf_cpu),
        "fresh connection_status": Kind(
            per_call_client(http, url, "legacy", "connection_status", {}), cf_cpu
        ),
        "fresh echo": Kind(per_call_client(http, bare_url, "legacy", "echo", echo), bare_cpu),
        "direct query": Kind(direct.query, time.process_time),
        "single run_query": Kind(per_call_client(http, url, MODERN, "run_query", query), cf_cpu),
        "warm run_query": Kind(tool(warm_cf, "run_query", query), cf_cpu),
        "single echo": Kind(per_call_client(http, bare_url, MODERN, "echo", echo), bare_cpu),
        "warm echo": Kind(tool(warm_bare, "echo", echo), bare_cpu),
        "SDK call_tool single run_query": Kind(
            per_call_client(http, url, MODERN, "run_query", query, sdk_call=True), cf_cpu
        ),
    }
    sent = {
        name: await counter.of(kinds[name].call)
        for name in ("fresh run_query", "single run_query", "SDK call_tool single run_query")
    }
    m = await interleave(
        kinds, args.fresh_calls, max(1, args.per_round // 2), max(2, args.warmup // 4)
    )
    fresh_floor = m["fresh echo"].ms + m["direct query"].ms
    fresh_rq = m["fresh run_query"].ms / fresh_floor
    fresh_status = m["fresh connection_status"].ms / m["fresh echo"].ms
    single_added = m["single run_query"].ms - m["warm run_query"].ms
    return {
        f"fresh legacy session, run_query ({label})": row(
            3,
            ms(m["fresh run_query"].ms),
            "ms",
            "<= 1.2x (echo + direct)",
            fresh_rq <= 1.2,
            fresh_rq,
            bare_echo_ms=ms(m["fresh echo"].ms),
            direct_ms=ms(m["direct query"].ms),
            cpu_ms=ms(m["fresh run_query"].cpu_ms),
            bare_cpu_ms=ms(m["fresh echo"].cpu_ms),
            http_requests=sent["fresh run_query"],
            calls=len(m["fresh run_query"].latencies),
        ),
        f"fresh legacy session, connection_status ({label})": row(
            3,
            ms(m["fresh connection_status"].ms),
            "ms",
            "<= 1.2x bare echo",
            fresh_status <= 1.2,
            fresh_status,
            bare_echo_ms=ms(m["fresh echo"].ms),
            cpu_ms=ms(m["fresh connection_status"].cpu_ms),
            bare_cpu_ms=ms(m["fresh echo"].cpu_ms),
        ),
        f"2026-07-28 single exchange, run_query ({label})": row(
            3,
            ms(m["single run_query"].ms),
            "ms",
            "<= warm + 1 ms",
            single_added <= 1.0,
            m["single run_query"].ms / m["warm run_query"].ms,
            warm_ms=ms(m["warm run_query"].ms),
            added_ms=ms(single_added),
            bare_single_ms=ms(m["single echo"].ms),
            bare_warm_ms=ms(m["warm echo"].ms),
            bare_added_ms=ms(m["single echo"].ms - m["warm echo"].ms),
            http_requests=sent["single run_query"],
            sdk_call_tool_ms=ms(m["SDK call_tool single run_query"].ms),
            sdk_call_tool_http_requests=sent["SDK call_tool single run_query"],
        ),
    }


async def warm_stdio(cf: Client, bare: Client, direct: Direct, args: argparse.Namespace) -> Figures:
    """Figure 4, warm: run_query over stdio vs bare echo; 50 concurrent calls on one session."""
    query = tool(cf, "run_query", {"soql": SOQL})
    echo = tool(bare, "echo", {"text": "x"})
    m = await interleave(
        {"run_query": Kind(query), "echo": Kind(echo), "direct query": Kind(direct.query)},
        args.calls,
        args.per_round,
        args.warmup,
    )
    floor = m["echo"].ms + m["direct query"].ms
    kinds = {"run_query": query, "echo": echo, "direct query": direct.query}
    walls: dict[str, list[float]] = {name: [] for name in kinds}
    for call in kinds.values():
        await burst(call, 50)  # warm: pools at their size
    for round_ in range(args.bursts):
        names = list(kinds) if round_ % 2 == 0 else list(reversed(kinds))
        for name in names:
            walls[name].append(await burst(kinds[name], 50))
    wall = {name: statistics.median(values) * 1000 for name, values in walls.items()}
    ratio = wall["run_query"] / wall["echo"]
    return {
        "stdio warm, run_query": row(
            4,
            ms(m["run_query"].ms),
            "ms",
            "(reported)",
            None,
            m["run_query"].ms / floor,
            echo_ms=ms(m["echo"].ms),
            direct_ms=ms(m["direct query"].ms),
            added_ms=ms(m["run_query"].ms - floor),
            calls=len(m["run_query"].latencies),
        ),
        "stdio, 50 concurrent run_query (wall)": row(
            4,
            ms(wall["run_query"]),
            "ms",
            "<= 2.5x 50 concurrent echo",
            ratio <= 2.5,
            ratio,
            echo_wall_ms=ms(wall["echo"]),
            direct_wall_ms=ms(wall["direct query"]),
            bursts=args.bursts,
        ),
    }


async def demo_vs_serve(
    demo: Client, serve: Client, same_org: Client, args: argparse.Namespace
) -> Figures:
    """Figure 5: ``callforce demo`` against ``callforce serve --transport http``."""
    query = {"soql": SOQL}
    m = await interleave(
        {
            "demo run_query": Kind(tool(demo, "run_query", query)),
            "serve run_query": Kind(tool(serve, "run_query", query)),
            "same-org run_query": Kind(tool(same_org, "run_query", query)),
            "demo connection_status": Kind(tool(demo, "connection_status", {})),
            "serve connection_status": Kind(tool(serve, "connection_status", {})),
        },
        args.calls,
        args.per_round,
        args.warmup,
    )
    figures: Figures = {}
    for name, demo_kind, serve_kind, note in (
        ("run_query", "demo run_query", "serve run_query", "serve: the emulator over https"),
        (
            "run_query, same org",
            "demo run_query",
            "same-org run_query",
            "serve connected to the demo's own org",
        ),
        ("connection_status", "demo connection_status", "serve connection_status", ""),
    ):
        ratio = m[demo_kind].ms / m[serve_kind].ms
        figures[f"demo vs serve, {name}"] = row(
            5,
            ms(m[demo_kind].ms),
            "ms",
            "within 10% (0.9-1.1x)",
            0.9 <= ratio <= 1.1,
            ratio,
            serve_ms=ms(m[serve_kind].ms),
            note=note,
        )
    return figures


def _text_chars(result: CallToolResult) -> int:
    return sum(len(block.text) for block in result.content if isinstance(block, TextContent))


def _has_examples(schema: Any) -> bool:
    """Whether ``examples`` is a keyword anywhere in a JSON schema (a property named so is not)."""
    if isinstance(schema, list):
        return any(_has_examples(item) for item in schema)
    if not isinstance(schema, dict):
        return False
    for key, value in schema.items():
        if key == "examples":
            return True
        if key in ("properties", "$defs", "definitions", "patternProperties"):
            if isinstance(value, dict) and any(_has_examples(sub) for sub in value.values()):
                return True
        elif _has_examples(value):
            return True
    return False


async def sizes(cf: Client) -> Figures:
    """Figure 6: what a model reads — results, a describe, the tool definitions."""
    result = await checked(cf, "run_query", {"soql": SOQL})
    structured = json.dumps(result.structured_content, separators=(",", ":"), ensure_ascii=False)
    rows = len((result.structured_content or {}).get("records", []))
    described = await checked(cf, "describe_object", {"object": "Account"})
    listed = (await cf.list_tools()).tools
    generic = [t for t in listed if t.name in GENERIC_TOOLS]
    definitions = sum(
        len(t.name) + len(t.description or "") + len(json.dumps(t.input_schema)) for t in generic
    )
    with_examples = sorted(t.name for t in listed if _has_examples(t.input_schema))
    text = _text_chars(result)
    describe = _text_chars(described)
    return {
        "run_query text, 5 rows": row(
            6, text, "chars", "<= 450", text <= 450, structured_chars=len(structured), rows=rows
        ),
        "describe_object Account text": row(6, describe, "chars", "<= 4000", describe <= 4000),
        "tool definitions, 8 generic tools": row(
            6,
            definitions,
            "chars",
            "<= 5600",
            definitions <= 5600 and len(generic) == len(GENERIC_TOOLS),
            tools=len(generic),
            per_tool={
                t.name: len(t.name) + len(t.description or "") + len(json.dumps(t.input_schema))
                for t in generic
            },
        ),
        "input schemas with examples": row(
            6,
            len(with_examples),
            f"of {len(listed)} tools",
            "= 0",
            not with_examples,
            tools=with_examples,
        ),
    }


async def requests_per_call(cf: Client, control: httpx.AsyncClient) -> Figures:
    """Figure 7: requests reaching Salesforce per warm call (the emulator's log)."""
    figures: Figures = {}
    meta = in_call(f"bench-requests-{os.getpid()}")
    calls: dict[str, tuple[dict[str, Any], dict[str, Any] | None]] = {
        "run_query": ({"soql": SOQL}, None),
        "create_record": ({"object": "Contact", "data": CONTACT}, None),
        "find_caller": ({"phone": SPOKEN_NUMBER}, None),
        "log_call": ({"summary": "Benchmark call."}, meta),
    }
    for name, (arguments, call_meta) in calls.items():
        await tool(cf, name, arguments, call_meta)()  # warm: describe cache, pool, the Task
        (await control.delete("/_emulator/requests")).raise_for_status()
        await tool(cf, name, arguments, call_meta)()
        log = (await control.get("/_emulator/requests")).json()
        figures[f"Salesforce requests per warm {name}"] = row(
            7,
            len(log),
            "requests",
            "= 1",
            len(log) == 1,
            paths=[f"{entry['method']} {entry['path']}" for entry in log],
        )
    return figures


# -- the run --------------------------------------------------------------------------------------


@asynccontextmanager
async def stdio_client_of(
    argv: list[str], env: dict[str, str], log: Path, mode: str
) -> AsyncIterator[Client]:
    """An MCP client of a stdio server it spawns; the server's stderr goes to ``log``."""
    params = StdioServerParameters(command=argv[0], args=argv[1:], env=env)
    with log.open("w") as errlog:
        async with Client(
            stdio_client(params, errlog=errlog), mode=mode, read_timeout_seconds=30
        ) as client:
            yield client


async def measure(lab: Lab, args: argparse.Namespace) -> tuple[Figures, dict[str, str]]:
    """Figures 1–7 except the cold start; and the protocol versions the warm clients agreed."""
    token = lab.org.grant(grant_type="password", **DEMO_CLIENT, **DEMO_USER)["access_token"]
    figures: Figures = {}
    async with AsyncExitStack() as stack:
        enter = stack.enter_async_context
        counter = RequestCount()
        http = await enter(
            httpx2.AsyncClient(
                timeout=httpx2.Timeout(30, read=60), event_hooks={"request": [counter]}
            )
        )
        direct = Direct(
            await enter(
                httpx.AsyncClient(
                    base_url=lab.org.base,
                    verify=lab.org.tls,
                    # As callforce's client: pool, headers, HTTP/1.1.
                    limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
                    headers={
                        "Accept": "application/json",
                        "User-Agent": "callforce",
                        "Authorization": f"Bearer {token}",
                    },
                    timeout=30,
                )
            )
        )
        control = await enter(httpx.AsyncClient(base_url=lab.org.base, verify=lab.org.tls))

        async def warm(url: str) -> Client:
            return await enter(
                Client(
                    streamable_http_client(url, http_client=http),
                    mode=args.warm_mode,
                    read_timeout_seconds=30,
                )
            )

        serve = await warm(lab.serve.mcp_url)
        bare = await warm(lab.bare.mcp_url)
        stateless = await warm(lab.stateless.mcp_url)
        bare_stateless = await warm(lab.bare_stateless.mcp_url)
        versions = {"HTTP warm client": serve.protocol_version}

        async def demo_figures() -> Figures:
            demo = await warm(lab.demo.mcp_url)
            same_org = await warm(lab.demo_org_serve.mcp_url)
            return await demo_vs_serve(demo, serve, same_org, args)

        async def stdio_figures() -> Figures:
            cf_stdio = await enter(
                stdio_client_of(
                    [str(CALLFORCE), "serve"],
                    lab.stdio_env,
                    lab.logs / "serve-stdio.log",
                    args.warm_mode,
                )
            )
            bare_stdio = await enter(
                stdio_client_of(
                    [sys.executable, str(BARE), "stdio"],
                    child_env(),
                    lab.logs / "bare-stdio.log",
                    args.warm_mode,
                )
            )
            versions["stdio warm client"] = cf_stdio.protocol_version
            return await warm_stdio(cf_stdio, bare_stdio, direct, args)

        progress("sizes and requests per call")
        figures |= await attempt(6, "sizes", sizes(serve))
        figures |= await attempt(7, "requests per call", requests_per_call(serve, control))
        progress("HTTP, warm client: wall and CPU")
        figures |= await attempt(1, "HTTP warm", warm_http(serve, bare, direct, lab, args))
        progress("the activity record's cost")
        unrecorded = await warm(lab.unrecorded.mcp_url)
        figures |= await attempt(9, "activity record", recording_cost(serve, unrecorded, lab, args))
        progress("voice calls: find_caller, log_call, keyed writes")
        figures |= await attempt(8, "voice calls", voice_calls(serve, bare, direct, lab, args))
        for label, server, floor, cf, bare_client in (
            ("stateless", lab.stateless, lab.bare_stateless, stateless, bare_stateless),
            ("serve", lab.serve, lab.bare, serve, bare),
        ):
            progress(f"HTTP, a client per call: {label}")
            figures |= await attempt(
                3,
                f"client per call ({label})",
                per_call_http(http, counter, server, floor, cf, bare_client, direct, label, args),
            )
        progress("demo vs serve")
        figures |= await attempt(5, "demo vs serve", demo_figures())
        progress("stdio, warm session")
        figures |= await attempt(4, "stdio warm", stdio_figures())
    return figures, versions


def cold_start(lab: Lab, spawns: int) -> Figures:
    """Figure 4, cold: ``callforce serve`` (stdio) start-up vs the bare server's, alternating."""
    commands = {
        "callforce": [str(CALLFORCE), "serve"],
        "bare": [sys.executable, str(BARE), "stdio"],
    }
    envs = {"callforce": lab.stdio_env, "bare": child_env()}
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for name, argv in commands.items():
        time_to_tools(argv, envs[name], lab.logs / f"cold-{name}.log")  # warm the file cache
    for spawn in range(spawns):
        names = list(commands) if spawn % 2 == 0 else list(reversed(commands))
        for name in names:
            samples[name].append(
                time_to_tools(commands[name], envs[name], lab.logs / f"cold-{name}.log")
            )
    median = {name: statistics.median(values) * 1000 for name, values in samples.items()}
    ratio = median["callforce"] / median["bare"]
    return {
        "stdio cold start to tools/list": row(
            4,
            ms(median["callforce"]),
            "ms",
            "<= 1.15x bare",
            ratio <= 1.15,
            ratio,
            bare_ms=ms(median["bare"]),
            spawns=spawns,
        )
    }


def progress(what: str) -> None:
    """A line on stderr: the time so far and what comes next."""
    print(f"  {time.monotonic() - _STARTED:5.0f} s  {what}", file=sys.stderr, flush=True)


def _value(row_: dict[str, Any]) -> str:
    value = row_["value"]
    if value is None:
        return "-"
    shown = f"{value:.2f}" if isinstance(value, float) else str(value)
    return f"{shown} {row_['unit']}"


def report(figures: Figures) -> None:
    """The table: figure, value, ratio, target, met; the floors and details on the line below."""
    width = max(len(name) for name in figures) + 2
    print(f"{'figure':<{width}} {'value':>16} {'ratio':>7}  {'target':<28} met")
    for name, found in figures.items():
        ratio = "-" if found["ratio"] is None else f"{found['ratio']:.3f}"
        met = "-" if found["ok"] is None else "yes" if found["ok"] else "NO"
        label = f"{found['figure']} {name}"
        print(f"{label:<{width}} {_value(found):>16} {ratio:>7}  {found['target']:<28} {met}")
        details = [
            f"{key}={value}"
            for key, value in found.items()
            if key not in ("figure", "value", "unit", "ratio", "target", "ok", "per_tool")
            and value not in (None, "", [])
        ]
        if details:
            print(f"      {'  '.join(details)}")


def write_json(
    args: argparse.Namespace,
    figures: Figures,
    versions: dict[str, str],
    load_before: tuple[float, float, float],
    elapsed: float,
) -> None:
    """The figures and how they were taken, to ``args.json``."""
    args.json.parent.mkdir(parents=True, exist_ok=True)  # bench/results/ is not in git
    meta = {
        "soql": SOQL,
        "calls": args.calls,
        "fresh_calls": args.fresh_calls,
        "per_round": args.per_round,
        "warmup": args.warmup,
        "bursts": args.bursts,
        "spawns": args.spawns,
        "warm_mode": args.warm_mode,
        "protocol_versions": versions,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_before": [round(load, 2) for load in load_before],
        "load_average_after": [round(load, 2) for load in os.getloadavg()],
        "seconds": round(elapsed, 1),
    }
    args.json.write_text(json.dumps({"meta": meta, "figures": figures}, indent=2) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=400, help="calls of each kind, warm figures")
    parser.add_argument(
        "--fresh-calls", type=int, default=120, help="calls of each kind, client-per-call figures"
    )
    parser.add_argument("--per-round", type=int, default=10, help="calls of a kind in a row")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured calls of each kind")
    parser.add_argument("--bursts", type=int, default=11, help="50-call bursts of each (stdio)")
    parser.add_argument("--spawns", type=int, default=12, help="cold starts of each (stdio)")
    parser.add_argument(
        "--warm-mode",
        choices=["auto", "legacy", MODERN],
        default="auto",
        help="how the warm clients negotiate (auto: the SDK's default)",
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=Path(__file__).resolve().parent / "results" / "transport.json",
        help="where the figures go as JSON (default: bench/results/transport.json)",
    )
    parser.add_argument(
        "--keep-logs", type=Path, help="copy the servers' stderr logs to this folder"
    )
    args = parser.parse_args()
    interrupt_on_signals()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="callforce-transport-") as tmp:
        try:
            with Fleet(Path(tmp)) as fleet:
                progress("starting the emulator (https) and the servers")
                lab = start_lab(fleet, Path(tmp))
                figures, versions = run_fast(measure(lab, args))
                progress("stdio cold start")
                try:
                    figures |= cold_start(lab, args.spawns)
                except Exception as exc:
                    figures["stdio cold start: FAILED"] = row(
                        4, None, "", "measured", False, error=_leaf(exc)
                    )
        finally:  # after the fleet stopped: the logs are whole
            if args.keep_logs:
                args.keep_logs.mkdir(parents=True, exist_ok=True)
                for log in Path(tmp).glob("*.log"):
                    (args.keep_logs / log.name).write_bytes(log.read_bytes())
    elapsed = time.monotonic() - _STARTED
    figures = dict(sorted(figures.items(), key=lambda item: item[1]["figure"]))
    print(
        f"warm clients: {', '.join(f'{k} {v}' for k, v in versions.items())}; query: {SOQL}\n"
        f"load average (1 min) before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f}; "
        f"{os.cpu_count()} CPUs\n"
    )
    report(figures)
    missed = sum(1 for found in figures.values() if found["ok"] is False)
    print(f"\n{missed} target(s) missed; {elapsed:.0f} s")
    write_json(args, figures, versions, load_before, elapsed)
    if any(name.endswith("FAILED") for name in figures):
        sys.exit(1)  # the instrument failed somewhere, beyond targets missed


if __name__ == "__main__":
    try:
        main()
    except BaseException as exc:
        if not only_interrupts(exc):
            raise
        # Coroutines the interrupt left unstarted would each warn at exit: nothing to see.
        warnings.simplefilter("ignore", RuntimeWarning)
        print("interrupted; every process it started is stopped", file=sys.stderr)
        sys.exit(130)
