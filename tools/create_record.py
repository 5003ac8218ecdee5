"""create_record: one new record, its values coerced to the object's field types first."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

from server.errors import ServerError
from server.salesforce.answers import json_or_none
from server.toolkit import (
    WRITE,
    ConnectionArg,
    ObjectArg,
    ToolContext,
    ToolSpec,
)

DataArg = Annotated[
    dict[str, Any],
    Field(
        description="The record's fields: API field name → value. Values may be spoken forms "
        '("yes", "March 5, 1990", "1,250", a picklist label in any case); they are '
        "converted to each field's type and are never treated as templates.",
        examples=[{"LastName": "García", "FirstName": "Ana", "Email": "ana@example.com"}],
        min_length=1,
    ),
]


class CreateRecordArgs(BaseModel):
    """Arguments of create_record."""

    object: ObjectArg
    data: DataArg
    connection: ConnectionArg = None


class CreateRecordResult(BaseModel):
    """The new record."""

    id: str = Field(description="The new record's 18-character id.")
    object: str = Field(description="The object's API name.")
    url: str = Field(description="A link to the record in Salesforce.")


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
        "Create one Salesforce record of the given object from data (API field name → value). "
        "Values are checked and converted before anything is sent: booleans from yes/no, "
        "dates from forms like 'March 5, 1990', numbers like '1,250', picklists matched "
        "ignoring case, emails and phone numbers validated. If a value or a required field is "
        "wrong, nothing is created and the error names each field and what it needs; ask the "
        "caller and call again. Returns the new record's id. Calling it twice creates two "
        "records; to avoid duplicates when retrying, use upsert_record with an external id."
    ),
    annotations=WRITE,
    arguments=CreateRecordArgs,
    result=CreateRecordResult,
    handler=create_record,
)
