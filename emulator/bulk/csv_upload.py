"""The uploaded CSV of an ingest job, read into a header and rows on the first poll after
``UploadComplete``.

A header naming an unknown field fails the job (``InvalidBatch : Field name not found : Foo``),
as does a line ending other than the job's (``ClientInputError : LineEnding is invalid on user
data…``); a column ``Relationship.ExtIdField`` points at a parent by external id.
"""

from __future__ import annotations

import csv
import io

from emulator.bulk.job import DELIMITERS, IngestJob
from emulator.schema import ObjectSchema


def parse_upload(job: IngestJob) -> None:
    """Read the uploaded CSV (first poll after UploadComplete); a job-level problem fails the
    whole job, as Salesforce reports it while processing rather than when the job is closed."""
    problem = read_table(job)
    if problem is None:
        problem = next(
            (
                f"InvalidBatch : Field name not found : {name}"
                for name in job.header
                if column_key(job.obj, name) is None
            ),
            None,
        )
    if problem is not None:
        _fail(job, problem)
    else:
        job.state = "InProgress"


def read_table(job: IngestJob) -> str | None:
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


def column_key(obj: ObjectSchema, name: str) -> tuple[str, str | None] | None:
    """The body key of a CSV column: ``(field, None)`` or ``(relationship, parent field)``."""
    relation, dot, parent_field = name.partition(".")
    if dot:
        reference = obj.relationship(relation)
        return (relation, parent_field) if reference is not None and parent_field else None
    found = obj.field(name)
    return (found.name, None) if found is not None else None
