"""upsert_record: create or update one record, found by an external id field's value.

The value travels as ONE percent-encoded path segment of ``PATCH
/sobjects/{Object}/{Field}/{value}`` (``quote(value, safe="")``: '/', '?', '#', '%' and spaces
cannot change the URL's meaning) and is left out of the body, which Salesforce allows only with
the same value anyway. A value the client refuses to put in any path ('.', '..', anything that
decodes to them, or characters it never sends in a path) is upserted through sObject Collections
(``PATCH /composite/sobjects/{Object}/{Field}``) instead, where the value is in the JSON body.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from pydantic import BaseModel, Field

from server.errors import RequestRefused, ServerError, SeveralMatches
from server.salesforce import collections
from server.salesforce.answers import json_or_none
from server.toolkit import (
    IDEMPOTENT_WRITE,
    ConnectionArg,
    IdempotencyKeyArg,
    ObjectArg,
    ToolContext,
    ToolSpec,
)


class UpsertRecordArgs(BaseModel):
    """Arguments of upsert_record."""

    object: ObjectArg
    external_id_field: Annotated[
        str,
        Field(
            description="Field identifying the record: an External ID field, Email, or Id.",
            min_length=1,
            max_length=80,
        ),
    ]
    data: Annotated[
        dict[str, Any],
        Field(
            description="Field API name: value, incl. external_id_field.",
            min_length=1,
        ),
    ]
    connection: ConnectionArg = None
    idempotency_key: IdempotencyKeyArg = None


class UpsertRecordResult(BaseModel):
    """The record written."""

    id: str = Field(description="The record's 18-character id.")
    created: bool = Field(description="True: a new record was created; false: one was updated.")
    object: str = Field(description="The object's API name.")
    url: str = Field(description="A link to the record in Salesforce.")

    def agent_text(self) -> str:
        """ "Created Lead 00Q…" or "Updated Lead 00Q…"."""
        return f"{'Created' if self.created else 'Updated'} {self.object} {self.id}"


def _several(sobject: str, field: str, value: str, answer: Any) -> SeveralMatches:
    urls = answer if isinstance(answer, list) else []
    ids = [str(url).rstrip("/").rsplit("/", 1)[-1] for url in urls]
    listed = ", ".join(ids) if ids else "several records"
    return SeveralMatches(
        f"Several {sobject} records have {field} = '{value}': {listed}. Nothing was written; "
        f"pick one and change it with update_record."
    )


async def _by_collection(
    ctx: ToolContext, conn: str, sobject: str, field: str, body: dict[str, Any]
) -> tuple[str, bool]:
    """Upsert one record with the value in the body (sObject Collections, v46.0+)."""
    client = ctx.services.client
    response = await client.request(
        "PATCH",
        client.api_path(f"composite/sobjects/{sobject}/{field}"),
        connection=conn,
        json=collections.payload(sobject, [body], all_or_none=True),
    )
    (outcome,) = collections.results(response, 1)
    outcome.raise_for_error()
    return str(outcome.id), bool(outcome.created)


async def _by_path(
    ctx: ToolContext, conn: str, sobject: str, field: str, value: str, body: dict[str, Any]
) -> tuple[str, bool]:
    """Upsert one record with the value as the last path segment."""
    client = ctx.services.client
    response = await client.request(
        "PATCH",
        client.api_path(f"sobjects/{sobject}/{field}/{quote(value, safe='')}"),
        connection=conn,
        json=body,
    )
    answer = json_or_none(response)
    if response.status_code == 300:
        raise _several(sobject, field, value, answer)
    found = answer if isinstance(answer, dict) else {}
    record_id, created = found.get("id"), found.get("created")
    if not isinstance(record_id, str):
        raise ServerError(response.status_code, "INVALID_RESPONSE", "the answer has no id")
    # Before v46.0 there is no "created": 201 means inserted.
    return record_id, created if isinstance(created, bool) else response.status_code == 201


async def upsert_record(ctx: ToolContext, args: UpsertRecordArgs) -> UpsertRecordResult:
    """Coerce (the key field included), then one PATCH by external id."""
    services = ctx.services
    conn = services.client.connection_for(args.connection)
    info = await services.describe.get(services.client, args.object, connection=conn.name)
    body = services.coerce(info, args.data, "upsert", external_id_field=args.external_id_field)
    key_field = info.field(args.external_id_field)
    field = key_field.name if key_field else args.external_id_field
    value = str(body.pop(field))
    with services.describe.dropping_stale(conn.name, info.name):
        try:
            record_id, created = await _by_path(ctx, conn.name, info.name, field, value, body)
        except RequestRefused:
            # Refused before anything was sent: this value cannot travel in a path.
            body[field] = value
            record_id, created = await _by_collection(ctx, conn.name, info.name, field, body)
    return UpsertRecordResult(
        id=record_id, created=created, object=info.name, url=conn.record_url(record_id)
    )


SPEC = ToolSpec(
    name="upsert_record",
    title="Upsert",
    description=(
        "Create or update one Salesforce record found by its external_id_field value in data; "
        "safe to retry. Values are converted to each field's type. If several records match, "
        "nothing is written."
    ),
    annotations=IDEMPOTENT_WRITE,
    arguments=UpsertRecordArgs,
    result=UpsertRecordResult,
    handler=upsert_record,
)
