"""OAuth answers like the recordings of fixtures/oauth (tests.helpers.oracles), by shape.

restforce's token samples are hand-written around real shapes ("new_access_token", id URLs
with 15-character ids, a 2010-era answer without ``token_type`` or ``scope``): their keys must
all be in ours, with the same JSON types; ours may have the keys today's Salesforce adds.
The identity URLs and the userinfo urls name the emulator's base URL, which is both its login
host and its instance (a real org names https://login.salesforce.com and its My Domain).
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from emulator.org import Org
from tests.helpers.emulator import demo_user_id, is_id18
from tests.helpers.oracles import JSON_CONTENT_TYPE, assert_same_shape, load

OAUTH = "fixtures/oauth"
TOKEN = "/services/oauth2/token"
#: ``…/id/<org id>/<user id>``, the ids 15 (restforce's samples) or 18 characters long.
_ID = r"[0-9A-Za-z]{12}(?:[0-9A-Za-z]{3})?"
IDENTITY_URL = re.compile(rf"^https?://[^/]+/id/00D{_ID}/005{_ID}$")
ISSUED_AT = re.compile(r"^\d{13}$")  # epoch milliseconds, as a string
BASE64 = re.compile(r"^[A-Za-z0-9+/]+=*$")


def password_grant(org: Org, password: str | None = None) -> dict[str, str]:
    """The demo org's password grant parameters."""
    config = org.config
    return {
        "grant_type": "password",
        "client_id": config.client_id,
        "client_secret": config.client_secret,
        "username": config.username,
        "password": password or config.password,
    }


def check_token_values(body: dict[str, Any]) -> None:
    """The formats of a token answer's id, issued_at, signature and instance_url."""
    assert IDENTITY_URL.match(body["id"]), body["id"]
    assert ISSUED_AT.match(body["issued_at"])
    assert BASE64.match(body["signature"])
    assert re.match(r"^https?://[^/]+$", body["instance_url"])  # no trailing slash


def check_token_answer(real: dict[str, Any], response: httpx.Response) -> dict[str, Any]:
    """200 JSON without limit info; every sample key with its type; the values' formats."""
    assert response.status_code == 200
    assert response.headers["content-type"] == JSON_CONTENT_TYPE
    assert "sforce-limit-info" not in response.headers
    ours: dict[str, Any] = response.json()
    assert_same_shape(real, ours, allow_extra={""})
    check_token_values(ours)
    org15 = re.search(r"/id/(00D\w{12})", ours["id"])
    assert org15
    assert ours["access_token"].startswith(f"{org15[1]}!")  # like "00Dx0000000BV7z!AR8AQ…"
    assert ours["token_type"] == "Bearer"
    return ours


async def test_password_token_matches_sample(anon_client: httpx.AsyncClient, org: Org) -> None:
    """The password grant answers every key of restforce's token sample, with its types."""
    real = load(f"{OAUTH}/restforce__auth_success_response.json")
    response = await anon_client.post(TOKEN, data=password_grant(org))
    ours = check_token_answer(real, response)
    check_token_values(real)  # this sample's values look real, unlike the refresh samples'
    assert real["access_token"].startswith("00Dx0000000BV7z!")
    assert "refresh_token" not in ours  # the password grant issues none


@pytest.mark.parametrize(
    "filename",
    ["restforce__refresh_success_response.json", "restforce__reauth_success_response.json"],
)
async def test_refresh_token_matches_sample(
    anon_client: httpx.AsyncClient, org: Org, filename: str
) -> None:
    """The refresh_token grant answers every key of restforce's refresh/reauth sample."""
    # Their values are placeholders ("https://login.salesforce.com/id/foo/bar", "sig="): shape only.
    real = load(f"{OAUTH}/{filename}")
    config = org.config
    refresh = org.tokens.issue_refresh_token(
        demo_user_id(org), config.client_id, "api refresh_token"
    )
    response = await anon_client.post(
        TOKEN,
        data={
            "grant_type": "refresh_token",
            "client_id": config.client_id,
            "refresh_token": refresh,
        },
    )
    ours = check_token_answer(real, response)
    assert "refresh_token" not in ours  # not rotated by default


async def test_auth_error_matches_sample(anon_client: httpx.AsyncClient, org: Org) -> None:
    """A wrong password is 400 invalid_grant "authentication failure", an object not an array."""
    real = load(f"{OAUTH}/restforce__auth_error_response.json")
    response = await anon_client.post(TOKEN, data=password_grant(org, "wrong"))
    assert response.status_code == 400
    assert response.headers["content-type"] == JSON_CONTENT_TYPE
    ours = response.json()
    assert_same_shape(real, ours)
    assert list(ours) == list(real)
    assert ours["error"] == real["error"] == "invalid_grant"
    # restforce's sample adds " - Invalid Password"; the description CONTRACT.md §1.3 gives
    # from real answers is the bare "authentication failure".
    assert real["error_description"].startswith(ours["error_description"])
    assert ours["error_description"] == "authentication failure"


async def test_refresh_error_matches_sample(anon_client: httpx.AsyncClient, org: Org) -> None:
    """An unknown refresh token is 400 with exactly the sample's invalid_grant body."""
    real = load(f"{OAUTH}/restforce__refresh_error_response.json")
    response = await anon_client.post(
        TOKEN,
        data={
            "grant_type": "refresh_token",
            "client_id": org.config.client_id,
            "refresh_token": "5Aep861expired",
        },
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == JSON_CONTENT_TYPE
    assert response.json() == real


async def test_userinfo_matches_recording(client: httpx.AsyncClient, org: Org) -> None:
    """GET /services/oauth2/userinfo answers the recorded keys, types and headers."""
    recording = load(f"{OAUTH}/nango__userinfo_200.json")
    real = recording["response"]
    response = await client.get(recording["request"]["path"])
    assert response.status_code == real["status"] == 200
    assert response.headers["content-type"] == real["headers"]["content-type"]
    assert "sforce-limit-info" not in real["headers"]
    assert "sforce-limit-info" not in response.headers
    ours = response.json()
    assert_same_shape(real["body"], ours)
    assert list(ours) == list(real["body"])
    assert list(ours["urls"]) == list(real["body"]["urls"])
    assert ours["address"] == real["body"]["address"] == {}
    for body in (real["body"], ours):
        assert IDENTITY_URL.match(body["sub"])
        assert body["sub"].endswith(f"/{body['organization_id']}/{body['user_id']}")
        assert is_id18(body["user_id"], "005")
        assert is_id18(body["organization_id"], "00D")
        versioned = [key for key, url in body["urls"].items() if "{version}" in url]
        assert versioned == [key for key, url in real["body"]["urls"].items() if "{version}" in url]
    assert ours["user_id"] == demo_user_id(org)
