"""Bulk API 2.0 ingest jobs (CONTRACT.md §8.1), also driven by simple-salesforce's bulk2."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest
import requests
from requests.structures import CaseInsensitiveDict
from simple_salesforce.bulk2 import SFBulk2Type
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.org import Org
from tests.helpers.emulator import API, create

JOBS = f"{API}/jobs/ingest"


async def open_job(client: httpx.AsyncClient, **settings: Any) -> dict[str, Any]:
    """Create an ingest job (Account insert unless told otherwise) and return its JobInfo."""
    body = {"object": "Account", "operation": "insert", "contentType": "CSV", **settings}
    response = await client.post(JOBS, json=body)
    assert response.status_code == 200, response.text
    info: dict[str, Any] = response.json()
    return info


async def run_job(client: httpx.AsyncClient, data: str, **settings: Any) -> dict[str, Any]:
    """Create, upload, close and poll a job to its end; return the final JobInfo."""
    job = await open_job(client, **settings)
    upload = await client.put(
        f"{JOBS}/{job['id']}/batches", content=data.encode(), headers={"Content-Type": "text/csv"}
    )
    assert upload.status_code == 201
    assert upload.content == b""
    closed = await client.patch(f"{JOBS}/{job['id']}", json={"state": "UploadComplete"})
    assert closed.json()["state"] == "UploadComplete"
    for _ in range(50):
        info: dict[str, Any] = (await client.get(f"{JOBS}/{job['id']}")).json()
        if info["state"] in ("JobComplete", "Failed", "Aborted"):
            return info
    raise AssertionError("job did not finish")


async def results(client: httpx.AsyncClient, job_id: str, kind: str) -> list[list[str]]:
    """A results CSV as rows (header first)."""
    response = await client.get(f"{JOBS}/{job_id}/{kind}/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.text)))


# --- the job resource ---------------------------------------------------------------------


async def test_create_job_answers_job_info(client: httpx.AsyncClient, org: Org) -> None:
    """POST /jobs/ingest answers 200 JobInfo: 750 id, Open, contentUrl without a leading /."""
    job = await open_job(client, lineEnding="LF")
    assert list(job) == [
        "id",
        "operation",
        "object",
        "createdById",
        "createdDate",
        "systemModstamp",
        "state",
        "concurrencyMode",
        "contentType",
        "apiVersion",
        "contentUrl",
        "lineEnding",
        "columnDelimiter",
    ]
    assert job["id"].startswith("750")
    assert len(job["id"]) == 18
    assert job["state"] == "Open"
    assert job["apiVersion"] == 62.0
    assert job["contentUrl"] == f"services/data/v62.0/jobs/ingest/{job['id']}/batches"
    assert job["columnDelimiter"] == "COMMA"
    assert job["lineEnding"] == "LF"
    user = org.user_by_username(org.config.username)
    assert user is not None
    assert job["createdById"] == user["Id"]


@pytest.mark.parametrize(
    ("settings", "code"),
    [
        ({"object": "Whizbang"}, "INVALIDENTITY"),
        ({"object": None}, "INVALIDJOB"),
        ({"operation": "merge"}, "INVALIDJOB"),
        ({"operation": "upsert"}, "INVALIDJOB"),
        ({"operation": "upsert", "externalIdFieldName": "Phone"}, "INVALIDJOB"),
        ({"contentType": "JSON"}, "INVALIDJOB"),
        ({"lineEnding": "CR"}, "INVALIDJOB"),
        ({"columnDelimiter": "SPACE"}, "INVALIDJOB"),
        ({"object": 5}, "INVALIDJOB"),
        ({"surprise": 1}, "JSON_PARSER_ERROR"),
    ],
)
async def test_bad_job_definitions_are_400(
    client: httpx.AsyncClient, settings: dict[str, Any], code: str
) -> None:
    """An unknown object, operation, setting or missing external id answers 400."""
    body = {"object": "Account", "operation": "insert", "contentType": "CSV", **settings}
    response = await client.post(JOBS, json={k: v for k, v in body.items() if v is not None})
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == code


async def test_garbage_job_bodies_are_400(client: httpx.AsyncClient) -> None:
    """Non-JSON or non-object job bodies answer 400 JSON_PARSER_ERROR."""
    for payload in (b"", b"{", b"[]", b'"x"'):
        response = await client.post(
            JOBS, content=payload, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400
        assert response.json()[0]["errorCode"] == "JSON_PARSER_ERROR"


async def test_unknown_job_is_404(client: httpx.AsyncClient) -> None:
    """An unknown or malformed job id answers 404 NOT_FOUND."""
    for job_id in ("750000000000000AAA", "nope"):
        response = await client.get(f"{JOBS}/{job_id}")
        assert response.status_code == 404
        assert response.json()[0]["errorCode"] == "NOT_FOUND"


async def test_state_rules(client: httpx.AsyncClient) -> None:
    """One upload per Open job; no upload after close; closing twice is INVALIDJOBSTATE."""
    job = await open_job(client)
    url = f"{JOBS}/{job['id']}"
    assert (await client.put(f"{url}/batches", content=b"Name\nA\n")).status_code == 201
    again = await client.put(f"{url}/batches", content=b"Name\nB\n")
    assert again.status_code == 400
    assert again.json()[0]["errorCode"] == "INVALIDJOBSTATE"
    await client.patch(url, json={"state": "UploadComplete"})
    late = await client.put(f"{url}/batches", content=b"Name\nC\n")
    assert late.status_code == 400
    twice = await client.patch(url, json={"state": "UploadComplete"})
    assert twice.status_code == 400
    assert twice.json()[0]["errorCode"] == "INVALIDJOBSTATE"
    bogus = await client.patch(url, json={"state": "JobComplete"})
    assert bogus.status_code == 400
    assert (await client.delete(f"{JOBS}/{(await open_job(client))['id']}")).status_code == 400


async def test_list_and_delete_jobs(client: httpx.AsyncClient) -> None:
    """GET /jobs/ingest lists jobs; DELETE removes a closed job (204)."""
    job = await open_job(client)
    listing = (await client.get(JOBS)).json()
    assert listing["done"] is True
    assert listing["nextRecordsUrl"] is None
    assert job["id"] in [record["id"] for record in listing["records"]]
    await client.patch(f"{JOBS}/{job['id']}", json={"state": "Aborted"})
    assert (await client.delete(f"{JOBS}/{job['id']}")).status_code == 204
    assert (await client.get(f"{JOBS}/{job['id']}")).status_code == 404


# --- processing ---------------------------------------------------------------------------


async def test_insert_2000_rows_with_some_bad(client: httpx.AsyncClient, org: Org) -> None:
    """A 2,000-row insert goes Open → UploadComplete → InProgress → JobComplete; bad rows are
    reported in failedResults, good ones in successfulResults, in input order."""
    before = org.store.count("Account")
    bad_rows = {7, 500, 1999}
    lines = ["Name,NumberOfEmployees,Industry,Site"]
    for i in range(2000):
        employees = "many" if i in bad_rows else str(i)
        lines.append(f'"Bulk, {i}",{employees},Energy,')
    job = await open_job(client)
    await client.put(f"{JOBS}/{job['id']}/batches", content="\n".join(lines) + "\n")
    await client.patch(f"{JOBS}/{job['id']}", json={"state": "UploadComplete"})
    states = []
    for _ in range(5):
        info = (await client.get(f"{JOBS}/{job['id']}")).json()
        states.append(info["state"])
        if info["state"] == "JobComplete":
            break
    assert states[0] == "InProgress"
    assert states[-1] == "JobComplete"
    assert info["jobType"] == "V2Ingest"
    assert info["numberRecordsProcessed"] == 2000
    assert info["numberRecordsFailed"] == 3
    assert org.store.count("Account") == before + 1997

    successes = await results(client, job["id"], "successfulResults")
    assert successes[0] == [
        "sf__Id",
        "sf__Created",
        "Name",
        "NumberOfEmployees",
        "Industry",
        "Site",
    ]
    assert len(successes) == 1998
    assert successes[1][1:] == ["true", "Bulk, 0", "0", "Energy", ""]
    assert (org.store.get("Account", successes[1][0]) or {})["Name"] == "Bulk, 0"
    failures = await results(client, job["id"], "failedResults")
    assert failures[0][:2] == ["sf__Id", "sf__Error"]
    assert [row[2] for row in failures[1:]] == ["Bulk, 7", "Bulk, 500", "Bulk, 1999"]
    assert failures[1][:2] == [
        "",
        "INVALID_TYPE_ON_FIELD_IN_RECORD:Employees: value not of required type: many:"
        "NumberOfEmployees --",
    ]
    raw = (await client.get(f"{JOBS}/{job['id']}/failedResults")).text
    assert raw.startswith('"sf__Id","sf__Error","Name"')
    unprocessed = await results(client, job["id"], "unprocessedrecords")
    assert unprocessed == [["Name", "NumberOfEmployees", "Industry", "Site"]]


async def test_update_job_and_null_markers(client: httpx.AsyncClient, org: Org) -> None:
    """Update rows by Id: empty cells leave fields alone, #N/A sets null; bad ids fail."""
    first = await create(client, "Account", {"Name": "U1", "Phone": "1", "Site": "s"})
    second = await create(client, "Account", {"Name": "U2", "Phone": "2", "Site": "s"})
    data = f"Id,Name,Phone,Site\n{first},New 1,,#N/A\n{second[:15]},New 2,22,\nnope,X,,\n,Y,,\n"
    info = await run_job(client, data, operation="update")
    assert info["state"] == "JobComplete"
    assert info["numberRecordsFailed"] == 2
    one = org.store.get("Account", first) or {}
    assert (one["Name"], one["Phone"], one["Site"]) == ("New 1", "1", None)
    two = org.store.get("Account", second) or {}
    assert (two["Name"], two["Phone"], two["Site"]) == ("New 2", "22", "s")
    successes = await results(client, info["id"], "successfulResults")
    assert [row[:2] for row in successes[1:]] == [[first, "false"], [second, "false"]]
    failures = await results(client, info["id"], "failedResults")
    assert failures[1][:2] == [
        "nope",
        "MALFORMED_ID:Account ID: id value of incorrect type: nope:Id --",
    ]
    assert failures[2][1] == "MISSING_ARGUMENT:Id not specified in an update call:--"


async def test_upsert_job_by_external_id(client: httpx.AsyncClient, org: Org) -> None:
    """Upsert rows by External_Id__c create or update; parents resolve by external id."""
    existing = await create(client, "Contact", {"LastName": "Old", "External_Id__c": "BK-1"})
    parent = await create(client, "Account", {"Name": "Parent"})
    data = f"External_Id__c,LastName,AccountId\nBK-1,Updated,{parent}\nBK-2,Created,\n,Missing,\n"
    info = await run_job(
        client, data, object="Contact", operation="upsert", externalIdFieldName="external_id__c"
    )
    assert info["numberRecordsProcessed"] == 3
    assert info["numberRecordsFailed"] == 1
    assert info["externalIdFieldName"] == "External_Id__c"
    successes = await results(client, info["id"], "successfulResults")
    assert successes[1][:2] == [existing, "false"]
    assert successes[2][1] == "true"
    record = org.store.get("Contact", existing) or {}
    assert record["LastName"] == "Updated"
    assert record["AccountId"] == parent
    failures = await results(client, info["id"], "failedResults")
    assert failures[1][1] == "MISSING_ARGUMENT:External_Id__c not specified:External_Id__c --"


async def test_relationship_columns(client: httpx.AsyncClient, org: Org) -> None:
    """A ``Contact.External_Id__c`` column points a Case at its contact by external id."""
    contact_id = await create(client, "Contact", {"LastName": "Rel", "External_Id__c": "REL-1"})
    info = await run_job(client, "Subject,Contact.External_Id__c\nHelp,REL-1\n", object="Case")
    assert info["numberRecordsFailed"] == 0
    successes = await results(client, info["id"], "successfulResults")
    assert (org.store.get("Case", successes[1][0]) or {})["ContactId"] == contact_id


async def test_delete_job(client: httpx.AsyncClient, org: Org) -> None:
    """A delete job soft-deletes the listed ids."""
    doomed = await create(client, "Account", {"Name": "Doomed"})
    info = await run_job(client, f"Id\n{doomed}\n", operation="delete")
    assert info["numberRecordsFailed"] == 0
    assert org.store.get("Account", doomed) is None
    assert org.store.get("Account", doomed, include_deleted=True) is not None


async def test_crlf_and_other_delimiters(client: httpx.AsyncClient, org: Org) -> None:
    """A CRLF, semicolon-delimited job is read with those settings and answers in them."""
    data = "Name;Site\r\nSemi;colon\r\n"
    info = await run_job(client, data, lineEnding="CRLF", columnDelimiter="SEMICOLON")
    assert info["state"] == "JobComplete"
    assert info["numberRecordsFailed"] == 0
    response = await client.get(f"{JOBS}/{info['id']}/successfulResults/")
    assert response.text.startswith('"sf__Id";"sf__Created";"Name";"Site"\r\n')


async def test_job_level_failures(client: httpx.AsyncClient) -> None:
    """An unknown column or the wrong line ending fails the whole job with errorMessage."""
    unknown = await run_job(client, "Name,Bogus__c\nA,B\n")
    assert unknown["state"] == "Failed"
    assert unknown["errorMessage"] == "InvalidBatch : Field name not found : Bogus__c"
    crlf = await run_job(client, "Name\r\nA\r\n")
    assert crlf["state"] == "Failed"
    assert crlf["errorMessage"].startswith("ClientInputError : LineEnding is invalid")
    empty = await open_job(client)
    closed = await client.patch(f"{JOBS}/{empty['id']}", json={"state": "UploadComplete"})
    assert closed.status_code == 200
    assert (await client.get(f"{JOBS}/{empty['id']}")).json()["state"] == "Failed"


async def test_abort_leaves_rows_unprocessed(client: httpx.AsyncClient, org: Org) -> None:
    """An aborted job processes nothing; unprocessedrecords returns its rows."""
    before = org.store.count("Account")
    job = await open_job(client)
    await client.put(f"{JOBS}/{job['id']}/batches", content=b"Name\nA1\nA2\n")
    await client.patch(f"{JOBS}/{job['id']}", json={"state": "UploadComplete"})
    aborted = await client.patch(f"{JOBS}/{job['id']}", json={"state": "Aborted"})
    assert aborted.json()["state"] == "Aborted"
    assert (await client.get(f"{JOBS}/{job['id']}")).json()["state"] == "Aborted"
    rows = await results(client, job["id"], "unprocessedRecords")
    assert rows == [["Name"], ["A1"], ["A2"]]
    assert org.store.count("Account") == before


async def test_ragged_rows_fail_alone(client: httpx.AsyncClient) -> None:
    """A row with a different number of columns fails; the others are processed."""
    info = await run_job(client, "Name,Site\nGood,s\nBad\nAlso,s,extra\n")
    assert info["numberRecordsProcessed"] == 3
    assert info["numberRecordsFailed"] == 2


@pytest.mark.parametrize(
    "payload",
    [
        b"\x00\x01\x02",
        b"Name\n\x00bad\n",
        b'Name\n"unterminated\n',
        b",,,\n1,2,3\n",
        b"Name,Name\nA,B\n",
        b"Name\n" + b"x" * 300_000 + b"\n",
        b"\xef\xbb\xbfName\nBOM\n",
    ],
)
async def test_garbage_csv_never_answers_500(client: httpx.AsyncClient, payload: bytes) -> None:
    """Odd CSV uploads end in a finished or failed job, never in a server error."""
    job = await open_job(client)
    upload = await client.put(f"{JOBS}/{job['id']}/batches", content=payload)
    assert upload.status_code in (201, 400)
    await client.patch(f"{JOBS}/{job['id']}", json={"state": "UploadComplete"})
    for _ in range(3):
        response = await client.get(f"{JOBS}/{job['id']}")
        assert response.status_code == 200
    assert response.json()["state"] in ("JobComplete", "Failed")
    for kind in ("successfulResults", "failedResults", "unprocessedrecords"):
        assert (await client.get(f"{JOBS}/{job['id']}/{kind}")).status_code == 200


async def test_non_utf8_upload_is_refused(client: httpx.AsyncClient) -> None:
    """An upload that is not UTF-8 answers 400 and leaves the job open."""
    job = await open_job(client)
    response = await client.put(f"{JOBS}/{job['id']}/batches", content=b"Name\n\xff\xfe\n")
    assert response.status_code == 400
    assert (await client.get(f"{JOBS}/{job['id']}")).json()["state"] == "Open"


# --- simple-salesforce --------------------------------------------------------------------


class AsgiAdapter(requests.adapters.BaseAdapter):
    """A requests transport that hands each request to the emulator's ASGI app."""

    def __init__(self, client: TestClient) -> None:
        super().__init__()
        self.client = client

    def send(self, request: requests.PreparedRequest, **_: Any) -> requests.Response:  # type: ignore[override]
        """Forward one request and rebuild the answer as a requests.Response."""
        body = request.body.encode() if isinstance(request.body, str) else request.body
        assert body is None or isinstance(body, bytes)
        answer = self.client.request(
            str(request.method),
            str(request.url),
            content=body,
            headers={
                k: v if isinstance(v, str) else v.decode() for k, v in request.headers.items()
            },
        )
        response = requests.Response()
        response.status_code = answer.status_code
        response.headers = CaseInsensitiveDict(answer.headers)
        response._content = answer.content
        response.url = str(request.url)
        response.request = request
        response.encoding = "utf-8"
        return response

    def close(self) -> None:
        """Nothing to release."""


def test_simple_salesforce_bulk2_insert(org: Org, token: str) -> None:
    """simple-salesforce's bulk2 insert runs its whole flow and reads both result files."""
    with TestClient(create_app(org=org), base_url="https://emulator.test") as http:
        session = requests.Session()
        session.mount("https://emulator.test", AsgiAdapter(http))
        bulk = SFBulk2Type(
            "Account",
            f"https://emulator.test{API}/jobs/",
            {"Authorization": f"Bearer {token}", "X-PrettyPrint": "1"},
            session,
        )
        records = [{"Name": f"SS {i}", "NumberOfEmployees": str(i)} for i in range(250)]
        records[3]["NumberOfEmployees"] = "lots"
        outcome = bulk.insert(records=records, wait=0)
        job_id = str(outcome[0]["job_id"])
        assert outcome == [
            {
                "numberRecordsFailed": 1,
                "numberRecordsProcessed": 250,
                "numberRecordsTotal": 250,
                "job_id": outcome[0]["job_id"],
            }
        ]
        failed = list(csv.DictReader(io.StringIO(bulk.get_failed_records(job_id))))
        assert [row["Name"] for row in failed] == ["SS 3"]
        succeeded = bulk.get_successful_records(job_id)
        assert len(succeeded.strip().splitlines()) == 250
        unprocessed = bulk.get_unprocessed_records(job_id)
        assert sorted(unprocessed.strip().split(",")) == ['"Name"', '"NumberOfEmployees"']
