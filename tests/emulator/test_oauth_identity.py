"""userinfo, the identity URL and token revocation."""

from __future__ import annotations

import httpx

from emulator.org import Org
from tests.helpers.emulator import API, BASE_URL
from tests.helpers.emulator.web_flow import Flow
from tests.helpers.oracles import load

USERINFO = "/services/oauth2/userinfo"
REVOKE = "/services/oauth2/revoke"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_userinfo_of_the_demo_user(client: httpx.AsyncClient, org: Org) -> None:
    """userinfo describes the demo user on the emulator's URLs, without Sforce-Limit-Info."""
    response = await client.get(USERINFO)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json;charset=UTF-8"
    assert "sforce-limit-info" not in response.headers
    body = response.json()
    user = org.user_by_username("demo@callforce.dev")
    assert user is not None
    assert body["sub"] == f"{BASE_URL}/id/{org.org_id}/{user['Id']}"
    assert body["user_id"] == user["Id"]
    assert body["organization_id"] == org.org_id
    assert body["preferred_username"] == "demo@callforce.dev"
    assert body["email_verified"] is True
    assert body["active"] is True
    assert body["urls"]["rest"] == f"{BASE_URL}/services/data/v{{version}}/"
    assert body["urls"]["enterprise"] == f"{BASE_URL}/services/Soap/c/{{version}}/{org.org_id[:15]}"
    assert body["urls"]["custom_domain"] == BASE_URL
    assert isinstance(body["utcOffset"], int)
    assert body["updated_at"].endswith("Z")
    assert org.api_requests == 0  # not a data API call


async def test_userinfo_keys_match_the_recording(client: httpx.AsyncClient) -> None:
    """userinfo has exactly the keys (and url keys) of the real v66 recording."""
    recorded = load("fixtures/oauth/nango__userinfo_200.json")["response"]["body"]
    body = (await client.get(USERINFO)).json()
    assert list(body) == list(recorded)
    assert set(body["urls"]) == set(recorded["urls"])
    assert set(body["photos"]) == set(recorded["photos"])
    for key, value in recorded.items():
        assert type(body[key]) is type(value), key


async def test_userinfo_with_a_bad_token(anon_client: httpx.AsyncClient) -> None:
    """A bad token is 403 Bad_OAuth_Token; no token is 403 Missing_OAuth_Token."""
    bad = await anon_client.get(USERINFO, headers=_bearer("00Dnope!nope"))
    assert bad.status_code == 403
    assert bad.text == "Bad_OAuth_Token"
    missing = await anon_client.get(USERINFO)
    assert missing.status_code == 403
    assert missing.text == "Missing_OAuth_Token"


async def test_identity_url(client: httpx.AsyncClient, org: Org) -> None:
    """The token's id URL answers the identity service's shape for the user."""
    user = org.user_by_username("demo@callforce.dev")
    assert user is not None
    response = await client.get(f"/id/{org.org_id}/{user['Id']}")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == f"{BASE_URL}/id/{org.org_id}/{user['Id']}"
    assert body["username"] == "demo@callforce.dev"
    assert body["user_id"] == user["Id"]
    assert body["organization_id"] == org.org_id
    assert body["urls"]["sobjects"] == f"{BASE_URL}/services/data/v{{version}}/sobjects/"
    assert body["last_modified_date"].endswith(".000+0000")
    fifteen = await client.get(f"/id/{org.org_id[:15]}/{user['Id'][:15]}")
    assert fifteen.status_code == 200


async def test_identity_url_errors(client: httpx.AsyncClient, org: Org) -> None:
    """Another org is 403 Wrong_Org, a bad or unknown user id is 404 Bad_Id."""
    user = org.user_by_username("demo@callforce.dev")
    assert user is not None
    other_org = await client.get(f"/id/00D000000000001AAA/{user['Id']}")
    assert (other_org.status_code, other_org.text) == (403, "Wrong_Org")
    for user_id in ("nope", "005000000000000AAA", "x" * 500):
        response = await client.get(f"/id/{org.org_id}/{user_id}")
        assert (response.status_code, response.text) == (404, "Bad_Id")
    anonymous = await client.get(f"/id/{org.org_id}/{user['Id']}", headers={"Authorization": ""})
    assert anonymous.status_code == 403


async def test_revoke_access_token(anon_client: httpx.AsyncClient, token: str) -> None:
    """Revoking an access token answers 200 with an empty body and ends the session."""
    response = await anon_client.post(REVOKE, data={"token": token})
    assert response.status_code == 200
    assert response.content == b""
    after = await anon_client.get(f"{API}/limits", headers=_bearer(token))
    assert after.status_code == 401


async def test_revoke_refresh_token_revokes_its_access_tokens(
    anon_client: httpx.AsyncClient,
) -> None:
    """Revoking a refresh token (GET ?token=) kills the access tokens issued from it."""
    flow = Flow(anon_client)
    body = (await flow.exchange(await flow.code())).json()
    assert (
        await anon_client.get(f"{API}/limits", headers=_bearer(body["access_token"]))
    ).is_success
    response = await anon_client.get(REVOKE, params={"token": body["refresh_token"]})
    assert response.status_code == 200
    after = await anon_client.get(f"{API}/limits", headers=_bearer(body["access_token"]))
    assert after.status_code == 401
    userinfo = await anon_client.get(USERINFO, headers=_bearer(body["access_token"]))
    assert userinfo.status_code == 403


async def test_revoke_errors(anon_client: httpx.AsyncClient) -> None:
    """An unknown token is invalid_token; no token is unsupported_token_type."""
    unknown = await anon_client.post(REVOKE, data={"token": "nope"})
    assert unknown.status_code == 400
    assert unknown.json() == {"error": "invalid_token", "error_description": "invalid token"}
    missing = await anon_client.post(REVOKE)
    assert missing.status_code == 400
    assert missing.json()["error"] == "unsupported_token_type"
