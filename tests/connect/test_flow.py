"""ConnectFlow on its own: begin → the org's authorize URL, complete → a saved connection, and every
way an attempt fails with nothing stored. The emulators answer over real HTTP; a fake token
endpoint (httpx.MockTransport) plays a login host whose answer names a foreign instance."""

from __future__ import annotations

import base64
import dataclasses
import json
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from emulator.server import BackgroundEmulator
from server.connect.errors import ConnectFailed, failure_text
from server.connect.flow import ATTEMPT_TTL_SECONDS, ConnectFlow
from server.connect.targets import default_name, my_domain_login_url
from server.settings import Settings
from server.store.sqlite import SQLiteConnectionStore
from tests.helpers.connect_flow import APP_URL, query_of, salesforce_answer
from tests.helpers.demo_org import CLIENT_ID, DEMO_USER, make_settings, request_log

CALLBACK = f"{APP_URL}/oauth/callback"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_begin_sends_the_browser_to_the_chosen_login_host(
    settings: Settings, store: SQLiteConnectionStore, sandbox: BackgroundEmulator
) -> None:
    """Sandbox → the sandbox host's authorize URL with code, PKCE S256, our callback and scope."""
    flow = ConnectFlow(settings, store)
    url = flow.begin(choice="sandbox", name="uat", redirect_uri=CALLBACK)
    parts = urlsplit(url)
    query = query_of(url)
    assert f"{parts.scheme}://{parts.netloc}" == sandbox.base_url
    assert parts.path == "/services/oauth2/authorize"
    assert query["response_type"] == "code"
    assert query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == CALLBACK
    assert query["scope"] == "api refresh_token"
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43
    assert len(base64.urlsafe_b64decode(query["state"] + "=")) * 8 >= 128
    again = query_of(flow.begin(choice="sandbox", name="uat2", redirect_uri=CALLBACK))
    assert again["state"] != query["state"]
    assert again["code_challenge"] != query["code_challenge"]
    assert store.list() == []


async def test_complete_saves_the_connection(
    settings: Settings, store: SQLiteConnectionStore, sandbox: BackgroundEmulator, logs: None
) -> None:
    """A granted callback is exchanged and saved: org, user, username, instance; first = default."""
    flow = ConnectFlow(settings, store)
    callback = await salesforce_answer(
        flow.begin(choice="sandbox", name="uat", redirect_uri=CALLBACK)
    )
    answer = query_of(callback)
    conn = await flow.complete(answer["state"], code=answer["code"])
    user = sandbox.org.user_by_username(DEMO_USER)
    assert user is not None
    assert conn.name == "uat"
    assert conn.environment == "sandbox"
    assert conn.login_url == sandbox.base_url
    assert conn.instance_url == sandbox.base_url
    assert conn.auth_kind == "oauth"
    assert conn.org_id == sandbox.org.org_id
    assert conn.user_id == user["Id"]
    assert conn.username == DEMO_USER
    assert conn.client_id == CLIENT_ID
    assert conn.is_default
    assert conn.refresh_token is not None
    assert sandbox.org.tokens.grant(conn.refresh_token.get_secret_value()) is not None
    grants = [e["grant_type"] for e in await request_log(sandbox) if e["grant_type"]]
    assert grants == ["authorization_code"]

    second = await salesforce_answer(
        flow.begin(choice="sandbox", name="uat2", redirect_uri=CALLBACK)
    )
    other = await flow.complete(query_of(second)["state"], code=query_of(second)["code"])
    assert not other.is_default
    assert [c.name for c in store.list()] == ["uat", "uat2"]


@pytest.mark.parametrize("state", [None, "", "not-a-state", "x" * 43])
async def test_unknown_state_is_refused(
    settings: Settings, store: SQLiteConnectionStore, state: str | None
) -> None:
    """A callback whose state was never issued here is refused; nothing is stored."""
    flow = ConnectFlow(settings, store)
    flow.begin(choice="production", name="prod", redirect_uri=CALLBACK)
    with pytest.raises(ConnectFailed) as caught:
        await flow.complete(state, code="any")
    assert caught.value.reason == "state_unknown"
    assert "Start again" in caught.value.hint
    assert store.list() == []


async def test_tampered_state_is_refused_and_real_one_still_works(
    settings: Settings, store: SQLiteConnectionStore
) -> None:
    """A state with one character changed matches no attempt; the untouched one still completes."""
    flow = ConnectFlow(settings, store)
    callback = await salesforce_answer(
        flow.begin(choice="production", name="prod", redirect_uri=CALLBACK)
    )
    answer = query_of(callback)
    tampered = answer["state"][:-1] + ("A" if answer["state"][-1] != "A" else "B")
    with pytest.raises(ConnectFailed) as caught:
        await flow.complete(tampered, code=answer["code"])
    assert caught.value.reason == "state_unknown"
    assert store.list() == []
    assert (await flow.complete(answer["state"], code=answer["code"])).name == "prod"


async def test_replayed_state_is_refused(settings: Settings, store: SQLiteConnectionStore) -> None:
    """A state works once: the replay is refused as used, and the stored row is not touched."""
    flow = ConnectFlow(settings, store)
    callback = await salesforce_answer(
        flow.begin(choice="production", name="prod", redirect_uri=CALLBACK)
    )
    answer = query_of(callback)
    first = await flow.complete(answer["state"], code=answer["code"])
    with pytest.raises(ConnectFailed) as caught:
        await flow.complete(answer["state"], code=answer["code"])
    assert caught.value.reason == "state_used"
    [row] = store.list()
    assert row.updated_at == first.updated_at


async def test_expired_attempt_is_refused(settings: Settings, store: SQLiteConnectionStore) -> None:
    """An attempt older than 10 minutes is refused as expired, even with a valid code."""
    clock = Clock()
    flow = ConnectFlow(settings, store, clock=clock)
    callback = await salesforce_answer(
        flow.begin(choice="production", name="prod", redirect_uri=CALLBACK)
    )
    clock.now += ATTEMPT_TTL_SECONDS + 1
    with pytest.raises(ConnectFailed) as caught:
        await flow.complete(query_of(callback)["state"], code=query_of(callback)["code"])
    assert caught.value.reason == "state_expired"
    assert store.list() == []


async def test_attempt_bound_to_another_browser_is_refused(
    settings: Settings, store: SQLiteConnectionStore
) -> None:
    """An attempt bound to one browser cannot be completed from another (or without the cookie)."""
    flow = ConnectFlow(settings, store)
    url = flow.begin(choice="production", name="prod", redirect_uri=CALLBACK, binding="browser-a")
    answer = query_of(await salesforce_answer(url))
    for binding in ("browser-b", None):
        with pytest.raises(ConnectFailed) as caught:
            await flow.complete(answer["state"], code=answer["code"], binding=binding)
        assert caught.value.reason == "wrong_browser"
    assert store.list() == []


async def test_denied_consent(settings: Settings, store: SQLiteConnectionStore) -> None:
    """Deny on the consent page → access_denied → 'denied', nothing stored."""
    flow = ConnectFlow(settings, store)
    callback = await salesforce_answer(
        flow.begin(choice="production", name="prod", redirect_uri=CALLBACK), approve=False
    )
    answer = query_of(callback)
    assert answer["error"] == "access_denied"
    with pytest.raises(ConnectFailed) as caught:
        await flow.complete(
            answer["state"], error=answer["error"], error_description=answer["error_description"]
        )
    assert caught.value.reason == "denied"
    assert "Deny" in caught.value.message
    assert store.list() == []


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        ("invalid_client_id", "client"),
        ("redirect_uri_mismatch", "callback"),
        ("server_error", "exchange"),
        ("<script>", "exchange"),
    ],
)
async def test_error_on_the_callback(
    settings: Settings, store: SQLiteConnectionStore, error: str, reason: str
) -> None:
    """Salesforce's error on the callback becomes a plain failure; odd codes are not echoed."""
    flow = ConnectFlow(settings, store)
    state = query_of(flow.begin(choice="production", name="prod", redirect_uri=CALLBACK))["state"]
    with pytest.raises(ConnectFailed) as caught:
        await flow.complete(state, error=error, error_description="<b>anything</b>")
    assert caught.value.reason == reason
    assert "<" not in caught.value.message
    assert store.list() == []


async def test_refused_code_exchange(settings: Settings, store: SQLiteConnectionStore) -> None:
    """A code Salesforce refuses (invalid_grant) fails the attempt; nothing stored."""
    flow = ConnectFlow(settings, store)
    state = query_of(flow.begin(choice="production", name="prod", redirect_uri=CALLBACK))["state"]
    with pytest.raises(ConnectFailed) as caught:
        await flow.complete(state, code="aPrxnot-a-code==")
    assert caught.value.reason == "exchange"
    assert caught.value.salesforce_error == "invalid_grant"
    assert "invalid_grant" in caught.value.message
    assert store.list() == []


async def test_wrong_client_secret(
    tmp_path: Path, production: BackgroundEmulator, sandbox: BackgroundEmulator
) -> None:
    """A wrong consumer secret is named as the app's problem, with what to check."""
    settings = make_settings(tmp_path, production, sandbox, client_secret="wrong")
    store = SQLiteConnectionStore.from_settings(settings)
    flow = ConnectFlow(settings, store)
    answer = query_of(
        await salesforce_answer(flow.begin(choice="production", name="p", redirect_uri=CALLBACK))
    )
    with pytest.raises(ConnectFailed) as caught:
        await flow.complete(answer["state"], code=answer["code"])
    assert caught.value.reason == "client"
    assert "CALLFORCE_CLIENT_SECRET" in caught.value.hint
    assert store.list() == []
    store.close()


async def test_unreachable_login_host(
    tmp_path: Path, production: BackgroundEmulator, sandbox: BackgroundEmulator
) -> None:
    """A login host that does not answer fails the attempt plainly."""
    settings = make_settings(
        tmp_path, production, sandbox, production_login_url="http://127.0.0.1:9"
    )
    store = SQLiteConnectionStore.from_settings(settings)
    flow = ConnectFlow(settings, store)
    state = query_of(flow.begin(choice="production", name="p", redirect_uri=CALLBACK))["state"]
    with pytest.raises(ConnectFailed) as caught:
        await flow.complete(state, code="aPrxcode==")
    assert caught.value.reason == "unreachable"
    assert store.list() == []
    store.close()


def _token_endpoint(instance_url: str) -> httpx.MockTransport:
    """A login host whose token answer names ``instance_url``."""

    def handle(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/services/oauth2/token"
        body = {
            "access_token": "00Dxx0000000001!secret-access",
            "refresh_token": "5Aep-secret-refresh",
            "instance_url": instance_url,
            "id": "https://login.salesforce.com/id/00Dxx0000000001EAA/005xx0000000001AAA",
            "token_type": "Bearer",
            "issued_at": "1700000000000",
        }
        return httpx.Response(200, content=json.dumps(body).encode())

    return httpx.MockTransport(handle)


@pytest.mark.parametrize(
    "instance_url",
    [
        "https://evil.example.com",
        "https://acme.my.salesforce.com.evil.example",
        "http://acme.my.salesforce.com",
        "http://127.0.0.1:8787",
    ],
)
async def test_instance_url_not_on_salesforce(
    settings: Settings, store: SQLiteConnectionStore, instance_url: str
) -> None:
    """A token answer naming a non-Salesforce instance is refused; its tokens are not stored."""
    flow = ConnectFlow(settings, store, transport=_token_endpoint(instance_url))
    url = flow.begin(
        choice="mydomain", my_domain="acme.my.salesforce.com", name="acme", redirect_uri=CALLBACK
    )
    assert url.startswith("https://acme.my.salesforce.com/services/oauth2/authorize?")
    with pytest.raises(ConnectFailed) as caught:
        await flow.complete(query_of(url)["state"], code="aPrxcode==")
    assert caught.value.reason == "instance"
    assert store.list() == []


async def test_reconnect_to_another_org_is_refused(
    settings: Settings, store: SQLiteConnectionStore, production: BackgroundEmulator, logs: None
) -> None:
    """Reconnecting signed in to another org changes nothing and revokes the unwanted grant."""
    flow = ConnectFlow(settings, store)
    answer = query_of(
        await salesforce_answer(flow.begin(choice="production", name="prod", redirect_uri=CALLBACK))
    )
    conn = await flow.complete(answer["state"], code=answer["code"])
    # The row belongs to another org than the one the login host signs in to now.
    store.save(dataclasses.replace(conn, org_id="00D000000000001AAA", state="needs_reconnect"))
    url = flow.begin(choice="", name="prod", reconnect=True, redirect_uri=CALLBACK)
    assert url.startswith(production.base_url)
    answer = query_of(await salesforce_answer(url))
    with pytest.raises(ConnectFailed) as caught:
        await flow.complete(answer["state"], code=answer["code"])
    assert caught.value.reason == "other_org"
    after = store.get("prod")
    assert after is not None
    assert (after.org_id, after.state) == ("00D000000000001AAA", "needs_reconnect")
    assert after.refresh_token == conn.refresh_token
    log = await request_log(production)
    assert ("/services/oauth2/revoke", 200) in [(e["path"], e["status"]) for e in log]


async def test_reconnect_replaces_the_tokens(
    settings: Settings, store: SQLiteConnectionStore
) -> None:
    """Reconnect signs in again for the same name and host: connected again, still the default."""
    flow = ConnectFlow(settings, store)
    answer = query_of(
        await salesforce_answer(flow.begin(choice="sandbox", name="uat", redirect_uri=CALLBACK))
    )
    first = await flow.complete(answer["state"], code=answer["code"])
    store.mark("uat", "needs_reconnect", "Salesforce refused the saved sign-in.")
    url = flow.begin(choice="production", name="UAT", reconnect=True, redirect_uri=CALLBACK)
    answer = query_of(await salesforce_answer(url))
    second = await flow.complete(answer["state"], code=answer["code"])
    assert (second.name, second.environment, second.login_url) == (
        "uat",
        "sandbox",
        first.login_url,
    )
    assert second.state == "connected"
    assert second.is_default
    assert second.refresh_token != first.refresh_token


def test_my_domain_urls(settings: Settings) -> None:
    """My Domain input: host only is fine, Lightning becomes My Domain, sandboxes are recognised."""
    assert my_domain_login_url("acme.my.salesforce.com", settings) == (
        "custom",
        "https://acme.my.salesforce.com",
    )
    assert my_domain_login_url(" https://Acme.my.salesforce.com/ ", settings)[1] == (
        "https://acme.my.salesforce.com"
    )
    assert my_domain_login_url("https://acme.lightning.force.com", settings)[1] == (
        "https://acme.my.salesforce.com"
    )
    assert my_domain_login_url("acme--uat.sandbox.lightning.force.com", settings) == (
        "sandbox",
        "https://acme--uat.sandbox.my.salesforce.com",
    )
    # Loopback is the emulator's: allowed because these settings' login hosts are loopback.
    assert my_domain_login_url("http://127.0.0.1:8787", settings)[1] == "http://127.0.0.1:8787"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "http://acme.my.salesforce.com",
        "https://acme.my.salesforce.com:8443",
        "https://evil.example.com",
        "https://my.salesforce.com.evil.example",
        "https://acme.my.salesforce.com/path",
        "https://acme.my.salesforce.com/?q=1",
        "https://user@acme.my.salesforce.com",
        "https://acme.my.salesforce.com:notaport",
    ],
)
def test_my_domain_refused(settings: Settings, text: str) -> None:
    """Anything but https on a Salesforce domain is refused, saying what is expected."""
    with pytest.raises(ConnectFailed) as caught:
        my_domain_login_url(text, settings)
    assert caught.value.reason == "input"
    assert "https://yourcompany.my.salesforce.com" in caught.value.message


def test_loopback_my_domain_needs_a_loopback_login_host() -> None:
    """With real login hosts, a loopback 'My Domain' is refused."""
    settings = Settings(home=Path("/nonexistent"))
    with pytest.raises(ConnectFailed):
        my_domain_login_url("http://127.0.0.1:8787", settings)


def test_names(settings: Settings, store: SQLiteConnectionStore) -> None:
    """Default names come from the environment; bad or taken names are refused before Salesforce."""
    assert default_name("production", "https://login.salesforce.com") == "production"
    assert default_name("mydomain", "https://acme--uat.sandbox.my.salesforce.com") == "acme-uat"
    flow = ConnectFlow(settings, store)
    for name in ("has space", "-dash", "x" * 65, "ünï"):
        with pytest.raises(ConnectFailed, match="cannot be used"):
            flow.begin(choice="production", name=name, redirect_uri=CALLBACK)
    assert query_of(flow.begin(choice="sandbox", redirect_uri=CALLBACK))["client_id"] == CLIENT_ID
    with pytest.raises(ConnectFailed, match="Choose where"):
        flow.begin(choice="elsewhere", name="x", redirect_uri=CALLBACK)


async def test_taken_name_is_refused(settings: Settings, store: SQLiteConnectionStore) -> None:
    """A new connection cannot take an existing name (Reconnect is for that)."""
    flow = ConnectFlow(settings, store)
    answer = query_of(
        await salesforce_answer(flow.begin(choice="production", name="prod", redirect_uri=CALLBACK))
    )
    await flow.complete(answer["state"], code=answer["code"])
    with pytest.raises(ConnectFailed, match="already exists") as caught:
        flow.begin(choice="sandbox", name="PROD", redirect_uri=CALLBACK)
    assert "Reconnect" in caught.value.hint


def test_no_app_configured(
    tmp_path: Path, production: BackgroundEmulator, sandbox: BackgroundEmulator
) -> None:
    """Without CALLFORCE_CLIENT_ID the attempt is refused, saying what to set."""
    settings = make_settings(tmp_path, production, sandbox, client_id=None)
    store = SQLiteConnectionStore.from_settings(settings)
    with pytest.raises(ConnectFailed) as caught:
        ConnectFlow(settings, store).begin(choice="production", redirect_uri=CALLBACK)
    assert "CALLFORCE_CLIENT_ID" in caught.value.hint
    store.close()


def test_failure_texts_say_what_to_do() -> None:
    """Every failure has a plain message and a next step; Salesforce's code is named when known."""
    for reason in ("denied", "state_unknown", "wrong_browser", "state_used", "state_expired",
                   "client", "callback", "exchange", "unreachable", "instance",
                   "other_org"):  # fmt: skip
        message, hint = failure_text(reason)
        assert message.endswith((".", ")"))
        assert hint
    assert "invalid_client_id" in failure_text("client", "invalid_client_id")[0]
