"""The token endpoint's non-browser grants, its errors and how its calls are logged."""

from __future__ import annotations

import httpx
import pytest

from emulator.config import EmulatorConfig
from emulator.org import Org
from tests.helpers.emulator import API, BASE_URL, client_for
from tests.helpers.emulator.web_flow import (
    CLIENT_ID,
    CLIENT_SECRET,
    PASSWORD,
    TOKEN,
    USERNAME,
    Flow,
)
from tests.helpers.oracles import load


def _password_grant(**extra: str) -> dict[str, str]:
    return {
        "grant_type": "password",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "username": USERNAME,
        "password": PASSWORD,
        **extra,
    }


def _refresh_grant(refresh_token: str) -> dict[str, str]:
    return {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }


async def _works(http: httpx.AsyncClient, access_token: str) -> bool:
    response = await http.get(f"{API}/limits", headers={"Authorization": f"Bearer {access_token}"})
    return response.status_code == 200


async def _refresh_token(http: httpx.AsyncClient) -> str:
    flow = Flow(http)
    body = (await flow.exchange(await flow.code())).json()
    refresh: str = body["refresh_token"]
    return refresh


async def test_password_grant(anon_client: httpx.AsyncClient) -> None:
    """The password grant answers Salesforce's keys, no refresh token, JSON and no-store."""
    response = await anon_client.post(TOKEN, data=_password_grant())
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json;charset=UTF-8"
    assert response.headers["cache-control"] == "no-store"
    assert "sforce-limit-info" not in response.headers
    body = response.json()
    assert list(body) == [
        "access_token", "instance_url", "id", "token_type", "issued_at", "signature",
    ]  # fmt: skip
    assert await _works(anon_client, body["access_token"])


async def test_password_grant_bad_credentials(anon_client: httpx.AsyncClient) -> None:
    """A wrong password or an unknown user is invalid_grant authentication failure."""
    for extra in ({"password": "wrong"}, {"username": "someone@else.dev"}):
        response = await anon_client.post(TOKEN, data=_password_grant(**extra))
        assert response.status_code == 400
        assert response.json() == {
            "error": "invalid_grant",
            "error_description": "authentication failure",
        }


async def test_token_params_in_query_string(anon_client: httpx.AsyncClient) -> None:
    """Parameters in the query string work as Salesforce accepts them."""
    response = await anon_client.post(TOKEN, params=_password_grant())
    assert response.status_code == 200


async def test_client_credentials_grant(anon_client: httpx.AsyncClient, org: Org) -> None:
    """client_credentials runs as the demo user and has no refresh token."""
    data = {
        "grant_type": "client_credentials",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    response = await anon_client.post(TOKEN, data=data)
    assert response.status_code == 200
    body = response.json()
    assert list(body) == [
        "access_token", "signature", "scope", "instance_url", "id", "token_type", "issued_at",
    ]  # fmt: skip
    user = org.user_by_username(USERNAME)
    assert user is not None
    assert body["id"].endswith(f"/{user['Id']}")
    assert await _works(anon_client, body["access_token"])


async def test_client_credentials_bad_secret(anon_client: httpx.AsyncClient) -> None:
    """client_credentials with a wrong or missing secret is invalid_client."""
    for secret in ({"client_secret": "wrong"}, {}):
        data = {"grant_type": "client_credentials", "client_id": CLIENT_ID, **secret}
        response = await anon_client.post(TOKEN, data=data)
        assert response.status_code == 400
        assert response.json() == {
            "error": "invalid_client",
            "error_description": "invalid client credentials",
        }


async def test_unknown_client_id_at_token_endpoint(anon_client: httpx.AsyncClient) -> None:
    """An unknown or missing client_id is invalid_client_id client identifier invalid."""
    for client in ({"client_id": "nope"}, {"client_id": ""}):
        response = await anon_client.post(TOKEN, data={**_password_grant(), **client})
        assert response.status_code == 400
        assert response.json() == {
            "error": "invalid_client_id",
            "error_description": "client identifier invalid",
        }


@pytest.mark.parametrize("grant_type", ["implicit", "", "urn:other"])
async def test_unsupported_grant_type(anon_client: httpx.AsyncClient, grant_type: str) -> None:
    """An unknown or missing grant_type is unsupported_grant_type."""
    response = await anon_client.post(TOKEN, data={"grant_type": grant_type})
    assert response.status_code == 400
    assert response.json() == {
        "error": "unsupported_grant_type",
        "error_description": "grant type not supported",
    }


@pytest.mark.parametrize(
    ("grant", "missing"),
    [
        ("password", "username"),
        ("password", "password"),
        ("authorization_code", "code"),
        ("authorization_code", "redirect_uri"),
        ("refresh_token", "refresh_token"),
        ("urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion"),
    ],
)
async def test_missing_parameter_is_invalid_request(
    anon_client: httpx.AsyncClient, grant: str, missing: str
) -> None:
    """A missing required parameter is invalid_request naming it."""
    data = {
        "grant_type": grant,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "username": USERNAME,
        "password": PASSWORD,
        "code": "aPrxabc==",
        "redirect_uri": "http://127.0.0.1:1/cb",
        "refresh_token": "5Aepnope",
        "assertion": "a.b.c",
    }
    del data[missing]
    response = await anon_client.post(TOKEN, data=data)
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": f"missing required parameter: {missing}",
    }


async def test_malformed_bodies_are_4xx(anon_client: httpx.AsyncClient) -> None:
    """Broken multipart, file uploads, JSON and binary bodies are clear 4xx answers."""
    broken_multipart = await anon_client.post(
        TOKEN,
        content=b"--x\r\nnot a part",
        headers={"Content-Type": "multipart/form-data; boundary=x"},
    )
    assert broken_multipart.status_code == 400
    assert broken_multipart.json()["error"] == "invalid_request"
    upload = await anon_client.post(
        TOKEN, data={"grant_type": "password"}, files={"f": ("a.txt", b"x")}
    )
    assert upload.status_code == 400
    as_json = await anon_client.post(TOKEN, json=_password_grant())
    assert as_json.status_code == 400
    assert as_json.json()["error"] == "unsupported_grant_type"
    binary = await anon_client.post(
        TOKEN,
        content=b"grant_type=password&username=\xff\xfe%ff&password=%00",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert binary.status_code == 400


async def test_refresh_with_revoked_token(anon_client: httpx.AsyncClient) -> None:
    """A revoked refresh token is invalid_grant expired access/refresh token."""
    refresh = await _refresh_token(anon_client)
    revoked = await anon_client.post("/services/oauth2/revoke", data={"token": refresh})
    assert revoked.status_code == 200
    response = await anon_client.post(TOKEN, data=_refresh_grant(refresh))
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "expired access/refresh token",
    }


async def test_refresh_secret_is_optional_but_checked(anon_client: httpx.AsyncClient) -> None:
    """A refresh without client_secret works; with a wrong one it is invalid_client."""
    refresh = await _refresh_token(anon_client)
    data = {"grant_type": "refresh_token", "refresh_token": refresh, "client_id": CLIENT_ID}
    assert (await anon_client.post(TOKEN, data=data)).status_code == 200
    wrong = await anon_client.post(TOKEN, data={**data, "client_secret": "wrong"})
    assert wrong.json()["error"] == "invalid_client"


async def test_refresh_without_rotation_keeps_the_token(anon_client: httpx.AsyncClient) -> None:
    """Without rotation the same refresh token keeps working and none is returned."""
    refresh = await _refresh_token(anon_client)
    for _ in range(2):
        response = await anon_client.post(TOKEN, data=_refresh_grant(refresh))
        assert response.status_code == 200
        body = response.json()
        assert list(body) == [
            "access_token", "signature", "scope", "instance_url", "id", "token_type", "issued_at",
        ]  # fmt: skip


async def test_refresh_with_rotation_returns_new_token_and_revokes_old() -> None:
    """With rotate_refresh_tokens each refresh answers a new token and the old one dies."""
    async with client_for(EmulatorConfig(rotate_refresh_tokens=True)) as (_, http):
        first = await _refresh_token(http)
        response = await http.post(TOKEN, data=_refresh_grant(first))
        assert response.status_code == 200
        body = response.json()
        second = body["refresh_token"]
        assert second != first
        assert list(body)[:2] == ["access_token", "refresh_token"]
        assert await _works(http, body["access_token"])
        reused = await http.post(TOKEN, data=_refresh_grant(first))
        assert reused.json()["error_description"] == "expired access/refresh token"
        assert (await http.post(TOKEN, data=_refresh_grant(second))).status_code == 200


async def test_token_calls_are_logged_with_grant_type(anon_client: httpx.AsyncClient) -> None:
    """Token calls appear in /_emulator/requests with grant_type and no Sforce-Limit-Info."""
    ok = await anon_client.post(TOKEN, data=_password_grant())
    bad = await anon_client.post(TOKEN, data=_password_grant(password="x"))
    for response in (ok, bad):
        assert "sforce-limit-info" not in response.headers
    log = (await anon_client.get("/_emulator/requests")).json()
    token_calls = [entry for entry in log if entry["path"] == TOKEN]
    assert [(entry["grant_type"], entry["status"]) for entry in token_calls] == [
        ("password", 200),
        ("password", 400),
    ]


async def test_token_keys_match_the_recorded_response(anon_client: httpx.AsyncClient) -> None:
    """Every key of restforce's recorded token response is in the password and code answers."""
    recorded = load("fixtures/oauth/restforce__auth_success_response.json")
    password = (await anon_client.post(TOKEN, data=_password_grant())).json()
    flow = Flow(anon_client)
    code = (await flow.exchange(await flow.code())).json()
    for body in (password, code):
        assert set(recorded) <= set(body)
        assert all(isinstance(body[key], str) for key in recorded)
        assert body["instance_url"] == BASE_URL
        assert body["id"].startswith(f"{BASE_URL}/id/")
