"""Which hosts callforce sends a token to: Salesforce's own, or this machine for the emulator.

A token answer names the org's ``instance_url``; every later request carries the bearer token
there, so it is checked before it is stored (:func:`validate_instance_url`): https on a
Salesforce domain, or a loopback URL only when the login host itself is loopback (the local
emulator), so that a token answer can never point callforce at this machine otherwise.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import SplitResult, urlsplit

from server.errors import InvalidInstanceUrl

#: Hosts a token may be sent to (an instance URL must be https on one of these, or a subdomain).
SALESFORCE_DOMAINS = (
    "salesforce.com",
    "force.com",
    "salesforce.mil",
    "cloudforce.com",
    "database.com",
)


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` is this machine (``localhost``, 127.0.0.0/8, ::1)."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_bare_origin(parts: SplitResult) -> bool:
    """Whether a split URL is only ``scheme://host[:port]`` (a trailing ``/`` allowed)."""
    return bool(parts.hostname) and not (
        parts.username is not None
        or parts.password is not None
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    )


def validate_instance_url(instance_url: str, login_url: str) -> str:
    """``instance_url`` as ``scheme://host[:port]`` when we may send tokens there.

    It must be https on a Salesforce domain (default port, no user info, path, query or
    fragment). A loopback URL, http or https, is accepted only when the login URL is loopback
    too — the local emulator — so a token response can never point us at this machine otherwise.
    """
    try:
        parts = urlsplit(instance_url)
        port = parts.port
    except ValueError:
        raise InvalidInstanceUrl(instance_url) from None
    host = (parts.hostname or "").lower()
    if not is_bare_origin(parts):
        raise InvalidInstanceUrl(instance_url)
    if is_loopback_host(host):
        if parts.scheme not in ("http", "https") or not is_loopback_host(
            urlsplit(login_url).hostname or ""
        ):
            raise InvalidInstanceUrl(instance_url)
        return f"{parts.scheme}://{parts.netloc}"
    on_salesforce = any(host.endswith(f".{domain}") for domain in SALESFORCE_DOMAINS)
    if parts.scheme != "https" or port not in (None, 443) or not on_salesforce:
        raise InvalidInstanceUrl(instance_url)
    return f"https://{host}"
