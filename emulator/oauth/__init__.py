"""OAuth 2.0 of the emulated org (CONTRACT.md §1): the emulator's base URL is both the login host
and the instance, as a My Domain is.

- ``GET /services/oauth2/authorize``, ``POST /services/oauth2/authorize/login``,
  ``POST /services/oauth2/authorize/consent``: the web-server flow with PKCE,
  :mod:`emulator.oauth.pages`;
- ``POST /services/oauth2/token``: every grant, :mod:`emulator.oauth.token` (the JWT assertion
  check in :mod:`emulator.oauth.jwt_bearer`);
- ``POST|GET /services/oauth2/revoke``: :mod:`emulator.oauth.revoke`;
- ``GET|POST /services/oauth2/userinfo`` and ``GET /id/{org}/{user}``:
  :mod:`emulator.oauth.identity`.

The connected app, callback and scope rules are in :mod:`emulator.oauth.client`; the pending
authorizations and codes in :mod:`emulator.oauth.flow`. Tokens themselves live in the org's
:class:`~emulator.sessions.TokenStore`.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

# Modules, not their functions: ``token``, ``revoke`` and ``identity`` are both, and binding the
# function here would hide the submodule of the same name.
from emulator.oauth import identity, pages, revoke, token


def routes() -> list[BaseRoute]:
    """The OAuth and identity routes."""
    return [
        Route("/services/oauth2/authorize", pages.authorize, methods=["GET"]),
        Route("/services/oauth2/authorize/login", pages.login, methods=["POST"]),
        Route("/services/oauth2/authorize/consent", pages.consent, methods=["POST"]),
        Route("/services/oauth2/token", token.token, methods=["POST"]),
        Route("/services/oauth2/revoke", revoke.revoke, methods=["POST", "GET"]),
        Route("/services/oauth2/userinfo", identity.userinfo, methods=["GET", "POST"]),
        Route("/id/{org_id}/{user_id}", identity.identity, methods=["GET"]),
    ]
