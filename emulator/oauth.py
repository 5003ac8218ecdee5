"""OAuth 2.0 of the emulated org (CONTRACT.md §1): the emulator's base URL is both the login host
and the instance, as a My Domain is.

- ``GET /services/oauth2/authorize``, ``POST /services/oauth2/authorize/login``,
  ``POST /services/oauth2/authorize/consent``: the web-server flow with PKCE,
  :mod:`emulator.oauth_pages`;
- ``POST /services/oauth2/token``: every grant, :mod:`emulator.oauth_token` (the JWT assertion
  check in :mod:`emulator.oauth_jwt`);
- ``POST|GET /services/oauth2/revoke``: here;
- ``GET|POST /services/oauth2/userinfo`` and ``GET /id/{org}/{user}``:
  :mod:`emulator.oauth_identity`.

The connected app, callback and scope rules are in :mod:`emulator.oauth_client`; the pending
authorizations and codes in :mod:`emulator.oauth_flow`. Tokens themselves live in the org's
:class:`~emulator.sessions.TokenStore`.

Revoke: ``token=<access or refresh token>`` (form body, or query string — Salesforce also takes
``GET ?token=``). ``200`` with an empty body; a refresh token takes its access tokens with it.
Unknown → ``400 {"error":"invalid_token","error_description":"invalid token"}``; missing →
``400 unsupported_token_type``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from emulator.errors import OAuthError
from emulator.oauth_identity import identity, userinfo
from emulator.oauth_pages import authorize, consent, login
from emulator.oauth_token import read_params, token
from emulator.request_context import org_of


async def revoke(request: Request) -> Response:
    """``POST|GET /services/oauth2/revoke``: revoke an access or refresh token."""
    value = (await read_params(request)).get("token")
    if not value:
        raise OAuthError("unsupported_token_type", "this token type is not supported")
    if not org_of(request).tokens.revoke(value):
        raise OAuthError("invalid_token", "invalid token")
    return Response(status_code=200, headers={"Cache-Control": "no-store"})


def routes() -> list[BaseRoute]:
    """The OAuth and identity routes."""
    return [
        Route("/services/oauth2/authorize", authorize, methods=["GET"]),
        Route("/services/oauth2/authorize/login", login, methods=["POST"]),
        Route("/services/oauth2/authorize/consent", consent, methods=["POST"]),
        Route("/services/oauth2/token", token, methods=["POST"]),
        Route("/services/oauth2/revoke", revoke, methods=["POST", "GET"]),
        Route("/services/oauth2/userinfo", userinfo, methods=["GET", "POST"]),
        Route("/id/{org_id}/{user_id}", identity, methods=["GET"]),
    ]
