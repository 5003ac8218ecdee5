"""One Bulk API 2.0 ingest job (its settings, its data, the results of the rows processed so far)
and the app's jobs, which live in memory in ``app.state``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

from emulator.errors import SalesforceError, not_found
from emulator.field_values import DATETIME_FORMAT
from emulator.ids import normalize
from emulator.request_context import org_of
from emulator.schema import ObjectSchema
from emulator.sobjects import require_version

DELIMITERS = {
    "COMMA": ",",
    "BACKQUOTE": "`",
    "CARET": "^",
    "PIPE": "|",
    "SEMICOLON": ";",
    "TAB": "\t",
}
LINE_ENDINGS = {"LF": "\n", "CRLF": "\r\n"}
#: The API version Bulk API 2.0 ingest appeared in.
BULK_API_SINCE = 41


def job_error(code: str, message: str) -> SalesforceError:
    """A 400 refusal of a job definition, upload or state change."""
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


def job_of(request: Request) -> IngestJob:
    """The job named in the path; ``NOT_FOUND`` before v41.0 or for an unknown id."""
    require_version(request, BULK_API_SINCE)
    job = jobs_of(request).get(normalize(request.path_params["job_id"]) or "")
    if job is None:
        raise not_found()
    return job


def wire_now(request: Request) -> str:
    """The org's current time in Salesforce's wire form, for createdDate and systemModstamp."""
    return org_of(request).now().strftime(DATETIME_FORMAT)
