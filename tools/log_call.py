"""log_call: the phone call, logged as one completed Task — and a later log_call in the same call
updates that Task instead of adding another.

The Task is a ``Call`` Task (``TaskSubtype``) and carries Salesforce's call fields:
``CallObject`` (the platform's call id, never a model-written value), ``CallType``,
``CallDurationInSeconds``, ``CallDisposition``; it is ``Completed`` and dated today in the
org's time zone (``CALLFORCE_TIME_ZONE``). Values are coerced against the Task describe, as
create_record does.

Which Task is the call's: the store remembers it under ``log_call/<connection>/<call id>`` (a
write key, :mod:`server.toolkit.idempotency`, whose result is the Task id); when it does not
know — the first log_call of the call, or a first attempt whose outcome was lost — the Task is
looked up by ``CallObject``, then updated or created. While one log_call of a call runs, the
next waits for it, so two never both create. So a first log_call costs a query and a create, a
later one a single update; without a call id it simply creates.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from server.errors import NotFound, ServerError
from server.salesforce.answers import json_or_none
from server.salesforce.fields import ObjectInfo
from server.store.interface import KeyClaim
from server.toolkit import DESTRUCTIVE, ConnectionArg, ToolContext, ToolSpec
from server.values.soql_literals import soql_quoted

TASK = "Task"
#: The Task subtype of a logged call (as Salesforce's own "Log a Call" sets it); it can be set
#: only when the Task is created.
SUBTYPE = "Call"
#: What the call's write key is kept for (it is never claimed for anything else).
_FINGERPRINT = "log_call"

IdArg = Annotated[str | None, Field(min_length=15, max_length=18)]


class LogCallArgs(BaseModel):
    """Arguments of log_call."""

    summary: Annotated[
        str,
        Field(description="What was discussed and agreed.", min_length=1),
    ]
    subject: Annotated[str, Field(description="Task subject.", min_length=1, max_length=255)] = (
        "Call"
    )
    who_id: Annotated[IdArg, Field(description="Caller's Contact or Lead id.")] = None
    what_id: Annotated[IdArg, Field(description="Related record id (Account, Case …).")] = None
    call_type: Annotated[
        str | None, Field(description="Inbound, Outbound or Internal.", max_length=40)
    ] = None
    duration_seconds: Annotated[int | None, Field(description="Call length in seconds.", ge=0)] = (
        None
    )
    disposition: Annotated[
        str | None,
        Field(description="Call outcome, e.g. Callback requested.", max_length=255),
    ] = None
    connection: ConnectionArg = None


class LogCallResult(BaseModel):
    """The call's Task."""

    id: str = Field(description="The Task's 18-character id.")
    created: bool = Field(
        description="True: a new Task; false: the call's Task (logged earlier) was updated."
    )
    url: str = Field(description="A link to the Task in Salesforce.")

    def agent_text(self) -> str:
        """ "Logged the call as Task 00T…" or "Updated the call's Task 00T…"."""
        if self.created:
            return f"Logged the call as Task {self.id}"
        return f"Updated the call's Task {self.id}"


def _fields(ctx: ToolContext, args: LogCallArgs, call_id: str | None) -> dict[str, Any]:
    """The Task's values as given (coerced later); what was left out is not sent."""
    today = dt.datetime.now(ZoneInfo(ctx.services.settings.time_zone)).date()
    given = {
        "Subject": args.subject,
        "Description": args.summary,
        "Status": "Completed",
        "ActivityDate": today.isoformat(),
        "WhoId": args.who_id,
        "WhatId": args.what_id,
        "CallType": args.call_type,
        "CallDurationInSeconds": args.duration_seconds,
        "CallDisposition": args.disposition,
        "CallObject": call_id,
    }
    return {name: value for name, value in given.items() if value is not None}


async def _create(ctx: ToolContext, conn: str, body: dict[str, Any]) -> str:
    client = ctx.services.client
    with ctx.services.describe.dropping_stale(conn, TASK):
        response = await client.request(
            "POST", client.api_path(f"sobjects/{TASK}"), connection=conn, json=body
        )
    answer = json_or_none(response)
    task_id = answer.get("id") if isinstance(answer, dict) else None
    if not isinstance(task_id, str):
        raise ServerError(response.status_code, "INVALID_RESPONSE", "the answer has no id")
    return task_id


async def _update(ctx: ToolContext, conn: str, task_id: str, body: dict[str, Any]) -> None:
    client = ctx.services.client
    with ctx.services.describe.dropping_stale(conn, TASK):
        await client.request(
            "PATCH", client.api_path(f"sobjects/{TASK}/{task_id}"), connection=conn, json=body
        )


async def _find(ctx: ToolContext, conn: str, call_id: str) -> str | None:
    """The id of the call's logged Task: a ``Call`` Task whose CallObject is the call's (the
    oldest, if several). Other Tasks of the call — a callback an action created with the call's
    id — are not it."""
    client = ctx.services.client
    soql = (
        f"SELECT Id FROM {TASK} WHERE CallObject = '{soql_quoted(call_id)}' "  # noqa: S608
        f"AND TaskSubtype = '{SUBTYPE}' ORDER BY CreatedDate LIMIT 1"
    )
    response = await client.request(
        "GET", client.api_path("query"), connection=conn, params={"q": soql}
    )
    answer = json_or_none(response)
    records = answer.get("records") if isinstance(answer, dict) else None
    found = records[0].get("Id") if isinstance(records, list) and records else None
    return found if isinstance(found, str) else None


async def _logged(
    ctx: ToolContext,
    conn: str,
    info: ObjectInfo,
    fields: dict[str, Any],
    create_body: dict[str, Any],
    call_id: str,
) -> tuple[str, bool]:
    """(the call's Task id, whether it was created), by way of the call's write key."""
    services = ctx.services
    key = f"log_call/{conn.lower()}/{call_id}"
    window = services.settings.idempotency_hours * 3600
    claim: KeyClaim = await services.write_keys.claim(
        services.store, key, _FINGERPRINT, window_seconds=window, take={"unknown"}
    )
    if claim.state == "done":
        task_id = str((claim.result or {}).get("id"))
        try:
            await _update(ctx, conn, task_id, services.coerce(info, fields, "update"))
        except NotFound:  # deleted since: the call gets a Task again
            claim = await services.write_keys.claim(
                services.store, key, _FINGERPRINT, window_seconds=window, take={"done", "unknown"}
            )
        else:
            return task_id, False
    try:
        task_id_found = await _find(ctx, conn, call_id)
        if task_id_found is not None:
            await _update(ctx, conn, task_id_found, services.coerce(info, fields, "update"))
            outcome = task_id_found, False
        else:
            outcome = await _create(ctx, conn, create_body), True
    except BaseException as exc:
        await services.write_keys.settle(services.store, key, claim, failure=exc)
        raise
    services.write_keys.finish_later(services.store, key, claim, {"id": outcome[0]})
    return outcome


async def log_call(ctx: ToolContext, args: LogCallArgs) -> LogCallResult:
    """Coerce against the (cached) Task describe, then create the call's Task or update it."""
    services = ctx.services
    conn = services.client.connection_for(args.connection)
    info = await services.describe.get(services.client, TASK, connection=conn.name)
    call_id = ctx.call.id
    fields = _fields(ctx, args, call_id)
    # Every value is checked before a claim.
    create_body = services.coerce(info, {**fields, "TaskSubtype": SUBTYPE}, "create")
    if call_id is None:
        task_id, created = await _create(ctx, conn.name, create_body), True
    else:
        task_id, created = await _logged(ctx, conn.name, info, fields, create_body, call_id)
    return LogCallResult(id=task_id, created=created, url=conn.record_url(task_id))


SPEC = ToolSpec(
    name="log_call",
    title="Log Call",
    description=(
        "Log this phone call as a completed Salesforce Task. Called again in the same call, "
        "it updates that Task instead of adding another."
    ),
    annotations=DESTRUCTIVE,
    arguments=LogCallArgs,
    result=LogCallResult,
    handler=log_call,
    # Not kept by the generic idempotency key: the call's own key (above) makes a repeat an
    # update of the same Task.
    keyed=False,
)
