"""One task per key, awaited by every concurrent caller: single-flight loads and renewals.

The first caller for a key starts the work as a task of its own; callers arriving while it runs
await the same task. Each caller awaits it through :func:`asyncio.shield`, so a caller that gives
up (its deadline) cancels only its own wait, never the work the others are waiting for — a
token rotation or a describe load is never abandoned half-way. The key is free again as soon as
the task ends; failures are not remembered. A failure nobody awaited any more is retrieved
here, so it does not end up as "exception was never retrieved" noise.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine, Hashable
from typing import Any, Generic, TypeVar

_T = TypeVar("_T")


class SingleFlight(Generic[_T]):
    """Concurrent :meth:`run` calls with one key share one task."""

    def __init__(self) -> None:
        self._tasks: dict[Hashable, asyncio.Task[_T]] = {}

    async def run(self, key: Hashable, work: Callable[[], Coroutine[Any, Any, _T]]) -> _T:
        """The result of the task running for ``key``, starting ``work()`` if none is."""
        task = self._tasks.get(key)
        if task is None:
            task = asyncio.create_task(work())
            self._tasks[key] = task
            task.add_done_callback(functools.partial(self._done, key))
        return await asyncio.shield(task)

    def pending(self) -> list[asyncio.Task[_T]]:
        """The tasks still running (to let them finish before shutting down)."""
        return [task for task in self._tasks.values() if not task.done()]

    def _done(self, key: Hashable, task: asyncio.Task[_T]) -> None:
        if self._tasks.get(key) is task:
            del self._tasks[key]
        if not task.cancelled():
            task.exception()  # retrieved: a task whose callers all gave up must not warn
