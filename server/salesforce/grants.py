"""Getting and renewing Salesforce tokens at a login host (CONTRACT.md §1).

Every grant is a form POST to ``{login_url}/services/oauth2/token`` through the shared
``httpx.AsyncClient``; the answer becomes a :class:`TokenSet` once its ``instance_url`` passes
:func:`~server.salesforce.instances.validate_instance_url`. Salesforce sends no ``expires_in``:
an access token is known to be expired only when the API answers 401 ``INVALID_SESSION_ID``.

- :func:`refresh` — ``refresh_token`` grant (``oauth`` connections). The answer carries a new
  refresh token only when the org rotates them; ``invalid_grant`` means the refresh token is dead
  and a person must connect the org again (:attr:`OAuthFailure.needs_reconnect`).
- :func:`client_credentials`, :func:`jwt_bearer` — headless grants without a refresh token;
  :func:`reacquire` runs them again when a session expires.
- :func:`password` — for development and the demo org only.
- the web-server flow (a person in a browser) is :mod:`server.salesforce.web_server_flow`,
  through :func:`post_token`.
- :func:`revoke` — ``/services/oauth2/revoke``.

Token endpoint errors (HTTP 400 ``{"error", "error_description"}``) become
:class:`~server.errors.OAuthFailure`; a 5xx becomes :class:`~server.errors.ServerError`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from server.activity.observe import salesforce_request
from server.errors import (
    CallforceError,
    NeedsReconnect,
    OAuthFailure,
    TransportError,
    error_from_response,
)
from server.salesforce.answers import json_or_none
from server.salesforce.instances import validate_instance_url
from server.settings import Settings
from server.store.interface import Connection

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
#: JWT assertions may live at most 3 minutes; stay well inside for clock skew.
_JWT_LIFETIME_SECONDS = 150


@dataclass(frozen=True, slots=True)
class TokenSet:
    """A token endpoint's answer. Tokens are hidden from ``repr``."""

    access_token: str = field(repr=False)
    instance_url: str
    refresh_token: str | None = field(default=None, repr=False)
    identity_url: str | None = None
    org_id: str | None = None
    user_id: str | None = None
    scope: str | None = None
    issued_at: dt.datetime | None = None


def _dict(data: Any) -> dict[str, Any]:
    return data if isinstance(data, dict) else {}


def _identity(identity_url: str | None) -> tuple[str | None, str | None]:
    """(org id, user id) from ``…/id/<org id>/<user id>``."""
    if not identity_url:
        return None, None
    segments = urlsplit(identity_url).path.rstrip("/").split("/")
    if len(segments) >= 3 and segments[-3] == "id":
        return segments[-2], segments[-1]
    return None, None


def parse_token_response(response: httpx.Response, login_url: str) -> TokenSet:
    """The :class:`TokenSet` of a token answer, or the error it stands for."""
    body = _dict(json_or_none(response))
    if response.status_code >= 500:
        raise error_from_response(response.status_code, response.content)
    if response.status_code != 200:
        error = body.get("error")
        if isinstance(error, str) and error:
            raise OAuthFailure(error, str(body.get("error_description") or ""))
        raise OAuthFailure("unexpected_response", f"HTTP {response.status_code}")
    access_token = body.get("access_token")
    instance_url = body.get("instance_url")
    if not isinstance(access_token, str) or not isinstance(instance_url, str):
        raise OAuthFailure("invalid_response", "the answer has no access token or instance")
    refresh_token = body.get("refresh_token")
    identity_url = body.get("id")
    identity = identity_url if isinstance(identity_url, str) else None
    org_id, user_id = _identity(identity)
    issued_at = None
    raw_issued = body.get("issued_at")
    if isinstance(raw_issued, str) and raw_issued.isdigit():
        issued_at = dt.datetime.fromtimestamp(int(raw_issued) / 1000, dt.UTC)
    scope = body.get("scope")
    return TokenSet(
        access_token=access_token,
        instance_url=validate_instance_url(instance_url, login_url),
        refresh_token=refresh_token if isinstance(refresh_token, str) and refresh_token else None,
        identity_url=identity,
        org_id=org_id,
        user_id=user_id,
        scope=scope if isinstance(scope, str) else None,
        issued_at=issued_at,
    )


async def _post_form(
    http: httpx.AsyncClient, login_url: str, endpoint: str, form: dict[str, str]
) -> httpx.Response:
    url = f"{login_url.rstrip('/')}/services/oauth2/{endpoint}"
    sent = False

    async def trace(event: str, info: object) -> None:
        nonlocal sent
        if event == "http11.send_request_headers.started":
            sent = True

    try:
        with salesforce_request("POST", f"/services/oauth2/{endpoint}", None) as seen:
            response = await http.post(
                url, data=form, headers={"Accept": "application/json"}, extensions={"trace": trace}
            )
            seen.status = response.status_code
        return response
    except httpx.HTTPError:
        # Once its bytes went out the request counts as sent, whatever happened to the answer:
        # a refresh Salesforce may have acted on (and rotated) must not be repeated blindly.
        if sent:
            raise TransportError(
                "the login host took the request but its answer was lost", request_sent=True
            ) from None
        raise TransportError("the login host did not answer", request_sent=False) from None


async def post_token(
    http: httpx.AsyncClient, login_url: str, form: dict[str, str | None]
) -> TokenSet:
    """POST a grant's form (empty values left out) to the token endpoint; its :class:`TokenSet`."""
    sent = {key: value for key, value in form.items() if value}
    response = await _post_form(http, login_url, "token", sent)
    return parse_token_response(response, login_url)


def _secret(settings: Settings) -> str | None:
    return settings.client_secret.get_secret_value() if settings.client_secret else None


def _client_id(conn: Connection | None, settings: Settings) -> str:
    client_id = (conn.client_id if conn else None) or settings.client_id
    if not client_id:
        raise CallforceError(
            "No connected app is configured: set CALLFORCE_CLIENT_ID (and CALLFORCE_CLIENT_SECRET)."
        )
    return client_id


async def refresh(http: httpx.AsyncClient, conn: Connection, settings: Settings) -> TokenSet:
    """A new access token for ``conn`` from its refresh token (and maybe a rotated one)."""
    if conn.refresh_token is None:
        raise NeedsReconnect(conn.name)
    client_id = _client_id(conn, settings)
    # The secret belongs to the settings' app; never send it for a connection of another app.
    secret = _secret(settings) if client_id == settings.client_id else None
    return await post_token(
        http,
        conn.login_url,
        {
            "grant_type": "refresh_token",
            "refresh_token": conn.refresh_token.get_secret_value(),
            "client_id": client_id,
            "client_secret": secret,
        },
    )


async def client_credentials(
    http: httpx.AsyncClient, *, login_url: str, client_id: str, client_secret: str
) -> TokenSet:
    """The client credentials grant (``login_url`` must be the org's My Domain)."""
    return await post_token(
        http,
        login_url,
        {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
        },
    )


async def password(
    http: httpx.AsyncClient,
    *,
    login_url: str,
    client_id: str,
    client_secret: str | None,
    username: str,
    password: str,
) -> TokenSet:
    """The username-password grant: development and the demo org only (no refresh token)."""
    return await post_token(
        http,
        login_url,
        {
            "grant_type": "password",
            "client_id": client_id,
            "client_secret": client_secret,
            "username": username,
            "password": password,
        },
    )


def _read_private_key(key_path: Path) -> str:
    try:
        return key_path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        raise CallforceError(
            "The private key for the JWT bearer sign-in cannot be read; check its key file."
        ) from None


def jwt_audience(login_url: str) -> str:
    """The ``aud`` of a JWT bearer assertion posted to ``login_url``.

    Salesforce wants ``https://login.salesforce.com`` (production) or
    ``https://test.salesforce.com`` (sandbox) there even when the token is posted to a My
    Domain; a sandbox's My Domain is ``name--sandbox.sandbox.my.salesforce.com`` (or, before
    enhanced domains, ``name--sandbox.my.salesforce.com``). A host that is not Salesforce's
    (a local emulator) gets its own URL.
    """
    host = (urlsplit(login_url).hostname or "").lower()
    if host != "salesforce.com" and not host.endswith((".salesforce.com", ".force.com")):
        return login_url.rstrip("/")
    first = host.split(".", 1)[0]
    sandbox = host == "test.salesforce.com" or ".sandbox." in host or "--" in first
    return "https://test.salesforce.com" if sandbox else "https://login.salesforce.com"


async def jwt_bearer(
    http: httpx.AsyncClient,
    *,
    login_url: str,
    client_id: str,
    username: str,
    key_path: Path,
    audience: str | None = None,
) -> TokenSet:
    """The JWT bearer grant: an RS256 assertion signed with the PEM key at ``key_path``.

    ``aud`` is ``audience`` or :func:`jwt_audience` of the login URL.
    """
    # Imported here: PyJWT's RSA support costs ~35 ms of start-up, paid only by JWT connections.
    import jwt  # noqa: PLC0415

    pem = await asyncio.to_thread(_read_private_key, key_path)
    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": username,
        "aud": (audience or jwt_audience(login_url)).rstrip("/"),
        "exp": now + _JWT_LIFETIME_SECONDS,
    }
    try:
        assertion = jwt.encode(claims, pem, algorithm="RS256")
    except (ValueError, TypeError, jwt.PyJWTError):
        raise CallforceError(
            "The private key for the JWT bearer sign-in is not an RSA key in PEM form."
        ) from None
    return await post_token(http, login_url, {"grant_type": JWT_BEARER, "assertion": assertion})


async def reacquire(http: httpx.AsyncClient, conn: Connection, settings: Settings) -> TokenSet:
    """A new access token for ``conn`` by whatever its ``auth_kind`` allows.

    ``oauth``: the refresh token. ``client_credentials``: the settings' client id and secret at
    the connection's login URL. ``jwt``: a new assertion for the connection's username, signed
    with the key file at its ``key_path``. ``token`` (a pasted session) cannot be renewed.
    """
    if conn.auth_kind == "oauth":
        return await refresh(http, conn, settings)
    if conn.auth_kind == "client_credentials":
        secret = _secret(settings)
        if secret is None:
            raise NeedsReconnect(conn.name)
        return await client_credentials(
            http,
            login_url=conn.login_url,
            client_id=_client_id(conn, settings),
            client_secret=secret,
        )
    if conn.auth_kind == "jwt" and conn.key_path and conn.username:
        return await jwt_bearer(
            http,
            login_url=conn.login_url,
            client_id=_client_id(conn, settings),
            username=conn.username,
            key_path=Path(conn.key_path),
        )
    raise NeedsReconnect(conn.name)


async def revoke(http: httpx.AsyncClient, *, login_url: str, token: str) -> None:
    """Revoke an access or refresh token (a refresh token takes its access tokens with it)."""
    response = await _post_form(http, login_url, "revoke", {"token": token})
    if response.status_code == 200:
        return
    if response.status_code >= 500:
        raise error_from_response(response.status_code, response.content)
    body = _dict(json_or_none(response))
    raise OAuthFailure(
        str(body.get("error") or "revoke_failed"), str(body.get("error_description") or "")
    )
