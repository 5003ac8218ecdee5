"""The shared Salesforce client against the emulator: auth renewal, deadline, retries, errors."""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from emulator.config import EmulatorConfig
from emulator.org import RequestLogEntry
from emulator.server import BackgroundEmulator
from emulator.tls import ensure_certificates
from server.errors import (
    ConnectionNotFound,
    Forbidden,
    InvalidRequest,
    NeedsReconnect,
    NotFound,
    OutcomeUnknown,
    RequestLimitExceeded,
    RequestRefused,
    ServerError,
    Timeout,
    TransportError,
)
from server.salesforce.client import SalesforceClient
from server.settings import Settings
from server.store.crypto import TokenCipher
from server.store.interface import Connection
from server.store.sqlite import SQLiteConnectionStore
from tests.helpers.ca_store import shared_transport
from tests.helpers.demo_org import (
    API,
    add_fault,
    make_settings,
    request_log,
    save_demo,
    token_requests,
)

SOQL = "SELECT Id, Name FROM Account LIMIT 2"
QUERY = f"{API}/query"


def _queries(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [entry for entry in log if entry["path"] == QUERY]


async def test_query_with_the_stored_token(
    client: SalesforceClient, store: SQLiteConnectionStore, emulator: BackgroundEmulator,
    control: httpx.AsyncClient,
) -> None:  # fmt: skip
    """A query uses the stored access token and returns Salesforce's page."""
    save_demo(store, emulator)
    page = await client.query(SOQL)
    assert page["totalSize"] == 2
    assert page["done"] is True
    assert len(page["records"]) == 2
    assert token_requests(await request_log(control)) == []


async def test_refresh_on_expired_session(
    client: SalesforceClient, store: SQLiteConnectionStore, emulator: BackgroundEmulator,
    control: httpx.AsyncClient,
) -> None:  # fmt: skip
    """After the org expires sessions, one refresh_token grant renews it and the call succeeds."""
    before = save_demo(store, emulator)
    await control.post("/_emulator/expire-sessions")
    page = await client.query(SOQL)
    assert page["totalSize"] == 2
    log = await request_log(control)
    tokens = token_requests(log)
    assert [entry["grant_type"] for entry in tokens] == ["refresh_token"]
    assert [entry["status"] for entry in _queries(log)] == [401, 200]
    after = store.get("demo")
    assert after is not None
    assert after.access_token is not None
    assert before.access_token is not None
    assert after.access_token.get_secret_value() != before.access_token.get_secret_value()


async def test_concurrent_calls_share_one_refresh(
    tmp_path: Path, emulator: BackgroundEmulator, control: httpx.AsyncClient,
    tls_context: ssl.SSLContext,
) -> None:  # fmt: skip
    """50 concurrent calls after expiry cause exactly one token request, and all succeed."""
    # A generous deadline: 100 requests to one emulator thread on a busy CI machine take a while.
    settings = make_settings(tmp_path, emulator, call_deadline_seconds=60)
    store = SQLiteConnectionStore.from_settings(settings)
    save_demo(store, emulator)
    limits = f"{API}/limits"
    async with SalesforceClient(settings, store, transport=shared_transport(tls_context)) as client:
        await client.request("GET", limits)  # warm the pool
        await control.post("/_emulator/expire-sessions")
        await control.delete("/_emulator/requests")
        answers = await asyncio.gather(*(client.request("GET", limits) for _ in range(50)))
    store.close()
    assert all(answer.status_code == 200 for answer in answers)
    log = await request_log(control)
    assert len(token_requests(log)) == 1
    assert sum(entry["path"] == limits and entry["status"] == 200 for entry in log) == 50


async def test_revoked_refresh_token_needs_reconnect(
    client: SalesforceClient, store: SQLiteConnectionStore, emulator: BackgroundEmulator,
    control: httpx.AsyncClient,
) -> None:  # fmt: skip
    """A revoked refresh token: NeedsReconnect, the row says why, and later calls fail fast."""
    conn = save_demo(store, emulator, name="prod")
    assert conn.refresh_token is not None
    revoked = await control.post(
        "/services/oauth2/revoke", data={"token": conn.refresh_token.get_secret_value()}
    )
    assert revoked.status_code == 200
    with pytest.raises(NeedsReconnect) as caught:
        await client.query(SOQL)
    assert caught.value.message == (
        "The Salesforce connection 'prod' needs to be reconnected: run "
        "`callforce connect --name prod` or use the connect page."
    )
    row = store.get("prod")
    assert row is not None
    assert row.state == "needs_reconnect"
    assert row.last_error is not None
    assert "expired access/refresh token" in row.last_error
    await control.delete("/_emulator/requests")
    with pytest.raises(NeedsReconnect):
        await client.query(SOQL)
    assert await request_log(control) == []


class _WatchedStore(SQLiteConnectionStore):
    """The real store, noting what had reached the org each time tokens were saved."""

    def __init__(self, path: Path, settings: Settings, org_log: list[RequestLogEntry]) -> None:
        super().__init__(path, TokenCipher.from_settings(settings))
        self._org_log = org_log
        self.seen_at_save: list[list[tuple[str, str, int]]] = []

    def update_tokens(self, name: str, access_token: str, refresh_token: str | None, *,
                      instance_url: str | None = None) -> None:  # fmt: skip
        self.seen_at_save.append([(e.method, e.path, e.status) for e in self._org_log])
        super().update_tokens(name, access_token, refresh_token, instance_url=instance_url)


@pytest.fixture
async def rotating_control(
    rotating_emulator: BackgroundEmulator, tls_context: ssl.SSLContext
) -> AsyncIterator[httpx.AsyncClient]:
    """Control endpoints of the rotating org."""
    async with httpx.AsyncClient(base_url=rotating_emulator.base_url, verify=tls_context) as http:
        yield http


async def test_rotated_refresh_token_is_saved_before_use(
    tmp_path: Path,
    rotating_emulator: BackgroundEmulator,
    rotating_control: httpx.AsyncClient,
    tls_context: ssl.SSLContext,
) -> None:
    """With rotation, the new refresh token is stored before the new access token is used."""
    settings = make_settings(tmp_path, rotating_emulator)
    store = _WatchedStore(tmp_path / "callforce.db", settings, rotating_emulator.org.request_log)
    original = save_demo(store, rotating_emulator)
    await rotating_control.post("/_emulator/expire-sessions")
    async with SalesforceClient(settings, store, transport=shared_transport(tls_context)) as client:
        await client.query(SOQL)
    [seen] = store.seen_at_save
    assert seen == [("GET", QUERY, 401), ("POST", "/services/oauth2/token", 200)]
    saved = store.get("demo")
    assert saved is not None
    assert saved.refresh_token is not None
    assert original.refresh_token is not None
    new_refresh = saved.refresh_token.get_secret_value()
    assert new_refresh != original.refresh_token.get_secret_value()
    tokens = rotating_emulator.org.tokens
    assert tokens.grant(new_refresh) is not None
    assert tokens.grant(original.refresh_token.get_secret_value()) is None
    # A restarted process renews again with what was stored.
    await rotating_control.post("/_emulator/expire-sessions")
    async with SalesforceClient(settings, store, transport=shared_transport(tls_context)) as client:
        assert (await client.query(SOQL))["totalSize"] == 2
    store.close()


async def test_token_rotated_by_another_process_is_adopted(
    tmp_path: Path,
    rotating_emulator: BackgroundEmulator,
    rotating_control: httpx.AsyncClient,
    tls_context: ssl.SSLContext,
) -> None:
    """A process whose session died after another process rotated adopts the stored tokens."""
    settings = make_settings(tmp_path, rotating_emulator)
    store_a = SQLiteConnectionStore.from_settings(settings)
    store_b = SQLiteConnectionStore.from_settings(settings)
    save_demo(store_a, rotating_emulator)
    await rotating_control.post("/_emulator/expire-sessions")
    # B's call leaves with the old token and is held 500 ms; meanwhile A renews (rotating).
    await add_fault(rotating_control, method="GET", path=f"{API}/limits", delay_ms=500)
    async with (
        SalesforceClient(settings, store_a, transport=shared_transport(tls_context)) as a,
        SalesforceClient(settings, store_b, transport=shared_transport(tls_context)) as b,
    ):
        slow = asyncio.create_task(b.request("GET", b.api_path("limits")))
        await asyncio.sleep(0.1)
        await a.query(SOQL)
        assert (await slow).status_code == 200
    log = await request_log(rotating_control)
    assert len(token_requests(log)) == 1
    store_a.close()
    store_b.close()


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
    async with SalesforceClient(settings, store, transport=shared_transport(tls_context)) as client:
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
    async with SalesforceClient(settings, store, transport=shared_transport(tls_context)) as client:
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


def _fields(conn: Connection) -> dict[str, Any]:
    return {name: getattr(conn, name) for name in conn.__slots__}


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


async def test_query_more_follows_next_records_url(
    client: SalesforceClient, store: SQLiteConnectionStore, emulator: BackgroundEmulator,
) -> None:  # fmt: skip
    """A query larger than the batch pages through nextRecordsUrl on the same instance."""
    save_demo(store, emulator)
    for batch in range(2):
        records = [
            {"attributes": {"type": "Task"}, "Subject": f"Page test {batch}-{n}"}
            for n in range(150)
        ]
        created = await client.request(
            "POST", client.api_path("composite/sobjects"), json={"records": records}
        )
        assert all(result["success"] for result in created.json())
    soql = "SELECT Id FROM Task WHERE Subject LIKE 'Page test%'"
    first = await client.query(soql, batch_size=10)  # clamped to Salesforce's minimum, 200
    assert (first["totalSize"], first["done"], len(first["records"])) == (300, False, 200)
    second = await client.query_more(first["nextRecordsUrl"])
    assert (second["totalSize"], second["done"], len(second["records"])) == (300, True, 100)
    absolute = await client.query_more(emulator.base_url + first["nextRecordsUrl"])
    assert len(absolute["records"]) == 100


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/services/data/v62.0/query/01gx-200",
        "//evil.example/services/data/v62.0/query/01gx-200",
        "/services/data/v62.0/sobjects/Account",
        "/services/data/v62.0/query/01gx-200?q=x",
        "/services/data/v62.0/query/../../oauth2/token",
        "/services/oauth2/token",
    ],
)
async def test_query_more_refuses_other_urls(
    client: SalesforceClient, store: SQLiteConnectionStore, emulator: BackgroundEmulator,
    control: httpx.AsyncClient, url: str,
) -> None:  # fmt: skip
    """nextRecordsUrl must be a query locator path on the connection's instance."""
    save_demo(store, emulator)
    with pytest.raises(RequestRefused):
        await client.query_more(url)
    assert await request_log(control) == []


@pytest.mark.parametrize(
    "path",
    [
        "/services/oauth2/token",
        "/services/%6fauth2/token",
        "/services/data/v62.0/../../oauth2/revoke",
        "/services/data/v62.0/%2e%2e/x",
        "//evil.example/services/data",
        "/services/data\\..\\x",
        "/services/data/v62.0/query\r\nHost: evil",
        "/id/00D/005",
        "services/data/v62.0/limits",
        "/services/data/v62.0/query?q=x#fragment",
        "/services/data/v62.0/query?q=x\nHost: evil",
    ],
)
async def test_paths_off_the_api_are_refused(
    client: SalesforceClient, store: SQLiteConnectionStore, emulator: BackgroundEmulator,
    control: httpx.AsyncClient, path: str,
) -> None:  # fmt: skip
    """Paths outside /services/, into /services/oauth2/, or with tricks never leave the client."""
    save_demo(store, emulator)
    with pytest.raises(RequestRefused):
        await client.request("GET", path)
    assert await request_log(control) == []


@pytest.mark.parametrize(
    "path",
    ["/services/oauth2/token", "/services//oauth2/token", "/services/%2foauth2/userinfo"],
)
async def test_paths_that_mean_oauth2_never_carry_the_token(
    client: SalesforceClient, store: SQLiteConnectionStore, emulator: BackgroundEmulator,
    control: httpx.AsyncClient, path: str,
) -> None:  # fmt: skip
    """An empty or encoded-slash segment cannot smuggle the bearer token into /oauth2/."""
    save_demo(store, emulator)
    with pytest.raises(RequestRefused, match="OAuth endpoints"):
        await client.request("GET", path)
    assert await request_log(control) == []


async def test_query_string_in_the_path_is_allowed(
    client: SalesforceClient, store: SQLiteConnectionStore, emulator: BackgroundEmulator,
) -> None:  # fmt: skip
    """A path may carry its own query string; httpx encodes it."""
    save_demo(store, emulator)
    soql = "SELECT Id FROM Account LIMIT 1"
    response = await client.request("GET", QUERY + "?q=" + soql)
    assert response.json()["totalSize"] == 1


async def test_client_credentials_connection_reacquires(
    client: SalesforceClient, store: SQLiteConnectionStore, emulator: BackgroundEmulator,
    control: httpx.AsyncClient,
) -> None:  # fmt: skip
    """A client-credentials connection (no refresh token) runs its grant again on expiry."""
    save_demo(store, emulator, auth_kind="client_credentials", refresh=False)
    await control.post("/_emulator/expire-sessions")
    assert (await client.query(SOQL))["totalSize"] == 2
    grants = [entry["grant_type"] for entry in token_requests(await request_log(control))]
    assert grants == ["client_credentials"]


async def test_jwt_connection_reacquires_with_its_key_file(
    tmp_path: Path, jwt_emulator: BackgroundEmulator, jwt_key: tuple[Path, str],
    tls_context: ssl.SSLContext,
) -> None:  # fmt: skip
    """A JWT bearer connection signs a new assertion with the key file at its key_path."""
    settings = make_settings(tmp_path, jwt_emulator)
    store = SQLiteConnectionStore.from_settings(settings)
    conn = save_demo(store, jwt_emulator, auth_kind="jwt", refresh=False)
    store.save(Connection(**{**_fields(conn), "key_path": str(jwt_key[0])}))
    jwt_emulator.org.tokens.expire_all()
    async with SalesforceClient(settings, store, transport=shared_transport(tls_context)) as client:
        assert (await client.query(SOQL))["totalSize"] == 2
    store.close()
    grants = [e.grant_type for e in jwt_emulator.org.request_log if e.grant_type]
    assert grants == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]


async def test_pasted_token_connection_needs_reconnect_on_expiry(
    client: SalesforceClient, store: SQLiteConnectionStore, emulator: BackgroundEmulator,
    control: httpx.AsyncClient,
) -> None:  # fmt: skip
    """A connection holding only an access token cannot renew: NeedsReconnect, no token call."""
    save_demo(store, emulator, auth_kind="token", refresh=False)
    await control.post("/_emulator/expire-sessions")
    with pytest.raises(NeedsReconnect):
        await client.query(SOQL)
    assert token_requests(await request_log(control)) == []
    row = store.get("demo")
    assert row is not None
    assert row.state == "needs_reconnect"


async def test_connection_resolution(
    client: SalesforceClient, store: SQLiteConnectionStore, emulator: BackgroundEmulator,
) -> None:  # fmt: skip
    """None means the default; an unknown name is ConnectionNotFound naming the known ones."""
    with pytest.raises(ConnectionNotFound, match="callforce connect"):
        client.connection_for(None)
    save_demo(store, emulator, name="prod")
    assert client.connection_for(None).name == "prod"
    save_demo(store, emulator, name="sandbox")
    with pytest.raises(ConnectionNotFound, match="prod, sandbox"):
        client.connection_for(None)
    with pytest.raises(ConnectionNotFound) as caught:
        await client.query(SOQL, connection="staging")
    assert caught.value.message == (
        "There is no Salesforce connection named 'staging'; known connections: prod, sandbox."
    )
    assert client.connection_for("SANDBOX").name == "sandbox"


async def test_tokens_never_reach_logs_or_errors(
    client: SalesforceClient, store: SQLiteConnectionStore, emulator: BackgroundEmulator,
    control: httpx.AsyncClient, caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    """Through a refresh, a retry and a failure, no token or query text is logged or raised."""
    conn = save_demo(store, emulator)
    caplog.set_level(logging.DEBUG, logger="callforce")
    await control.post("/_emulator/expire-sessions")
    await add_fault(control, method="GET", path=QUERY, status=503, body=[], times=1)
    await client.query("SELECT Id FROM Contact WHERE Email = 'ana@example.com'")
    with pytest.raises(InvalidRequest) as caught:
        await client.query("SELECT Nope FROM Contact")
    renewed = store.get("demo")
    assert renewed is not None
    secrets = [conn.access_token, conn.refresh_token, renewed.access_token]
    for secret in secrets:
        assert secret is not None
        assert secret.get_secret_value() not in caplog.text
        assert secret.get_secret_value() not in caught.value.message
    assert "ana@example.com" not in caplog.text
    assert "renewed" in caplog.text


async def test_ca_bundle_setting_trusts_a_tls_org(tmp_path: Path) -> None:
    """Over https, the emulator's CA is trusted only through CALLFORCE_CA_BUNDLE."""
    tls = ensure_certificates(tmp_path / "tls")
    assert tls.ca is not None
    with BackgroundEmulator(EmulatorConfig(), tls=tls) as secure:
        assert secure.base_url.startswith("https://")
        trusting = make_settings(tmp_path / "a", secure, ca_bundle=tls.ca)
        store = SQLiteConnectionStore.from_settings(trusting)
        save_demo(store, secure)
        async with SalesforceClient(trusting, store) as client:
            assert (await client.query(SOQL))["totalSize"] == 2
        untrusting = make_settings(tmp_path / "a", secure)
        async with SalesforceClient(untrusting, store) as client:
            with pytest.raises(TransportError):
                await client.query(SOQL)
        store.close()
