"""An ingest job's rows applied as writes, driven by the polls (see :mod:`emulator.bulk`).

Each poll processes up to ``CHUNKS_PER_POLL`` chunks of ``CHUNK`` rows, each chunk one store
transaction and each row its own unit: validated like a REST write, a failed row writes nothing
and is reported as ``CODE:message:Field1,Field2 --`` (or ``CODE:message:--`` without fields).
CSV cells are text: empty leaves a field unset (unchanged on update), ``#N/A`` sets null.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request

from emulator.bulk.csv_upload import column_key, parse_upload
from emulator.bulk.job import IngestJob, wire_now
from emulator.errors import SalesforceError
from emulator.field_values import TEXT, read_value
from emulator.ids import normalize
from emulator.request_context import org_of
from emulator.store import Batch
from emulator.writes import Writer, rule_book

CHUNK = 200
CHUNKS_PER_POLL = 10


def advance(request: Request, job: IngestJob) -> None:
    """Move a polled job on: parse its upload, or process its next chunks of rows."""
    if job.state == "UploadComplete":
        parse_upload(job)
        job.modstamp = wire_now(request)
        return
    if job.state != "InProgress":
        return
    started = time.perf_counter()
    writer = Writer(org_of(request), rule_book(request), job.created_by)
    columns = [column_key(job.obj, name) for name in job.header]
    for _ in range(CHUNKS_PER_POLL):
        chunk = job.rows[job.next_row : job.next_row + CHUNK]
        if not chunk:
            break
        with writer.org.store.batch() as batch:
            for row in chunk:
                _process_row(writer, batch, job, columns, row)
        job.next_row += len(chunk)
    job.processing_ms += round((time.perf_counter() - started) * 1000)
    if job.next_row >= len(job.rows):
        job.state = "JobComplete"
    job.modstamp = wire_now(request)


def _process_row(
    writer: Writer,
    batch: Batch,
    job: IngestJob,
    columns: list[tuple[str, str | None] | None],
    row: list[str],
) -> None:
    echo = (row + [""] * len(job.header))[: len(job.header)]
    given_id = ""
    try:
        if len(row) != len(job.header):
            raise SalesforceError(
                400,
                "INVALID_FIELD",
                f"Record has {len(row)} columns but the header has {len(job.header)}",
                [],
            )
        body = _row_body(job, columns, row)
        given_id = str(body.get("Id") or "")
        record_id, created = _apply(writer, batch, job, body)
    except SalesforceError as exc:
        fields = ",".join(exc.fields or [])
        error = (
            f"{exc.error_code}:{exc.message}:{fields} --"
            if fields
            else (f"{exc.error_code}:{exc.message}:--")
        )
        job.failures.append([normalize(given_id) or given_id, error, *echo])
        return
    job.successes.append([record_id, "true" if created else "false", *echo])


def _row_body(
    job: IngestJob, columns: list[tuple[str, str | None] | None], row: list[str]
) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for column, cell in zip(columns, row, strict=True):
        if column is None or cell == "":
            continue  # an empty cell leaves the field as it is
        key, parent_field = column
        if parent_field is None:
            body[key] = None if cell == "#N/A" else cell
        elif cell == "#N/A":
            reference = job.obj.relationship(key)
            if reference is not None:
                body[reference.name] = None
        else:
            body[key] = {parent_field: cell}
    return body


def _apply(writer: Writer, batch: Batch, job: IngestJob, body: dict[str, Any]) -> tuple[str, bool]:
    obj = job.obj
    if job.operation == "insert":
        return writer.insert(batch, obj, body, TEXT), True
    if job.operation == "upsert":
        field_ = obj.fields[job.external_id or "Id"]
        value = read_value(field_, body.get(field_.name), TEXT, field_.name)
        return writer.upsert(batch, obj, field_, value, body, TEXT)
    given = body.get("Id")
    if given is None:
        verb = "an update" if job.operation == "update" else "a delete"
        raise SalesforceError(400, "MISSING_ARGUMENT", f"Id not specified in {verb} call", [])
    current = writer.existing(obj, str(given))
    if job.operation == "update":
        return writer.update(batch, obj, current, body, TEXT), False
    return writer.delete(batch, obj, current), False
