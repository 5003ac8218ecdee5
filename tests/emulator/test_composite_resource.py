"""The Composite resource (CONTRACT.md §7): GET subrequests — long SOQL above all — answered in
one body, as one API call; and the edge's limit that sends long SOQL there (414 / 431)."""

from __future__ import annotations

import socket
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from emulator.org import Org
from emulator.server import BackgroundEmulator
from tests.helpers.emulator import API

COMPOSITE = f"{API}/composite"
URI_TOO_LONG = "<h1>Bad Message 414</h1><pre>reason: URI Too Long</pre>"
HEADERS_TOO_LARGE = "<h1>Bad Message 431</h1><pre>reason: Request Header Fields Too Large</pre>"
HALTED = [
    {
        "errorCode": "PROCESSING_HALTED",
        "message": "The transaction was rolled back since another operation in the same "
        "transaction failed.",
    }
]


def get(url: str, reference_id: str, **headers: str) -> dict[str, Any]:
    """A GET subrequest."""
    sub: dict[str, Any] = {"method": "GET", "url": url, "referenceId": reference_id}
    if headers:
        sub["httpHeaders"] = headers
    return sub


def long_soql(ids: int = 3000) -> str:
    """A ~63k-character SOQL statement: an IN list of well-formed ids of no record."""
    in_list = ",".join(f"'00300000000{n:04d}AAA'" for n in range(ids))
    return f"SELECT Id FROM Contact WHERE Id IN ({in_list})"  # noqa: S608 - test SOQL


async def composite(client: httpx.AsyncClient, *subrequests: Any, **options: Any) -> Any:
    """The compositeResponse of a composite request that must answer 200."""
    response = await client.post(COMPOSITE, json={**options, "compositeRequest": list(subrequests)})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json;charset=UTF-8"
    return response.json()["compositeResponse"]


# --- query subrequests ----------------------------------------------------------------------


async def test_query_subrequests_answer_as_recorded(client: httpx.AsyncClient) -> None:
    """CumulusCI's recording: a count and an INVALID_TYPE, raw spaces in the url, one body."""
    count, bad = await composite(
        client,
        get(f"{API}/query/?q=select count() from Account", "refAccount"),  # noqa: S608 - recorded SOQL
        get(f"{API}/query/?q=select count() from XYZZY", "refXYZZY"),  # noqa: S608 - recorded SOQL
    )
    assert set(count) == {"body", "httpHeaders", "httpStatusCode", "referenceId"}
    assert count["httpStatusCode"] == 200
    assert count["httpHeaders"] == {}
    assert count["referenceId"] == "refAccount"
    assert count["body"]["done"] is True
    assert count["body"]["records"] == []
    assert count["body"]["totalSize"] > 0
    assert bad["httpStatusCode"] == 400
    assert bad["referenceId"] == "refXYZZY"
    assert bad["body"] == [
        {
            "message": "\nselect count() from XYZZY\n                    ^\n"
            "ERROR at Row:1:Column:21\nsObject type 'XYZZY' is not supported. If you are "
            "attempting to use a custom object, be sure to append the '__c' after the entity "
            "name. Please reference your WSDL or the describe call for the appropriate names.",
            "errorCode": "INVALID_TYPE",
        }
    ]


async def test_a_long_query_runs_as_a_subrequest_and_is_one_api_call(
    client: httpx.AsyncClient, org: Org
) -> None:
    """A query over the URI limit runs from the body: one API call, one request-log entry."""
    url = f"{API}/query?q={quote(long_soql(), safe='')}"
    assert len(url) > 16_384
    before = org.api_requests
    org.request_log.clear()
    [answer] = await composite(client, get(url, "longQuery"))
    assert answer["httpStatusCode"] == 200
    assert answer["body"] == {"totalSize": 0, "done": True, "records": []}
    assert org.api_requests == before + 1
    assert [(e.method, e.path) for e in org.request_log] == [("POST", COMPOSITE)]


async def test_a_subrequest_pages_through_its_locator(client: httpx.AsyncClient) -> None:
    """batchSize from httpHeaders; the answer's nextRecordsUrl pages with a plain GET."""
    more = [{"attributes": {"type": "Contact"}, "LastName": f"Paged {n}"} for n in range(100)]
    created = await client.post(f"{API}/composite/sobjects", json={"records": more})
    assert created.status_code == 200
    [answer] = await composite(
        client,
        get(
            f"{API}/query?q=SELECT+Id+FROM+Contact",
            "contacts",
            **{"Sforce-Query-Options": "batchSize=200"},
        ),
    )
    first = answer["body"]
    assert first["done"] is False
    assert len(first["records"]) == 200
    assert first["nextRecordsUrl"].startswith(f"{API}/query/0r8")
    following = await client.get(first["nextRecordsUrl"])
    assert following.status_code == 200
    assert following.json()["totalSize"] == first["totalSize"]
    ids = {row["attributes"]["url"] for row in first["records"] + following.json()["records"]}
    assert len(ids) == len(first["records"]) + len(following.json()["records"])


async def test_query_all_subrequests_see_deleted_rows(client: httpx.AsyncClient) -> None:
    """/queryAll in a subrequest answers deleted rows, as the resource itself does."""
    created = await client.post(f"{API}/sobjects/Account", json={"Name": "Composite Gone"})
    await client.delete(f"{API}/sobjects/Account/{created.json()['id']}")
    soql = quote("SELECT Id, IsDeleted FROM Account WHERE Name = 'Composite Gone'")
    live, everything = await composite(
        client, get(f"{API}/query?q={soql}", "live"), get(f"{API}/queryAll?q={soql}", "all")
    )
    assert live["body"]["totalSize"] == 0
    assert [row["IsDeleted"] for row in everything["body"]["records"]] == [True]


async def test_soql_over_100000_characters_is_malformed(client: httpx.AsyncClient) -> None:
    """Salesforce's own limit on a statement still holds in a subrequest."""
    soql = long_soql(5000)
    assert len(soql) > 100_000
    [answer] = await composite(client, get(f"{API}/query?q={quote(soql)}", "tooLong"))
    assert answer["httpStatusCode"] == 400
    assert answer["body"] == [
        {
            "message": "SOQL statements can not be longer than 100000 characters.",
            "errorCode": "MALFORMED_QUERY",
        }
    ]


# --- other subrequests, references, allOrNone -----------------------------------------------


async def test_a_reference_feeds_a_later_subrequest(client: httpx.AsyncClient) -> None:
    """@{ref.records[0].Id} in a url is read from the earlier answer; ETag is kept."""
    soql = quote("SELECT Id FROM Account WHERE Name = 'Acme Corporation'")
    query, record = await composite(
        client,
        get(f"{API}/query?q={soql}", "acme"),
        get(f"{API}/sobjects/Account/@{{acme.records[0].Id}}?fields=Name", "acmeRecord"),
    )
    assert record["httpStatusCode"] == 200
    assert record["body"]["Id"] == query["body"]["records"][0]["Id"]
    assert record["body"]["Name"] == "Acme Corporation"
    assert set(record["httpHeaders"]) <= {"ETag", "Last-Modified"}


async def test_unknown_resources_fail_alone_without_all_or_none(client: httpx.AsyncClient) -> None:
    """allOrNone false: a 404 subrequest fails by itself; one that needs its answer halts."""
    missing, dependent, other = await composite(
        client,
        get(f"{API}/sobjects/Foo", "missing"),
        get(f"{API}/sobjects/Account/@{{missing.Id}}", "dependent"),
        get(f"{API}/query?q=SELECT+COUNT()+FROM+Lead", "other"),
    )
    assert missing["httpStatusCode"] == 404
    assert missing["body"] == [
        {"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}
    ]
    assert dependent["httpStatusCode"] == 400
    assert dependent["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert other["httpStatusCode"] == 200


async def test_all_or_none_halts_every_other_subrequest(client: httpx.AsyncClient) -> None:
    """allOrNone true: the failure keeps its error, every other subrequest is PROCESSING_HALTED."""
    before, failed, after = await composite(
        client,
        get(f"{API}/query?q=SELECT+COUNT()+FROM+Lead", "before"),
        get(f"{API}/query?q=SELECT+Nope+FROM+Lead", "failed"),
        get(f"{API}/query?q=SELECT+COUNT()+FROM+Lead", "after"),
        allOrNone=True,
    )
    assert failed["body"][0]["errorCode"] == "INVALID_FIELD"
    for halted in (before, after):
        assert halted["httpStatusCode"] == 400
        assert halted["body"] == HALTED
    assert [before["referenceId"], after["referenceId"]] == ["before", "after"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"compositeRequest": []}, 400, "INVALID_INPUT"),
        (
            {"compositeRequest": [get(f"{API}/limits", f"r{n}") for n in range(26)]},
            400,
            "INVALID_INPUT",
        ),
        (
            {
                "compositeRequest": [
                    get(f"{API}/query?q=SELECT+Id+FROM+Lead", f"q{n}") for n in range(6)
                ]
            },
            400,
            "INVALID_INPUT",
        ),
        (
            {"compositeRequest": [get(f"{API}/limits", "a"), get(f"{API}/limits", "a")]},
            400,
            "INVALID_INPUT",
        ),
        ({"compositeRequest": [get(f"{API}/limits", "bad-id")]}, 400, "INVALID_INPUT"),
        ({"compositeRequest": [{"method": "GET", "referenceId": "noUrl"}]}, 400, "INVALID_INPUT"),
        (
            {"compositeRequest": [get(f"{API}/limits", "a", Authorization="Bearer x")]},
            400,
            "INVALID_INPUT",
        ),
        (
            {"compositeRequest": [{"method": "get", "url": f"{API}/limits", "referenceId": "a"}]},
            400,
            "INVALID_INPUT",
        ),
        ({"compositeRequest": [get(f"{API}/limits", "a")], "extra": 1}, 400, "JSON_PARSER_ERROR"),
        (
            {"compositeRequest": [get(f"{API}/limits", "a")], "allOrNone": "yes"},
            400,
            "JSON_PARSER_ERROR",
        ),
        (
            {
                "compositeRequest": [
                    {
                        "method": "POST",
                        "url": f"{API}/sobjects/Account",
                        "referenceId": "a",
                        "body": {"Name": "x"},
                    }
                ]
            },
            501,
            "NOT_IMPLEMENTED",
        ),
    ],
)
async def test_malformed_requests_are_refused_whole(
    client: httpx.AsyncClient, org: Org, body: dict[str, Any], status: int, code: str
) -> None:
    """A malformed composite request runs nothing and answers one error array."""
    before = org.store.count("Account")
    response = await client.post(COMPOSITE, json=body)
    assert response.status_code == status, response.text
    [error] = response.json()
    assert error["errorCode"] == code
    assert org.store.count("Account") == before


async def test_only_post_is_allowed(client: httpx.AsyncClient) -> None:
    """GET /composite is 405 with Salesforce's message."""
    response = await client.get(COMPOSITE)
    assert response.status_code == 405
    assert response.json() == [
        {
            "errorCode": "METHOD_NOT_ALLOWED",
            "message": "HTTP Method 'GET' not allowed. Allowed are POST",
        }
    ]


# --- the edge: 16,384 bytes of URI and headers ----------------------------------------------


async def test_a_uri_over_the_limit_is_414(client: httpx.AsyncClient, org: Org) -> None:
    """GET /query with a ~20k URI: the edge's 414 HTML, before authentication or the API count."""
    before = org.api_requests
    response = await client.get(f"{API}/query", params={"q": long_soql(1000)})
    assert response.status_code == 414
    assert response.text == URI_TOO_LONG
    assert response.headers["content-type"] == "text/html;charset=iso-8859-1"
    assert org.api_requests == before
    assert org.request_log[-1].status == 414


async def test_headers_that_pass_the_limit_are_431(client: httpx.AsyncClient) -> None:
    """A short URI with 17k of headers: 431; at the limit exactly, served."""
    response = await client.get(f"{API}/limits", headers={"X-Padding": "x" * 17_000})
    assert response.status_code == 431
    assert response.text == HEADERS_TOO_LARGE
    fine = await client.get(f"{API}/limits", headers={"X-Padding": "x" * 15_000})
    assert fine.status_code == 200


def test_a_uri_too_long_for_the_http_parser_is_still_414() -> None:
    """Over uvicorn's own 64 KiB URL limit, the server answers the edge's 414, not a 400."""
    with (
        BackgroundEmulator() as emulator,
        socket.create_connection(("127.0.0.1", emulator.port)) as sock,
    ):
        target = f"{API}/query?q={'x' * 100_000}"
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 414 ")
    assert b"connection: close" in head.lower()
    assert body.decode() == URI_TOO_LONG
