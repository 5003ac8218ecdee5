"""The result CSVs of an ingest job: successful, failed and unprocessed rows.

``successfulResults`` is ``"sf__Id","sf__Created",<columns>``; ``failedResults`` is
``"sf__Id","sf__Error",<columns>``; ``unprocessedrecords`` is the rows not processed. Every cell
is quoted, in the job's delimiter and line ending; asked before the job completes they hold the
rows processed so far.
"""

from __future__ import annotations

import csv
import io

from starlette.requests import Request
from starlette.responses import Response

from emulator.bulk.csv_upload import read_table
from emulator.bulk.job import DELIMITERS, LINE_ENDINGS, job_of
from emulator.errors import not_found
from emulator.sobjects import not_allowed

_RESULTS = {
    "successfulresults": "success",
    "failedresults": "failed",
    "unprocessedrecords": "unprocessed",
}


async def results(request: Request) -> Response:
    """``GET /jobs/ingest/{id}/successfulResults|failedResults|unprocessedrecords``."""
    job = job_of(request)
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
            read_table(job)  # rows uploaded but never processed are still raw text
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
