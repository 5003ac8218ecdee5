"""How fast the emulator answers, so it is never the bottleneck of another benchmark.

Runs ``callforce emulator`` in its own process and measures requests per second and latency
for a single-record GET, a create, and a 200-row query, sequentially (1 connection) and at
concurrency 20, on loopback. The load comes from ``wrk`` (Debian's package) when it is
installed — a C load generator, so the figures are the emulator's and not a Python client's —
and from an httpx client otherwise (say which in the output). The baseline is
``GET /services/data`` (no auth, no database) on the same server in the same run; each
scenario is also given as a ratio of the baseline's throughput, steadier than raw numbers on a
noisy machine.

    .venv/bin/python bench/emulator.py [--seconds 5] [--json bench/results/emulator.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import quote

import httpx

from bench._harness import Timing, emulator_process, password_token

API = "/services/data/v62.0"
QUERY = "SELECT Id, FirstName, LastName, Email, Phone, AccountId FROM Contact LIMIT 200"
_WRK_RPS = re.compile(r"Requests/sec:\s+([\d.]+)")
_WRK_LATENCY = re.compile(r"^\s+50%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
_POST_SCRIPT = """
wrk.method = "POST"
wrk.body = '{"LastName": "Bench", "FirstName": "Ann"}'
wrk.headers["Content-Type"] = "application/json"
"""


def _scenarios(contact_id: str) -> dict[str, tuple[str, str]]:
    """name → (method, path)."""
    return {
        "baseline GET /services/data": ("GET", "/services/data"),
        "GET one record": ("GET", f"{API}/sobjects/Contact/{contact_id}"),
        "create one record": ("POST", f"{API}/sobjects/Contact"),
        "query 200 rows": ("GET", f"{API}/query?q={quote(QUERY)}"),
    }


def _wrk(
    base: str, token: str, method: str, path: str, connections: int, seconds: int
) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_POST_SCRIPT if method == "POST" else "")
    result = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            script.name,
            "-H",
            f"Authorization: Bearer {token}",
            f"{base}{path}",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    Path(script.name).unlink()
    if "Non-2xx" in result.stdout:
        raise RuntimeError(f"{method} {path} answered errors:\n{result.stdout}")
    latency = _WRK_LATENCY.search(result.stdout)
    rps = _WRK_RPS.search(result.stdout)
    if latency is None or rps is None:
        raise RuntimeError(result.stdout)
    return {
        "per_second": round(float(rps[1]), 1),
        "median_ms": round(float(latency[1]) * _UNIT_MS[latency[2]], 3),
    }


async def _httpx(
    base: str, token: str, method: str, path: str, connections: int, seconds: int
) -> dict[str, float]:
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(
        base_url=base, headers={"Authorization": f"Bearer {token}"}, limits=limits, timeout=30
    ) as client:
        body = {"LastName": "Bench", "FirstName": "Ann"} if method == "POST" else None
        call: Callable[[], Awaitable[httpx.Response]] = lambda: client.request(  # noqa: E731
            method, path, json=body
        )
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            while time.perf_counter() < deadline:
                start = time.perf_counter()
                response = await call()
                latencies.append(time.perf_counter() - start)
                response.raise_for_status()

        wall = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        timing = Timing(latencies, time.perf_counter() - wall)
    return {"per_second": round(timing.per_second, 1), "median_ms": round(timing.median_ms, 3)}


def run(base: str, seconds: int, use_wrk: bool) -> dict[str, dict[str, float]]:
    token = password_token(base)
    found = httpx.get(
        f"{base}{API}/query",
        params={"q": "SELECT Id FROM Contact LIMIT 1"},
        headers={"Authorization": f"Bearer {token}"},
    )
    contact_id = found.json()["records"][0]["Id"]
    results: dict[str, dict[str, float]] = {}
    for name, (method, path) in _scenarios(contact_id).items():
        for connections in (1, 20):
            if use_wrk:
                row = _wrk(base, token, method, path, connections, seconds)
            else:
                row = asyncio.run(_httpx(base, token, method, path, connections, seconds))
            results[f"{name} @ c{connections}"] = row
    for key, row in results.items():
        baseline = results["baseline GET /services/data @ c" + key.rsplit("@ c", 1)[1]]
        row["vs_baseline"] = round(row["per_second"] / baseline["per_second"], 3)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=5, help="per scenario and concurrency")
    parser.add_argument("--httpx", action="store_true", help="use the Python client even with wrk")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    use_wrk = shutil.which("wrk") is not None and not args.httpx
    with emulator_process() as base:
        results = run(base, args.seconds, use_wrk)
    print(f"load generator: {'wrk' if use_wrk else 'httpx (install wrk for steadier figures)'}")
    print(f"{'scenario':<40} {'req/s':>9} {'median ms':>10} {'× baseline':>11}")
    for name, row in results.items():
        print(
            f"{name:<40} {row['per_second']:>9.1f} {row['median_ms']:>10.3f} "
            f"{row['vs_baseline']:>11.3f}"
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
