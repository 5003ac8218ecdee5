"""What callforce adds to a tool call, measured against the emulator in its own process.

Every figure is a median with a ratio against a baseline measured in the same run (interleaved
with it, so a noisy machine moves both), and a target:

1. **Requests per warm call** — a warm create_record, update_record and run_query each send
   exactly 1 HTTP request to Salesforce (the emulator's request log, cleared before each).
2. **Added latency** — callforce's median per call minus (a direct httpx request for the same
   operation + the MCP SDK's own floor: a bare ``MCPServer`` with an async echo tool, through the
   same in-memory ``Client``), taken per round of alternating measurements, median over rounds.
   Target ≤ 1.5 ms, for run_query and create_record. Also shown: the same difference in CPU
   time per call, which a shared, loaded machine distorts far less than wall time.
3. **Expired session** — 50 concurrent calls right after ``/_emulator/expire-sessions``: exactly
   1 token request, every call succeeds. Baseline: the same 50 calls with a live session.
4. **Throughput at concurrency 200** (run_query) — against the slower of direct httpx at
   concurrency 200 (same pool limits as callforce's client) and the SDK floor at concurrency
   200. Target ≥ 0.7×.
5. **stdio start-up** — process spawn to the ``tools/list`` answer (initialize, initialized,
   tools/list as JSON lines) for ``callforce serve`` vs a bare ``MCPServer`` script; median of
   ``--spawns`` each, alternating, after one warm-up spawn of each. Target ≤ 1.5×.

6. **Configured actions** — an action tool (its templates rendered, values typed, then the
   generic tool's own path) against the generic tool doing the same thing, interleaved: a
   query action vs run_query with the same SOQL, a create action vs create_record with the
   same record. Each warm action call also sends exactly 1 request (figure 1). Target ≤ 1.1×.

1–4 and 6 use the in-memory ``mcp.Client(server)`` (the floor too); 5 uses stdio.

    .venv/bin/python bench/tools.py [--calls 300] [--throughput-calls 400] [--spawns 10]
                                    [--json bench/results/tools.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

# Run as a file, this module's directory comes first on sys.path and `bench/tools.py` would
# shadow the `tools` package that server.app imports: put the project root ahead of it.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
from mcp import Client
from mcp.server.mcpserver import MCPServer
from pydantic import SecretStr

from bench._harness import DEMO_CLIENT, emulator_process, password_token
from server.actions.serving import load_action_specs
from server.app import build_server
from server.salesforce import grants
from server.settings import Settings
from server.store.interface import Connection
from server.store.sqlite import SQLiteConnectionStore

ROOT = Path(__file__).resolve().parents[1]
API = "/services/data/v62.0"
SOQL = "SELECT Id, FirstName, LastName, Email FROM Contact WHERE Email = 'ana@example.com'"
TASK = {"Subject": "Call", "Status": "Completed", "Priority": "Normal"}
ACTIONS = """
[[action]]
name = "find_contact_by_email"
kind = "query"
description = "Find the caller's contact by email."
soql = "SELECT Id, FirstName, LastName, Email FROM Contact WHERE Email = '{{ email }}'"

[[action]]
name = "log_task"
kind = "create"
object = "Task"
description = "Log a completed call."
data = { Subject = "{{ subject }}", Status = "Completed", Priority = "Normal" }
"""
BARE_SERVER = '''
from mcp.server.mcpserver import MCPServer

server = MCPServer("bare", log_level="WARNING")


@server.tool()
async def echo(text: str) -> str:
    """Echo the text."""
    return text


server.run("stdio")
'''

Call = Callable[[], Awaitable[None]]
Figures = dict[str, dict[str, Any]]


def floor_server() -> MCPServer:
    """The SDK's own floor: one async tool that does nothing."""
    server = MCPServer("floor", log_level="WARNING")

    @server.tool()
    async def echo(text: str) -> str:
        """Echo the text."""
        return text

    return server


def ms(seconds: float) -> float:
    """Seconds → milliseconds, rounded for the report."""
    return round(seconds * 1000, 3)


async def _checked(client: Client, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments)
    if result.is_error or not isinstance(result.structured_content, dict):
        raise RuntimeError(f"{tool} failed: {result.content}")
    return result.structured_content


def _direct_ok(response: httpx.Response) -> None:
    if response.status_code >= 400:
        raise RuntimeError(f"{response.status_code}: {response.text[:200]}")


async def requests_per_call(cf: Client, control: httpx.AsyncClient) -> Figures:
    """Figure 1: HTTP requests reaching Salesforce per warm call."""
    created = await _checked(cf, "create_record", {"object": "Task", "data": TASK})
    calls: dict[str, tuple[str, dict[str, Any]]] = {
        "create_record": ("create_record", {"object": "Task", "data": TASK}),
        "update_record": (
            "update_record",
            {"object": "Task", "id": created["id"], "data": {"Priority": "High"}},
        ),
        "run_query": ("run_query", {"soql": SOQL}),
        "query action": ("find_contact_by_email", {"email": "ana@example.com"}),
        "create action": ("log_task", {"subject": "Call"}),
    }
    figures: Figures = {}
    for name, (tool, arguments) in calls.items():
        await _checked(cf, tool, arguments)  # warm: session, describe cache, pool
        await control.delete("/_emulator/requests")
        await _checked(cf, tool, arguments)
        log = (await control.get("/_emulator/requests")).json()
        figures[f"requests per warm {name}"] = {
            "value": len(log),
            "paths": [f"{entry['method']} {entry['path']}" for entry in log],
            "target": "= 1",
            "ok": len(log) == 1,
        }
    return figures


async def _interleaved(
    kinds: dict[str, Call], calls: int, rounds: int = 10
) -> list[dict[str, float]]:
    """Per round, each kind's median latency (s) and mean CPU time per call (s, ``<kind> cpu``).

    Kinds alternate round by round; comparing them within a round, then taking the median over
    rounds, keeps a machine whose speed drifts during the run from tilting the comparison. CPU
    time is this process's (client and server; the emulator runs in its own process): on a
    shared machine it stays put while wall time stretches with the load.
    """
    for call in kinds.values():
        for _ in range(20):
            await call()
    per_round = max(1, calls // rounds)
    medians: list[dict[str, float]] = []
    for _ in range(rounds):
        this_round: dict[str, float] = {}
        for name, call in kinds.items():
            samples = []
            cpu = time.process_time()
            for _ in range(per_round):
                start = time.perf_counter()
                await call()
                samples.append(time.perf_counter() - start)
            this_round[f"{name} cpu"] = (time.process_time() - cpu) / per_round
            this_round[name] = statistics.median(samples)
        medians.append(this_round)
    return medians


async def added_latency(
    cf: Client, floor: Client, direct: httpx.AsyncClient, calls: int
) -> Figures:
    """Figure 2: callforce's median minus (direct request + SDK floor)."""

    async def echo() -> None:
        await floor.call_tool("echo", {"text": "x"})

    async def query_direct() -> None:
        _direct_ok(await direct.get(f"{API}/query", params={"q": SOQL}))

    async def query_cf() -> None:
        await _checked(cf, "run_query", {"soql": SOQL})

    async def create_direct() -> None:
        _direct_ok(await direct.post(f"{API}/sobjects/Task", json=TASK))

    async def create_cf() -> None:
        await _checked(cf, "create_record", {"object": "Task", "data": TASK})

    figures: Figures = {}
    for tool, (direct_call, cf_call) in {
        "run_query": (query_direct, query_cf),
        "create_record": (create_direct, create_cf),
    }.items():
        rounds = await _interleaved(
            {"direct": direct_call, "floor": echo, "callforce": cf_call}, calls
        )
        added = statistics.median(r["callforce"] - r["direct"] - r["floor"] for r in rounds)
        ratio = statistics.median(r["callforce"] / (r["direct"] + r["floor"]) for r in rounds)
        median = {kind: statistics.median(r[kind] for r in rounds) for kind in rounds[0]}
        added_cpu = statistics.median(
            r["callforce cpu"] - r["direct cpu"] - r["floor cpu"] for r in rounds
        )
        figures[f"added latency, {tool}"] = {
            "value_ms": ms(added),
            "callforce_ms": ms(median["callforce"]),
            "direct_ms": ms(median["direct"]),
            "floor_ms": ms(median["floor"]),
            "added_cpu_ms": ms(added_cpu),
            "ratio": round(ratio, 3),
            "target": "<= 1.5 ms",
            "ok": added <= 0.0015,
        }
    return figures


async def action_overhead(cf: Client, calls: int) -> Figures:
    """Figure 6: a configured action against the generic tool doing the same."""

    async def query_generic() -> None:
        await _checked(cf, "run_query", {"soql": SOQL})

    async def query_action() -> None:
        await _checked(cf, "find_contact_by_email", {"email": "ana@example.com"})

    async def create_generic() -> None:
        await _checked(cf, "create_record", {"object": "Task", "data": TASK})

    async def create_action() -> None:
        await _checked(cf, "log_task", {"subject": "Call"})

    pairs = {
        "query action vs run_query": (query_generic, query_action),
        "create action vs create_record": (create_generic, create_action),
    }
    figures: Figures = {}
    for name, (generic, action) in pairs.items():
        rounds = await _interleaved({"generic": generic, "action": action}, calls)
        ratio = statistics.median(r["action"] / r["generic"] for r in rounds)
        figures[name] = {
            "added_ms": ms(statistics.median(r["action"] - r["generic"] for r in rounds)),
            "action_ms": ms(statistics.median(r["action"] for r in rounds)),
            "generic_ms": ms(statistics.median(r["generic"] for r in rounds)),
            "added_cpu_ms": ms(
                statistics.median(r["action cpu"] - r["generic cpu"] for r in rounds)
            ),
            "ratio": round(ratio, 3),
            "target": "<= 1.1x",
            "ok": ratio <= 1.1,
        }
    return figures


async def expired_session(cf: Client, control: httpx.AsyncClient) -> Figures:
    """Figure 3: 50 concurrent calls on an expired session → 1 token request, all succeed."""

    async def burst() -> tuple[float, list[bool]]:
        start = time.perf_counter()
        results = await asyncio.gather(
            *(cf.call_tool("run_query", {"soql": SOQL}) for _ in range(50))
        )
        return time.perf_counter() - start, [not result.is_error for result in results]

    live_wall, _ = await burst()
    await control.post("/_emulator/expire-sessions")
    await control.delete("/_emulator/requests")
    wall, succeeded = await burst()
    log = (await control.get("/_emulator/requests")).json()
    tokens = [entry for entry in log if entry["path"] == "/services/oauth2/token"]
    return {
        "expired session, 50 concurrent calls": {
            "token_requests": len(tokens),
            "succeeded": sum(succeeded),
            "wall_ms": ms(wall),
            "live_session_wall_ms": ms(live_wall),
            "ratio": round(wall / live_wall, 3),
            "target": "1 token request, 50 succeed",
            "ok": len(tokens) == 1 and all(succeeded),
        }
    }


async def _throughput(call: Call, total: int, concurrency: int) -> float:
    """Calls per second with ``concurrency`` workers sharing ``total`` calls."""
    counter = iter(range(total))

    async def worker() -> None:
        for _ in counter:
            await call()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return total / (time.perf_counter() - start)


async def concurrent_throughput(
    cf: Client, floor: Client, direct: httpx.AsyncClient, total: int, rounds: int = 3
) -> Figures:
    """Figure 4: run_query at concurrency 200 vs the slower of direct httpx and the SDK floor."""

    async def query_cf() -> None:
        await _checked(cf, "run_query", {"soql": SOQL})

    async def query_direct() -> None:
        _direct_ok(await direct.get(f"{API}/query", params={"q": SOQL}))

    async def echo() -> None:
        await floor.call_tool("echo", {"text": "x"})

    kinds = {"callforce": query_cf, "direct": query_direct, "floor": echo}
    rates: dict[str, list[float]] = {name: [] for name in kinds}
    for call in kinds.values():
        await _throughput(call, 200, 200)  # warm: open the pools
    for _ in range(rounds):
        for name, call in kinds.items():
            rates[name].append(await _throughput(call, total, 200))
    median = {name: statistics.median(values) for name, values in rates.items()}
    baseline = min(median["direct"], median["floor"])
    return {
        "throughput @ c200, run_query": {
            "callforce_per_s": round(median["callforce"], 1),
            "direct_per_s": round(median["direct"], 1),
            "floor_per_s": round(median["floor"], 1),
            "ratio": round(median["callforce"] / baseline, 3),
            "target": ">= 0.7x",
            "ok": median["callforce"] / baseline >= 0.7,
        }
    }


def _rpc(proc: subprocess.Popen[bytes], message: dict[str, Any], wait_for: int | None) -> None:
    assert proc.stdin is not None
    assert proc.stdout is not None
    proc.stdin.write(json.dumps(message).encode() + b"\n")
    proc.stdin.flush()
    while wait_for is not None:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("the server closed stdout")
        if json.loads(line).get("id") == wait_for:
            return


def time_to_tools(argv: list[str], env: dict[str, str]) -> float:
    """Seconds from spawn to the ``tools/list`` answer over stdio."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
    )
    try:
        _rpc(
            proc,
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {
                    "protocolVersion": "2025-11-25",
                    "capabilities": {},
                    "clientInfo": {"name": "bench", "version": "0"},
                },
            },
            wait_for=1,
        )
        _rpc(proc, {"jsonrpc": "2.0", "method": "notifications/initialized"}, wait_for=None)
        _rpc(proc, {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}, wait_for=2)
        return time.perf_counter() - start
    finally:
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                pipe.close()
        proc.wait(timeout=30)


def stdio_startup(home: Path, spawns: int) -> Figures:
    """Figure 5: `callforce serve` (stdio) start-up vs a bare MCPServer script."""
    bare = home / "bare_server.py"
    bare.write_text(BARE_SERVER)
    env = {**os.environ, "CALLFORCE_HOME": str(home)}
    commands = {
        "callforce": [sys.executable, "-m", "server.cli", "serve", "--transport", "stdio"],
        "bare": [sys.executable, str(bare)],
    }
    samples: dict[str, list[float]] = {name: [] for name in commands}
    cwd = Path.cwd()
    os.chdir(ROOT)
    try:
        for argv in commands.values():
            time_to_tools(argv, env)  # warm the OS file cache
        for _ in range(spawns):
            for name, argv in commands.items():
                samples[name].append(time_to_tools(argv, env))
    finally:
        os.chdir(cwd)
    median = {name: statistics.median(values) for name, values in samples.items()}
    ratio = median["callforce"] / median["bare"]
    return {
        "stdio start-up to tools/list": {
            "callforce_ms": ms(median["callforce"]),
            "bare_ms": ms(median["bare"]),
            "ratio": round(ratio, 3),
            "target": "<= 1.5x",
            "ok": ratio <= 1.5,
        }
    }


async def connect(settings: Settings, store: SQLiteConnectionStore, base: str) -> None:
    """The default connection: the client credentials grant, renewed the same way."""
    async with httpx.AsyncClient() as http:
        tokens = await grants.client_credentials(
            http,
            login_url=base,
            client_id=DEMO_CLIENT["client_id"],
            client_secret=DEMO_CLIENT["client_secret"],
        )
    store.save(
        Connection(
            name="bench",
            environment="custom",
            login_url=base,
            instance_url=tokens.instance_url,
            auth_kind="client_credentials",
            access_token=SecretStr(tokens.access_token),
            client_id=DEMO_CLIENT["client_id"],
            is_default=True,
        )
    )


async def run(base: str, home: Path, calls: int, throughput_calls: int) -> Figures:
    """Figures 1–4 and 6 against the emulator at ``base``."""
    settings = Settings(
        home=home,
        production_login_url=base,
        client_id=DEMO_CLIENT["client_id"],
        client_secret=SecretStr(DEMO_CLIENT["client_secret"]),
        # 200 queued calls measure throughput, not the deadlines of a live phone call: with the
        # defaults (3 s to connect, 8 s per call) a busy emulator's accept queue fails calls.
        call_deadline_seconds=60,
        connect_timeout_seconds=30,
    )
    store = SQLiteConnectionStore.from_settings(settings)
    await connect(settings, store, base)
    action_file = home / "actions.toml"
    action_file.write_text(ACTIONS, encoding="utf-8")
    actions = await load_action_specs(settings, store, action_file)
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)  # as callforce's
    figures: Figures = {}
    try:
        async with (
            httpx.AsyncClient(base_url=base, timeout=30) as control,
            httpx.AsyncClient(
                base_url=base,
                # The headers callforce's client sends with a query, for a like-for-like request.
                headers={
                    "Authorization": f"Bearer {password_token(base)}",
                    "Accept": "application/json",
                    "Sforce-Query-Options": "batchSize=200",
                },
                limits=limits,
                timeout=60,
            ) as direct,
            Client(build_server(settings, store=store, actions=actions)) as cf,
            Client(floor_server()) as floor,
        ):
            figures |= await requests_per_call(cf, control)
            figures |= await added_latency(cf, floor, direct, calls)
            figures |= await concurrent_throughput(cf, floor, direct, throughput_calls)
            figures |= await action_overhead(cf, calls)
            figures |= await expired_session(cf, control)  # last: it ends the direct session
    finally:
        store.close()
    return figures


def report(figures: Figures) -> None:
    """The table: one line per figure (ratio, target, met?), its measurements below it."""
    print(f"{'figure':<40} {'ratio':>7}  {'target':<30} met")
    for name, row in figures.items():
        ratio = f"{row['ratio']:.3f}" if "ratio" in row else "-"
        print(f"{name:<40} {ratio:>7}  {row['target']:<30} {'yes' if row['ok'] else 'NO'}")
        measured = [
            f"{key}={value}"
            for key, value in row.items()
            if key not in ("ratio", "target", "ok", "paths")
        ]
        print(f"    {'  '.join(measured)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=300, help="sequential calls per latency kind")
    parser.add_argument(
        "--throughput-calls", type=int, default=400, help="calls per c200 throughput round"
    )
    parser.add_argument("--spawns", type=int, default=10, help="stdio spawns of each server")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="callforce-bench-") as tmp, emulator_process() as base:
        home = Path(tmp)
        figures = asyncio.run(run(base, home, args.calls, args.throughput_calls))
        figures |= stdio_startup(home, args.spawns)
    report(figures)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
