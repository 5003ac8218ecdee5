"""run_query: SOQL against the org, a page at a time, with an opaque cursor to continue.

Salesforce serves query results in batches (here 200, the smallest it allows, asked for with the
``Sforce-Query-Options`` header, which costs no request) and a ``nextRecordsUrl`` per further
batch. An agent wants fewer rows at a time, so a page is a slice of a batch and the cursor says
which batch to read (the query itself for the first, else its ``nextRecordsUrl``) and how many
of its rows were already returned. Every call is exactly one request. Continuing inside the
first batch runs the query again (Salesforce has no locator for it).

The cursor is ``base64url(JSON).base64url(HMAC-SHA256)`` under ``Services.cursor_key`` — derived
from ``CALLFORCE_SECRET_KEY``, so any process sharing that secret accepts it (a stateless
replica, a restarted server), else made at server start. A cursor is accepted only if it was
signed so, and its batch URL must still be a query locator path on the connection's own instance
(checked again by the client).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from typing import Annotated, Any

from pydantic import BaseModel, Field, ValidationError

from server.errors import InvalidArguments, InvalidRequest
from server.salesforce.client import MIN_QUERY_BATCH
from server.toolkit import READ, ConnectionArg, ToolContext, ToolSpec
from server.toolkit.agent_text import table

#: Rows per Salesforce batch: its minimum, and the most a page may return.
BATCH_SIZE = MIN_QUERY_BATCH
_SELECT = re.compile(r"\s*select\s", re.IGNORECASE)
_POSITION = re.compile(r"ERROR at Row:(\d+):Column:(\d+)")
_SIGNATURE_BYTES = 16
#: From how many rows a page says its count (fewer are easy to count).
_COUNT_SHOWN_FROM = 10


class RunQueryArgs(BaseModel):
    """Arguments of run_query."""

    soql: Annotated[
        str,
        Field(
            description="SOQL SELECT; quote text in single quotes, escape ' as \\'.",
            min_length=1,
            max_length=100_000,
        ),
    ]
    max_records: Annotated[
        int, Field(description=f"Rows to return, 1-{BATCH_SIZE}.", ge=1, le=BATCH_SIZE)
    ] = 25
    cursor: Annotated[
        str | None,
        Field(description="The previous result's cursor, for more rows.", max_length=150_000),
    ] = None
    connection: ConnectionArg = None


class RunQueryResult(BaseModel):
    """One page of a query's records."""

    records: list[dict[str, Any]] = Field(
        description="The rows: selected fields by API name; a parent relationship is a nested "
        "object, a child subquery a list of rows."
    )
    total_size: int = Field(description="How many rows the whole query matches.")
    done: bool = Field(description="True when no rows are left after this page.")
    next_page: str | None = Field(
        description="Pass it back as `cursor` to get the following rows; null when done."
    )

    def agent_text(self) -> str:
        """The rows as a table; a count when it is not plain to see, and how to go on."""
        if not self.records:
            return f"Count: {self.total_size}" if self.total_size else "No rows."
        lines = [table(self.records)]
        shown = len(self.records)
        if self.next_page is not None:
            lines.append(
                f"{shown} of {self.total_size} rows. More: run_query with the same soql and "
                f"cursor {self.next_page}"
            )
        elif shown != self.total_size or shown > _COUNT_SHOWN_FROM:
            lines.append(f"{shown} rows ({self.total_size} in all).")
        return "\n".join(lines)


class _CursorState(BaseModel):
    c: str  # connection name
    q: str | None = None  # the SOQL, when the batch is the query's first
    u: str | None = None  # the batch's nextRecordsUrl otherwise
    s: int = Field(ge=0)  # rows of that batch already returned


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_cursor(key: bytes, state: _CursorState) -> str:
    """A signed, opaque cursor for ``state``."""
    payload = _b64(state.model_dump_json(exclude_none=True).encode())
    signature = hmac.new(key, payload.encode(), hashlib.sha256).digest()[:_SIGNATURE_BYTES]
    return f"{payload}.{_b64(signature)}"


def decode_cursor(key: bytes, cursor: str) -> _CursorState:
    """The state of a cursor this server issued; InvalidArguments for anything else."""
    refused = InvalidArguments(
        "That cursor was not issued by this callforce server (or the server restarted since); "
        "run the query again without cursor."
    )
    payload, _, signature = cursor.strip().partition(".")
    expected = hmac.new(key, payload.encode(), hashlib.sha256).digest()[:_SIGNATURE_BYTES]
    try:
        if not hmac.compare_digest(_unb64(signature), expected):
            raise refused
        state = _CursorState.model_validate(json.loads(_unb64(payload)))
    except (binascii.Error, ValueError, ValidationError):
        raise refused from None
    if (state.q is None) == (state.u is None):
        raise refused
    return state


def strip_attributes(value: Any) -> Any:
    """Rows without Salesforce's ``attributes``; a child subquery result becomes its rows."""
    if isinstance(value, dict):
        if "records" in value and "totalSize" in value and "attributes" not in value:
            return [strip_attributes(row) for row in value.get("records") or []]
        return {key: strip_attributes(item) for key, item in value.items() if key != "attributes"}
    if isinstance(value, list):
        return [strip_attributes(item) for item in value]
    return value


def _query_error(exc: InvalidRequest, *, following: bool) -> InvalidRequest:
    """Salesforce's refusal in the words an agent can act on (the error's kind and code kept)."""
    if following and exc.error_code == "INVALID_QUERY_LOCATOR":
        return exc.with_message(
            "The query cursor has expired (Salesforce keeps them about 15 minutes); run the "
            "query again without cursor."
        )
    lines = [line.strip() for line in exc.salesforce_message.splitlines() if line.strip()]
    position = _POSITION.search(exc.salesforce_message)
    where = f" at row {position[1]}, column {position[2]}" if position else ""
    useful = lines[-1] if lines else "(no message)"
    return exc.with_message(f"Salesforce rejected the query ({exc.error_code}{where}): {useful}")


async def run_query(ctx: ToolContext, args: RunQueryArgs) -> RunQueryResult:
    """One page of rows; exactly one request to Salesforce."""
    client = ctx.services.client
    if args.cursor is not None:
        state = decode_cursor(ctx.services.cursor_key, args.cursor)
        if args.connection and args.connection.lower() != state.c.lower():
            raise InvalidArguments(
                f"That cursor belongs to connection '{state.c}', not '{args.connection}'."
            )
    else:
        soql = args.soql.strip().rstrip(";").rstrip()
        if not _SELECT.match(soql + " "):
            raise InvalidArguments(
                "run_query runs SOQL SELECT statements only, e.g. SELECT Id, Name FROM Account "
                "WHERE Name = 'Acme' — to change records use the create, update or upsert tools."
            )
        conn = client.connection_for(args.connection)
        state = _CursorState(c=conn.name, q=soql, s=0)
    try:
        if state.u is not None:
            batch = await client.query_more(state.u, connection=state.c)
        else:  # decode_cursor guarantees q when there is no u
            batch = await client.query(state.q or "", connection=state.c, batch_size=BATCH_SIZE)
    except InvalidRequest as exc:
        raise _query_error(exc, following=args.cursor is not None) from None
    rows = batch.get("records") or []
    end = state.s + args.max_records
    page = rows[state.s : end]
    next_state: _CursorState | None = None
    if end < len(rows):
        next_state = state.model_copy(update={"s": end})
    elif isinstance(batch.get("nextRecordsUrl"), str):
        next_state = _CursorState(c=state.c, u=batch["nextRecordsUrl"], s=0)
    total = batch.get("totalSize")
    return RunQueryResult(
        records=[strip_attributes(row) for row in page],
        total_size=total if isinstance(total, int) else len(rows),
        done=next_state is None,
        next_page=encode_cursor(ctx.services.cursor_key, next_state) if next_state else None,
    )


SPEC = ToolSpec(
    name="run_query",
    title="Run Query",
    description=(
        "Run a Salesforce SOQL SELECT; rows come back as a table. Select only needed fields, "
        "filter with WHERE. If more rows remain, call again with the cursor given. Use only "
        "ids a query returned."
    ),
    annotations=READ,
    arguments=RunQueryArgs,
    result=RunQueryResult,
    handler=run_query,
)
