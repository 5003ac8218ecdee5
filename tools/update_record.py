"""update_record: change fields of one record, by id, values coerced to the field types first."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

from server.errors import InvalidArguments, NotFound
from server.toolkit import (
    IDEMPOTENT_WRITE,
    ConnectionArg,
    IdempotencyKeyArg,
    ObjectArg,
    ToolContext,
    ToolSpec,
)
from server.values import parse_id


class UpdateRecordArgs(BaseModel):
    """Arguments of update_record."""

    object: ObjectArg
    id: Annotated[
        str,
        Field(
            description="The record's 15- or 18-character id.",
            min_length=15,
            max_length=18,
        ),
    ]
    data: Annotated[
        dict[str, Any],
        Field(
            description='Fields to change, API name: value; null or "" clears one.',
            min_length=1,
        ),
    ]
    connection: ConnectionArg = None
    idempotency_key: IdempotencyKeyArg = None


class UpdateRecordResult(BaseModel):
    """The updated record."""

    id: str = Field(description="The record's 18-character id.")
    object: str = Field(description="The object's API name.")

    def agent_text(self) -> str:
        """ "Updated Contact 003…"."""
        return f"Updated {self.object} {self.id}"


async def update_record(ctx: ToolContext, args: UpdateRecordArgs) -> UpdateRecordResult:
    """Check the id, coerce against the (cached) describe, then one PATCH."""
    record_id = parse_id(args.id)  # malformed or misheard ids never reach a URL
    services = ctx.services
    conn = services.client.connection_for(args.connection)
    info = await services.describe.get(services.client, args.object, connection=conn.name)
    if info.key_prefix and not record_id.startswith(info.key_prefix):
        raise InvalidArguments(
            f"'{args.id}' is not the id of a {info.name} record ({info.name} ids start with "
            f"{info.key_prefix}); take the id from a query of {info.name}. Nothing was sent."
        )
    body = services.coerce(info, args.data, "update")
    try:
        with services.describe.dropping_stale(conn.name, info.name):
            await services.client.request(
                "PATCH",
                services.client.api_path(f"sobjects/{info.name}/{record_id}"),
                connection=conn.name,
                json=body,
            )
    except NotFound as exc:
        raise exc.with_message(
            f"Salesforce has no {info.name} record with id {record_id} (it may have been "
            f"deleted); query for the record again."
        ) from None
    return UpdateRecordResult(id=record_id, object=info.name)


SPEC = ToolSpec(
    name="update_record",
    title="Update Object",
    description=(
        "Change fields of one Salesforce record, by an id from a query (never guessed). Values "
        "are converted to each field's type; if one is wrong, nothing is written and the error "
        "says which. Safe to repeat."
    ),
    annotations=IDEMPOTENT_WRITE,
    arguments=UpdateRecordArgs,
    result=UpdateRecordResult,
    handler=update_record,
)
