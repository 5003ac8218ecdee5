"""What one tool call asks of Salesforce, counted as it happens.

The toolkit opens an :class:`Observation` around each tool call (:func:`observing`); the
Salesforce client wraps every request it sends — API requests and token requests alike — in
:func:`salesforce_request`, which counts it, adds its time, and notes the connection. The
observation is a context variable, so a request made by a task the call started (a describe, a
session renewal shared with other calls) counts for the call that started it.

With OpenTelemetry tracing configured (:mod:`server.activity.tracing`), each request is also a
CLIENT span, a child of the tool call's span: its method, the path without the query string
(a query string holds SOQL, caller data) and the status. Without it nothing is traced and a
request costs two clock reads.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

#: Set by :func:`server.activity.tracing.configure` when spans are exported.
_tracing: dict[str, Any] = {"tracer": None}


@dataclass(slots=True)
class Observation:
    """The Salesforce requests of one tool call so far."""

    requests: int = 0
    seconds: float = 0.0
    #: The connection the call's requests went to (the last one, if several).
    connection: str | None = None
    #: Statuses of the requests, in order (for the span and the activity record).
    statuses: list[int] = field(default_factory=list)


_current: contextvars.ContextVar[Observation | None] = contextvars.ContextVar(
    "callforce_observation", default=None
)


def current() -> Observation | None:
    """The observation of the tool call running, if any."""
    return _current.get()


@contextmanager
def observing() -> Iterator[Observation]:
    """Count the Salesforce requests made inside the block."""
    observation = Observation()
    token = _current.set(observation)
    try:
        yield observation
    finally:
        _current.reset(token)


class _Request:
    """What :func:`salesforce_request` yields: the sender sets the status when it has one."""

    __slots__ = ("status",)

    def __init__(self) -> None:
        self.status: int | None = None


@contextmanager
def salesforce_request(method: str, path: str, connection: str | None) -> Iterator[_Request]:
    """Around one HTTP request to Salesforce: counted, timed, and (when tracing) a span."""
    observation = _current.get()
    request = _Request()
    tracer = _tracing["tracer"]
    started = time.perf_counter()
    if tracer is None:
        try:
            yield request
        finally:
            _note(observation, request, connection, started)
        return
    with tracer.start_as_current_span(
        f"Salesforce {method} {path.split('?', 1)[0]}",
        kind=_tracing["client_kind"],
        attributes={
            "http.request.method": method,
            "url.path": path.split("?", 1)[0],
            "callforce.connection": connection or "",
        },
    ) as span:
        try:
            yield request
        finally:
            _note(observation, request, connection, started)
            if request.status is not None:
                span.set_attribute("http.response.status_code", request.status)


def _note(
    observation: Observation | None, request: _Request, connection: str | None, started: float
) -> None:
    if observation is None:
        return
    observation.requests += 1
    observation.seconds += time.perf_counter() - started
    if connection is not None:
        observation.connection = connection
    if request.status is not None:
        observation.statuses.append(request.status)
