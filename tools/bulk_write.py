"""bulk_write: insert, update or upsert many records through sObject Collections.

Every record is coerced first; one that cannot be is reported with its problems and not sent.
The valid ones go in requests of at most 200 (Salesforce's limit), at most four at a time.
Salesforce answers each request with one result per record, in order, even when some failed;
a request that fails as a whole (timeout, 5xx, dropped connection) marks each of its records
with that error. So there is exactly one result per input record, in input order.

``all_or_none`` is Salesforce's ``allOrNone``, which holds within one request only. A batch of
more than 200 records would be several requests, so it cannot be all-or-nothing: it is refused
rather than half-honoured. With ``all_or_none`` and a record that fails coercion, nothing is
sent at all.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, model_validator

from server.errors import (
    CallforceError,
    InvalidArguments,
    InvalidRequest,
    NeedsReconnect,
    OutcomeUnknown,
    SalesforceAPIError,
    Timeout,
)
from server.salesforce import collections
from server.salesforce.budget import current as current_budget
from server.salesforce.fields import ObjectInfo
from server.toolkit import (
    DESTRUCTIVE,
    ConnectionArg,
    IdempotencyKeyArg,
    ObjectArg,
    ToolContext,
    ToolSpec,
)
from server.values import FieldProblem, ValueCoercionError, parse_id

MAX_RECORDS = 10_000
CHUNK = collections.MAX_RECORDS
CONCURRENT_REQUESTS = 4
#: How long before the call's deadline the chunks stop, so that every record gets a result.
_DEADLINE_MARGIN_SECONDS = 0.25
#: Saved records, and failed ones, listed one per line in the text; the rest are counted.
LINES_SHOWN = 100
Operation = Literal["insert", "update", "upsert"]


class BulkWriteArgs(BaseModel):
    """Arguments of bulk_write."""

    object: ObjectArg
    operation: Annotated[
        Operation,
        Field(description="Write mode."),
    ]
    records: Annotated[
        list[dict[str, Any]],
        Field(
            description="Field API name: value objects; for update each has its Id.",
            min_length=1,
            max_length=MAX_RECORDS,
        ),
    ]
    external_id_field: Annotated[
        str | None,
        Field(description="For upsert: the field identifying each record.", max_length=80),
    ] = None
    all_or_none: Annotated[
        bool,
        Field(description=f"true: all saved or none (at most {CHUNK} records)."),
    ] = False
    connection: ConnectionArg = None
    idempotency_key: IdempotencyKeyArg = None

    @model_validator(mode="after")
    def _consistent(self) -> BulkWriteArgs:
        if self.operation == "upsert" and not self.external_id_field:
            raise ValueError("operation upsert needs external_id_field")
        if self.operation != "upsert" and self.external_id_field:
            raise ValueError("external_id_field is used with operation upsert only")
        if self.all_or_none and len(self.records) > CHUNK:
            raise ValueError(
                f"all_or_none works for at most {CHUNK} records: Salesforce applies it to one "
                f"request of {CHUNK}, so {len(self.records)} records cannot be all-or-nothing. "
                f"Nothing was sent. Send at most {CHUNK} records with all_or_none, or set "
                "all_or_none to false and check each record's result."
            )
        return self


class RecordError(BaseModel):
    """Why one record failed."""

    code: str = Field(description="Salesforce's statusCode, or callforce's (INVALID_VALUE …).")
    message: str
    fields: list[str]


class RecordResult(BaseModel):
    """The outcome for one input record."""

    index: int = Field(description="Position of the record in the input, from 0.")
    success: bool
    id: str | None = Field(description="The record's id (absent when an insert failed).")
    created: bool | None = Field(description="True when a record was created; null on failure.")
    errors: list[RecordError]


class BulkWriteResult(BaseModel):
    """One result per input record, in input order, and the counts."""

    results: list[RecordResult]
    succeeded: int
    failed: int

    def agent_text(self) -> str:
        """The counts, then a line per record (failures first), up to :data:`LINES_SHOWN` each."""
        lines = [f"{self.succeeded} saved, {self.failed} failed."]
        failures = [result for result in self.results if not result.success]
        saved = [result for result in self.results if result.success]
        for result in failures[:LINES_SHOWN]:
            problems = "; ".join(
                f"{', '.join(error.fields) + ': ' if error.fields else ''}{error.message} "
                f"({error.code})"
                for error in result.errors
            )
            lines.append(f"{result.index}: failed: {problems}")
        lines += [
            f"{result.index}: {'created' if result.created else 'updated'} {result.id}"
            for result in saved[:LINES_SHOWN]
        ]
        hidden = max(0, len(failures) - LINES_SHOWN) + max(0, len(saved) - LINES_SHOWN)
        if hidden:
            lines.append(f"({hidden} more records; the structured result lists every one.)")
        return "\n".join(lines)


def _problems(exc: ValueCoercionError) -> list[RecordError]:
    return [
        RecordError(code="INVALID_VALUE", message=p.message, fields=[p.field]) for p in exc.problems
    ]


def _prepare(
    ctx: ToolContext, info: ObjectInfo, args: BulkWriteArgs, record: dict[str, Any]
) -> dict[str, Any]:
    """The record's body for the collection request; ValueCoercionError if it cannot be sent."""
    services = ctx.services
    if args.operation == "insert":
        return services.coerce(info, record, "create")
    if args.operation == "upsert":
        return services.coerce(info, record, "upsert", external_id_field=args.external_id_field)
    key = next((name for name in record if name.lower() == "id"), None)
    if key is None:
        raise ValueCoercionError(
            [FieldProblem("Id", "Id is missing: an update needs each record's Id")]
        )
    record_id = parse_id(record[key])
    if info.key_prefix and not record_id.startswith(info.key_prefix):
        message = f"Id: '{record[key]}' is not the id of a {info.name} record"
        raise ValueCoercionError([FieldProblem("Id", message)])
    rest = {name: value for name, value in record.items() if name != key}
    return {"Id": record_id, **(services.coerce(info, rest, "update") if rest else {})}


def _whole_chunk_code(exc: CallforceError) -> str:
    if isinstance(exc, SalesforceAPIError):
        return exc.error_code
    if isinstance(exc, Timeout):
        return "TIMEOUT"
    if isinstance(exc, OutcomeUnknown):
        return "OUTCOME_UNKNOWN"
    if isinstance(exc, NeedsReconnect):
        return "NEEDS_RECONNECT"
    return "NOT_SENT"


def _result(
    index: int, body: dict[str, Any], outcome: collections.RecordOutcome, operation: Operation
) -> RecordResult:
    known_id = body.get("Id") if operation == "update" else None
    if outcome.success:
        created = {"insert": True, "update": False}.get(operation, outcome.created)
        return RecordResult(
            index=index, success=True, id=outcome.id or known_id, created=bool(created), errors=[]
        )
    errors = [
        RecordError(code=error.code, message=error.message, fields=list(error.fields))
        for error in outcome.errors
    ]
    return RecordResult(index=index, success=False, id=known_id, created=None, errors=errors)


async def _send(
    ctx: ToolContext,
    conn: str,
    info: ObjectInfo,
    args: BulkWriteArgs,
    chunk: list[tuple[int, dict[str, Any]]],
) -> list[RecordResult]:
    """One collection request; one result per record of the chunk, whatever happens."""
    method, suffix = {
        "insert": ("POST", "composite/sobjects"),
        "update": ("PATCH", "composite/sobjects"),
        "upsert": ("PATCH", f"composite/sobjects/{info.name}/{args.external_id_field}"),
    }[args.operation]
    client = ctx.services.client
    payload = collections.payload(
        info.name, [body for _, body in chunk], all_or_none=args.all_or_none
    )
    try:
        response = await client.request(
            method, client.api_path(suffix), connection=conn, json=payload
        )
        outcomes = collections.results(response, len(chunk))
    except CallforceError as exc:
        if isinstance(exc, InvalidRequest) and exc.unknown_field:
            ctx.services.describe.invalidate(conn, info.name)
        error = RecordError(code=_whole_chunk_code(exc), message=exc.message, fields=[])
        return [
            RecordResult(index=index, success=False, id=None, created=None, errors=[error])
            for index, _ in chunk
        ]
    return [
        _result(index, body, outcome, args.operation)
        for (index, body), outcome in zip(chunk, outcomes, strict=True)
    ]


def _out_of_time(chunk: list[tuple[int, dict[str, Any]]], *, started: bool) -> list[RecordResult]:
    """The chunk's records when the call's time ran out before Salesforce answered for them."""
    if started:
        error = RecordError(
            code="TIMEOUT",
            message="Salesforce did not answer in time: this record may or may not have been "
            "saved; check before sending it again.",
            fields=[],
        )
    else:
        error = RecordError(
            code="NOT_SENT", message="Not sent: the call ran out of time.", fields=[]
        )
    return [
        RecordResult(index=index, success=False, id=None, created=None, errors=[error])
        for index, _ in chunk
    ]


async def bulk_write(ctx: ToolContext, args: BulkWriteArgs) -> BulkWriteResult:
    """Coerce every record, send the valid ones in concurrent chunks, report each in order."""
    services = ctx.services
    conn = services.client.connection_for(args.connection)
    info = await services.describe.get(services.client, args.object, connection=conn.name)
    if args.operation == "upsert":
        key = info.field(args.external_id_field or "")
        if key is None or not (key.external_id or key.id_lookup):
            usable = ", ".join(f.name for f in info.fields if f.external_id or f.id_lookup)
            raise InvalidArguments(
                f"{info.name} has no external id field '{args.external_id_field}'; upsert by one "
                f"of: {usable}. Nothing was sent."
            )
        args = args.model_copy(update={"external_id_field": key.name})
    results: list[RecordResult | None] = [None] * len(args.records)
    prepared: list[tuple[int, dict[str, Any]]] = []
    for index, record in enumerate(args.records):
        try:
            prepared.append((index, _prepare(ctx, info, args, record)))
        except ValueCoercionError as exc:
            results[index] = RecordResult(
                index=index, success=False, id=None, created=None, errors=_problems(exc)
            )
    if args.all_or_none and len(prepared) < len(args.records):
        held = RecordError(
            code="NOT_SENT",
            message="Not sent: all_or_none is set and other records are invalid.",
            fields=[],
        )
        for index, _ in prepared:
            results[index] = RecordResult(
                index=index, success=False, id=None, created=None, errors=[held]
            )
        prepared = []
    gate = asyncio.Semaphore(CONCURRENT_REQUESTS)
    sent = 0

    budget = current_budget()
    # Chunks stop a moment before the call's own deadline, so that each record still gets its
    # result (the toolkit would otherwise end the whole call and lose the saved ones).
    stop_at = asyncio.get_running_loop().time() + (
        budget.remaining() - _DEADLINE_MARGIN_SECONDS
        if budget
        else ctx.services.settings.bulk_deadline_seconds
    )

    async def send(chunk: list[tuple[int, dict[str, Any]]]) -> None:
        nonlocal sent
        async with gate:
            started = asyncio.get_running_loop().time() < stop_at
            try:
                async with asyncio.timeout_at(stop_at):
                    outcome = await _send(ctx, conn.name, info, args, chunk)
            except TimeoutError:
                outcome = _out_of_time(chunk, started=started)
        for result in outcome:
            results[result.index] = result
        sent += len(chunk)
        await ctx.report_progress(sent, len(prepared), f"{sent} of {len(prepared)} records sent")

    async with asyncio.TaskGroup() as group:
        for start in range(0, len(prepared), CHUNK):
            group.create_task(send(prepared[start : start + CHUNK]))
    final = [result for result in results if result is not None]
    if len(final) != len(results):  # every path above fills every slot; never drop silently
        raise RuntimeError("bulk_write lost track of a record")
    succeeded = sum(result.success for result in final)
    return BulkWriteResult(results=final, succeeded=succeeded, failed=len(final) - succeeded)


SPEC = ToolSpec(
    name="bulk_write",
    title="Bulk Create/Update",
    description=(
        f"Insert, update or upsert up to {MAX_RECORDS} Salesforce records of one object, values "
        "converted as by create_record. Some may fail while others save: check the failed "
        "count and each record's line."
    ),
    annotations=DESTRUCTIVE,
    arguments=BulkWriteArgs,
    result=BulkWriteResult,
    handler=bulk_write,
    budget="bulk",
)
