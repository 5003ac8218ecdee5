"""``POST|GET /services/oauth2/revoke``: revoke an access or refresh token.

``token=<access or refresh token>`` (form body, or query string — Salesforce also takes
``GET ?token=``). ``200`` with an empty body; a refresh token takes its access tokens with it.
Unknown → ``400 {"error":"invalid_token","error_description":"invalid token"}``; missing →
``400 unsupported_token_type``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from emulator.errors import OAuthError
from emulator.oauth.token import read_params
from emulator.request_context import org_of


async def revoke(request: Request) -> Response:
    """``POST|GET /services/oauth2/revoke``: revoke an access or refresh token."""
    value = (await read_params(request)).get("token")
    if not value:
        raise OAuthError("unsupported_token_type", "this token type is not supported")
    if not org_of(request).tokens.revoke(value):
        raise OAuthError("invalid_token", "invalid token")
    return Response(status_code=200, headers={"Cache-Control": "no-store"})
