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
empty). Jobs live in memory in ``app.state`` (see :func:`~emulator.bulk.job.jobs_of`).

Modules: :mod:`.job` (a job, its settings and the app's jobs), :mod:`.lifecycle` (create, list,
poll, close, abort, delete, upload), :mod:`.csv_upload` (the uploaded CSV read into a header and
rows), :mod:`.processing` (rows applied as writes on polls), :mod:`.results` (the result CSVs).
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from emulator.bulk.lifecycle import job_root, jobs_root, upload
from emulator.bulk.results import results
from emulator.sobjects import AnyMethod


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
