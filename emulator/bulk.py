"""Bulk API 2.0 ingest: ``/services/data/vXX.X/jobs/ingest`` (v41.0+).

Flow (what simple-salesforce's ``bulk2`` and other clients do):

1. ``POST /jobs/ingest`` ``{"object","operation","externalIdFieldName"?,"contentType":"CSV",
   "lineEnding":"LF|CRLF","columnDelimiter":"COMMA|BACKQUOTE|CARET|PIPE|SEMICOLON|TAB"}``
   → 200 JobInfo, state ``Open``, id prefix ``750``, ``contentUrl`` without a leading slash.
2. ``PUT /jobs/ingest/{id}/batches`` with the CSV (header row = field API names, or
   ``Relationship.ExtIdField`` to point at a parent by external id) → 201, no body. One upload
   per job.
3. ``PATCH /jobs/ingest/{id}`` ``{"state":"UploadComplete"}`` (or ``"Aborted"``) → 200 JobInfo.
4. ``GET /jobs/ingest/{id}`` polls. Processing is driven by the polls, so tests see every state
   without timers or background tasks: the first poll after ``UploadComplete`` reports
   ``InProgress``; each later poll processes up to 2,000 rows (chunks of 200, each chunk one
   store transaction, each row its own unit: validated by :mod:`emulator.validation` like a
   REST write, a failed row writes nothing); the poll that finishes reports ``JobComplete``.
5. ``GET …/successfulResults/`` (``"sf__Id","sf__Created",<columns>``), ``…/failedResults/``
   (``"sf__Id","sf__Error",<columns>``, error cell ``CODE:message:Field1,Field2 --``, or
   ``CODE:message:--`` without fields) and ``…/unprocessedrecords/`` (the rows not processed),
   every cell quoted, in the job's delimiter and line ending. Asked before the job completes
   they hold the rows processed so far. ``GET /jobs/ingest`` lists jobs; ``DELETE`` → 204.

CSV cells are text: empty leaves a field unset (unchanged on update), ``#N/A`` sets null;
booleans ``true/false/1/0``; bad values are ``INVALID_TYPE_ON_FIELD_IN_RECORD``. A header
naming an unknown field fails the job (``InvalidBatch : Field name not found : Foo``), as does a
line ending other than the job's (``ClientInputError : LineEnding is invalid on user data…``).

Errors (best knowledge; no real Bulk 2.0 recording exists): bad job JSON → 400
``INVALIDJOB``; unknown object → 400 ``INVALIDENTITY`` "Entity 'Foo' is not supported by the
Bulk API."; upload or state change in the wrong state → 400 ``INVALIDJOBSTATE``; unknown job →
404 ``NOT_FOUND``. ``hardDelete`` deletes like ``delete`` (the store keeps no recycle bin to
empty). Jobs live in memory in ``app.state`` (see :func:`jobs_of`).
"""

from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from emulator.errors import SalesforceError, json_parser_error, not_found
from emulator.field_values import DATETIME_FORMAT
from emulator.ids import normalize
from emulator.request_context import api_version, org_of, read_json, session_of
from emulator.responses import empty_response, json_response
from emulator.schema import ObjectSchema
from emulator.sobjects import AnyMethod, major_version, not_allowed
from emulator.store import Batch
from emulator.validation import TEXT, external_id_field, read_value
from emulator.writes import Writer, rule_book

CHUNK = 200
CHUNKS_PER_POLL = 10
OPERATIONS = ("insert", "update", "upsert", "delete", "hardDelete")
DELIMITERS = {
    "COMMA": ",",
    "BACKQUOTE": "`",
    "CARET": "^",
    "PIPE": "|",
    "SEMICOLON": ";",
    "TAB": "\t",
}
LINE_ENDINGS = {"LF": "\n", "CRLF": "\r\n"}
_JOB_KEYS = frozenset(
    {
        "object",
        "operation",
        "externalIdFieldName",
        "contentType",
        "lineEnding",
        "columnDelimiter",
        "assignmentRuleId",
    }
)
_OPEN_STATES = ("Open", "UploadComplete", "InProgress")
_DELETABLE = ("UploadComplete", "JobComplete", "Aborted", "Failed")
_RESULTS = {
    "successfulresults": "success",
    "failedresults": "failed",
    "unprocessedrecords": "unprocessed",
}


def _job_error(code: str, message: str) -> SalesforceError:
    return SalesforceError(400, code, message)


@dataclass
class IngestJob:
    """One ingest job: its settings, its data and the results of the rows processed so far."""

    id: str
    operation: str
    obj: ObjectSchema
    external_id: str | None
    created_by: str
    created: str
    api_version: str
    line_ending: str
    delimiter: str
    assignment_rule_id: str | None
    state: str = "Open"
    modstamp: str = ""
    data: str | None = None
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    next_row: int = 0
    successes: list[list[str]] = field(default_factory=list)
    failures: list[list[str]] = field(default_factory=list)
    error_message: str | None = None
    processing_ms: int = 0

    def info(self, *, full: bool) -> dict[str, Any]:
        """The JobInfo body: the short form (create, close, list) or the full one (GET)."""
        body: dict[str, Any] = {
            "id": self.id,
            "operation": self.operation,
            "object": self.obj.name,
            "createdById": self.created_by,
            "createdDate": self.created,
            "systemModstamp": self.modstamp or self.created,
            "state": self.state,
        }
        if self.external_id:
            body["externalIdFieldName"] = self.external_id
        if self.assignment_rule_id:
            body["assignmentRuleId"] = self.assignment_rule_id
        body.update(
            {
                "concurrencyMode": "Parallel",
                "contentType": "CSV",
                "apiVersion": float(self.api_version),
            }
        )
        if full:
            body["jobType"] = "V2Ingest"
        else:
            body["contentUrl"] = f"services/data/v{self.api_version}/jobs/ingest/{self.id}/batches"
        body.update({"lineEnding": self.line_ending, "columnDelimiter": self.delimiter})
        if full:
            body.update(
                {
                    "numberRecordsProcessed": len(self.successes) + len(self.failures),
                    "numberRecordsFailed": len(self.failures),
                    "retries": 0,
                    "totalProcessingTime": self.processing_ms,
                    "apiActiveProcessingTime": self.processing_ms,
                    "apexProcessingTime": 0,
                }
            )
            if self.error_message:
                body["errorMessage"] = self.error_message
        return body


def jobs_of(request: Request) -> dict[str, IngestJob]:
    """The app's ingest jobs by id, created on first use."""
    state = request.app.state
    jobs: dict[str, IngestJob] | None = getattr(state, "ingest_jobs", None)
    if jobs is None:
        jobs = state.ingest_jobs = {}
    return jobs


def _job(request: Request) -> IngestJob:
    if major_version(request) < 41:
        raise not_found()
    job = jobs_of(request).get(normalize(request.path_params["job_id"]) or "")
    if job is None:
        raise not_found()
    return job


def _now(request: Request) -> str:
    return org_of(request).now().strftime(DATETIME_FORMAT)


# --- handlers -----------------------------------------------------------------------------


async def jobs_root(request: Request) -> Response:
    """``/jobs/ingest``: POST creates a job, GET lists them."""
    if major_version(request) < 41:
        raise not_found()
    if request.method in ("GET", "HEAD"):
        records = [
            {**job.info(full=False), "jobType": "V2Ingest"} for job in jobs_of(request).values()
        ]
        return json_response(request, {"done": True, "records": records, "nextRecordsUrl": None})
    if request.method != "POST":
        raise not_allowed("GET,POST")
    body = await read_json(request)
    if not isinstance(body, dict):
        raise json_parser_error("The job definition must be a JSON object")
    job = _new_job(request, body)
    jobs_of(request)[job.id] = job
    return json_response(request, job.info(full=False))


def _new_job(request: Request, body: dict[str, Any]) -> IngestJob:
    unknown = sorted(set(body) - _JOB_KEYS)
    if unknown:
        raise json_parser_error(f'Unrecognized field "{unknown[0]}"')
    values = {key: body.get(key) for key in _JOB_KEYS}
    for key, value in values.items():
        if value is not None and not isinstance(value, str):
            raise _job_error("INVALIDJOB", f"Invalid value for {key}: {value}")
    name, operation = values["object"], values["operation"]
    if not name:
        raise _job_error("INVALIDJOB", "InvalidJob : object is required")
    obj = org_of(request).schema.get_object(name)
    if obj is None:
        raise _job_error("INVALIDENTITY", f"Entity '{name}' is not supported by the Bulk API.")
    if operation not in OPERATIONS:
        raise _job_error("INVALIDJOB", f"InvalidJob : Invalid operation: {operation}")
    if (values["contentType"] or "CSV") != "CSV":
        raise _job_error("INVALIDJOB", f"InvalidJob : Invalid contentType: {values['contentType']}")
    line_ending = values["lineEnding"] or "LF"
    delimiter = values["columnDelimiter"] or "COMMA"
    if line_ending not in LINE_ENDINGS:
        raise _job_error("INVALIDJOB", f"InvalidJob : Invalid lineEnding: {line_ending}")
    if delimiter not in DELIMITERS:
        raise _job_error("INVALIDJOB", f"InvalidJob : Invalid columnDelimiter: {delimiter}")
    external = values["externalIdFieldName"]
    if operation == "upsert":
        if not external:
            raise _job_error(
                "INVALIDJOB",
                f"External ID was blank for {obj.name}. An External ID must be "
                "specified for upsert.",
            )
        ext_field = external_id_field(obj, external)
        if ext_field is None:
            raise _job_error(
                "INVALIDJOB",
                f"Field name provided, {external} does not match an External ID, "
                f"Salesforce Id, or indexed field for {obj.name}",
            )
        external = ext_field.name
    now = _now(request)
    return IngestJob(
        id=org_of(request).store.new_id("750"),
        operation=operation,
        obj=obj,
        external_id=external if operation == "upsert" else None,
        created_by=session_of(request).user_id,
        created=now,
        modstamp=now,
        api_version=api_version(request),
        line_ending=line_ending,
        delimiter=delimiter,
        assignment_rule_id=values["assignmentRuleId"],
    )


async def job_root(request: Request) -> Response:
    """``/jobs/ingest/{id}``: GET polls (and advances) the job, PATCH closes or aborts it,
    DELETE removes it."""
    job = _job(request)
    if request.method in ("GET", "HEAD"):
        _advance(request, job)
        return json_response(request, job.info(full=True))
    if request.method == "DELETE":
        if job.state not in _DELETABLE:
            raise _job_error(
                "INVALIDJOBSTATE", f"Job {job.id} can't be deleted in state {job.state}"
            )
        del jobs_of(request)[job.id]
        return empty_response(204)
    if request.method != "PATCH":
        raise not_allowed("GET,PATCH,DELETE")
    body = await read_json(request)
    state = body.get("state") if isinstance(body, dict) else None
    if state == "UploadComplete" and job.state == "Open":
        job.state = "UploadComplete"
    elif state == "Aborted" and job.state in _OPEN_STATES:
        job.state = "Aborted"
    else:
        raise _job_error(
            "INVALIDJOBSTATE",
            f"Can't change the state of job {job.id} from {job.state} to {state}",
        )
    job.modstamp = _now(request)
    return json_response(request, job.info(full=False))


async def upload(request: Request) -> Response:
    """``PUT /jobs/ingest/{id}/batches``: the job's CSV (once, while the job is Open)."""
    job = _job(request)
    if request.method != "PUT":
        raise not_allowed("PUT")
    if job.state != "Open":
        raise _job_error("INVALIDJOBSTATE", "Job state must be Open to upload data")
    if job.data is not None:
        raise _job_error("INVALIDJOBSTATE", "Data has already been uploaded to this job")
    raw = await request.body()
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise _job_error("INVALIDBATCH", "The CSV data is not valid UTF-8") from None
    if not text.strip():
        raise _job_error("INVALIDBATCH", "The CSV data is empty")
    job.data = text
    return empty_response(201)


async def results(request: Request) -> Response:
    """``GET /jobs/ingest/{id}/successfulResults|failedResults|unprocessedrecords``."""
    job = _job(request)
    kind = _RESULTS.get(request.path_params["kind"].lower())
    if kind is None:
        raise not_found()
    if request.method not in ("GET", "HEAD"):
        raise not_allowed("GET")
    if kind == "success":
        header, rows = ["sf__Id", "sf__Created", *job.header], job.successes
    elif kind == "failed":
        header, rows = ["sf__Id", "sf__Error", *job.header], job.failures
    else:
        if job.state == "Aborted":
            _read_table(job)  # rows uploaded but never processed are still raw text
        done = job.state == "JobComplete"
        header, rows = job.header, [] if done else job.rows[job.next_row :]
    buffer = io.StringIO()
    writer = csv.writer(
        buffer,
        delimiter=DELIMITERS[job.delimiter],
        quoting=csv.QUOTE_ALL,
        lineterminator=LINE_ENDINGS[job.line_ending],
    )
    if header:
        writer.writerow(header)
    writer.writerows(rows)
    return Response(buffer.getvalue(), media_type="text/csv")


# --- processing ---------------------------------------------------------------------------


def _parse(job: IngestJob) -> None:
    """Read the uploaded CSV (first poll after UploadComplete); a job-level problem fails the
    whole job, as Salesforce reports it while processing rather than when the job is closed."""
    problem = _read_table(job)
    if problem is None:
        problem = next(
            (
                f"InvalidBatch : Field name not found : {name}"
                for name in job.header
                if _column(job.obj, name) is None
            ),
            None,
        )
    if problem is not None:
        _fail(job, problem)
    else:
        job.state = "InProgress"


def _read_table(job: IngestJob) -> str | None:
    """Split the uploaded CSV into ``header`` and ``rows``; the job-level error, if any."""
    if job.data is None:
        return None if job.header else "InvalidBatch : No data was uploaded to this job"
    data, job.data = job.data, None
    first_break = data.find("\n")
    has_crlf = first_break > 0 and data[first_break - 1] == "\r"
    try:
        reader = csv.reader(io.StringIO(data, newline=""), delimiter=DELIMITERS[job.delimiter])
        table = [row for row in reader if row]
    except csv.Error as exc:
        return f"ClientInputError : {exc}"
    job.header, job.rows = (table[0], table[1:]) if table else ([], [])
    if first_break >= 0 and has_crlf != (job.line_ending == "CRLF"):
        return (
            "ClientInputError : LineEnding is invalid on user data. Current LineEnding "
            f"setting is {job.line_ending}"
        )
    return None


def _fail(job: IngestJob, message: str) -> None:
    job.state, job.error_message = "Failed", message


def _column(obj: ObjectSchema, name: str) -> tuple[str, str | None] | None:
    """The body key of a CSV column: ``(field, None)`` or ``(relationship, parent field)``."""
    relation, dot, parent_field = name.partition(".")
    if dot:
        reference = obj.relationship(relation)
        return (relation, parent_field) if reference is not None and parent_field else None
    found = obj.field(name)
    return (found.name, None) if found is not None else None


def _advance(request: Request, job: IngestJob) -> None:
    if job.state == "UploadComplete":
        _parse(job)
        job.modstamp = _now(request)
        return
    if job.state != "InProgress":
        return
    started = time.perf_counter()
    writer = Writer(org_of(request), rule_book(request), job.created_by)
    columns = [_column(job.obj, name) for name in job.header]
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
    job.modstamp = _now(request)


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


def routes() -> list[BaseRoute]:
    """The routes of this module; methods are dispatched here so 405s list Salesforce's."""
    base = "/services/data/v{version}/jobs/ingest"
    return [
        Route(base, AnyMethod(jobs_root)),
        Route(f"{base}/", AnyMethod(jobs_root)),
        Route(f"{base}/{{job_id}}", AnyMethod(job_root)),
        Route(f"{base}/{{job_id}}/", AnyMethod(job_root)),
        Route(f"{base}/{{job_id}}/batches", AnyMethod(upload)),
        Route(f"{base}/{{job_id}}/batches/", AnyMethod(upload)),
        Route(f"{base}/{{job_id}}/{{kind}}", AnyMethod(results)),
        Route(f"{base}/{{job_id}}/{{kind}}/", AnyMethod(results)),
    ]
