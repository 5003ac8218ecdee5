"""Which failed Salesforce requests are sent again, and how (stamina).

At most 2 attempts, 0.1–0.5 s jittered backoff, inside the call's deadline: idempotent requests
(GET/HEAD/OPTIONS, or ``idempotent=True``) on 5xx / ``SERVER_UNAVAILABLE``, the
concurrent-request limit and connection errors; any request on ``UNABLE_TO_LOCK_ROW``
(Salesforce wrote nothing; still locked: "safe to call again"). A non-idempotent request is
retried only when the connection failed before anything was sent; if it dropped after sending,
the outcome is unknown (:class:`~server.errors.OutcomeUnknown`) and it is never replayed. The
daily ``REQUEST_LIMIT_EXCEEDED`` is not retried.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable

import httpx

from server.errors import InvalidRequest, RequestLimitExceeded, ServerError, TransportError

logger = logging.getLogger("callforce.salesforce")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_RETRY_ATTEMPTS = 2


def retryable(safe: bool, exc: Exception) -> bool:
    """Whether stamina may run the request again after ``exc`` (``safe``: it is idempotent)."""
    if isinstance(exc, TransportError):
        return safe or not exc.request_sent
    if isinstance(exc, InvalidRequest) and exc.error_code == "UNABLE_TO_LOCK_ROW":
        return True  # Salesforce wrote nothing: even a create may be sent again
    if not safe:
        return False
    if isinstance(exc, ServerError):
        return True
    if isinstance(exc, RequestLimitExceeded):
        # The concurrent long-request limit clears in seconds; the daily total does not.
        return "Concurrent" in exc.salesforce_message
    return False


async def with_retries(
    safe: bool, attempt: Callable[[], Awaitable[httpx.Response]]
) -> httpx.Response:
    """Run ``attempt``, and again while :func:`retryable` allows; the last error if it fails."""
    # The first attempt runs bare: building stamina's retry state costs ~65 µs, paid on
    # every call for the rare one that fails.
    try:
        return await attempt()
    except Exception as exc:
        if not retryable(safe, exc):
            raise
        failed = exc
    # Imported here: stamina (and tenacity) cost ~17 ms of start-up; most processes never
    # retry.
    import stamina  # noqa: PLC0415

    retrying = stamina.retry_context(
        on=functools.partial(retryable, safe),
        attempts=_RETRY_ATTEMPTS,
        timeout=None,  # the call deadline bounds the retries
        wait_initial=0.1,
        wait_max=0.5,
        wait_jitter=0.25,
    )
    async for retry in retrying:
        with retry:
            if retry.num == 1:
                # The attempt that already failed, handed to stamina so that its backoff
                # and jitter come before the next one.
                raise failed
            logger.info("retrying a Salesforce call (attempt %d)", retry.num)
            return await attempt()
    raise AssertionError("unreachable: stamina re-raises the last error")
