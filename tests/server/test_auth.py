"""Token grants against the emulator's login host, and instance URL validation."""

from __future__ import annotations

import re
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt as pyjwt
import pytest
from pydantic import SecretStr

from emulator.server import BackgroundEmulator
from server.errors import InvalidInstanceUrl, NeedsReconnect, OAuthFailure, TransportError
from server.salesforce import grants as auth
from server.salesforce import instances, web_server_flow
from server.settings import Settings
from server.store.interface import Connection
from tests.helpers.demo_org import CLIENT_ID, CLIENT_SECRET, DEMO_USER

CALLBACK = "http://127.0.0.1:8765/callback"


@pytest.fixture
async def http(tls_context: ssl.SSLContext) -> AsyncIterator[httpx.AsyncClient]:
    """A plain HTTP client, as the shared one is."""
    async with httpx.AsyncClient(verify=tls_context) as client:
        yield client


async def _password(http: httpx.AsyncClient, base_url: str, pw: str = "demo") -> auth.TokenSet:
    return await auth.password(
        http,
        login_url=base_url,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        username=DEMO_USER,
        password=pw,
    )


async def test_password_grant(http: httpx.AsyncClient, emulator: BackgroundEmulator) -> None:
    """The password grant gives an access token, the instance and the org and user ids."""
    tokens = await _password(http, emulator.base_url)
    assert tokens.instance_url == emulator.base_url
    assert tokens.org_id == emulator.org.org_id
    user = emulator.org.user_by_username(DEMO_USER)
    assert user is not None
    assert tokens.user_id == user["Id"]
    assert tokens.refresh_token is None
    assert tokens.issued_at is not None
    assert tokens.access_token not in repr(tokens)
    answer = await http.get(
        f"{tokens.instance_url}/services/data/v62.0/limits",
        headers={"Authorization": f"Bearer {tokens.access_token}"},
    )
    assert answer.status_code == 200


async def test_wrong_password_is_oauth_failure(
    http: httpx.AsyncClient, emulator: BackgroundEmulator
) -> None:
    """A refused grant is OAuthFailure with Salesforce's error and description."""
    with pytest.raises(OAuthFailure) as caught:
        await _password(http, emulator.base_url, pw="wrong")
    assert caught.value.error == "invalid_grant"
    assert caught.value.description == "authentication failure"
    assert "invalid_grant" in caught.value.message


async def test_client_credentials_grant(
    http: httpx.AsyncClient, emulator: BackgroundEmulator
) -> None:
    """The client credentials grant gives a working token without a refresh token."""
    tokens = await auth.client_credentials(
        http, login_url=emulator.base_url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET
    )
    assert tokens.refresh_token is None
    assert tokens.instance_url == emulator.base_url


async def test_wrong_client_secret(http: httpx.AsyncClient, emulator: BackgroundEmulator) -> None:
    """A wrong consumer secret is invalid_client, which no reconnect would fix by itself."""
    with pytest.raises(OAuthFailure) as caught:
        await auth.client_credentials(
            http, login_url=emulator.base_url, client_id=CLIENT_ID, client_secret="nope"
        )
    assert caught.value.error == "invalid_client"
    assert not caught.value.needs_reconnect


def _oauth_connection(emulator: BackgroundEmulator, refresh_token: str) -> Connection:
    return Connection(
        name="demo",
        environment="production",
        login_url=emulator.base_url,
        instance_url=emulator.base_url,
        auth_kind="oauth",
        refresh_token=SecretStr(refresh_token),
    )


async def test_refresh_and_revoke(
    http: httpx.AsyncClient, emulator: BackgroundEmulator, tmp_path: Path
) -> None:
    """A refresh token gives new access tokens until it is revoked; then invalid_grant."""
    user = emulator.org.user_by_username(DEMO_USER)
    assert user is not None
    refresh_token = emulator.org.tokens.issue_refresh_token(
        user["Id"], CLIENT_ID, "api refresh_token"
    )
    conn = _oauth_connection(emulator, refresh_token)
    settings = Settings(home=tmp_path, client_id=CLIENT_ID, client_secret=SecretStr(CLIENT_SECRET))
    tokens = await auth.refresh(http, conn, settings)
    assert tokens.access_token
    assert tokens.refresh_token is None  # this org does not rotate
    await auth.revoke(http, login_url=emulator.base_url, token=refresh_token)
    with pytest.raises(OAuthFailure) as caught:
        await auth.refresh(http, conn, settings)
    assert caught.value.needs_reconnect
    with pytest.raises(OAuthFailure) as revoked_twice:
        await auth.revoke(http, login_url=emulator.base_url, token=refresh_token)
    assert revoked_twice.value.error == "invalid_token"


async def test_refresh_without_refresh_token_needs_reconnect(
    http: httpx.AsyncClient, emulator: BackgroundEmulator, tmp_path: Path
) -> None:
    """A connection with no refresh token cannot refresh: NeedsReconnect, no request sent."""
    conn = Connection(
        name="demo",
        environment="production",
        login_url=emulator.base_url,
        instance_url=emulator.base_url,
        auth_kind="token",
    )
    with pytest.raises(NeedsReconnect, match="callforce connect --name demo"):
        await auth.reacquire(http, conn, Settings(home=tmp_path, client_id=CLIENT_ID))


async def test_jwt_bearer_grant(
    http: httpx.AsyncClient, jwt_emulator: BackgroundEmulator, jwt_key: tuple[Path, str]
) -> None:
    """An RS256 assertion signed with the key file, aud = the login URL, gives a token."""
    tokens = await auth.jwt_bearer(
        http,
        login_url=jwt_emulator.base_url,
        client_id=CLIENT_ID,
        username=DEMO_USER,
        key_path=jwt_key[0],
    )
    assert tokens.refresh_token is None
    assert tokens.instance_url == jwt_emulator.base_url


async def test_jwt_bearer_wrong_audience(
    http: httpx.AsyncClient, jwt_emulator: BackgroundEmulator, jwt_key: tuple[Path, str]
) -> None:
    """An assertion for another audience is refused with Salesforce's reason."""
    with pytest.raises(OAuthFailure) as caught:
        await auth.jwt_bearer(
            http,
            login_url=jwt_emulator.base_url,
            client_id=CLIENT_ID,
            username=DEMO_USER,
            key_path=jwt_key[0],
            audience="https://elsewhere.example",
        )
    assert caught.value.description == "audience is invalid"


@pytest.mark.parametrize(
    ("login_url", "audience"),
    [
        ("https://login.salesforce.com", "https://login.salesforce.com"),
        ("https://test.salesforce.com/", "https://test.salesforce.com"),
        ("https://acme.my.salesforce.com", "https://login.salesforce.com"),
        ("https://acme--uat.sandbox.my.salesforce.com", "https://test.salesforce.com"),
        ("https://acme--uat.my.salesforce.com", "https://test.salesforce.com"),
        ("https://acme.lightning.force.com", "https://login.salesforce.com"),
        ("http://127.0.0.1:8787/", "http://127.0.0.1:8787"),
    ],
)
def test_jwt_audience_is_the_well_known_login_host(login_url: str, audience: str) -> None:
    """Salesforce wants login/test.salesforce.com as aud even on a My Domain."""
    assert auth.jwt_audience(login_url) == audience


async def test_jwt_bearer_on_a_my_domain_signs_for_the_login_host(
    http: httpx.AsyncClient, jwt_emulator: BackgroundEmulator, jwt_key: tuple[Path, str]
) -> None:
    """Posted to a My Domain, the assertion's aud is https://login.salesforce.com, which the
    org (here the emulator playing production) accepts."""
    sent: list[str] = []

    def capture(request: httpx.Request) -> httpx.Response:
        sent.append(parse_qs(request.content.decode())["assertion"][0])
        return httpx.Response(400, json={"error": "invalid_grant", "error_description": "x"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(capture)) as offline:
        with pytest.raises(OAuthFailure):
            await auth.jwt_bearer(
                offline,
                login_url="https://acme.my.salesforce.com",
                client_id=CLIENT_ID,
                username=DEMO_USER,
                key_path=jwt_key[0],
            )
    claims = pyjwt.decode(sent[0], options={"verify_signature": False})
    assert claims["aud"] == "https://login.salesforce.com"
    tokens = await auth.jwt_bearer(
        http,
        login_url=jwt_emulator.base_url,
        client_id=CLIENT_ID,
        username=DEMO_USER,
        key_path=jwt_key[0],
        audience=claims["aud"],
    )
    assert tokens.instance_url == jwt_emulator.base_url


async def test_jwt_bearer_unreadable_key(
    http: httpx.AsyncClient, jwt_emulator: BackgroundEmulator, tmp_path: Path
) -> None:
    """A missing key file is a plain error that does not show the path; nothing is sent."""
    missing = tmp_path / "secret-dir" / "absent.key"
    with pytest.raises(Exception, match="cannot be read") as caught:
        await auth.jwt_bearer(
            http,
            login_url=jwt_emulator.base_url,
            client_id=CLIENT_ID,
            username=DEMO_USER,
            key_path=missing,
        )
    assert "secret-dir" not in str(caught.value)


async def test_web_server_flow_with_pkce(
    http: httpx.AsyncClient, emulator: BackgroundEmulator
) -> None:
    """authorization_url → login → consent → exchange_code with the PKCE verifier."""
    verifier, challenge = web_server_flow.pkce_pair()
    state = "s" * 32
    url = web_server_flow.authorization_url(
        emulator.base_url,
        client_id=CLIENT_ID,
        redirect_uri=CALLBACK,
        state=state,
        code_challenge=challenge,
    )
    login_page = await http.get(url)
    pending = re.search(r'name="pending" value="([^"]+)"', login_page.text)
    assert pending is not None
    consent_page = await http.post(
        f"{emulator.base_url}/services/oauth2/authorize/login",
        data={"pending": pending[1], "username": DEMO_USER, "password": "demo"},
    )
    pending = re.search(r'name="pending" value="([^"]+)"', consent_page.text)
    assert pending is not None
    redirect = await http.post(
        f"{emulator.base_url}/services/oauth2/authorize/consent",
        data={"pending": pending[1], "oaapprove": "Allow"},
    )
    assert redirect.status_code == 302
    query = parse_qs(urlsplit(redirect.headers["location"]).query)
    assert query["state"] == [state]
    tokens = await web_server_flow.exchange_code(
        http,
        login_url=emulator.base_url,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        code=query["code"][0],
        redirect_uri=CALLBACK,
        code_verifier=verifier,
    )
    assert tokens.refresh_token is not None
    assert tokens.instance_url == emulator.base_url


async def test_token_errors_do_not_echo_the_request(
    http: httpx.AsyncClient, emulator: BackgroundEmulator
) -> None:
    """A failed exchange names Salesforce's error, never the code or verifier sent."""
    with pytest.raises(OAuthFailure) as caught:
        await web_server_flow.exchange_code(
            http,
            login_url=emulator.base_url,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            code="made-up-code-123",
            redirect_uri=CALLBACK,
            code_verifier="v" * 50,
        )
    assert caught.value.error == "invalid_grant"
    assert "made-up-code-123" not in caught.value.message


@pytest.mark.parametrize(
    ("instance_url", "login_url", "expected"),
    [
        ("https://acme.my.salesforce.com", "https://login.salesforce.com", "https://acme.my.salesforce.com"),
        ("https://ACME.my.salesforce.com/", "https://login.salesforce.com", "https://acme.my.salesforce.com"),
        ("https://na1.salesforce.com:443", "https://login.salesforce.com", "https://na1.salesforce.com"),
        ("https://acme--dev.sandbox.my.salesforce.com", "https://test.salesforce.com", "https://acme--dev.sandbox.my.salesforce.com"),
        ("https://x.force.com", "https://login.salesforce.com", "https://x.force.com"),
        ("https://x.cloudforce.com", "https://login.salesforce.com", "https://x.cloudforce.com"),
        ("https://x.database.com", "https://login.salesforce.com", "https://x.database.com"),
        ("https://x.my.salesforce.mil", "https://login.salesforce.mil", "https://x.my.salesforce.mil"),
        ("http://127.0.0.1:8787", "http://127.0.0.1:8787", "http://127.0.0.1:8787"),
        ("https://localhost:8443", "https://127.0.0.1:8443", "https://localhost:8443"),
        ("http://[::1]:8787", "http://localhost:8787", "http://[::1]:8787"),
    ],
)  # fmt: skip
def test_instance_url_accepted(instance_url: str, login_url: str, expected: str) -> None:
    """https on a Salesforce domain, or loopback when the login host is loopback, is accepted."""
    assert instances.validate_instance_url(instance_url, login_url) == expected


@pytest.mark.parametrize(
    ("instance_url", "login_url"),
    [
        ("http://127.0.0.1:8787", "https://login.salesforce.com"),
        ("https://localhost", "https://acme.my.salesforce.com"),
        ("http://acme.my.salesforce.com", "https://login.salesforce.com"),
        ("https://salesforce.com.evil.example", "https://login.salesforce.com"),
        ("https://evilsalesforce.com", "https://login.salesforce.com"),
        ("https://acme.my.salesforce.com:8443", "https://login.salesforce.com"),
        ("https://user@acme.my.salesforce.com", "https://login.salesforce.com"),
        ("https://acme.my.salesforce.com/path", "https://login.salesforce.com"),
        ("https://acme.my.salesforce.com?x=1", "https://login.salesforce.com"),
        ("ftp://acme.my.salesforce.com", "https://login.salesforce.com"),
        ("not a url", "https://login.salesforce.com"),
        ("http://127.0.0.1:99999", "http://127.0.0.1:8787"),
    ],
)
def test_instance_url_refused(instance_url: str, login_url: str) -> None:
    """Anything else is refused before a token is ever sent there."""
    with pytest.raises(InvalidInstanceUrl):
        instances.validate_instance_url(instance_url, login_url)


def test_token_response_with_loopback_instance_is_refused() -> None:
    """A token answer from a real login host that names a loopback instance is refused."""
    answer = httpx.Response(
        200,
        json={"access_token": "00D!x", "instance_url": "http://127.0.0.1:8787", "id": "x"},
    )
    with pytest.raises(InvalidInstanceUrl):
        auth.parse_token_response(answer, "https://login.salesforce.com")


async def test_unreachable_login_host(http: httpx.AsyncClient) -> None:
    """A login host that does not answer is a TransportError, not a traceback."""
    with pytest.raises(TransportError, match="did not answer"):
        await _password(http, "http://127.0.0.1:9")
