"""The web-server flow end to end: authorize page → login → consent → code → tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac

import httpx
import pytest

from emulator.config import EmulatorConfig
from emulator.org import Org
from tests.helpers.emulator import API, BASE_URL, client_for
from tests.helpers.emulator.web_flow import (
    AUTHORIZE,
    CALLBACK,
    CLIENT_ID,
    CLIENT_SECRET,
    TOKEN,
    Flow,
    form_of,
    page_facts,
    pkce_pair,
    query_of,
)


@pytest.fixture
def flow(anon_client: httpx.AsyncClient) -> Flow:
    """A flow driver over an anonymous client."""
    return Flow(anon_client)


async def test_full_code_flow_with_pkce(flow: Flow, org: Org) -> None:
    """Login, Allow, exchange with PKCE: the tokens work on the data API and refresh."""
    verifier, challenge = pkce_pair()
    page = await flow.authorize(
        state="st-123",
        scope="api refresh_token",
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    consent = await flow.login(page)
    assert consent.status_code == 200
    assert "Allow Access?" in consent.text
    redirect = await flow.answer(consent, "oaapprove")
    assert redirect.status_code == 302
    location = redirect.headers["location"]
    assert location.startswith(CALLBACK + "?code=")
    assert "%3D%3D&state=st-123" in location
    params = query_of(location)
    assert params["state"] == "st-123"

    tokens = await flow.exchange(params["code"], code_verifier=verifier)
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    assert list(body) == [
        "access_token",
        "refresh_token",
        "signature",
        "scope",
        "instance_url",
        "id",
        "token_type",
        "issued_at",
    ]
    assert body["scope"] == "api refresh_token"
    assert body["instance_url"] == BASE_URL
    assert body["token_type"] == "Bearer"
    assert body["access_token"].startswith(org.org_id[:15] + "!")
    user = org.user_by_username("demo@callforce.dev")
    assert user is not None
    assert body["id"] == f"{BASE_URL}/id/{org.org_id}/{user['Id']}"

    data = await flow.http.get(
        f"{API}/limits", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert data.status_code == 200
    refreshed = await flow.http.post(
        TOKEN,
        data={
            "grant_type": "refresh_token",
            "refresh_token": body["refresh_token"],
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
    )
    assert refreshed.status_code == 200, refreshed.text
    assert "refresh_token" not in refreshed.json()
    again = await flow.http.get(
        f"{API}/limits", headers={"Authorization": f"Bearer {refreshed.json()['access_token']}"}
    )
    assert again.status_code == 200


async def test_token_signature_is_hmac_of_id_and_issued_at(flow: Flow) -> None:
    """``signature`` is base64 HMAC-SHA256(id + issued_at) keyed with the client secret."""
    body = (await flow.exchange(await flow.code())).json()
    message = (body["id"] + body["issued_at"]).encode()
    expected = hmac.new(CLIENT_SECRET.encode(), message, hashlib.sha256)
    assert body["signature"] == base64.b64encode(expected.digest()).decode()
    assert body["issued_at"].isdigit()
    assert len(body["issued_at"]) == 13


async def test_deny_redirects_with_access_denied(flow: Flow) -> None:
    """Deny sends the browser back with Salesforce's access_denied parameters and the state."""
    consent = await flow.login(await flow.authorize(state="xyz"))
    redirect = await flow.answer(consent, "oadeny")
    assert redirect.status_code == 302
    assert redirect.headers["location"] == (
        f"{CALLBACK}?error=access_denied&error_description=end-user+denied+authorization&state=xyz"
    )


async def test_wrong_password_shows_login_again(flow: Flow) -> None:
    """A wrong password answers the login page with Salesforce's message, and can be retried."""
    page = await flow.authorize()
    retry = await flow.login(page, password="nope")
    assert retry.status_code == 200
    assert (
        "Please check your username and password. If you still can&#39;t log in, contact your "
        "Salesforce administrator." in retry.text
    )
    assert form_of(retry.text).inputs["username"] == "demo@callforce.dev"
    consent = await flow.login(retry)
    assert "Allow Access?" in consent.text


async def test_too_many_wrong_passwords_drop_the_authorization(flow: Flow) -> None:
    """After five wrong passwords the pending authorization is gone."""
    page = await flow.authorize()
    for _ in range(4):
        page = await flow.login(page, password="nope")
        assert page.status_code == 200
    final = await flow.login(page, password="nope")
    assert final.status_code == 400
    assert "too many failed login attempts" in final.text
    assert (await flow.login(page)).status_code == 400


async def test_login_page_is_accessible_and_has_salesforce_ids(flow: Flow) -> None:
    """The login page has lang, a heading, labelled fields, Salesforce's ids and no parameters."""
    page = await flow.authorize(state="s", login_hint="demo@callforce.dev")
    lang, headings = page_facts(page.text)
    assert lang == "en"
    assert headings >= 1
    form = form_of(page.text)
    assert {"username", "password", "Login"} <= form.ids
    assert {"username", "password"} <= form.labels_for
    assert form.method == "post"
    # Only an opaque id travels through the browser, never the authorize parameters.
    assert set(form.inputs) == {"pending", "username", "password"}
    assert len(form.inputs["pending"]) >= 43
    assert form.inputs["username"] == "demo@callforce.dev"
    assert "callforce demo org" in page.text
    assert "<script" not in page.text
    assert page.headers["cache-control"].endswith("no-store,private")
    assert page.headers["x-frame-options"] == "DENY"


async def test_consent_page_lists_scopes_and_buttons(flow: Flow) -> None:
    """The consent page names the app and scopes and has #oaapprove and #oadeny."""
    consent = await flow.login(await flow.authorize(scope="api id refresh_token"))
    form = form_of(consent.text)
    assert {"oaapprove", "oadeny"} <= form.ids
    assert set(form.buttons) == {"oaapprove", "oadeny"}
    assert form.method == "post"
    assert "Manage user data via APIs" in consent.text
    assert "Perform requests at any time" in consent.text
    assert CLIENT_ID in consent.text


async def test_login_form_id_cannot_skip_the_password(flow: Flow) -> None:
    """The consent step needs the id issued after login, not the login page's id."""
    page = await flow.authorize()
    pending = form_of(page.text).inputs["pending"]
    skipped = await flow.http.post(
        "/services/oauth2/authorize/consent", data={"pending": pending, "oaapprove": "Allow"}
    )
    assert skipped.status_code == 400


async def test_consent_is_answered_once(flow: Flow) -> None:
    """A second Allow on the same consent page is refused."""
    consent = await flow.login(await flow.authorize())
    assert (await flow.answer(consent, "oaapprove")).status_code == 302
    assert (await flow.answer(consent, "oaapprove")).status_code == 400


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example/callback",
        "http://127.0.0.1.evil.example/cb",
        "http://user@127.0.0.1:8080/cb",
        "http://127.0.0.1:99999/cb",
        "http://127.0.0.1:8080/cb#frag",
        "javascript:alert(1)",
        "",
    ],
)
async def test_bad_redirect_uri_shows_error_page(flow: Flow, redirect_uri: str) -> None:
    """A callback that is neither loopback nor registered gets an error page, no redirect."""
    flow.redirect_uri = redirect_uri
    page = await flow.authorize(state="s")
    assert page.status_code == 400
    assert "location" not in page.headers
    assert "redirect_uri_mismatch" in page.text


@pytest.mark.parametrize(
    "redirect_uri",
    ["http://localhost:8080/cb", "http://[::1]:9/x?y=1", "http://127.0.0.1/"],
)
async def test_loopback_redirect_uris_are_accepted(flow: Flow, redirect_uri: str) -> None:
    """Any loopback host, port and path is an accepted callback."""
    flow.redirect_uri = redirect_uri
    code = await flow.code()
    assert (await flow.exchange(code)).status_code == 200


async def test_registered_redirect_uri_is_accepted() -> None:
    """An exact configured redirect URI is accepted; a prefix of it is not."""
    config = EmulatorConfig(redirect_uris=("https://app.example/oauth/callback",))
    async with client_for(config) as (_, http):
        flow = Flow(http, redirect_uri="https://app.example/oauth/callback")
        redirect = await flow.answer(await flow.login(await flow.authorize()), "oaapprove")
        assert redirect.headers["location"].startswith("https://app.example/oauth/callback?code=")
        flow.redirect_uri = "https://app.example/oauth"
        assert (await flow.authorize()).status_code == 400


async def test_unknown_client_id_shows_error_page(flow: Flow) -> None:
    """An unknown client_id gets Salesforce's invalid_client_id page, never a redirect."""
    page = await flow.http.get(
        AUTHORIZE,
        params={"response_type": "code", "client_id": "nope", "redirect_uri": CALLBACK},
    )
    assert page.status_code == 400
    assert "location" not in page.headers
    assert "invalid_client_id" in page.text
    assert "client identifier invalid" in page.text


async def test_authorize_errors_after_a_verified_callback_redirect(flow: Flow) -> None:
    """Bad response_type, scope or PKCE method go back to the verified callback."""
    cases = [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": "api nonsense"}, "invalid_scope"),
        ({"code_challenge": "x" * 43, "code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge": "short"}, "invalid_request"),
        ({"immediate": "true"}, "immediate_unsuccessful"),
    ]
    for params, error in cases:
        response = await flow.authorize(state="s1", **params)
        assert response.status_code == 302, params
        answer = query_of(response.headers["location"])
        assert answer["error"] == error
        assert answer["state"] == "s1"


async def test_code_reuse_is_refused_and_revokes_tokens(flow: Flow) -> None:
    """A code works once; replaying it fails and revokes what the first exchange issued."""
    code = await flow.code()
    first = await flow.exchange(code)
    assert first.status_code == 200
    second = await flow.exchange(code)
    assert second.status_code == 400
    assert second.json() == {
        "error": "invalid_grant",
        "error_description": "invalid authorization code",
    }
    access = first.json()["access_token"]
    data = await flow.http.get(f"{API}/limits", headers={"Authorization": f"Bearer {access}"})
    assert data.status_code == 401


async def test_unknown_code_is_invalid_grant(flow: Flow) -> None:
    """A code the org never issued is invalid_grant."""
    response = await flow.exchange("aPrxnot-a-real-code==")
    assert response.json()["error_description"] == "invalid authorization code"


async def test_pkce_mismatch_is_invalid_grant(flow: Flow) -> None:
    """A verifier that does not hash to the challenge is refused and burns the code."""
    verifier, challenge = pkce_pair()
    code = await flow.code(code_challenge=challenge)
    other, _ = pkce_pair()
    response = await flow.exchange(code, code_verifier=other)
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "invalid code verifier",
    }
    assert (await flow.exchange(code, code_verifier=verifier)).status_code == 400


async def test_missing_verifier_is_invalid_grant(flow: Flow) -> None:
    """A challenge at authorize without a verifier at the token endpoint is invalid_grant."""
    _, challenge = pkce_pair()
    response = await flow.exchange(await flow.code(code_challenge=challenge))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


async def test_redirect_uri_must_match_the_authorize_one(flow: Flow) -> None:
    """The token request's redirect_uri must equal the authorize request's."""
    code = await flow.code()
    response = await flow.exchange(code, redirect_uri="http://127.0.0.1:1/other")
    assert response.status_code == 400
    assert response.json()["error"] == "redirect_uri_mismatch"


async def test_code_exchange_needs_the_client_secret(flow: Flow) -> None:
    """Without the secret, or with a wrong one, the code is not exchanged (and stays usable)."""
    code = await flow.code()
    wrong = await flow.exchange(code, client_secret="wrong")
    assert wrong.json() == {
        "error": "invalid_client",
        "error_description": "invalid client credentials",
    }
    assert (await flow.exchange(code)).status_code == 200


async def test_scope_without_refresh_token_gets_none(flow: Flow) -> None:
    """A grant of ``api`` alone has no refresh token; ``offline_access`` gets one."""
    plain = (await flow.exchange(await flow.code(scope="api"))).json()
    assert "refresh_token" not in plain
    assert plain["scope"] == "api"
    offline = (await flow.exchange(await flow.code(scope="api offline_access"))).json()
    assert "refresh_token" in offline


async def test_expired_login_session_is_an_error_page(flow: Flow) -> None:
    """A login post with an unknown pending id gets an error page, not a 500."""
    response = await flow.http.post(
        "/services/oauth2/authorize/login",
        data={"pending": "forged", "username": "demo@callforce.dev", "password": "demo"},
    )
    assert response.status_code == 400
    assert "invalid or has expired" in response.text


async def test_page_values_are_escaped(flow: Flow) -> None:
    """A login_hint with markup is shown as text."""
    page = await flow.authorize(login_hint='"><script>alert(1)</script>')
    assert "<script>" not in page.text
    assert "&lt;script&gt;" in page.text
