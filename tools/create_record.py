"""create_record: one new record, its values coerced to the object's field types first."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

from server.errors import ServerError
from server.salesforce.answers import json_or_none
from server.toolkit import (
    WRITE,
    ConnectionArg,
    IdempotencyKeyArg,
    ObjectArg,
    ToolContext,
    ToolSpec,
)

DataArg = Annotated[
    dict[str, Any],
    Field(
        description='Field API name: value, e.g. {"LastName": "Lee"}.',
        min_length=1,
    ),
]


class CreateRecordArgs(BaseModel):
    """Arguments of create_record."""

    object: ObjectArg
    data: DataArg
    connection: ConnectionArg = None
    idempotency_key: IdempotencyKeyArg = None


class CreateRecordResult(BaseModel):
    """The new record."""

    id: str = Field(description="The new record's 18-character id.")
    object: str = Field(description="The object's API name.")
    url: str = Field(description="A link to the record in Salesforce.")

    def agent_text(self) -> str:
        """ "Created Contact 003…" (the link is for people, not for the call)."""
        return f"Created {self.object} {self.id}"


async def create_record(ctx: ToolContext, args: CreateRecordArgs) -> CreateRecordResult:
    """Coerce against the (cached) describe, then one POST."""
    services = ctx.services
    conn = services.client.connection_for(args.connection)
    info = await services.describe.get(services.client, args.object, connection=conn.name)
    body = services.coerce(info, args.data, "create")
    with services.describe.dropping_stale(conn.name, info.name):
        response = await services.client.request(
            "POST",
            services.client.api_path(f"sobjects/{info.name}"),
            connection=conn.name,
            json=body,
        )
    answer = json_or_none(response)
    record_id = answer.get("id") if isinstance(answer, dict) else None
    if not isinstance(record_id, str):
        raise ServerError(response.status_code, "INVALID_RESPONSE", "the answer has no id")
    return CreateRecordResult(id=record_id, object=info.name, url=conn.record_url(record_id))


SPEC = ToolSpec(
    name="create_record",
    title="Create Object",
    description=(
        "Create one Salesforce record; values are converted to each field's type (spoken "
        "dates, numbers, yes/no, labels). If one is wrong or a required one missing, nothing "
        "is created and the error says which. A repeat in one call is not created twice."
    ),
    annotations=WRITE,
    arguments=CreateRecordArgs,
    result=CreateRecordResult,
    handler=create_record,
)
