"""The connect page over HTTP (the app in-process, the emulators' login and consent pages driven
with plain requests): what it lists, its forms and their guards, the callback's outcomes, and what
ends up on disk."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from emulator.server import BackgroundEmulator
from server.settings import Settings
from server.store.interface import Connection
from server.store.sqlite import SQLiteConnectionStore
from tests.helpers.connect_flow import (
    APP_URL,
    build_app,
    connect_through_page,
    csrf_of,
    local_part,
    page_client,
    query_of,
    salesforce_answer,
    start_connect,
)
from tests.helpers.demo_org import DEMO_USER, make_settings, request_log

API_TOKEN = "page-token-0123456789abcdef0123456789"


def _row(name: str, emulator: BackgroundEmulator, **fields: object) -> Connection:
    values: dict[str, object] = {
        "name": name,
        "environment": "production",
        "login_url": emulator.base_url,
        "instance_url": emulator.base_url,
        "auth_kind": "oauth",
        "access_token": SecretStr("00Dfake!access"),
        "refresh_token": SecretStr("fake-refresh"),
        "org_id": "00D5g0000000001AAA",
        "username": DEMO_USER,
    }
    values.update(fields)
    return Connection(**values)  # type: ignore[arg-type]


async def test_empty_page(settings: Settings, store: SQLiteConnectionStore) -> None:
    """The page says nothing is connected and offers the form; safe headers, a session cookie."""
    async with page_client(settings, store) as http:
        page = await http.get("/")
    assert page.status_code == 200
    assert '<html lang="en">' in page.text
    assert "No Salesforce org is connected yet" in page.text
    for label in ('for="env-production"', 'for="env-sandbox"', 'for="env-mydomain"',
                  'for="my_domain"', 'for="name"'):  # fmt: skip
        assert label in page.text
    assert "<script" not in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
    cookie = page.headers["set-cookie"]
    assert cookie.startswith("callforce-session-8000=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie


async def test_lists_connections_with_their_state(
    settings: Settings, store: SQLiteConnectionStore, production: BackgroundEmulator
) -> None:
    """Cards show state, org, user, instance, the default marker; Reconnect only where needed."""
    store.save(_row("prod", production, is_default=True))
    store.save(_row("uat", production, environment="sandbox", state="needs_reconnect",
                    last_error="Salesforce refused the saved sign-in."))  # fmt: skip
    store.save(_row("old", production, state="disconnected"))
    async with page_client(settings, store) as http:
        page = (await http.get("/")).text
    prod = page[page.index('id="conn-prod"') : page.index('id="conn-uat"')]
    uat = page[page.index('id="conn-uat"') :]
    assert "Connected" in prod
    assert "Default" in prod
    assert "Reconnect" not in prod
    assert "00D5g0000000001AAA" in prod
    assert DEMO_USER in prod
    assert production.base_url in prod
    assert "Needs reconnect" in uat
    assert "Salesforce refused the saved sign-in." in uat
    assert 'name="reconnect" value="1"' in uat
    assert "Disconnected" in page[page.index('id="conn-old"') :]
    assert page.count("Disconnect old") == 1
    assert "fake-refresh" not in page
    assert "00Dfake!access" not in page


async def test_a_failing_renewal_shows_on_a_connected_card(
    settings: Settings, store: SQLiteConnectionStore, production: BackgroundEmulator
) -> None:
    """A connection still connected but whose session renewal keeps failing says why, without
    asking anyone to reconnect (issue 11: the reason shows on the connect page)."""
    reason = "Session renewal is failing (invalid_client); callforce tries again in 4 s."
    store.save(_row("prod", production, last_error=reason))
    async with page_client(settings, store) as http:
        page = (await http.get("/")).text
    card = page[page.index('id="conn-prod"') :]
    assert "Connected" in card
    assert reason in card
    assert 'name="reconnect" value="1"' not in card


async def test_values_are_escaped(
    settings: Settings, store: SQLiteConnectionStore, production: BackgroundEmulator
) -> None:
    """Stored values and query parameters are HTML-escaped; unknown notices show nothing."""
    store.save(_row("prod", production, username="<script>alert(1)</script>@example.com"))
    async with page_client(settings, store) as http:
        page = (await http.get("/?notice=<script>&name=<b>x</b>")).text
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;@example.com" in page
    assert 'id="notice"' not in page
    assert "<b>x</b>" not in page


async def test_connect_redirects_to_the_chosen_org(
    settings: Settings, store: SQLiteConnectionStore, sandbox: BackgroundEmulator
) -> None:
    """Connect → 303 to the sandbox's authorize URL with our loopback callback; nothing stored."""
    async with page_client(settings, store) as http:
        page = await http.get("/")
        response = await http.post(
            "/connect",
            data={"csrf": csrf_of(page.text), "environment": "sandbox", "name": "uat"},
        )
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith(f"{sandbox.base_url}/services/oauth2/authorize?")
    assert query_of(location)["redirect_uri"] == f"{APP_URL}/oauth/callback"
    assert response.headers["cache-control"] == "no-store"
    assert store.list() == []


async def test_whole_flow_shows_connected(
    settings: Settings,
    store: SQLiteConnectionStore,
    production: BackgroundEmulator,
    sandbox: BackgroundEmulator,
    logs: None,
) -> None:
    """Sandbox → login → Allow → the page says Connected with org, user and instance."""
    async with page_client(settings, store) as http:
        page = await connect_through_page(http, "sandbox", "uat")
    assert page.status_code == 200
    notice = page.text[page.text.index('id="notice"') : page.text.index("</section>")]
    assert "Connected" in notice
    assert sandbox.org.org_id in notice
    assert DEMO_USER in notice
    assert sandbox.base_url in notice
    [conn] = store.list()
    assert (conn.name, conn.environment, conn.state) == ("uat", "sandbox", "connected")
    assert await request_log(production) == []


async def test_tampered_and_replayed_state(
    settings: Settings, store: SQLiteConnectionStore
) -> None:
    """The callback refuses a changed state and a second use of a good one; nothing stored."""
    async with page_client(settings, store) as http:
        callback = await salesforce_answer(await start_connect(http, "production", "prod"))
        state = query_of(callback)["state"]
        tampered = callback.replace(state, state[::-1])
        landed = await http.get(local_part(tampered))
        assert landed.headers["location"] == "/?notice=state_unknown"
        page = (await http.get(landed.headers["location"])).text
        assert "did not start on this page" in page
        assert store.list() == []
        # The genuine callback (its attempt untouched by the forgery) works once.
        assert (
            (await http.get(local_part(callback)))
            .headers["location"]
            .startswith("/?notice=connected")
        )
        connected = store.list()
        replay = await http.get(local_part(callback))
        assert replay.headers["location"] == "/?notice=state_used"
        assert "already used" in (await http.get(replay.headers["location"])).text
    assert store.list() == connected


async def test_callback_from_another_browser_is_refused(
    settings: Settings, store: SQLiteConnectionStore
) -> None:
    """A callback carrying someone else's state and code, without their cookie, is refused."""
    transport = httpx.ASGITransport(app=build_app(settings, store))
    async with (
        httpx.AsyncClient(transport=transport, base_url=APP_URL) as victim,
        httpx.AsyncClient(transport=transport, base_url=APP_URL) as other,
    ):
        await other.get("/")  # a session of its own
        callback = await salesforce_answer(await start_connect(victim, "production", "prod"))
        landed = await other.get(local_part(callback))
    assert landed.status_code == 403
    assert "browser that started the sign-in" in landed.text
    assert store.list() == []


async def test_denied_consent_is_explained(
    settings: Settings, store: SQLiteConnectionStore
) -> None:
    """Deny → the page says consent was denied and how to try again; nothing stored."""
    async with page_client(settings, store) as http:
        callback = await salesforce_answer(
            await start_connect(http, "production", "prod"), approve=False
        )
        landed = await http.get(local_part(callback))
        page = (await http.get(landed.headers["location"])).text
    assert landed.headers["location"] == "/?notice=denied"
    assert "Deny was chosen" in page
    assert "choose Allow" in page
    assert store.list() == []


async def test_form_errors_keep_the_input(settings: Settings, store: SQLiteConnectionStore) -> None:
    """A bad My Domain URL or name: 400, the page says what to change, keeps what was typed."""
    async with page_client(settings, store) as http:
        page = await http.get("/")
        bad_domain = await http.post(
            "/connect",
            data={
                "csrf": csrf_of(page.text),
                "environment": "mydomain",
                "my_domain": "https://evil.example.com",
                "name": "acme",
            },
        )
        bad_name = await http.post(
            "/connect",
            data={"csrf": csrf_of(page.text), "environment": "production", "name": "a b"},
        )
    assert bad_domain.status_code == 400
    assert "evil.example.com is not a Salesforce domain" in bad_domain.text
    assert 'value="https://evil.example.com"' in bad_domain.text
    assert 'id="env-mydomain" name="environment" value="mydomain" checked' in bad_domain.text
    assert bad_name.status_code == 400
    assert "The name &#39;a b&#39; cannot be used" in bad_name.text
    assert store.list() == []


async def test_forms_need_the_csrf_value(
    settings: Settings, store: SQLiteConnectionStore, production: BackgroundEmulator
) -> None:
    """A POST without the page's CSRF value (or from another session) changes nothing: 403."""
    store.save(_row("prod", production))
    async with page_client(settings, store) as http, page_client(settings, store) as other:
        page = await http.get("/")
        foreign = csrf_of((await other.get("/")).text)
        attempts = [
            await http.post("/disconnect", data={"name": "prod"}),
            await http.post("/disconnect", data={"name": "prod", "csrf": foreign}),
            await http.post("/connect", data={"environment": "sandbox", "name": "uat"}),
            await http.post("/default", data={"name": "prod", "csrf": "0" * 64}),
            await http.post("/disconnect", json={"name": "prod", "csrf": csrf_of(page.text)}),
        ]
    assert [r.status_code for r in attempts] == [403, 403, 403, 403, 400]
    assert "The form expired" in attempts[0].text
    assert [c.name for c in store.list()] == ["prod"]


async def test_disconnect_revokes_and_forgets(
    settings: Settings, store: SQLiteConnectionStore, production: BackgroundEmulator, logs: None
) -> None:
    """Disconnect revokes the refresh token at Salesforce, then forgets the connection."""
    async with page_client(settings, store) as http:
        await connect_through_page(http, "production", "prod")
        [conn] = store.list()
        assert conn.refresh_token is not None
        page = await http.get("/")
        response = await http.post("/disconnect", data={"csrf": csrf_of(page.text), "name": "prod"})
        assert response.status_code == 303
        landed = (await http.get(response.headers["location"])).text
    assert "revoked at Salesforce and forgotten" in landed
    assert store.list() == []
    assert production.org.tokens.grant(conn.refresh_token.get_secret_value()) is None


async def test_disconnect_forgets_even_when_revoke_fails(
    settings: Settings, store: SQLiteConnectionStore, production: BackgroundEmulator, logs: None
) -> None:
    """A failing revoke (Salesforce answers 503) still forgets the connection, and says so."""
    async with page_client(settings, store) as http:
        await connect_through_page(http, "production", "prod")
        async with httpx.AsyncClient() as control:
            await control.post(
                f"{production.base_url}/_emulator/faults",
                json={"path": "/services/oauth2/revoke", "status": 503, "times": 5},
            )
        page = await http.get("/")
        response = await http.post("/disconnect", data={"csrf": csrf_of(page.text), "name": "prod"})
        landed = (await http.get(response.headers["location"])).text
    assert response.headers["location"] == "/?notice=unrevoked&name=prod"
    assert "could not be reached to revoke" in landed
    assert store.list() == []


async def test_make_default(
    settings: Settings, store: SQLiteConnectionStore, production: BackgroundEmulator
) -> None:
    """Make default moves the default marker to the chosen connection."""
    store.save(_row("prod", production, is_default=True))
    store.save(_row("uat", production))
    async with page_client(settings, store) as http:
        page = await http.get("/")
        response = await http.post("/default", data={"csrf": csrf_of(page.text), "name": "uat"})
        landed = (await http.get(response.headers["location"])).text
    assert "Tools now use &#39;uat&#39;" in landed
    default = store.default()
    assert default is not None
    assert default.name == "uat"


async def test_api_token_guards_the_page(
    tmp_path: Path, production: BackgroundEmulator, sandbox: BackgroundEmulator
) -> None:
    """With API tokens: 401 sign-in form; a bearer token or a sign-in with the token opens it."""
    settings = make_settings(tmp_path, production, sandbox, api_tokens=[API_TOKEN])
    store = SQLiteConnectionStore.from_settings(settings)
    async with page_client(settings, store) as http:
        locked = await http.get("/")
        assert locked.status_code == 401
        assert "Sign in to callforce" in locked.text
        assert "Connect Salesforce" not in locked.text
        connect = await http.post("/connect", data={"csrf": csrf_of(locked.text)})
        assert connect.status_code == 401
        wrong = await http.post("/signin", data={"csrf": csrf_of(locked.text), "token": "nope"})
        assert wrong.status_code == 401
        assert "not one of callforce&#39;s API tokens" in wrong.text
        bearer = await http.get("/", headers={"Authorization": f"Bearer {API_TOKEN}"})
        assert bearer.status_code == 200
        signin = await http.post("/signin", data={"csrf": csrf_of(locked.text), "token": API_TOKEN})
        assert signin.status_code == 303
        assert "callforce-signin-8000=" in signin.headers["set-cookie"]
        assert API_TOKEN not in signin.headers["set-cookie"]
        page = await http.get("/")
        assert page.status_code == 200
        assert "Connect Salesforce" in page.text
        # The whole flow works signed in; the callback itself needs only its state.
        landed = await connect_through_page(http, "sandbox", "uat")
        assert "Connected" in landed.text
    async with page_client(settings, store) as stranger:
        assert (await stranger.get("/")).status_code == 401
    store.close()


async def test_no_token_in_plaintext_on_disk(
    settings: Settings, store: SQLiteConnectionStore
) -> None:
    """After connecting, no file under CALLFORCE_HOME holds a token; files 0600, folders 0700."""
    async with page_client(settings, store) as http:
        await connect_through_page(http, "sandbox", "uat")
        await connect_through_page(http, "production", "prod")
    secrets: list[bytes] = []
    for conn in store.list():
        for token in (conn.access_token, conn.refresh_token):
            assert token is not None
            value = token.get_secret_value()
            secrets += [value.encode(), value.split("!")[-1].encode()]
    files = [path for path in settings.home.rglob("*") if path.is_file()]
    names = {path.name for path in files}
    assert {"callforce.db", "secret.key"} <= names
    assert any(name.endswith("-wal") for name in names)
    for path in files:
        content = path.read_bytes()
        for secret in secrets:
            assert secret not in content, f"a token in plaintext in {path.name}"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
    for folder in [settings.home, *(p for p in settings.home.rglob("*") if p.is_dir())]:
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder.name
    assert os.listdir(settings.home)


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("notice=client&sf=invalid_client_id", "consumer key or secret is wrong"),
        ("notice=callback&sf=redirect_uri_mismatch", "Add the callback URL"),
        ("notice=instance", "not a Salesforce host"),
        ("notice=state_expired", "expired"),
        ("notice=exchange&sf=invalid_grant", "Salesforce said: invalid_grant"),
        ("notice=unreachable", "did not answer"),
    ],
)
async def test_failure_notices(
    settings: Settings, store: SQLiteConnectionStore, query: str, text: str
) -> None:
    """Each failure notice explains what happened and what to do."""
    async with page_client(settings, store) as http:
        page = (await http.get(f"/?{query}")).text
    notice = page[page.index('id="notice"') : page.index("</section>")]
    assert 'role="alert"' in notice
    assert "Not connected" in notice
    assert text in notice
