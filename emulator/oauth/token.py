"""``POST /services/oauth2/token``: Salesforce's grants and their exact answers (CONTRACT.md §1.3).

Parameters come from the form body, or the query string (Salesforce accepts both; the body wins).

Answer keys per grant_type, in Salesforce's order:

- ``authorization_code``: access_token, refresh_token (when the granted scope has
  ``refresh_token`` or ``offline_access``, see :mod:`emulator.oauth.client`), signature, scope,
  instance_url, id, token_type, issued_at;
- ``refresh_token``: the same; refresh_token only with ``rotate_refresh_tokens`` (a new one, the
  old one revoked);
- ``password``: access_token, instance_url, id, token_type, issued_at, signature;
- ``client_credentials``: access_token, signature, scope, instance_url, id, token_type, issued_at;
- ``urn:ietf:params:oauth:grant-type:jwt-bearer``: access_token, scope, instance_url, id,
  token_type.

``issued_at`` is a string of epoch milliseconds; ``signature`` is base64 HMAC-SHA256 of
``id + issued_at`` keyed with the consumer secret. Answers are ``application/json;charset=UTF-8``
with ``Cache-Control: no-store`` and never ``Sforce-Limit-Info``.

Errors are HTTP 400 ``{"error", "error_description"}``: ``invalid_client_id`` (unknown or missing
consumer key), ``invalid_client`` (missing or wrong secret where one is needed, wrong secret
anywhere), ``unsupported_grant_type``, ``invalid_request`` (a missing parameter), and
``invalid_grant`` with Salesforce's descriptions. A code is single use and burnt by any exchange
attempt, failed PKCE included; a replayed code also revokes what its first exchange issued.
client_credentials runs as the demo user and is accepted because the emulator is a My Domain host.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from collections.abc import Awaitable, Callable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from emulator.errors import OAuthError
from emulator.oauth.client import (
    NON_INTERACTIVE_SCOPE,
    active_user,
    authenticate,
    identity_url,
    instance_url,
    is_known_client,
    issues_refresh_token,
    secret_matches,
)
from emulator.oauth.flow import AuthorizationCode, flows_of
from emulator.oauth.jwt_bearer import user_for_assertion
from emulator.org import Org
from emulator.request_context import org_of
from emulator.responses import json_response

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

Params = dict[str, str]
Body = dict[str, str]


async def read_params(request: Request) -> Params:
    """Query-string and form parameters (the form wins); a malformed body is invalid_request."""
    params = dict(request.query_params.items())
    try:
        form = await request.form(max_files=0, max_fields=50)
    except HTTPException:  # a malformed multipart body, or a file upload
        raise OAuthError("invalid_request", "malformed request body") from None
    params.update((key, value) for key, value in form.items() if isinstance(value, str))
    return params


def _required(params: Params, name: str) -> str:
    value = params.get(name)
    if not value:
        raise OAuthError("invalid_request", f"missing required parameter: {name}")
    return value


def _check_client(org: Org, params: Params, *, secret_required: bool) -> str:
    """The client id after checking it and, when sent or required, its secret."""
    client_id = params.get("client_id")
    if not is_known_client(org.config, client_id):
        raise OAuthError("invalid_client_id", "client identifier invalid")
    secret = params.get("client_secret")
    if (secret_required or secret) and not secret_matches(org.config, secret):
        raise OAuthError("invalid_client", "invalid client credentials")
    return org.config.client_id


class _Answer:
    """What every answer is built from: the instance, the identity URL and the issue time."""

    def __init__(self, request: Request, org: Org, user_id: str) -> None:
        self.instance_url = instance_url(request)
        self.id = identity_url(request, org, user_id)
        self.issued_at = str(int(time.time() * 1000))
        mac = hmac.new(
            org.config.client_secret.encode(),
            (self.id + self.issued_at).encode(),
            hashlib.sha256,
        )
        self.signature = base64.b64encode(mac.digest()).decode()

    def tail(self) -> Body:
        """The keys every answer ends with."""
        return {"instance_url": self.instance_url, "id": self.id, "token_type": "Bearer"}


async def _authorization_code(request: Request, org: Org, params: Params) -> Body:
    client_id = _check_client(org, params, secret_required=True)
    code_value = _required(params, "code")
    redirect_uri = _required(params, "redirect_uri")
    flows = flows_of(request)
    code = flows.code(code_value)
    if code is None or code.request.client_id != client_id:
        raise OAuthError("invalid_grant", "invalid authorization code")
    if code.used:
        for token in code.tokens:
            org.tokens.revoke(token)
        code.tokens.clear()
        raise OAuthError("invalid_grant", "invalid authorization code")
    code.used = True
    if flows.is_expired(code):
        raise OAuthError("invalid_grant", "expired authorization code")
    if redirect_uri != code.request.redirect_uri:
        raise OAuthError("redirect_uri_mismatch", "redirect_uri must match configuration")
    _check_verifier(code, params.get("code_verifier"))
    if active_user(org, code.user_id) is None:
        raise OAuthError("invalid_grant", "inactive user")
    scope = code.request.scope
    refresh = None
    if issues_refresh_token(scope):
        refresh = org.tokens.issue_refresh_token(code.user_id, client_id, scope)
    access = org.tokens.issue_access_token(code.user_id, client_id, scope, refresh)
    code.tokens.extend(token for token in (access, refresh) if token)
    answer = _Answer(request, org, code.user_id)
    body = {"access_token": access}
    if refresh:
        body["refresh_token"] = refresh
    body.update(signature=answer.signature, scope=scope)
    return {**body, **answer.tail(), "issued_at": answer.issued_at}


def _check_verifier(code: AuthorizationCode, verifier: str | None) -> None:
    challenge = code.request.code_challenge
    if challenge is None:
        # A verifier without a challenge is a client bug that would hide a missing challenge.
        if verifier:
            raise OAuthError("invalid_grant", "invalid code verifier")
        return
    if not verifier or not _VERIFIER.fullmatch(verifier):
        raise OAuthError("invalid_grant", "invalid code verifier")
    digest = hashlib.sha256(verifier.encode()).digest()
    computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    if not hmac.compare_digest(computed, challenge):
        raise OAuthError("invalid_grant", "invalid code verifier")


async def _refresh_token(request: Request, org: Org, params: Params) -> Body:
    client_id = _check_client(org, params, secret_required=False)
    refresh = _required(params, "refresh_token")
    grant = org.tokens.grant(refresh)
    if grant is None or grant.client_id != client_id:
        raise OAuthError("invalid_grant", "expired access/refresh token")
    if active_user(org, grant.user_id) is None:
        raise OAuthError("invalid_grant", "inactive user")
    body: Body = {}
    if org.config.rotate_refresh_tokens:
        # The old token's access tokens go with it (TokenStore.revoke); the new access token is
        # tied to the new refresh token, so a later revoke of that one covers it.
        new_refresh = org.tokens.issue_refresh_token(grant.user_id, client_id, grant.scope)
        org.tokens.revoke(refresh)
        refresh = new_refresh
        body["refresh_token"] = new_refresh
    access = org.tokens.issue_access_token(grant.user_id, client_id, grant.scope, refresh)
    answer = _Answer(request, org, grant.user_id)
    body = {"access_token": access, **body, "signature": answer.signature, "scope": grant.scope}
    return {**body, **answer.tail(), "issued_at": answer.issued_at}


async def _password(request: Request, org: Org, params: Params) -> Body:
    client_id = _check_client(org, params, secret_required=True)
    username = _required(params, "username")
    password = _required(params, "password")
    user = authenticate(org, username, password)
    if user is None:
        raise OAuthError("invalid_grant", "authentication failure")
    access = org.tokens.issue_access_token(user["Id"], client_id, NON_INTERACTIVE_SCOPE)
    answer = _Answer(request, org, user["Id"])
    body = {"access_token": access, **answer.tail()}
    return {**body, "issued_at": answer.issued_at, "signature": answer.signature}


async def _client_credentials(request: Request, org: Org, params: Params) -> Body:
    client_id = _check_client(org, params, secret_required=True)
    user = org.user_by_username(org.config.username)
    if user is None:
        raise OAuthError("invalid_grant", "inactive user")
    access = org.tokens.issue_access_token(user["Id"], client_id, NON_INTERACTIVE_SCOPE)
    answer = _Answer(request, org, user["Id"])
    body = {"access_token": access, "signature": answer.signature, "scope": NON_INTERACTIVE_SCOPE}
    return {**body, **answer.tail(), "issued_at": answer.issued_at}


async def _jwt_bearer(request: Request, org: Org, params: Params) -> Body:
    assertion = _required(params, "assertion")
    user = user_for_assertion(org, assertion, instance_url(request))
    access = org.tokens.issue_access_token(user["Id"], org.config.client_id, NON_INTERACTIVE_SCOPE)
    answer = _Answer(request, org, user["Id"])
    return {"access_token": access, "scope": NON_INTERACTIVE_SCOPE, **answer.tail()}


_GRANTS: dict[str, Callable[[Request, Org, Params], Awaitable[Body]]] = {
    "authorization_code": _authorization_code,
    "refresh_token": _refresh_token,
    "password": _password,
    "client_credentials": _client_credentials,
    JWT_BEARER: _jwt_bearer,
}


async def token(request: Request) -> Response:
    """``POST /services/oauth2/token``: run the grant, answer the token JSON."""
    params = await read_params(request)
    grant_type = params.get("grant_type")
    if grant_type:
        request.state.grant_type = grant_type[:200]
    grant = _GRANTS.get(grant_type or "")
    if grant is None:
        raise OAuthError("unsupported_grant_type", "grant type not supported")
    body = await grant(request, org_of(request), params)
    return json_response(request, body, headers=_NO_STORE)
