"""What the connection store costs a warm tool call: PostgreSQL against SQLite.

A warm call asks the store for its connection (``connection_for``: ``get`` of the snapshot)
and, when it writes, claims and then finishes a write key. Measured per store, round by round
with the kinds interleaved (a noisy machine moves them all alike), in this one process:

1. **connection_for** — ``store.get(name)``: mean per call, so the PostgreSQL store's version
   check (one read every ``CHECK_SECONDS``) is paid for in the figure; median and p99 too.
2. **claim + finish** — a fresh write key claimed and finished: two statements.
3. **aclaim + afinish** — the same through the async twins a tool call awaits, each run to the
   end on one event loop (``loop.run_until_complete``: its few microseconds are in every
   store's figure alike).

Target: PostgreSQL ≤ SQLite + 0.5 ms per warm call (both figures together). PostgreSQL is a
throwaway cluster on this machine (as the tests start it: fsync off), reached over TCP
loopback and over its Unix socket, unless ``--database-url`` names one.

    .venv/bin/python bench/store.py [--rounds 20] [--calls 200] [--database-url URL]
                                    [--json bench/results/store.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from itertools import count
from pathlib import Path

from pydantic import SecretStr

from server.store.crypto import TokenCipher
from server.store.interface import Connection, ConnectionStore
from server.store.postgres import PostgresConnectionStore
from server.store.sqlite import SQLiteConnectionStore
from tests.helpers.postgres import PostgresCluster, find_bindir

TARGET_MS = 0.5
DAY = 86_400.0


def _connection() -> Connection:
    return Connection(
        name="prod",
        environment="production",
        login_url="https://login.salesforce.com",
        instance_url="https://acme.my.salesforce.com",
        auth_kind="oauth",
        access_token=SecretStr("00D!" + "a" * 100),
        refresh_token=SecretStr("5Aep" + "r" * 80),
        is_default=True,
    )


def _kinds(
    store: ConnectionStore, loop: asyncio.AbstractEventLoop
) -> dict[str, Callable[[], None]]:
    keys = count()

    def connection_for() -> None:
        store.get("prod")

    def claim_finish() -> None:
        key = f"k{next(keys)}-{os.getpid()}-{time.time_ns()}"
        claim = store.claim_key(key, "f", lease_seconds=5, keep_seconds=DAY)
        store.finish_key(key, claim.token or "", {"id": "001000000000001AAA"})

    async def aclaim_afinish() -> None:
        key = f"a{next(keys)}-{os.getpid()}-{time.time_ns()}"
        claim = await store.aclaim_key(key, "f", lease_seconds=5, keep_seconds=DAY)
        await store.afinish_key(key, claim.token or "", {"id": "001000000000001AAA"})

    return {
        "connection_for": connection_for,
        "claim+finish": claim_finish,
        "aclaim+afinish": lambda: loop.run_until_complete(aclaim_afinish()),
    }


def measure(
    stores: dict[str, ConnectionStore], rounds: int, calls: int, loop: asyncio.AbstractEventLoop
) -> dict[str, dict[str, list[float]]]:
    """Latencies (s) per store and kind, the stores and kinds interleaved round by round."""
    kinds = {label: _kinds(store, loop) for label, store in stores.items()}
    times: dict[str, dict[str, list[float]]] = {
        label: {kind: [] for kind in by_kind} for label, by_kind in kinds.items()
    }
    for by_kind in kinds.values():  # warm-up: snapshots, prepared statements, pools
        for call in by_kind.values():
            for _ in range(20):
                call()
    labels = list(kinds)
    for round_number in range(rounds):
        order = labels[round_number % len(labels) :] + labels[: round_number % len(labels)]
        for label in order:
            for kind, call in kinds[label].items():
                for _ in range(calls):
                    start = time.perf_counter()
                    call()
                    times[label][kind].append(time.perf_counter() - start)
    return times


def _summary(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "mean_ms": statistics.fmean(ordered) * 1000,
        "median_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[int(len(ordered) * 0.99)] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--database-url", help="an existing PostgreSQL database to use")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    cipher = TokenCipher(os.urandom(32))
    cluster = None
    loop = asyncio.new_event_loop()
    with tempfile.TemporaryDirectory(prefix="callforce-bench-") as home:
        stores: dict[str, ConnectionStore] = {
            "sqlite": SQLiteConnectionStore(Path(home) / "callforce.db", cipher)
        }
        try:
            if args.database_url:
                stores["postgres"] = PostgresConnectionStore(args.database_url, cipher)
            else:
                bindir = find_bindir()
                if bindir is None:
                    raise SystemExit("no PostgreSQL binaries: give --database-url")
                cluster = PostgresCluster(bindir).start()
                tcp = cluster.database()
                unix = f"{tcp}?host={cluster.root}"
                stores["postgres-tcp"] = PostgresConnectionStore(tcp, cipher)
                stores["postgres-unix"] = PostgresConnectionStore(unix, cipher)
            for store in stores.values():
                store.save(_connection())
            times = measure(stores, args.rounds, args.calls, loop)
        finally:
            for store in stores.values():
                loop.run_until_complete(store.aclose())
                store.close()
            loop.close()
            if cluster is not None:
                cluster.close()

    figures = {
        label: {kind: _summary(latencies) for kind, latencies in by_kind.items()}
        for label, by_kind in times.items()
    }
    base = figures["sqlite"]
    print(f"{'store':<15}{'kind':<16}{'mean ms':>9}{'median':>9}{'p99':>9}{'+ vs sqlite':>12}")
    for label, by_kind in figures.items():
        for kind, summary in by_kind.items():
            added = summary["mean_ms"] - base[kind]["mean_ms"]
            print(
                f"{label:<15}{kind:<16}{summary['mean_ms']:>9.3f}{summary['median_ms']:>9.3f}"
                f"{summary['p99_ms']:>9.3f}{added:>+12.3f}"
            )
    for label in figures:
        if label == "sqlite":
            continue
        for keys in ("claim+finish", "aclaim+afinish"):
            added = sum(
                figures[label][kind]["mean_ms"] - base[kind]["mean_ms"]
                for kind in ("connection_for", keys)
            )
            verdict = "ok" if added <= TARGET_MS else "OVER"
            print(
                f"{label} ({keys}): +{added:.3f} ms per warm writing call "
                f"(target ≤ +{TARGET_MS}) {verdict}"
            )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
