"""How bench/transport.py times things: kinds of call interleaved round by round, bursts of
concurrent calls, a stdio server's start-up, and the event loop it all runs on.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import select
import signal
import statistics
import subprocess
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from uvicorn.loops.auto import auto_loop_factory

_T = TypeVar("_T")
Call = Callable[[], Awaitable[None]]


@dataclass
class Kind:
    """One thing to time: the call, and the CPU clock of the process that does its work (and,
    as ``also``, of another process it makes work: a database server)."""

    call: Call
    cpu: Callable[[], float] | None = None
    also: Callable[[], float] | None = None


@dataclass
class Measured:
    """A kind's latencies (s) and the CPU time (s) its calls cost the process that did them
    (and ``also_cpu``: the other process)."""

    latencies: list[float] = field(default_factory=list)
    cpu: float = 0.0
    also_cpu: float = 0.0

    @property
    def ms(self) -> float:
        return statistics.median(self.latencies) * 1000

    @property
    def cpu_ms(self) -> float:
        return self.cpu / len(self.latencies) * 1000

    @property
    def also_cpu_ms(self) -> float:
        return self.also_cpu / len(self.latencies) * 1000


async def interleave(
    kinds: dict[str, Kind], calls: int, per_round: int, warmup: int
) -> dict[str, Measured]:
    """``calls`` calls of every kind, ``per_round`` of each in turn, the order rotating.

    A machine whose speed drifts during the run then slows every kind alike; CPU clocks are
    read around each block of a kind's calls, so each kind pays only for its own.
    """
    for kind in kinds.values():
        for _ in range(warmup):
            await kind.call()
    measured = {name: Measured() for name in kinds}
    names = list(kinds)
    for round_ in range(max(1, math.ceil(calls / per_round))):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            kind, into = kinds[name], measured[name]
            cpu_before = kind.cpu() if kind.cpu else 0.0
            also_before = kind.also() if kind.also else 0.0
            for _ in range(per_round):
                start = time.perf_counter()
                await kind.call()
                into.latencies.append(time.perf_counter() - start)
            if kind.cpu:
                into.cpu += kind.cpu() - cpu_before
            if kind.also:
                into.also_cpu += kind.also() - also_before
    return measured


async def burst(call: Call, concurrency: int) -> float:
    """Seconds for ``concurrency`` concurrent calls, all started at once."""
    start = time.perf_counter()
    await asyncio.gather(*(call() for _ in range(concurrency)))
    return time.perf_counter() - start


def _send(proc: subprocess.Popen[bytes], message: dict[str, Any]) -> None:
    assert proc.stdin is not None
    proc.stdin.write(json.dumps(message).encode() + b"\n")
    proc.stdin.flush()


def _answer(proc: subprocess.Popen[bytes], request_id: int, deadline: float) -> None:
    """Read stdout lines until the answer to ``request_id``; fail past ``deadline``."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    buffer = b""
    while True:
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            if line.strip() and json.loads(line).get("id") == request_id:
                return
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise RuntimeError("no answer from the stdio server in time")
        chunk = os.read(fd, 65536)
        if not chunk:
            raise RuntimeError("the stdio server closed stdout")
        buffer += chunk


def time_to_tools(argv: list[str], env: dict[str, str], stderr: Path) -> float:
    """Seconds from spawn to the ``tools/list`` answer (initialize, initialized, tools/list)."""
    with stderr.open("ab") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, env=env
        )
    try:
        deadline = time.monotonic() + 60
        _send(
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
        )
        _answer(proc, 1, deadline)
        _send(proc, {"jsonrpc": "2.0", "method": "notifications/initialized"})
        _send(proc, {"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
        _answer(proc, 2, deadline)
        return time.perf_counter() - start
    finally:
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                pipe.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def only_interrupts(exc: BaseException | None) -> bool:
    """Whether ``exc`` is Ctrl-C (or SIGTERM) and the cancellations it caused, however grouped."""
    if isinstance(exc, BaseExceptionGroup):
        return all(only_interrupts(inner) for inner in exc.exceptions)
    return isinstance(exc, KeyboardInterrupt | asyncio.CancelledError)


def interrupt_on_signals() -> None:
    """SIGINT and SIGTERM raise KeyboardInterrupt where the main thread is, loop or not.

    Not asyncio's own SIGINT handling (it installs it only over the default handler): that
    cancels the main task, and here the cancellation got lost among the MCP clients' task
    groups — the run went on, servers and all, as if Ctrl-C had not been pressed.
    """

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def _quiet_interrupts(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    # Tasks ended by the Ctrl-C on its way out are not news.
    if not only_interrupts(context.get("exception")):
        loop.default_exception_handler(context)


def run_fast(main: Coroutine[Any, Any, _T]) -> _T:
    """Run ``main`` on the loop the servers use (uvloop when installed), so the direct request's
    client-side CPU is measured on the same kind of loop as the servers' work."""
    with asyncio.Runner(loop_factory=auto_loop_factory(use_subprocess=False)) as runner:
        runner.get_loop().set_exception_handler(_quiet_interrupts)
        return runner.run(main)
