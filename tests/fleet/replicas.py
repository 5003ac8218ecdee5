"""The fleet's processes: ``callforce serve --transport http --stateless`` replicas, each with a
home of its own and the same database URL and secret key; and calling one as a voice platform
does — a fresh MCP client per tool call, over Streamable HTTP.

Each replica's database URL names it (``application_name=replica-N``), so PostgreSQL's
``pg_stat_activity`` says which replica holds a lock (:func:`renewal_lock_holder`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import httpx2
import psycopg
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult

from server.store.postgres_locks import lock_key

ROOT = Path(__file__).resolve().parents[2]
_START_SECONDS = 60


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Replica:
    """One ``serve --stateless`` process on a port of its own; stderr goes to ``log``."""

    name: str
    home: Path
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.home.with_name(f"{self.name}.log")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

    def start(self) -> None:
        """Start the process (again, on the same port, after :meth:`kill`)."""
        argv = [sys.executable, "-m", "server.cli", "serve", "--transport", "http", "--stateless"]
        with self.log.open("ab") as err:
            self.process = subprocess.Popen(
                [*argv, "--port", str(self.port)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
                env=self.env,
                cwd=ROOT,
            )

    def wait_ready(self) -> None:
        """Wait until ``/healthz`` answers; fail with the log's tail if the process ends."""
        deadline = time.monotonic() + _START_SECONDS
        while True:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited:\n{self.log_tail()}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2).is_success:
                    return
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name} did not answer /healthz:\n{self.log_tail()}")
            time.sleep(0.05)

    @property
    def pid(self) -> int | None:
        """The running process's id (None when it is not running)."""
        alive = self.process is not None and self.process.poll() is None
        return self.process.pid if alive and self.process else None

    def kill(self) -> None:
        """``kill -9``: no shutdown, no closing of sessions; the OS closes its sockets."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM (callforce shuts down gracefully), SIGKILL after 10 s."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""


def replica_env(home: Path, database_url: str, name: str, **callforce: str) -> dict[str, str]:
    """This environment without the caller's ``CALLFORCE_*``, plus a replica's settings."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CALLFORCE_")}
    env.update({f"CALLFORCE_{key.upper()}": value for key, value in callforce.items()})
    separator = "&" if "?" in database_url else "?"
    env["CALLFORCE_HOME"] = str(home)
    env["CALLFORCE_DATABASE_URL"] = f"{database_url}{separator}application_name={name}"
    return env


async def call(
    http: httpx2.AsyncClient,
    replica: Replica,
    tool: str,
    arguments: dict[str, Any],
    call_id: str | None = None,
) -> CallToolResult:
    """One tool call on ``replica`` through a client of its own (initialize, call, close), as a
    platform that connects per call; ``call_id`` goes in ``_meta["callforce/call"]``."""
    meta: Any = {"callforce/call": {"id": call_id}} if call_id else None
    async with Client(
        streamable_http_client(replica.url, http_client=http), read_timeout_seconds=30
    ) as client:
        return await client.call_tool(tool, arguments, meta=meta)


def renewal_lock_holder(database_url: str, connection: str) -> str | None:
    """The ``application_name`` of the session holding ``connection``'s renewal lock, if any."""
    unsigned = lock_key(f"renewal {connection.lower()}") & (2**64 - 1)
    with psycopg.connect(database_url, autocommit=True) as admin:
        row = admin.execute(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
            "AND l.classid = %s::oid AND l.objid = %s::oid "
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            (unsigned >> 32, unsigned & 0xFFFFFFFF),
        ).fetchone()
    return str(row[0]) if row else None
