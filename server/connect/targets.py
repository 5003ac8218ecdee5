"""Where a connect goes: the environment a person chose, its login URL, the connection's name.

Production and Sandbox use the login hosts of the settings (``login.salesforce.com`` and
``test.salesforce.com`` unless tests point them at emulators); a My Domain URL must be https on
a Salesforce domain. Names follow the store's rule. Anything unusable is a
:class:`~server.connect.errors.ConnectFailed` with reason ``input`` saying what to change.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from server.connect.errors import ConnectFailed
from server.salesforce import instances
from server.settings import Settings
from server.store.interface import Connection, Environment

_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,63}")


def _refused_my_domain(detail: str) -> ConnectFailed:
    return ConnectFailed(
        "input",
        f"{detail} Enter your org's My Domain URL, such as https://yourcompany.my.salesforce.com "
        "(Setup → My Domain shows it).",
        "",
    )


def my_domain_login_url(text: str, settings: Settings) -> tuple[Environment, str]:
    """(environment, login URL) for a typed My Domain URL: https on a Salesforce domain.

    ``yourcompany.my.salesforce.com`` without a scheme is fine; a Lightning address
    (``….lightning.force.com``) becomes its My Domain. A loopback URL is accepted, http or https,
    only when a configured login host is loopback itself (the local emulator in tests).
    """
    raw = text.strip()
    if not raw:
        raise _refused_my_domain("The My Domain URL is empty.")
    if "://" not in raw:
        raw = f"https://{raw}"
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        raise _refused_my_domain("That is not a URL.") from None
    host = (parts.hostname or "").lower()
    if not instances.is_bare_origin(parts):
        raise _refused_my_domain("A My Domain URL is just https:// and a host name.")
    if instances.is_loopback_host(host):
        local = any(
            instances.is_loopback_host(urlsplit(url).hostname or "")
            for url in (settings.production_login_url, settings.sandbox_login_url)
        )
        if local and parts.scheme in ("http", "https"):
            return "custom", f"{parts.scheme}://{parts.netloc}"
        raise _refused_my_domain("A loopback address is not a Salesforce org.")
    if parts.scheme != "https" or port not in (None, 443):
        raise _refused_my_domain("A My Domain URL starts with https:// (and has no port).")
    for lightning, my_domain in (
        (".sandbox.lightning.force.com", ".sandbox.my.salesforce.com"),
        (".lightning.force.com", ".my.salesforce.com"),
    ):
        if host.endswith(lightning):
            host = host.removesuffix(lightning) + my_domain
            break
    if not any(host.endswith(f".{domain}") for domain in instances.SALESFORCE_DOMAINS):
        raise _refused_my_domain(f"{host} is not a Salesforce domain.")
    return (
        "sandbox" if host.endswith(".sandbox.my.salesforce.com") else "custom"
    ), f"https://{host}"


def resolve_environment(
    settings: Settings, choice: str, my_domain: str | None = None
) -> tuple[Environment, str]:
    """(environment, login URL) for the page's choice: production, sandbox or mydomain."""
    if choice == "production":
        return "production", settings.production_login_url
    if choice == "sandbox":
        return "sandbox", settings.sandbox_login_url
    if choice == "mydomain":
        return my_domain_login_url(my_domain or "", settings)
    raise ConnectFailed("input", "Choose where to connect: Production, Sandbox or My Domain.", "")


def default_name(choice: str, login_url: str) -> str:
    """The name a connection gets when none is typed: the environment, or the My Domain's name."""
    if choice in ("production", "sandbox"):
        return choice
    host = urlsplit(login_url).hostname or ""
    if instances.is_loopback_host(host):
        return "local"
    # acme--uat.sandbox.my.salesforce.com → acme-uat
    label = host.split(".", 1)[0].replace("--", "-")
    return label if _LABEL.fullmatch(label) else "mydomain"


def check_name(name: str) -> str:
    """``name`` stripped, if the store accepts it as a connection name."""
    name = name.strip()
    try:
        Connection(name, "production", "https://login.salesforce.com", "https://x", "oauth")
    except ValueError as exc:
        shown = name if len(name) <= 70 else name[:69] + "…"
        raise ConnectFailed("input", f"The name '{shown}' cannot be used: {exc}.", "") from None
    return name
