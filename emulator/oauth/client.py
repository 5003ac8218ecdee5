"""The org's one connected app (the demo app) and the rules every OAuth flow shares.

- Client: ``config.client_id`` / ``config.client_secret``; any other consumer key is
  ``invalid_client_id``.
- Callback URLs: a loopback URL (``http://127.0.0.1``, ``http://localhost``, ``http://[::1]``, any
  port and path — a desktop or CLI client listens on an ephemeral port) or exactly one of
  ``config.redirect_uris``.
- Scopes: a request may name any scope of :data:`SCOPE_LABELS`; an unknown one is refused. Without
  ``scope`` the app's default grant :data:`DEFAULT_SCOPE` applies. A refresh token is issued only
  when the granted scope has ``refresh_token`` or ``offline_access`` — Salesforce's rule (``full``
  does not imply it); the default grant has ``refresh_token``, so a client that sends no scope
  still gets one.
- Users: only ``config.username`` has a password (``config.password``, without a security token).
- Host: the request's own ``scheme://host[:port]`` is both the login host and ``instance_url``,
  as a My Domain is.
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import Any
from urllib.parse import SplitResult, urlencode, urlsplit, urlunsplit

from starlette.requests import Request

from emulator.config import EmulatorConfig
from emulator.org import Org

#: What the consent page says about each scope (Salesforce's wording, grouped the same way).
SCOPE_LABELS: dict[str, str] = {
    "api": "Manage user data via APIs",
    "web": "Manage user data via Web browsers",
    "full": "Full access",
    "refresh_token": "Perform requests at any time",
    "offline_access": "Perform requests at any time",
    "id": "Access the identity URL service",
    "profile": "Access the identity URL service",
    "email": "Access the identity URL service",
    "address": "Access the identity URL service",
    "phone": "Access the identity URL service",
    "openid": "Access unique user identifiers",
    "chatter_api": "Access Connect REST API resources",
    "custom_permissions": "Access custom permissions",
    "visualforce": "Manage user data via Visualforce",
    "content": "Access content resources",
    "lightning": "Access Lightning applications",
}
DEFAULT_SCOPE = "api refresh_token"
#: Flows without a user's consent (password, client credentials, JWT bearer) get API access.
NON_INTERACTIVE_SCOPE = "api"
_REFRESH_SCOPES = frozenset({"refresh_token", "offline_access"})
_LOOPBACK_NAMES = frozenset({"localhost"})


def is_known_client(config: EmulatorConfig, client_id: str | None) -> bool:
    """Whether ``client_id`` is the consumer key of the org's connected app."""
    return bool(client_id) and client_id == config.client_id


def secret_matches(config: EmulatorConfig, secret: str | None) -> bool:
    """Whether ``secret`` is the app's consumer secret (compared in constant time)."""
    if not secret:
        return False
    return hmac.compare_digest(secret.encode(), config.client_secret.encode())


def redirect_uri_allowed(config: EmulatorConfig, uri: str | None) -> bool:
    """Whether the app may send codes to ``uri``: a loopback URL or a registered callback."""
    if not uri:
        return False
    if uri in config.redirect_uris:
        return True
    return _is_loopback(uri)


def _is_loopback(uri: str) -> bool:
    # Anything odd (userinfo, fragment, whitespace, a bad port) is refused rather than
    # interpreted: browsers and urllib disagree on such URLs, and that gap is how codes leak.
    if any(char.isspace() or char == "\\" or ord(char) < 0x20 for char in uri):
        return False
    try:
        parts = urlsplit(uri)
        _ = parts.port
    except ValueError:
        return False
    if parts.scheme != "http" or parts.fragment or "@" in parts.netloc or not parts.hostname:
        return False
    host = parts.hostname
    if host in _LOOPBACK_NAMES:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return str(address) in ("127.0.0.1", "::1")


def with_query(uri: str, params: dict[str, str | None]) -> str:
    """``uri`` with ``params`` appended to its query (``None`` values left out).

    Values are form-encoded as Salesforce does: ``=`` → ``%3D``, space → ``+``.
    """
    parts = urlsplit(uri)
    extra = urlencode({key: value for key, value in params.items() if value is not None})
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit(SplitResult(parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def parse_scope(raw: str | None) -> str | None:
    """The normalised scope string for a requested ``scope``, or ``None`` when it is not allowed.

    Duplicates are dropped; order is kept. An absent or blank scope gets the default grant.
    """
    if raw is None or not raw.strip():
        return DEFAULT_SCOPE
    names = list(dict.fromkeys(raw.split()))
    if any(name not in SCOPE_LABELS for name in names):
        return None
    return " ".join(names)


def issues_refresh_token(scope: str) -> bool:
    """Whether a grant of ``scope`` comes with a refresh token."""
    return not _REFRESH_SCOPES.isdisjoint(scope.split())


def scope_descriptions(scope: str) -> list[tuple[str, list[str]]]:
    """``[(label, [scope names])]`` for the consent page, one entry per distinct label."""
    grouped: dict[str, list[str]] = {}
    for name in scope.split():
        grouped.setdefault(SCOPE_LABELS[name], []).append(name)
    return list(grouped.items())


def authenticate(org: Org, username: str | None, password: str | None) -> dict[str, Any] | None:
    """The demo user when ``username``/``password`` are its credentials, else ``None``."""
    if not username or not password:
        return None
    config = org.config
    if username.casefold() != config.username.casefold():
        return None
    if not hmac.compare_digest(password.encode(), config.password.encode()):
        return None
    return org.user_by_username(config.username)


def active_user(org: Org, user_id: str) -> dict[str, Any] | None:
    """The User record of ``user_id`` when it still exists and is active."""
    user = org.store.get("User", user_id)
    if user is None or not user.get("IsActive", True):
        return None
    return user


def instance_url(request: Request) -> str:
    """The emulator's base URL as the client reached it, without a trailing slash."""
    return f"{request.url.scheme}://{request.url.netloc}"


def identity_url(request: Request, org: Org, user_id: str) -> str:
    """The identity URL (token ``id``, userinfo ``sub``): ``{instance}/id/{org}/{user}``."""
    return f"{instance_url(request)}/id/{org.org_id}/{user_id}"
