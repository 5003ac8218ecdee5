"""What the record-writing tools (create, update, upsert, bulk_write) share.

Coercion with the server's time zone and date order; the reaction to Salesforce saying a field
does not exist (our cached describe is stale: drop it, tell the agent); reading an answer's
JSON without trusting it; a browser link to a record.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from mcp.server.mcpserver.exceptions import ToolError

from server.errors import InvalidRequest
from server.fields import ObjectInfo
from server.toolkit import ToolContext
from server.values import Operation, coerce_record


def coerce(
    ctx: ToolContext,
    info: ObjectInfo,
    data: dict[str, Any],
    operation: Operation,
    *,
    external_id_field: str | None = None,
) -> dict[str, Any]:
    """``data`` as Salesforce's JSON body for ``operation`` (settings' time zone and date order)."""
    return coerce_record(
        info,
        data,
        operation=operation,
        tz=ZoneInfo(ctx.settings.time_zone),
        date_order=ctx.settings.date_order,
        external_id_field=external_id_field,
    )


def is_unknown_field(error: InvalidRequest) -> bool:
    """Salesforce says a field does not exist: our describe of the object may be stale."""
    return error.error_code == "INVALID_FIELD" or "No such column" in error.salesforce_message


@contextmanager
def refresh_describe_on_unknown_field(
    ctx: ToolContext, connection: str, sobject: str
) -> Iterator[None]:
    """When Salesforce rejects a field we believed in, forget the describe and say so."""
    try:
        yield
    except InvalidRequest as exc:
        if not is_unknown_field(exc):
            raise
        ctx.describe.invalidate(connection, sobject)
        raise ToolError(
            f"{exc.message} callforce's list of {sobject} fields was out of date and has been "
            f"refreshed: check the field names with describe_object and call again."
        ) from None


def answer_json(response: httpx.Response) -> Any:
    """The JSON of a Salesforce answer, or ``None`` when it has no body or is not JSON."""
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def record_link(instance_url: str, record_id: str) -> str:
    """A browser link to a record (Salesforce redirects ``/<id>`` to the record page)."""
    return f"{instance_url.rstrip('/')}/{record_id}"
