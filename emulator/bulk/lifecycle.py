"""An ingest job's lifecycle over HTTP: create and list (``/jobs/ingest``), poll, close, abort
and delete (``/jobs/ingest/{id}``), and upload the CSV (``/jobs/ingest/{id}/batches``).

Errors (best knowledge; no real Bulk 2.0 recording exists): bad job JSON → 400
``INVALIDJOB``; unknown object → 400 ``INVALIDENTITY``; upload or state change in the wrong
state → 400 ``INVALIDJOBSTATE``; unknown job → 404 ``NOT_FOUND``.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from emulator.bulk.job import (
    BULK_API_SINCE,
    DELIMITERS,
    LINE_ENDINGS,
    IngestJob,
    job_error,
    job_of,
    jobs_of,
    wire_now,
)
from emulator.bulk.processing import advance
from emulator.errors import json_parser_error
from emulator.external_ids import external_id_field
from emulator.request_context import api_version, org_of, read_json, session_of
from emulator.responses import empty_response, json_response
from emulator.sobjects import not_allowed, require_version

OPERATIONS = ("insert", "update", "upsert", "delete", "hardDelete")
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


async def jobs_root(request: Request) -> Response:
    """``/jobs/ingest``: POST creates a job, GET lists them."""
    require_version(request, BULK_API_SINCE)
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
            raise job_error("INVALIDJOB", f"Invalid value for {key}: {value}")
    name, operation = values["object"], values["operation"]
    if not name:
        raise job_error("INVALIDJOB", "InvalidJob : object is required")
    obj = org_of(request).schema.get_object(name)
    if obj is None:
        raise job_error("INVALIDENTITY", f"Entity '{name}' is not supported by the Bulk API.")
    if operation not in OPERATIONS:
        raise job_error("INVALIDJOB", f"InvalidJob : Invalid operation: {operation}")
    if (values["contentType"] or "CSV") != "CSV":
        raise job_error("INVALIDJOB", f"InvalidJob : Invalid contentType: {values['contentType']}")
    line_ending = values["lineEnding"] or "LF"
    delimiter = values["columnDelimiter"] or "COMMA"
    if line_ending not in LINE_ENDINGS:
        raise job_error("INVALIDJOB", f"InvalidJob : Invalid lineEnding: {line_ending}")
    if delimiter not in DELIMITERS:
        raise job_error("INVALIDJOB", f"InvalidJob : Invalid columnDelimiter: {delimiter}")
    external = values["externalIdFieldName"]
    if operation == "upsert":
        if not external:
            raise job_error(
                "INVALIDJOB",
                f"External ID was blank for {obj.name}. An External ID must be "
                "specified for upsert.",
            )
        ext_field = external_id_field(obj, external)
        if ext_field is None:
            raise job_error(
                "INVALIDJOB",
                f"Field name provided, {external} does not match an External ID, "
                f"Salesforce Id, or indexed field for {obj.name}",
            )
        external = ext_field.name
    now = wire_now(request)
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
    job = job_of(request)
    if request.method in ("GET", "HEAD"):
        advance(request, job)
        return json_response(request, job.info(full=True))
    if request.method == "DELETE":
        if job.state not in _DELETABLE:
            raise job_error(
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
        raise job_error(
            "INVALIDJOBSTATE",
            f"Can't change the state of job {job.id} from {job.state} to {state}",
        )
    job.modstamp = wire_now(request)
    return json_response(request, job.info(full=False))


async def upload(request: Request) -> Response:
    """``PUT /jobs/ingest/{id}/batches``: the job's CSV (once, while the job is Open)."""
    job = job_of(request)
    if request.method != "PUT":
        raise not_allowed("PUT")
    if job.state != "Open":
        raise job_error("INVALIDJOBSTATE", "Job state must be Open to upload data")
    if job.data is not None:
        raise job_error("INVALIDJOBSTATE", "Data has already been uploaded to this job")
    raw = await request.body()
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise job_error("INVALIDBATCH", "The CSV data is not valid UTF-8") from None
    if not text.strip():
        raise job_error("INVALIDBATCH", "The CSV data is empty")
    job.data = text
    return empty_response(201)
