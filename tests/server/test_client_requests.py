"""The Salesforce client's requests against the emulator: queries and their pages, the paths
it refuses to send, which connection a call uses, and trusting a TLS org."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from emulator.config import EmulatorConfig
from emulator.server import BackgroundEmulator
from emulator.tls import ensure_certificates
from server.errors import ConnectionNotFound, RequestRefused, TransportError
from server.salesforce.client import SalesforceClient
from server.store.sqlite import SQLiteConnectionStore
from tests.helpers.client_calls import QUERY, SOQL
from tests.helpers.demo_org import make_settings, request_log, save_demo, token_requests


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
