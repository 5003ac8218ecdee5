"""The JWT bearer grant: RS256 assertions checked against the configured X.509 certificate."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from emulator.config import EmulatorConfig
from tests.helpers.emulator import API, BASE_URL, client_for
from tests.helpers.emulator.web_flow import CLIENT_ID, TOKEN, USERNAME
from tests.helpers.jwt_keys import self_signed_certificate

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _certificate(key: rsa.RSAPrivateKey) -> str:
    return self_signed_certificate(key)


@pytest.fixture(scope="module")
def signing_key() -> rsa.RSAPrivateKey:
    """The connected app's private key (the certificate's)."""
    return _key()


@pytest.fixture(scope="module")
def certificate(signing_key: rsa.RSAPrivateKey) -> str:
    """A self-signed certificate of ``signing_key``, PEM."""
    return _certificate(signing_key)


@pytest.fixture
async def jwt_client(certificate: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an org whose connected app has ``certificate``."""
    async with client_for(EmulatorConfig(jwt_certificate_pem=certificate)) as (_, http):
        yield http


def _assertion(key: rsa.RSAPrivateKey, **overrides: Any) -> str:
    claims: dict[str, Any] = {
        "iss": CLIENT_ID,
        "sub": USERNAME,
        "aud": "https://login.salesforce.com",
        "exp": int(time.time()) + 120,
        **overrides,
    }
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, key, algorithm="RS256")


async def _grant(http: httpx.AsyncClient, assertion: str) -> httpx.Response:
    return await http.post(TOKEN, data={"grant_type": JWT_BEARER, "assertion": assertion})


def _invalid(description: str) -> dict[str, str]:
    return {"error": "invalid_grant", "error_description": description}


async def test_jwt_bearer_grant(jwt_client: httpx.AsyncClient, signing_key: Any) -> None:
    """A good assertion gets an access token, no refresh token, Salesforce's JWT keys."""
    response = await _grant(jwt_client, _assertion(signing_key))
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ["access_token", "scope", "instance_url", "id", "token_type"]
    assert body["instance_url"] == BASE_URL
    data = await jwt_client.get(
        f"{API}/limits", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert data.status_code == 200
    log = (await jwt_client.get("/_emulator/requests")).json()
    assert [entry["grant_type"] for entry in log if entry["path"] == TOKEN] == [JWT_BEARER]


async def test_jwt_audience_may_be_the_emulator(
    jwt_client: httpx.AsyncClient, signing_key: Any
) -> None:
    """The emulator's own base URL is an accepted audience."""
    response = await _grant(jwt_client, _assertion(signing_key, aud=BASE_URL))
    assert response.status_code == 200


async def test_jwt_sandbox_audience(certificate: str, signing_key: Any) -> None:
    """A sandbox org wants test.salesforce.com and refuses login.salesforce.com."""
    config = EmulatorConfig(jwt_certificate_pem=certificate, is_sandbox=True)
    async with client_for(config) as (_, http):
        good = await _grant(http, _assertion(signing_key, aud="https://test.salesforce.com"))
        assert good.status_code == 200
        wrong = await _grant(http, _assertion(signing_key))
        assert wrong.json() == _invalid("audience is invalid")


async def test_jwt_bad_signature(jwt_client: httpx.AsyncClient) -> None:
    """An assertion signed by another key is invalid assertion."""
    response = await _grant(jwt_client, _assertion(_key()))
    assert response.status_code == 400
    assert response.json() == _invalid("invalid assertion")


async def test_jwt_wrong_audience(jwt_client: httpx.AsyncClient, signing_key: Any) -> None:
    """A wrong aud is audience is invalid."""
    response = await _grant(jwt_client, _assertion(signing_key, aud="https://example.com"))
    assert response.status_code == 400
    assert response.json() == _invalid("audience is invalid")


async def test_jwt_unknown_user(jwt_client: httpx.AsyncClient, signing_key: Any) -> None:
    """A sub that is no user of the org is user hasn't approved this consumer."""
    response = await _grant(jwt_client, _assertion(signing_key, sub="ghost@nowhere.dev"))
    assert response.status_code == 400
    assert response.json() == _invalid("user hasn't approved this consumer")


async def test_jwt_unknown_issuer(jwt_client: httpx.AsyncClient, signing_key: Any) -> None:
    """An iss that is not the consumer key is invalid_client_id."""
    response = await _grant(jwt_client, _assertion(signing_key, iss="someone-else"))
    assert response.json() == {
        "error": "invalid_client_id",
        "error_description": "client identifier invalid",
    }


@pytest.mark.parametrize(
    "overrides",
    [
        {"exp": -10},
        {"exp": 3600},
        {"exp": "soon"},
        {"exp": None},
        {"sub": None},
        {"iat": 3600},
    ],
    ids=["expired", "exp-too-far", "exp-not-a-number", "no-exp", "no-sub", "iat-in-future"],
)
async def test_jwt_bad_claims(
    jwt_client: httpx.AsyncClient, signing_key: Any, overrides: dict[str, Any]
) -> None:
    """Expired, too long-lived, malformed or missing claims are invalid assertion."""
    now = int(time.time())
    claims = {
        # Integer exp/iat values are offsets from now.
        name: now + value if isinstance(value, int) else value
        for name, value in overrides.items()
    }
    response = await _grant(jwt_client, _assertion(signing_key, **claims))
    assert response.status_code == 400
    assert response.json() == _invalid("invalid assertion")


@pytest.mark.parametrize(
    "assertion",
    [
        "not-a-jwt",
        "a.b.c",
        jwt.encode({"iss": CLIENT_ID, "sub": USERNAME}, "secret-key-long-enough-for-hs256-32b"),
        jwt.encode({"iss": CLIENT_ID, "sub": USERNAME}, None, algorithm="none"),
    ],
)
async def test_jwt_malformed_or_wrong_algorithm(
    jwt_client: httpx.AsyncClient, assertion: str
) -> None:
    """Garbage, HS256 and alg=none assertions are invalid assertion."""
    response = await _grant(jwt_client, assertion)
    assert response.status_code == 400
    assert response.json() == _invalid("invalid assertion")


async def test_jwt_without_certificate(anon_client: httpx.AsyncClient, signing_key: Any) -> None:
    """With no certificate configured every assertion is invalid assertion."""
    response = await _grant(anon_client, _assertion(signing_key))
    assert response.status_code == 400
    assert response.json() == _invalid("invalid assertion")


async def test_jwt_with_a_broken_certificate(signing_key: Any) -> None:
    """A configured certificate that is not PEM is invalid assertion, not a 500."""
    async with client_for(EmulatorConfig(jwt_certificate_pem="not a pem")) as (_, http):
        response = await _grant(http, _assertion(signing_key))
        assert response.json() == _invalid("invalid assertion")
