"""A tool call's deadline: the handler runs inside one
:class:`~server.salesforce.budget.CallBudget` and ends when it runs out, with words the agent
can say.

The budget is ``CALLFORCE_CALL_DEADLINE_SECONDS`` (default 4.5 s, under the tightest voice
platform's tool timeout), or ``CALLFORCE_BULK_DEADLINE_SECONDS`` for tools whose spec says
``budget="bulk"`` (bulk_write reports progress meanwhile). Whatever ran out — the budget itself,
or a socket timeout cut to what was left of it — the agent hears the same thing: that Salesforce
did not answer in time and, for a tool that can write, whether a write may have happened (its
bytes reached a socket) or nothing was written.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

from server.errors import Timeout
from server.salesforce.budget import opened
from server.settings import Settings
from server.toolkit.spec import ToolSpec

_T = TypeVar("_T")


def budget_seconds(spec: ToolSpec[Any, Any], settings: Settings) -> float:
    """The deadline of one call of ``spec``."""
    if spec.budget == "bulk":
        return settings.bulk_deadline_seconds
    return settings.call_deadline_seconds


async def within_deadline(spec: ToolSpec[Any, Any], settings: Settings, work: Awaitable[_T]) -> _T:
    """``work`` (the handler's coroutine), ended when the call's budget runs out."""
    with opened(budget_seconds(spec, settings)) as budget:
        try:
            async with asyncio.timeout(budget.seconds):
                return await work
        except (TimeoutError, Timeout):
            raise budget.expired(writes=spec.writes) from None
