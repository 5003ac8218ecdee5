"""The Salesforce client when the org is slow or fails: the deadline, retries of idempotent
calls only, and Salesforce's answers mapped to the documented error classes."""

from __future__ import annotations

import ssl
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from emulator.server import BackgroundEmulator
from server.errors import (
    Forbidden,
    InvalidRequest,
    NotFound,
    OutcomeUnknown,
    RequestLimitExceeded,
    ServerError,
    Timeout,
    TransportError,
)
from server.salesforce.client import SalesforceClient
from server.store.interface import Connection
from server.store.sqlite import SQLiteConnectionStore
from tests.helpers.client_calls import QUERY, SOQL
from tests.helpers.client_calls import connection_fields as _fields
from tests.helpers.client_calls import queries as _queries
from tests.helpers.demo_org import API, add_fault, make_settings, request_log, save_demo


async def test_slow_salesforce_times_out_within_the_deadline(
    tmp_path: Path,
    emulator: BackgroundEmulator,
    control: httpx.AsyncClient,
    tls_context: ssl.SSLContext,
) -> None:
    """A call slower than the deadline raises Timeout on time, and the next call works."""
    settings = make_settings(tmp_path, emulator, call_deadline_seconds=1.0)
    store = SQLiteConnectionStore.from_settings(settings)
    save_demo(store, emulator)
    await add_fault(control, method="GET", path=QUERY, delay_ms=3000)
    async with SalesforceClient(settings, store) as client:
        started = time.monotonic()
        with pytest.raises(Timeout) as caught:
            await client.query(SOQL)
        assert 0.9 < time.monotonic() - started < 1.5
        assert caught.value.message == "Salesforce did not answer within 1 s."
        assert (await client.query(SOQL))["totalSize"] == 2
    store.close()


async def test_slow_write_says_its_outcome_is_unknown(
    tmp_path: Path,
    emulator: BackgroundEmulator,
    control: httpx.AsyncClient,
    tls_context: ssl.SSLContext,
) -> None:
    """A create that outlives the deadline says it may or may not have happened."""
    settings = make_settings(tmp_path, emulator, call_deadline_seconds=0.5)
    store = SQLiteConnectionStore.from_settings(settings)
    save_demo(store, emulator)
    path = f"{API}/sobjects/Contact"
    await add_fault(control, method="POST", path=path, delay_ms=2000)
    async with SalesforceClient(settings, store) as client:
        with pytest.raises(Timeout, match="create may or may not have happened"):
            await client.request("POST", path, json={"LastName": "Slow"})
    store.close()


async def test_503_on_a_get_is_retried_once(
    client: SalesforceClient, store: SQLiteConnectionStore, emulator: BackgroundEmulator,
    control: httpx.AsyncClient,
) -> None:  # fmt: skip
    """A GET answered 503 SERVER_UNAVAILABLE is sent again once, and succeeds."""
    save_demo(store, emulator)
    body = [{"errorCode": "SERVER_UNAVAILABLE", "message": "Server unavailable"}]
    await add_fault(control, method="GET", path=QUERY, status=503, body=body)
    page = await client.query(SOQL)
    assert page["totalSize"] == 2
    assert [entry["status"] for entry in _queries(await request_log(control))] == [503, 200]


async def test_persistent_503_gives_server_error_after_two_attempts(
    client: SalesforceClient, store: SQLiteConnectionStore, emulator: BackgroundEmulator,
    control: httpx.AsyncClient,
) -> None:  # fmt: skip
    """A GET that keeps failing with 503 is tried twice, then ServerError."""
    save_demo(store, emulator)
    body = [{"errorCode": "SERVER_UNAVAILABLE", "message": "Server unavailable"}]
    await add_fault(control, method="GET", path=QUERY, status=503, body=body, times=5)
    with pytest.raises(ServerError) as caught:
        await client.query(SOQL)
    assert caught.value.error_code == "SERVER_UNAVAILABLE"
    assert len(_queries(await request_log(control))) == 2


async def test_unable_to_lock_row_on_a_get_is_retried(
    client: SalesforceClient, store: SQLiteConnectionStore, emulator: BackgroundEmulator,
    control: httpx.AsyncClient,
) -> None:  # fmt: skip
    """UNABLE_TO_LOCK_ROW (a 400) on an idempotent call is retried once."""
    save_demo(store, emulator)
    body = [{"errorCode": "UNABLE_TO_LOCK_ROW", "message": "unable to obtain exclusive access"}]
    await add_fault(control, method="GET", path=QUERY, status=400, body=body)
    assert (await client.query(SOQL))["totalSize"] == 2
    assert len(_queries(await request_log(control))) == 2


async def test_dropped_create_is_outcome_unknown_and_not_retried(
    client: SalesforceClient, store: SQLiteConnectionStore, emulator: BackgroundEmulator,
    control: httpx.AsyncClient,
) -> None:  # fmt: skip
    """A POST create whose connection drops is OutcomeUnknown, sent exactly once."""
    save_demo(store, emulator)
    path = f"{API}/sobjects/Contact"
    await add_fault(control, method="POST", path=path, drop=True)
    with pytest.raises(OutcomeUnknown) as caught:
        await client.request("POST", path, json={"LastName": "Dropped"})
    assert "may or may not have happened" in caught.value.message
    assert "upsert with an external id" in caught.value.message
    posts = [entry for entry in await request_log(control) if entry["method"] == "POST"]
    assert len(posts) == 1


async def test_dropped_get_is_retried(
    client: SalesforceClient, store: SQLiteConnectionStore, emulator: BackgroundEmulator,
    control: httpx.AsyncClient,
) -> None:  # fmt: skip
    """A GET whose connection drops is sent again and succeeds."""
    save_demo(store, emulator)
    await add_fault(control, method="GET", path=QUERY, drop=True)
    assert (await client.query(SOQL))["totalSize"] == 2
    assert len(_queries(await request_log(control))) == 2


async def test_unreachable_instance_is_transport_error(
    client: SalesforceClient, store: SQLiteConnectionStore, emulator: BackgroundEmulator,
) -> None:  # fmt: skip
    """A create that cannot even connect is TransportError (nothing was sent), not unknown."""
    conn = save_demo(store, emulator)
    store.save(Connection(**{**_fields(conn), "instance_url": "http://127.0.0.1:9"}))
    with pytest.raises(TransportError, match="Could not reach Salesforce"):
        await client.request("POST", client.api_path("sobjects/Contact"), json={"LastName": "X"})


@pytest.mark.parametrize(
    ("status", "body", "expected", "code"),
    [
        (400, [{"errorCode": "MALFORMED_QUERY", "message": "unexpected token: q"}],
         InvalidRequest, "MALFORMED_QUERY"),
        (404, [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}],
         NotFound, "NOT_FOUND"),
        (403, [{"errorCode": "REQUEST_LIMIT_EXCEEDED", "message": "TotalRequests Limit exceeded."}],
         RequestLimitExceeded, "REQUEST_LIMIT_EXCEEDED"),
        (403, [{"errorCode": "INSUFFICIENT_ACCESS", "message": "insufficient access rights"}],
         Forbidden, "INSUFFICIENT_ACCESS"),
        (405, [{"errorCode": "METHOD_NOT_ALLOWED", "message": "HTTP Method 'PUT' not allowed."}],
         InvalidRequest, "METHOD_NOT_ALLOWED"),
        (500, [{"errorCode": "UNKNOWN_EXCEPTION", "message": "An unexpected error occurred."}],
         ServerError, "UNKNOWN_EXCEPTION"),
        (502, "<html>Bad gateway</html>", ServerError, "HTTP_502"),
    ],
)  # fmt: skip
async def test_error_mapping(
    client: SalesforceClient, store: SQLiteConnectionStore, emulator: BackgroundEmulator,
    control: httpx.AsyncClient, status: int, body: Any, expected: type[Exception], code: str,
) -> None:  # fmt: skip
    """Salesforce's status and errorCode become the documented class; writes are not retried."""
    save_demo(store, emulator)
    path = f"{API}/sobjects/Account"
    await add_fault(control, method="POST", path=path, status=status, body=body, times=2)
    with pytest.raises(expected) as caught:
        await client.request("POST", path, json={"Name": "Acme"})
    error = caught.value
    assert type(error) is expected
    assert getattr(error, "error_code", None) == code
    assert getattr(error, "status", None) == status
    assert code in str(error)
    assert len([e for e in await request_log(control) if e["method"] == "POST"]) == 1


async def test_request_limit_is_not_retried_on_a_get(
    client: SalesforceClient, store: SQLiteConnectionStore, emulator: BackgroundEmulator,
    control: httpx.AsyncClient,
) -> None:  # fmt: skip
    """403 REQUEST_LIMIT_EXCEEDED (the daily total) is not retried, even for a query."""
    save_demo(store, emulator)
    body = [{"errorCode": "REQUEST_LIMIT_EXCEEDED", "message": "TotalRequests Limit exceeded."}]
    await add_fault(control, method="GET", path=QUERY, status=403, body=body, times=2)
    with pytest.raises(RequestLimitExceeded):
        await client.query(SOQL)
    assert len(_queries(await request_log(control))) == 1


async def test_real_invalid_field_keeps_salesforce_details(
    client: SalesforceClient, store: SQLiteConnectionStore, emulator: BackgroundEmulator,
) -> None:  # fmt: skip
    """An emulator INVALID_FIELD answer surfaces as InvalidRequest with its code and message."""
    save_demo(store, emulator)
    with pytest.raises(InvalidRequest) as caught:
        await client.query("SELECT Foo FROM Account")
    assert caught.value.error_code == "INVALID_FIELD"
    assert "No such column 'Foo'" in caught.value.message


async def test_300_is_returned_not_raised(
    client: SalesforceClient, store: SQLiteConnectionStore, emulator: BackgroundEmulator,
    control: httpx.AsyncClient,
) -> None:  # fmt: skip
    """An upsert matching several records (300) is returned to the caller to explain."""
    save_demo(store, emulator)
    path = f"{API}/sobjects/Lead/External_Id__c/X-1"
    matches = [f"/services/data/v62.0/sobjects/Lead/00Q5g00000000{n}AAA" for n in (1, 2)]
    await add_fault(control, method="PATCH", path=path, status=300, body=matches)
    response = await client.request("PATCH", path, json={"LastName": "Twin"})
    assert response.status_code == 300
    assert response.json() == matches
