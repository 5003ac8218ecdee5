"""The Salesforce client renews an expired session: one grant for many calls, rotated tokens
stored before use, each kind of connection its own way, NeedsReconnect when it cannot."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from emulator.org import RequestLogEntry
from emulator.server import BackgroundEmulator
from server.errors import InvalidRequest, NeedsReconnect
from server.salesforce.client import SalesforceClient
from server.settings import Settings
from server.store.crypto import TokenCipher
from server.store.interface import Connection
from server.store.sqlite import SQLiteConnectionStore
from tests.helpers.client_calls import QUERY, SOQL
from tests.helpers.client_calls import connection_fields as _fields
from tests.helpers.client_calls import queries as _queries
from tests.helpers.demo_org import (
    API,
    add_fault,
    make_settings,
    request_log,
    save_demo,
    token_requests,
)


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
    async with SalesforceClient(settings, store) as client:
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
    async with SalesforceClient(settings, store) as client:
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
    async with SalesforceClient(settings, store) as client:
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
        SalesforceClient(settings, store_a) as a,
        SalesforceClient(settings, store_b) as b,
    ):
        slow = asyncio.create_task(b.request("GET", b.api_path("limits")))
        await asyncio.sleep(0.1)
        await a.query(SOQL)
        assert (await slow).status_code == 200
    log = await request_log(rotating_control)
    assert len(token_requests(log)) == 1
    store_a.close()
    store_b.close()


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
    async with SalesforceClient(settings, store) as client:
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
