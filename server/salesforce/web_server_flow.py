"""The OAuth web-server flow with PKCE: a person signs in in a browser (CONTRACT.md §1).

:func:`pkce_pair` makes the verifier and its S256 challenge, :func:`authorization_url` is where
the browser goes, and :func:`exchange_code` trades the code the login host sends back (with the
verifier) for tokens, through the token POST of :mod:`server.salesforce.grants`.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import urlencode

import httpx

from server.salesforce.grants import TokenSet, post_token


def pkce_pair() -> tuple[str, str]:
    """A PKCE ``(code_verifier, code_challenge)`` for S256."""
    verifier = secrets.token_urlsafe(64)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorization_url(
    login_url: str,
    *,
    client_id: str,
    redirect_uri: str,
    state: str,
    code_challenge: str,
    scope: str = "api refresh_token",
) -> str:
    """Where to send the browser for the web-server flow with PKCE."""
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "scope": scope,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        }
    )
    return f"{login_url.rstrip('/')}/services/oauth2/authorize?{query}"


async def exchange_code(
    http: httpx.AsyncClient,
    *,
    login_url: str,
    client_id: str,
    client_secret: str | None,
    code: str,
    redirect_uri: str,
    code_verifier: str,
) -> TokenSet:
    """Trade an authorization code (and its PKCE verifier) for tokens."""
    return await post_token(
        http,
        login_url,
        {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": client_id,
            "client_secret": client_secret,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        },
    )
