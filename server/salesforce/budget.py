"""The time one tool call may take, and whether it has written anything: one budget shared by
everything the call does.

A voice platform gives a tool call a few seconds (LiveKit's MCP client reads with a 5 s
timeout), so the deadline is the *call's*: describe, session renewal, retries and every request
share one budget (``CALLFORCE_CALL_DEADLINE_SECONDS``; ``CALLFORCE_BULK_DEADLINE_SECONDS`` for
bulk writes). The toolkit opens a :class:`CallBudget` around each handler (:func:`opened`) and
ends the call when it runs out; the client gives each request what is left (its socket
timeouts), and a client used outside a tool call opens a budget per request.

``write`` records the first write whose bytes reached a socket (httpcore's trace events, see
:mod:`server.salesforce.wire`): when the budget runs out, the agent hears either that nothing
was written, or which write may have happened (:meth:`CallBudget.expired`). The budget lives in a
context variable, so tasks a call starts (bulk chunks, a renewal) share it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from server.errors import Timeout


@dataclass(slots=True)
class CallBudget:
    """One call's deadline (``seconds`` from its start) and the first write it sent."""

    seconds: float
    expires_at: float
    #: What the first write that reached a socket was doing ("create", "update" …), if any.
    write: str | None = None

    def remaining(self) -> float:
        """Seconds left (negative once expired)."""
        return self.expires_at - asyncio.get_running_loop().time()

    def wrote(self, operation: str) -> None:
        """Record that a write's bytes went out (the first one is what expiry reports)."""
        if self.write is None:
            self.write = operation

    def expired(self, *, writes: bool = True) -> Timeout:
        """What the agent hears when the budget ran out: whether a write may have happened;
        for a tool that can write (``writes``) that sent none, that nothing was written."""
        if self.write is not None:
            return Timeout(self.seconds, operation=self.write)
        return Timeout(self.seconds, nothing_written=writes)


_BUDGET: ContextVar[CallBudget | None] = ContextVar("callforce_call_budget", default=None)


def current() -> CallBudget | None:
    """The budget of the call running in this context, if there is one."""
    return _BUDGET.get()


@contextmanager
def opened(seconds: float) -> Iterator[CallBudget]:
    """A budget of ``seconds`` from now, current until the block ends."""
    budget = CallBudget(seconds, asyncio.get_running_loop().time() + seconds)
    token = _BUDGET.set(budget)
    try:
        yield budget
    finally:
        _BUDGET.reset(token)
