"""run_query: SOQL against the org, a page at a time, with an opaque cursor to continue.

Salesforce serves query results in batches (here 200, the smallest it allows, asked for with the
``Sforce-Query-Options`` header, which costs no request) from a server-side snapshot, its query
locator: ``nextRecordsUrl`` is ``/services/data/vXX.X/query/<locator>-<offset>``. An agent wants
fewer rows at a time, so a page is a slice of a batch, and every call is exactly one request:

- **With a locator** (more rows than one batch), the rest of a batch is read from the locator at
  the next row's offset (``<locator>-150`` after a page of 150): Salesforce's own snapshot, so
  rows inserted or deleted meanwhile cannot shift a page — each row comes back once. Building
  ``<locator>-<n>`` for any n below ``totalSize`` is what Salesforce clients do to read from row
  n; the ``nextRecordsUrl`` Salesforce gives is followed as is.
- **Without one** (the whole result fits in the first batch) the next page runs the query again
  and continues after the last row returned, found by its ``Id``: rows inserted or deleted
  before it shift nothing. Rows without ``Id`` (aggregates, no ``Id`` selected) continue by
  position, and when the row count changed the page says plainly that rows may repeat or be
  missing (``note``).

The cursor is ``base64url(JSON).base64url(HMAC-SHA256)`` under ``Services.cursor_key`` — derived
from ``CALLFORCE_SECRET_KEY``, so any process sharing that secret accepts it (a stateless
replica, a restarted server), else made at server start. It stays short, as it travels through
the LLM: a locator path, or a digest of the SOQL (the agent sends the same ``soql`` with the
cursor; a different one is refused) with the last row's ``Id``. A cursor is accepted only if it
was signed so, and its locator must still be a query locator path on the connection's own
instance (checked again by the client).
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
_DIGEST_BYTES = 8
#: A locator path with the offset of its first row: ``…/query/<locator>-<offset>``.
_LOCATOR_AT = re.compile(r"(/services/data/v\d+\.\d/(?:query|queryAll)/[0-9A-Za-z]+)-(\d+)")
_SHIFTED = (
    "Rows changed since the previous page, so some may repeat or be missing; run the query "
    "again without cursor for a consistent list."
)
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
    note: str | None = Field(
        default=None,
        description="Set when rows changed between pages so that some may repeat or be missing.",
    )

    def agent_text(self) -> str:
        """The rows as a table; a count when it is not plain to see, and how to go on."""
        if not self.records:
            text = f"Count: {self.total_size}" if self.total_size else "No rows."
            return f"{text}\n{self.note}" if self.note else text
        lines = [table(self.records)]
        if self.note:
            lines.append(self.note)
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
    u: str | None = None  # a query locator path to read next (Salesforce's snapshot)
    s: int = Field(default=0, ge=0)  # rows already returned: of u's batch, or of the re-run query
    h: str | None = None  # digest of the SOQL, run again when the result had no locator
    a: str | None = None  # Id of the last row returned, to continue after it
    t: int | None = Field(default=None, ge=0)  # the row count last seen, for rows without Id
    q: str | None = None  # the SOQL itself (cursors of earlier versions)


def soql_digest(soql: str) -> str:
    """A short digest of a statement, so a cursor can check it continues the same query."""
    return _b64(hashlib.sha256(soql.encode()).digest()[:_DIGEST_BYTES])


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_cursor(key: bytes, state: _CursorState) -> str:
    """A signed, opaque cursor for ``state``."""
    payload = _b64(state.model_dump_json(exclude_none=True, exclude_defaults=True).encode())
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
    if (state.u is None) == (state.h is None and state.q is None):
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


def _statement(soql: str) -> str:
    return soql.strip().rstrip(";").rstrip()


def _row_id(row: Any) -> str | None:
    value = row.get("Id") if isinstance(row, dict) else None
    return value if isinstance(value, str) else None


def _at(locator: str, offset: int) -> str | None:
    """``locator`` moved to ``offset`` rows past its own start; None if it has no offset."""
    match = _LOCATOR_AT.fullmatch(locator)
    return f"{match[1]}-{int(match[2]) + offset}" if match else None


def _resume(rows: list[Any], total: int, state: _CursorState) -> tuple[int, bool]:
    """Where the re-run query's rows continue, and whether rows plainly shifted meanwhile."""
    if state.a is not None:
        for index, row in enumerate(rows):
            if _row_id(row) == state.a:
                return index + 1, False
        return state.s, True  # the last row returned is gone, or moved past this batch
    return state.s, state.t is not None and state.t != total


def _after_page(
    state: _CursorState, batch: dict[str, Any], rows: list[Any], end: int, total: int
) -> _CursorState | None:
    """The cursor for the rows after ``rows[:end]``; None when there are none."""
    locator = batch.get("nextRecordsUrl")
    if end >= len(rows):
        return _CursorState(c=state.c, u=locator) if isinstance(locator, str) else None
    if state.u is not None:  # rows[0] is at the read locator's offset
        moved = _at(state.u, end)
        return _CursorState(c=state.c, u=moved) if moved else state.model_copy(update={"s": end})
    if isinstance(locator, str):  # the query's first batch: rows[0] is row 0 of its snapshot
        moved = _at(locator, end - len(rows))
        if moved:
            return _CursorState(c=state.c, u=moved)
    last = _row_id(rows[end - 1])
    return state.model_copy(update={"s": end, "a": last, "t": None if last else total})


async def run_query(ctx: ToolContext, args: RunQueryArgs) -> RunQueryResult:
    """One page of rows; exactly one request to Salesforce."""
    client = ctx.services.client
    soql = _statement(args.soql)
    if args.cursor is not None:
        state = decode_cursor(ctx.services.cursor_key, args.cursor)
        if args.connection and args.connection.lower() != state.c.lower():
            raise InvalidArguments(
                f"That cursor belongs to connection '{state.c}', not '{args.connection}'."
            )
        if state.h is not None and state.h != soql_digest(soql):
            raise InvalidArguments(
                "That cursor continues another query: pass the same soql as the call that "
                "gave it, or run this query without cursor."
            )
    else:
        if not _SELECT.match(soql + " "):
            raise InvalidArguments(
                "run_query runs SOQL SELECT statements only, e.g. SELECT Id, Name FROM Account "
                "WHERE Name = 'Acme' — to change records use the create, update or upsert tools."
            )
        conn = client.connection_for(args.connection)
        state = _CursorState(c=conn.name, h=soql_digest(soql))
    try:
        if state.u is not None:
            batch = await client.query_more(state.u, connection=state.c)
        else:  # decode_cursor guarantees h (or an earlier version's q) when there is no u
            text = state.q or soql
            batch = await client.query(text, connection=state.c, batch_size=BATCH_SIZE)
    except InvalidRequest as exc:
        raise _query_error(exc, following=args.cursor is not None) from None
    rows = batch.get("records") or []
    total = batch.get("totalSize")
    total = total if isinstance(total, int) else len(rows)
    start, shifted = state.s, False
    if state.u is None and args.cursor is not None:
        start, shifted = _resume(rows, total, state)
    page = rows[start : start + args.max_records]
    next_state = _after_page(state, batch, rows, start + len(page), total)
    return RunQueryResult(
        records=[strip_attributes(row) for row in page],
        total_size=total,
        done=next_state is None,
        next_page=encode_cursor(ctx.services.cursor_key, next_state) if next_state else None,
        note=_SHIFTED if shifted else None,
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
