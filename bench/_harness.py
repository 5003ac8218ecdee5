"""Shared pieces of the benchmark scripts: start the emulator in its own process, time things."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

DEMO_CLIENT = {"client_id": "callforce-demo", "client_secret": "callforce-demo-secret"}
DEMO_USER = {"username": "demo@callforce.dev", "password": "demo"}


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def emulator_process(*extra: str) -> Iterator[str]:
    """Run ``callforce emulator`` in a child process; yield its base URL."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "emulator", "--port", str(port), *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/services/data", timeout=1)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the emulator did not start") from None
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def password_token(base: str) -> str:
    """An access token of the demo user (password grant)."""
    response = httpx.post(
        f"{base}/services/oauth2/token",
        data={"grant_type": "password", **DEMO_CLIENT, **DEMO_USER},
    )
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


@dataclass(frozen=True)
class Timing:
    """Latencies (seconds) of one scenario and the wall time they took."""

    latencies: list[float]
    wall: float

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies) * 1000

    @property
    def p90_ms(self) -> float:
        return statistics.quantiles(self.latencies, n=10)[-1] * 1000

    @property
    def per_second(self) -> float:
        return len(self.latencies) / self.wall
