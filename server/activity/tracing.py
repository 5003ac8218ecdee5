"""OpenTelemetry, optional: each tool call a span, each Salesforce request a child span.

The MCP SDK already opens a SERVER span for every ``tools/call`` (``tools/call find_caller``,
through the OpenTelemetry API it depends on), parented on the client's trace context when the
request's ``_meta`` carries one. callforce adds to it what an operator filters on — ``callforce.
tool``, ``callforce.connection``, ``callforce.outcome``, ``callforce.call_id`` and
``callforce.salesforce_requests`` (never an argument value) — and opens a CLIENT span per
Salesforce request under it (:mod:`server.activity.observe`).

Nothing is exported unless the ``otel`` extra is installed (``pip install 'callforce[otel]'``:
the OpenTelemetry SDK and its OTLP/HTTP exporter) and ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set;
the exporter reads the other standard ``OTEL_*`` variables itself. :func:`configure` is called
by the CLI; :func:`enable` takes any tracer provider (a test's, with an in-memory exporter).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from opentelemetry import trace
from opentelemetry.trace import SpanKind, StatusCode

from server.activity import observe
from server.activity.record import ToolCallRecord

if TYPE_CHECKING:
    from opentelemetry.trace import TracerProvider

logger = logging.getLogger(__name__)
SERVICE_NAME = "callforce"


def enabled() -> bool:
    """Whether spans are being recorded."""
    return observe._tracing["tracer"] is not None


def enable(provider: TracerProvider) -> None:
    """Record spans with ``provider`` (and make it the global one, which the SDK's span uses)."""
    trace.set_tracer_provider(provider)
    observe._tracing["tracer"] = provider.get_tracer(SERVICE_NAME)
    observe._tracing["client_kind"] = SpanKind.CLIENT


def disable() -> None:
    """Stop recording callforce's spans (the global provider stays, as OpenTelemetry wants)."""
    observe._tracing["tracer"] = None


def configure(environ: Mapping[str, str]) -> bool:
    """Export spans over OTLP when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set in ``environ`` and
    the ``otel`` extra is installed; whether spans are now exported."""
    if not environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return False
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # noqa: PLC0415
            OTLPSpanExporter,
        )
        from opentelemetry.sdk.resources import Resource  # noqa: PLC0415
        from opentelemetry.sdk.trace import TracerProvider  # noqa: PLC0415
        from opentelemetry.sdk.trace.export import BatchSpanProcessor  # noqa: PLC0415
    except ImportError:
        logger.warning(
            "OTEL_EXPORTER_OTLP_ENDPOINT is set but the otel extra is not installed: "
            "pip install 'callforce[otel]'; no spans are exported"
        )
        return False
    provider = TracerProvider(resource=Resource.create({"service.name": SERVICE_NAME}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    enable(provider)
    return True


def describe_tool_call(record: ToolCallRecord) -> None:
    """Put the call's attributes on the current span (the SDK's ``tools/call`` span)."""
    span = trace.get_current_span()
    if not span.is_recording():
        return
    attributes: dict[str, Any] = {
        "callforce.tool": record.tool,
        "callforce.outcome": record.outcome,
        "callforce.salesforce_requests": record.sf_requests,
    }
    if record.connection:
        attributes["callforce.connection"] = record.connection
    if record.call_id:
        attributes["callforce.call_id"] = record.call_id
    if record.replayed:
        attributes["callforce.replayed"] = True
    span.set_attributes(attributes)
    if record.outcome == "error":
        span.set_status(StatusCode.ERROR)
