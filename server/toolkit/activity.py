"""Each tool call, recorded: what the operator's activity view and OpenTelemetry see.

:func:`recording` wraps one tool call. It opens the call's
:class:`~server.activity.observe.Observation` (the Salesforce client counts its requests into
it) and, when the call ends, hands a :class:`~server.activity.record.ToolCallRecord` to the
process's :class:`~server.activity.recorder.ActivityRecorder` — a queue append; the store is
written from the recorder's thread. The error text kept is the one the agent got, with every
argument value cut out; the arguments themselves only with ``CALLFORCE_ACTIVITY_VALUES``,
redacted as ``CALLFORCE_ACTIVITY_REDACT`` says. Nothing here can fail the tool call: a record
that cannot be made is skipped.

The MCP SDK already wraps every ``tools/call`` in an OpenTelemetry span; when tracing is
configured, the call's attributes (tool, connection, outcome, call id, Salesforce request count)
are set on that span, and each Salesforce request is a child span of it.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError

from server.activity import tracing
from server.activity.observe import Observation, observing
from server.activity.record import ToolCallRecord, redacted, scrubbed, written_ids
from server.toolkit.spec import Answer, Services, ToolSpec

logger = logging.getLogger(__name__)


class CallNotes:
    """What the tool call tells its recording as it goes."""

    __slots__ = ("answer", "call_id")

    def __init__(self) -> None:
        self.call_id: str | None = None
        self.answer: Answer | None = None


@functools.lru_cache(maxsize=8)
def _sensitive(names: tuple[str, ...]) -> re.Pattern[str]:
    if not names:
        return re.compile(r"(?!)")  # matches nothing
    return re.compile("|".join(re.escape(name) for name in names), re.IGNORECASE)


@contextmanager
def recording(
    spec: ToolSpec[Any, Any], services: Services, given: Mapping[str, Any]
) -> Iterator[CallNotes]:
    """Record the tool call the block runs (see the module docstring)."""
    started = time.time()
    clock = time.perf_counter()
    notes = CallNotes()
    error: str | None = None
    with observing() as seen:
        try:
            yield notes
        except ToolError as exc:
            error = str(exc)
            raise
        except BaseException:
            error = "internal error"
            raise
        finally:
            elapsed = time.perf_counter() - clock
            with contextlib.suppress(Exception):  # never fail the call for its record
                _record(spec, services, given, notes, seen, error, started, elapsed)


def _record(
    spec: ToolSpec[Any, Any],
    services: Services,
    given: Mapping[str, Any],
    notes: CallNotes,
    seen: Observation,
    error: str | None,
    started: float,
    elapsed: float,
) -> None:
    settings = services.settings
    structured = notes.answer.structured if notes.answer is not None else None
    connection = seen.connection or _named(given.get("connection")) or _default(services)
    arguments = None
    if settings.activity_values:
        arguments = redacted(given, _sensitive(tuple(settings.activity_redact)))
    record = ToolCallRecord(
        started_at=started,
        tool=spec.name,
        outcome="ok" if error is None else "error",
        duration_ms=round(elapsed * 1000, 3),
        call_id=notes.call_id,
        connection=connection,
        error=scrubbed(error, given) if error is not None else None,
        sf_requests=seen.requests,
        sf_ms=round(seen.seconds * 1000, 3),
        record_ids=() if spec.annotations.read_only_hint else written_ids(structured),
        replayed=bool(structured and structured.get("replayed")),
        arguments=arguments,
    )
    if services.activity is not None:
        services.activity.record(record)
    if tracing.enabled():
        tracing.describe_tool_call(record)


def _named(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _default(services: Services) -> str | None:
    """The connection a call that named none and sent nothing would have used."""
    try:
        return services.client.connection_for(None).name
    except Exception:  # no connection at all: the record has none
        return None
