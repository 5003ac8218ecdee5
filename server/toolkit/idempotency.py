# ruff: noqa: N818 - the names say what happened, as in server.errors
"""Writes that survive retries: a repeated write returns its first result instead of writing
again.

Voice platforms retry a tool call that failed or took too long (Retell up to twice), often while
the first is still running. So every call of a tool that writes (``ToolSpec.keyed``) gets a
**key**: the call's ``idempotency_key`` argument when given, else — when the platform sent a
call id — the call id, the tool and its canonical arguments (the validated arguments as JSON,
keys sorted, no spaces). An explicit key is scoped to the call (when there is one) and checked
against the write it was first used for: reused for another write, it is refused. No key, no
bookkeeping.

The store keeps each key for ``CALLFORCE_IDEMPOTENCY_HOURS`` (:meth:`WriteKeys.once`):

================================  ==============================================================
the key is                        the call
================================  ==============================================================
new (or its window passed)        claims it (pending), writes, answers, and meanwhile records
                                  the result (done)
done                              returns the first result, marked ``"replayed": true``
pending in this process           waits for that write to end, then looks again (single-flight)
pending in another process        polls the row every 50 ms; still pending shortly before the
                                  deadline: :class:`WriteInProgress`
unknown                           :class:`EarlierOutcomeUnknown`: what to check, nothing sent
================================  ==============================================================

A claimed write that fails with nothing written — none of its bytes reached a socket
(:attr:`~server.salesforce.budget.CallBudget.write`), or Salesforce refused it (4xx,
SERVER_UNAVAILABLE) — releases its key, so a corrected retry runs. A write that was sent and
whose answer never came (:class:`~server.errors.OutcomeUnknown`, the deadline, a 5xx) marks it
unknown: repeating it blindly could write twice. A pending key whose holder died (its lease, the
call's deadline and a margin, ran out) reads as unknown too.

Cost on a warm call: one store write before the handler and one after (:mod:`server.store`),
awaited through the store's async key methods, so a store across a network (PostgreSQL) does
not hold the event loop meanwhile.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import math
from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import Any, TypeVar

from server.errors import CallforceError, OutcomeUnknown, SalesforceAPIError
from server.salesforce.budget import current as current_budget
from server.store.interface import ConnectionStore, KeyClaim, KeyState

_T = TypeVar("_T")
logger = logging.getLogger("callforce.tools")

#: How often a key pending in another process is looked at again.
POLL_SECONDS = 0.05
#: How long before the call's deadline a wait for a pending key gives up with words to say.
_WAIT_MARGIN_SECONDS = 0.15
#: How long past its own deadline a pending key's holder counts as alive.
_LEASE_MARGIN_SECONDS = 5.0
#: How often expired keys are pruned (a batch each time).
_PRUNE_EVERY_SECONDS = 600.0


class WriteInProgress(CallforceError):
    """An identical write is still running; this call sent nothing."""

    def __init__(self) -> None:
        super().__init__(
            "The same write, from an identical earlier request, is still in progress. Nothing "
            "was sent again; call again in a moment to get its result."
        )


class EarlierOutcomeUnknown(CallforceError):
    """The key's first attempt sent its write and never learnt whether it happened."""

    def __init__(self, operation: str) -> None:
        self.operation = operation
        super().__init__(
            f"An identical earlier request sent this {operation}, then lost Salesforce's answer: "
            f"the {operation} may or may not have happened. Nothing was sent again. Check with "
            "run_query whether it happened; if not, call again with a new idempotency_key."
        )


class KeyReused(CallforceError):
    """An explicit idempotency_key was first used for a different write."""

    def __init__(self) -> None:
        super().__init__(
            "This idempotency_key was already used for a different write. Nothing was sent; "
            "use a new idempotency_key for a new write."
        )


def canonical_json(value: Any) -> str:
    """``value`` as canonical JSON: keys sorted, no insignificant whitespace."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _digest(*parts: Any) -> str:
    return hashlib.sha256(canonical_json(parts).encode()).hexdigest()


def write_key(
    tool: str, call_id: str | None, arguments: Mapping[str, Any], explicit: str | None
) -> tuple[str, str] | None:
    """(key, fingerprint) of one write, or None when it has no key (no call id, no explicit
    key). ``arguments`` are the validated arguments, without the explicit key."""
    if explicit is None and call_id is None:
        return None
    fingerprint = _digest(tool, arguments)
    if explicit is not None:
        return _digest("key", call_id, explicit), fingerprint
    return _digest("call", call_id, fingerprint), fingerprint


def nothing_written(exc: BaseException) -> bool:
    """Whether a write that ended in ``exc`` certainly wrote nothing (see the module doc)."""
    if isinstance(exc, OutcomeUnknown):
        return False
    budget = current_budget()
    if budget is None or budget.write is None:
        return True  # no write's bytes reached a socket
    if isinstance(exc, SalesforceAPIError):  # an answer below 400 that we could not read
        return 400 <= exc.status < 500 or exc.error_code == "SERVER_UNAVAILABLE"  # did write
    return False


def _operation(exc: BaseException) -> str:
    if isinstance(exc, OutcomeUnknown):
        return exc.operation
    budget = current_budget()
    return budget.write if budget is not None and budget.write else "write"


class WriteKeys:
    """One process's side of the write keys: the writes in flight here, by key (so identical
    concurrent calls wait for the first instead of polling the store), and when keys were last
    pruned. The rows themselves are the store's."""

    def __init__(self) -> None:
        self._flights: dict[str, asyncio.Future[None]] = {}
        #: The keys being settled (the store is told in a task: see :meth:`settle`).
        self._endings: set[asyncio.Future[None]] = set()
        self._pruned_at = -math.inf

    async def claim(
        self,
        store: ConnectionStore,
        key: str,
        fingerprint: str,
        *,
        window_seconds: float,
        take: Collection[KeyState] = (),
    ) -> KeyClaim:
        """The key, claimed (``fresh``: held until :meth:`settle`), ``done`` or ``unknown``;
        waits while it is pending, until shortly before the call's deadline
        (:class:`WriteInProgress`). KeyReused when the key was claimed for another write."""
        loop = asyncio.get_running_loop()
        budget = current_budget()
        wait_until = loop.time() + (budget.remaining() if budget else 0.0) - _WAIT_MARGIN_SECONDS
        lease = (budget.remaining() if budget else 0.0) + _LEASE_MARGIN_SECONDS
        self._prune(store, loop.time())
        while True:
            flight = self._flights.get(key)
            if flight is not None:  # the same write is running in this process
                done, _ = await asyncio.wait({flight}, timeout=max(0.0, wait_until - loop.time()))
                if not done:
                    raise WriteInProgress
                continue
            # Announced before the store is asked, so that a call arriving meanwhile waits here.
            flight = self._flights[key] = loop.create_future()
            try:
                found = await store.aclaim_key(
                    key, fingerprint, lease_seconds=lease, keep_seconds=window_seconds, take=take
                )
            except BaseException:
                self._land(key, flight)
                raise
            if found.state == "fresh":
                return found
            self._land(key, flight)
            if found.fingerprint != fingerprint:
                raise KeyReused
            if found.state != "pending":
                return found
            if loop.time() + POLL_SECONDS > wait_until:  # held by another process
                raise WriteInProgress
            await asyncio.sleep(POLL_SECONDS)

    async def settle(
        self,
        store: ConnectionStore,
        key: str,
        claim: KeyClaim,
        *,
        result: dict[str, Any] | None = None,
        failure: BaseException | None = None,
    ) -> None:
        """End a held key: done with ``result``, or after ``failure`` released (nothing was
        written) or marked unknown; whoever waits for it here looks again.

        The store is told in a task of its own, which a cancelled caller does not stop (a call
        cancelled after its write still records how it ended)."""
        await asyncio.shield(self._end(store, key, claim, result=result, failure=failure))

    def finish_later(
        self, store: ConnectionStore, key: str, claim: KeyClaim, result: dict[str, Any]
    ) -> None:
        """Record a held key's ``result`` after the caller has its answer, not before: whoever
        waits for the key here waits until it is stored (then replays), :meth:`drain` waits
        at shutdown. A process that dies meanwhile leaves the key pending; its lease ends and
        it reads as unknown — a repeat is told to check, never written blindly."""
        self._end(store, key, claim, result=result)

    def _end(
        self,
        store: ConnectionStore,
        key: str,
        claim: KeyClaim,
        *,
        result: dict[str, Any] | None = None,
        failure: BaseException | None = None,
    ) -> asyncio.Future[None]:
        """The task that tells the store how the held key ended, then lands its flight."""
        if failure is None:
            ending = store.afinish_key(key, claim.token or "", result or {})
        elif nothing_written(failure):  # asked here: the call's budget is in this context
            ending = store.arelease_key(key, claim.token or "")
        else:
            note = {"operation": _operation(failure)}
            ending = store.amark_key_unknown(key, claim.token or "", note)
        task = asyncio.ensure_future(self._ended(key, ending))
        self._endings.add(task)
        task.add_done_callback(self._endings.discard)
        return task

    async def drain(self) -> None:
        """Wait for the keys being settled to be stored (before the store closes)."""
        while self._endings:
            await asyncio.gather(*self._endings, return_exceptions=True)

    async def _ended(self, key: str, ending: Awaitable[None]) -> None:
        """Await the store's ``ending`` of the held ``key``, then land its flight here."""
        try:
            await ending
        except Exception:
            # The call's own outcome stands; the key stays pending until its lease ends, and
            # then reads as unknown: a repeat is told to check, never written blindly.
            logger.warning("could not record the end of a keyed write", exc_info=True)
        finally:
            flight = self._flights.get(key)
            if flight is not None:
                self._land(key, flight)

    async def once(
        self,
        store: ConnectionStore,
        key: str,
        fingerprint: str,
        work: Callable[[], Awaitable[_T]],
        *,
        window_seconds: float,
        keep: Callable[[_T], dict[str, Any]],
        replay: Callable[[dict[str, Any]], _T],
    ) -> _T:
        """``work()`` once per key: its value the first time (recorded by ``keep``), the first
        value again (by ``replay``) while the key is kept (see the module doc)."""
        claim = await self.claim(store, key, fingerprint, window_seconds=window_seconds)
        if claim.state == "done":
            return replay(claim.result or {})
        if claim.state == "unknown":
            raise EarlierOutcomeUnknown(str((claim.result or {}).get("operation", "write")))
        try:
            value = await work()
            kept = keep(value)
        except BaseException as exc:
            await self.settle(store, key, claim, failure=exc)
            raise
        # The answer goes now; the result is stored meanwhile (a round trip off the call).
        self.finish_later(store, key, claim, kept)
        return value

    def _land(self, key: str, flight: asyncio.Future[None]) -> None:
        if self._flights.get(key) is flight:
            del self._flights[key]
        if not flight.done():
            flight.set_result(None)

    def _prune(self, store: ConnectionStore, now: float) -> None:
        if now - self._pruned_at >= _PRUNE_EVERY_SECONDS:
            self._pruned_at = now
            try:
                store.prune_keys()
            except Exception:  # expired keys only take room; the call goes on
                logger.warning("could not prune expired write keys", exc_info=True)
