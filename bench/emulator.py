"""How fast the emulator answers, so it is never the bottleneck of another benchmark.

Runs ``callforce emulator`` in its own process and drives it over loopback HTTP with httpx:
requests per second and median latency for a single-record GET, a create, and a 200-row query,
sequentially and at concurrency 20. The baseline is ``GET /services/data`` (no auth, no
database) on the same server in the same run: each scenario is also given as a ratio of the
baseline's throughput, which is steadier than raw numbers on a noisy machine.

    .venv/bin/python bench/emulator.py [--requests 1000] [--json bench/results/emulator.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from bench._harness import Timing, emulator_process, password_token

API = "/services/data/v62.0"


async def _measure(
    call: Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]],
    client: httpx.AsyncClient,
    total: int,
    concurrency: int,
) -> Timing:
    latencies: list[float] = []
    counter = iter(range(total))

    async def worker() -> None:
        for i in counter:
            start = time.perf_counter()
            response = await call(client, i)
            latencies.append(time.perf_counter() - start)
            if response.status_code >= 400:
                raise RuntimeError(f"{response.status_code}: {response.text[:200]}")

    for i in range(min(20, total)):  # warm up connections and caches
        await call(client, i)
    wall = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Timing(latencies, time.perf_counter() - wall)


async def run(base: str, total: int) -> dict[str, dict[str, float]]:
    token = password_token(base)
    limits = httpx.Limits(max_connections=20, max_keepalive_connections=20)
    async with httpx.AsyncClient(
        base_url=base, headers={"Authorization": f"Bearer {token}"}, limits=limits, timeout=30
    ) as client:
        found = await client.get(f"{API}/query", params={"q": "SELECT Id FROM Contact LIMIT 1"})
        contact_id = found.json()["records"][0]["Id"]
        query = "SELECT Id, FirstName, LastName, Email, Phone, AccountId FROM Contact LIMIT 200"
        scenarios: dict[str, Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]] = {
            "baseline GET /services/data": lambda c, i: c.get("/services/data"),
            "GET one record": lambda c, i: c.get(f"{API}/sobjects/Contact/{contact_id}"),
            "create one record": lambda c, i: c.post(
                f"{API}/sobjects/Contact", json={"LastName": f"Bench {i}", "FirstName": "Ann"}
            ),
            "query 200 rows": lambda c, i: c.get(f"{API}/query", params={"q": query}),
        }
        results: dict[str, dict[str, float]] = {}
        for name, call in scenarios.items():
            for concurrency in (1, 20):
                timing = await _measure(call, client, total, concurrency)
                results[f"{name} @ c{concurrency}"] = {
                    "per_second": round(timing.per_second, 1),
                    "median_ms": round(timing.median_ms, 3),
                    "p90_ms": round(timing.p90_ms, 3),
                }
        for key, row in results.items():
            base_key = "baseline GET /services/data @ c" + key.rsplit("@ c", 1)[1]
            row["vs_baseline"] = round(row["per_second"] / results[base_key]["per_second"], 3)
        return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    with emulator_process() as base:
        results = asyncio.run(run(base, args.requests))
    print(f"{'scenario':<40} {'req/s':>9} {'median ms':>10} {'p90 ms':>8} {'× baseline':>11}")
    for name, row in results.items():
        print(
            f"{name:<40} {row['per_second']:>9.1f} {row['median_ms']:>10.3f} "
            f"{row['p90_ms']:>8.3f} {row['vs_baseline']:>11.3f}"
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
