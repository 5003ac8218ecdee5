"""callforce on PostgreSQL: the warm call beside SQLite, and one to three stateless replicas.

Everything runs in its own process: the emulator (``callforce emulator --tls
--rotate-refresh-tokens``: every refresh answers a new refresh token and kills the old one), a
throwaway PostgreSQL cluster (as the tests start it: fsync off; or ``--database-url``), and
the servers under test, each with its own ``CALLFORCE_HOME`` and the same
``CALLFORCE_SECRET_KEY``. Their connections come from the org's web-server flow (so they
carry a refresh token the org rotates) and are saved with the store API.

1. **PostgreSQL vs SQLite, warm.** ``serve --transport http`` on each store, same org, a warm
   MCP client each: run_query (reads only: the connection comes from the store's in-process
   snapshot) and create_record with a fresh call id per call (a write key claimed and
   finished in the store: its hot path), the four kinds interleaved round by round
   (``--per-round`` calls of each, the order rotating). Median wall ms; the server's CPU per
   call (``/proc``) and PostgreSQL's own (its postmaster and backends) — SQLite works inside
   the server. Target: PostgreSQL ≤ SQLite + 0.5 ms per warm call, in wall time and in CPU
   (server + database).
2. **Replicas.** 1, 2 and 3 ``serve --transport http --stateless`` on one PostgreSQL database;
   ``--clients`` warm clients spread round-robin over them, each making ``--calls`` run_query
   calls in a row; before each round the org expires every session once. Calls per second,
   the replicas' and the database's CPU per call, median latency, and what must not move
   with the count: token requests per round (exactly 1: one refresh across the fleet, which
   rotation would punish if doubled) and errors (0). The rounds rotate through the counts.
   On a 2-core machine three replicas, PostgreSQL, the emulator and this client share two
   cores: the speed-up is not the point, the counts are.

    .venv/bin/python bench/fleet.py [--calls 400] [--clients 30] [--rounds 3]
                                    [--database-url URL] [--json bench/results/fleet.json]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import functools
import itertools
import json
import os
import platform
import secrets
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Run as a file, this module's directory comes first on sys.path and `bench/tools.py` would
# shadow the `tools` package (and `bench/emulator.py` the `emulator` one): put the root first.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult, TextContent
from pydantic import SecretStr

from bench._fleet import Fleet, tree_cpu
from bench._harness import DEMO_CLIENT, free_port
from bench._lab import CALLFORCE, HttpServer, Org, child_env, start_emulator
from bench._timing import Call, Kind, interleave, interrupt_on_signals, only_interrupts, run_fast
from server.settings import Settings
from server.store.interface import Connection
from server.store.opening import open_store
from server.store.postgres_snapshot import CHECK_SECONDS
from tests.helpers.emulator.web_flow import Flow
from tests.helpers.postgres import PostgresCluster, find_bindir

SOQL = "SELECT Id, Name, Industry, Phone FROM Account ORDER BY Name LIMIT 5"
CONTACT = {"FirstName": "Ann", "LastName": "Fleet", "Email": "ann.fleet@example.com"}
TARGET_MS = 0.5
REPLICAS = (1, 2, 3)
_STARTED = time.monotonic()
Figures = dict[str, dict[str, Any]]


@dataclass
class Rig:
    """What every server shares: the org, the key, the database and its CPU clock."""

    fleet: Fleet
    org: Org
    key: str
    database_url: str
    database_cpu: Callable[[], float] | None
    tmp: Path

    def env(self, home: Path, *, postgres: bool) -> dict[str, str]:
        """A server's environment: its own home, the org, the key, the database if ``postgres``."""
        values = {
            "home": str(home),
            "production_login_url": self.org.base,
            "client_id": DEMO_CLIENT["client_id"],
            "client_secret": DEMO_CLIENT["client_secret"],
            "secret_key": self.key,
        }
        if self.org.ca is not None:
            values["ca_bundle"] = str(self.org.ca)
        if postgres:
            values["database_url"] = self.database_url
        return child_env(**values)

    def settings(self, home: Path, *, postgres: bool) -> Settings:
        """The settings a server with :meth:`env` reads (to save its connection)."""
        return Settings(
            home=home,
            secret_key=SecretStr(self.key),
            database_url=SecretStr(self.database_url) if postgres else None,
        )

    def serve(self, name: str, home: Path, *extra: str, postgres: bool) -> HttpServer:
        """``callforce serve --transport http`` on a free port, answering."""
        port = free_port()
        argv = [str(CALLFORCE), "serve", "--transport", "http", "--port", str(port), *extra]
        server = HttpServer(self.fleet.start(name, argv, self.env(home, postgres=postgres)), port)
        self.fleet.wait_until(server.child, server.ready)
        return server


async def connect(rig: Rig, home: Path, *, postgres: bool) -> None:
    """Save a default connection of the demo user, made with the web-server flow (an access
    token and a refresh token), in the store of a server at ``home``."""
    async with httpx.AsyncClient(base_url=rig.org.base, verify=rig.org.tls) as http:
        flow = Flow(http)
        answer = await flow.exchange(await flow.code())
    answer.raise_for_status()
    tokens = answer.json()
    store = open_store(rig.settings(home, postgres=postgres))
    try:
        store.save(
            Connection(
                name="bench",
                environment="production",
                login_url=rig.org.base,
                instance_url=tokens["instance_url"],
                auth_kind="oauth",
                access_token=SecretStr(tokens["access_token"]),
                refresh_token=SecretStr(tokens["refresh_token"]),
                is_default=True,
            )
        )
    finally:
        store.close()


# -- calls ----------------------------------------------------------------------------------------


def _text(result: CallToolResult) -> str:
    return " ".join(block.text for block in result.content if isinstance(block, TextContent))


def tool(client: Client, name: str, arguments: dict[str, Any], meta: Any = None) -> Call:
    """One call of ``name``; a tool error stops the figure (a figure of failures means nothing)."""

    async def call() -> None:
        result = await client.call_tool(name, arguments, meta=meta)
        if result.is_error:
            raise RuntimeError(f"{name} failed: {_text(result)[:300]}")

    return call


def keyed(client: Client, name: str, arguments: dict[str, Any]) -> Call:
    """``name`` in a new call each time (``_meta`` call id): a write key claimed and finished."""
    numbers = itertools.count()
    run = f"fleet-{os.getpid()}-{time.monotonic_ns()}"

    async def call() -> None:
        meta = {"callforce/call": {"id": f"{run}-{next(numbers)}"}}
        await tool(client, name, arguments, meta)()

    return call


async def warm_client(stack: AsyncExitStack, http: httpx2.AsyncClient, url: str) -> Client:
    client: Client = await stack.enter_async_context(
        Client(streamable_http_client(url, http_client=http), read_timeout_seconds=60)
    )
    return client


# -- figure 1: the stores -------------------------------------------------------------------------


async def stores(rig: Rig, http: httpx2.AsyncClient, args: argparse.Namespace) -> Figures:
    """Figure 1: warm run_query and keyed create_record, PostgreSQL against SQLite."""
    homes = {label: rig.tmp / f"serve-{label}" for label in ("sqlite", "postgres")}
    for label, home in homes.items():
        await connect(rig, home, postgres=label == "postgres")
    servers = {
        label: rig.serve(f"serve-{label}", home, postgres=label == "postgres")
        for label, home in homes.items()
    }
    try:
        async with AsyncExitStack() as stack:
            clients = {
                label: await warm_client(stack, http, server.mcp_url)
                for label, server in servers.items()
            }
            kinds: dict[str, Kind] = {}
            for label, client in clients.items():
                cpu = servers[label].child.cpu_seconds
                also = rig.database_cpu if label == "postgres" else None
                create = {"object": "Contact", "data": CONTACT}
                kinds[f"{label} run_query"] = Kind(
                    tool(client, "run_query", {"soql": SOQL}), cpu, also
                )
                kinds[f"{label} create_record"] = Kind(
                    keyed(client, "create_record", create), cpu, also
                )
            m = await interleave(kinds, args.calls, args.per_round, args.warmup)
    finally:
        for server in servers.values():
            rig.fleet.end(server.child)

    figures: Figures = {}
    for name in ("run_query", "create_record keyed"):
        tool_name = name.split()[0]
        sqlite, postgres = m[f"sqlite {tool_name}"], m[f"postgres {tool_name}"]
        added = postgres.ms - sqlite.ms
        figures[f"{name}: wall, PostgreSQL vs SQLite"] = {
            "figure": 1,
            "value": round(added, 3),
            "unit": "ms added",
            "target": f"<= +{TARGET_MS} ms",
            "ok": added <= TARGET_MS,
            "postgres_ms": round(postgres.ms, 3),
            "sqlite_ms": round(sqlite.ms, 3),
            "ratio": round(postgres.ms / sqlite.ms, 3),
            "calls": len(postgres.latencies),
        }
        total = postgres.cpu_ms + postgres.also_cpu_ms
        added_cpu = total - sqlite.cpu_ms
        figures[f"{name}: CPU, PostgreSQL vs SQLite"] = {
            "figure": 1,
            "value": round(added_cpu, 3),
            "unit": "ms CPU added",
            "target": f"<= +{TARGET_MS} ms",
            "ok": added_cpu <= TARGET_MS,
            "postgres_server_cpu_ms": round(postgres.cpu_ms, 3),
            "postgres_database_cpu_ms": (
                round(postgres.also_cpu_ms, 3) if rig.database_cpu else "not measured"
            ),
            "sqlite_server_cpu_ms": round(sqlite.cpu_ms, 3),
        }
    return figures


# -- figure 2: replicas ---------------------------------------------------------------------------


@dataclass
class Round:
    """One round on ``replicas`` replicas: its calls, wall time, CPU, token requests, errors."""

    replicas: int
    latencies: list[float]
    wall: float
    cpu: float
    database_cpu: float
    token_requests: int
    errors: list[str]


async def replica_round(
    replicas: list[HttpServer],
    clients: list[Client],
    control: httpx.AsyncClient,
    rig: Rig,
    calls: int,
) -> Round:
    """Expire the sessions once, then every client makes ``calls`` run_query calls in a row.

    First a pause of two snapshot checks, so that every round starts alike: each replica's
    snapshot holds the last round's session (a replica that still holds an older one renews
    correctly, tests/server/test_postgres_serving.py, but at the cost of a second token request
    that would blur the count this figure is about).
    """
    await asyncio.sleep(2 * CHECK_SECONDS)
    await control.delete("/_emulator/requests")
    (await control.post("/_emulator/expire-sessions")).raise_for_status()
    latencies: list[float] = []
    errors: list[str] = []

    async def worker(client: Client) -> None:
        for _ in range(calls):
            start = time.perf_counter()
            try:
                result = await client.call_tool("run_query", {"soql": SOQL})
            except Exception as exc:
                errors.append(f"{type(exc).__name__}: {exc}"[:200])
                continue
            latencies.append(time.perf_counter() - start)
            if result.is_error:
                errors.append(_text(result)[:200])

    cpu_before = sum(server.child.cpu_seconds() for server in replicas)
    database_before = rig.database_cpu() if rig.database_cpu else 0.0
    start = time.perf_counter()
    await asyncio.gather(*(worker(client) for client in clients))
    wall = time.perf_counter() - start
    cpu = sum(server.child.cpu_seconds() for server in replicas) - cpu_before
    database = (rig.database_cpu() - database_before) if rig.database_cpu else 0.0
    log = (await control.get("/_emulator/requests")).json()
    tokens = sum(1 for entry in log if entry["path"] == "/services/oauth2/token")
    return Round(len(replicas), latencies, wall, cpu, database, tokens, errors)


async def replicas(rig: Rig, http: httpx2.AsyncClient, args: argparse.Namespace) -> Figures:
    """Figure 2: 1, 2 and 3 stateless replicas on one PostgreSQL database."""
    # The database already holds the connection (figure 1 saved it): the replicas share it.
    servers = [
        rig.serve(f"replica-{n}", rig.tmp / f"replica-{n}", "--stateless", postgres=True)
        for n in range(1, max(REPLICAS) + 1)
    ]
    rounds: list[Round] = []
    async with AsyncExitStack() as stack:
        control = await stack.enter_async_context(
            httpx.AsyncClient(base_url=rig.org.base, verify=rig.org.tls, timeout=30)
        )
        clients = {
            count: [
                await warm_client(stack, http, servers[slot % count].mcp_url)
                for slot in range(args.clients)
            ]
            for count in REPLICAS
        }
        for count in REPLICAS:  # warm every replica and client: describe caches, pools
            await replica_round(servers[:count], clients[count], control, rig, 2)
        for number in range(args.rounds):
            shift = number % len(REPLICAS)
            for count in REPLICAS[shift:] + REPLICAS[:shift]:
                progress(f"round {number + 1}/{args.rounds}: {count} replica(s)")
                rounds.append(
                    await replica_round(
                        servers[:count], clients[count], control, rig, args.calls_per_client
                    )
                )
    rss = [round(_rss_mb(server.child.pid), 1) for server in servers]
    figures: Figures = {}
    base_rate = None
    for count in REPLICAS:
        mine = [r for r in rounds if r.replicas == count]
        calls = sum(len(r.latencies) for r in mine)
        rate = calls / sum(r.wall for r in mine)
        base_rate = base_rate or rate
        tokens = [r.token_requests for r in mine]
        errors = [error for r in mine for error in r.errors]
        figures[f"{count} replica(s): calls per second"] = {
            "figure": 2,
            "value": round(rate, 1),
            "unit": "calls/s",
            "target": "1 token request a round, 0 errors",
            "ok": tokens == [1] * len(mine) and not errors,
            "ratio": round(rate / base_rate, 3),
            "token_requests_per_round": tokens,
            "errors": len(errors),
            "first_errors": errors[:3],
            "median_ms": round(statistics.median([t for r in mine for t in r.latencies]) * 1000, 3),
            "replicas_cpu_ms_per_call": round(sum(r.cpu for r in mine) / calls * 1000, 3),
            "database_cpu_ms_per_call": (
                round(sum(r.database_cpu for r in mine) / calls * 1000, 3)
                if rig.database_cpu
                else "not measured"
            ),
            "calls": calls,
            "clients": args.clients,
            "replica_rss_mb": rss,
        }
    return figures


def _rss_mb(pid: int) -> float:
    """The resident memory of process ``pid``, in MiB (``VmRSS`` of ``/proc/<pid>/status``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# -- the run --------------------------------------------------------------------------------------


def postgres_clock(cluster: PostgresCluster) -> Callable[[], float]:
    """The CPU seconds of ``cluster``'s server so far: its postmaster and every backend."""
    postmaster = int((cluster.data / "postmaster.pid").read_text().split()[0])
    return functools.partial(tree_cpu, postmaster)


def progress(what: str) -> None:
    """A line on stderr: the time so far and what comes next."""
    print(f"  {time.monotonic() - _STARTED:5.0f} s  {what}", file=sys.stderr, flush=True)


async def measure(rig: Rig, args: argparse.Namespace) -> Figures:
    figures: Figures = {}
    async with httpx2.AsyncClient(
        timeout=httpx2.Timeout(30, read=60), limits=httpx2.Limits(max_connections=200)
    ) as http:
        progress("figure 1: warm calls, PostgreSQL vs SQLite")
        figures |= await stores(rig, http, args)
        progress("figure 2: 1, 2 and 3 stateless replicas")
        figures |= await replicas(rig, http, args)
    return figures


def report(figures: Figures) -> None:
    """The table, then each figure's details on the line below it."""
    width = max(len(name) for name in figures) + 2
    print(f"{'figure':<{width}} {'value':>22}  {'target':<34} met")
    for name, found in figures.items():
        value = f"{found['value']} {found['unit']}"
        met = "yes" if found["ok"] else "NO"
        print(f"{found['figure']} {name:<{width - 2}} {value:>22}  {found['target']:<34} {met}")
        details = [
            f"{key}={value}"
            for key, value in found.items()
            if key not in ("figure", "value", "unit", "target", "ok") and value not in ([], None)
        ]
        print(f"      {'  '.join(details)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=400, help="calls of each kind, figure 1")
    parser.add_argument("--per-round", type=int, default=10, help="calls of a kind in a row")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured calls of each kind")
    parser.add_argument("--clients", type=int, default=30, help="concurrent clients, figure 2")
    parser.add_argument(
        "--calls-per-client", type=int, default=20, help="calls of each client per round"
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each replica count")
    parser.add_argument("--database-url", help="an existing, empty PostgreSQL database to use")
    parser.add_argument(
        "--json",
        type=Path,
        default=Path(__file__).resolve().parent / "results" / "fleet.json",
        help="where the figures go as JSON (default: bench/results/fleet.json)",
    )
    args = parser.parse_args()
    interrupt_on_signals()
    load_before = os.getloadavg()
    cluster: PostgresCluster | None = None
    try:
        with (
            tempfile.TemporaryDirectory(prefix="callforce-fleet-") as tmp,
            Fleet(Path(tmp)) as fleet,
        ):
            database_url, database_cpu = args.database_url, None
            if database_url is None:
                bindir = find_bindir()
                if bindir is None:
                    raise SystemExit("no PostgreSQL binaries: give --database-url")
                progress("starting PostgreSQL")
                cluster = PostgresCluster(bindir).start()
                database_url = cluster.database()
                database_cpu = postgres_clock(cluster)
            progress("starting the emulator (https, rotating refresh tokens)")
            org = start_emulator(fleet, Path(tmp), "--rotate-refresh-tokens")
            key = base64.b64encode(secrets.token_bytes(32)).decode()
            rig = Rig(fleet, org, key, database_url, database_cpu, Path(tmp))
            figures = run_fast(measure(rig, args))
    finally:
        if cluster is not None:
            cluster.close()
    elapsed = time.monotonic() - _STARTED
    print(
        f"load average (1 min) before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f}; "
        f"{os.cpu_count()} CPUs; query: {SOQL}\n"
    )
    report(figures)
    missed = sum(1 for found in figures.values() if not found["ok"])
    print(f"\n{missed} target(s) missed; {elapsed:.0f} s")
    args.json.parent.mkdir(parents=True, exist_ok=True)  # bench/results/ is not in git
    meta = {
        **{key: value for key, value in vars(args).items() if key != "json"},
        "database_url": "given" if args.database_url else "throwaway cluster (fsync off)",
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_before": [round(load, 2) for load in load_before],
        "load_average_after": [round(load, 2) for load in os.getloadavg()],
        "seconds": round(elapsed, 1),
    }
    args.json.write_text(json.dumps({"meta": meta, "figures": figures}, indent=2) + "\n")


if __name__ == "__main__":
    try:
        main()
    except BaseException as exc:
        if not only_interrupts(exc):
            raise
        warnings.simplefilter("ignore", RuntimeWarning)
        print("interrupted; every process it started is stopped", file=sys.stderr)
        sys.exit(130)
