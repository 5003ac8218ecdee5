"""The child processes of a benchmark: started with their stderr in a log file, waited for until
they answer, read for their CPU time, and all stopped on the way out — on an error, on Ctrl-C,
and (Linux) even when the benchmark itself is killed.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_PR_SET_PDEATHSIG = 1


def _parent_death_signal() -> Callable[[], None] | None:
    """A ``preexec_fn`` that has the child sent SIGTERM when the benchmark dies (Linux only).

    Then a benchmark killed outright (SIGKILL, a closed terminal) leaves no orphan holding a
    port. libc is looked up here, in the parent: the child only makes the one system call.
    """
    if sys.platform != "linux":
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)

    return preexec


def _stat_fields(pid: int) -> list[str]:
    """``/proc/<pid>/stat`` from its state on (field 3): the name may hold spaces and parens."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat[stat.rindex(")") + 2 :].split()


def process_cpu(pid: int, *, waited_children: bool = False) -> float:
    """Seconds of user + system CPU of process ``pid`` so far; with ``waited_children``, also
    that of its children that ended and were waited for (cutime, cstime)."""
    fields = _stat_fields(pid)
    ticks = int(fields[11]) + int(fields[12])
    if waited_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / _CLOCK_TICKS


def tree_cpu(parent: int) -> float:
    """Seconds of CPU of ``parent``, its living children and the children it waited for: a
    server that runs a process per session (PostgreSQL), read from ``/proc``."""
    total = process_cpu(parent, waited_children=True)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = _stat_fields(int(entry.name))
        except OSError:  # it ended meanwhile: its time is now the parent's cutime
            continue
        if int(fields[1]) == parent:
            total += (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
    return total


@dataclass
class Child:
    """One started process and the file its stderr goes to."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def cpu_seconds(self) -> float:
        """User + system CPU time of the whole process so far (all its threads, ended ones too).

        From ``/proc/<pid>/stat`` (utime, stime), in clock ticks (10 ms): time enough calls
        between two readings for the resolution not to matter.
        """
        return process_cpu(self.pid)

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def check_running(self) -> None:
        if self.popen.poll() is not None:
            raise RuntimeError(
                f"{self.name} exited with status {self.popen.returncode}:\n{self.log_tail()}"
            )


class Fleet:
    """Every process a benchmark started; leaving the ``with`` block stops them all."""

    def __init__(self, logs: Path) -> None:
        self._logs = logs
        self._children: list[Child] = []

    def start(
        self, name: str, argv: Sequence[str], env: dict[str, str], cwd: Path | None = None
    ) -> Child:
        """Start ``argv``: stdin and stdout closed, stderr to ``<logs>/<name>.log``."""
        log = self._logs / f"{name}.log"
        with log.open("wb") as err:
            popen = subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
                env=env,
                cwd=cwd,
                # The signal comes when the thread that started the child ends: this is only
                # called from the main thread.
                preexec_fn=_parent_death_signal(),
            )
        child = Child(name, popen, log)
        self._children.append(child)
        return child

    def wait_until(self, child: Child, ready: Callable[[], bool], timeout: float = 60) -> None:
        """Poll ``ready`` until it says yes; fail with the log's tail if the child exits."""
        deadline = time.monotonic() + timeout
        while True:
            child.check_running()
            with contextlib.suppress(Exception):
                if ready():
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{child.name} was not ready in {timeout:.0f} s:\n{child.log_tail()}"
                )
            time.sleep(0.05)

    def end(self, child: Child) -> None:
        """Stop one child before the others (SIGTERM, SIGKILL after 10 s)."""
        if child.popen.poll() is None:
            child.popen.terminate()
            try:
                child.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.popen.kill()
                child.popen.wait()
        self._children.remove(child)

    def stop(self) -> None:
        """SIGTERM to everyone at once, then wait; SIGKILL what is still there after 10 s."""
        for child in self._children:
            if child.popen.poll() is None:
                child.popen.terminate()
        deadline = time.monotonic() + 10
        for child in self._children:
            try:
                child.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.popen.kill()
                child.popen.wait()
        self._children.clear()

    def __enter__(self) -> Fleet:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
