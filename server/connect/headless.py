"""``callforce connect`` without a browser: the headless grants, for scripts and servers.

- ``--client-credentials``: the client credentials grant with ``CALLFORCE_CLIENT_ID`` /
  ``CALLFORCE_CLIENT_SECRET`` against the org's My Domain (``--env https://…my.salesforce.com``);
  renewed the same way when the session ends.
- ``--jwt --username U --key FILE``: the JWT bearer grant for ``CALLFORCE_CLIENT_ID``, signed
  with the PEM key in FILE (its path is stored, never the key); renewed the same way.
- ``--access-token --instance-url URL [--refresh-token]``: tokens obtained elsewhere (the
  Salesforce CLI, a script). **Tokens never come from the command line** — argv shows in shell
  history and ``ps``: they are read from ``CALLFORCE_ACCESS_TOKEN`` / ``CALLFORCE_REFRESH_TOKEN``,
  else from standard input (access token on the first line, refresh token on the second; a
  hidden prompt on a terminal). Without a refresh token the connection lasts one session.
- ``--password --username U``: the username-password grant, for the local emulator only
  (refused unless the login host is loopback). The password comes from ``CALLFORCE_PASSWORD``
  or standard input; without ``CALLFORCE_CLIENT_ID`` the emulator's demo app is used.

Every token is checked against the org's REST API before it is stored, and stored encrypted;
the user's name comes from ``/services/oauth2/userinfo`` when the token's scope allows it. The
first connection of a store becomes the default; ``--default`` moves it.

The token variables above are read from the ``environ`` mapping :mod:`server.connect.terminal`
passes in, never from ``os.environ`` directly.
"""

from __future__ import annotations

import argparse
import getpass
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

import httpx
from pydantic import SecretStr

from server.salesforce import grants, instances
from server.salesforce.client import SalesforceClient
from server.settings import Settings
from server.store.interface import AuthKind, Connection, Environment
from server.store.opening import open_store

#: The emulator's demo connected app, used by ``--password`` when no app is configured.
DEMO_APP = ("callforce-demo", "callforce-demo-secret")
_WELL_KNOWN_LOGIN_HOSTS = ("login.salesforce.com", "test.salesforce.com")
_NAME_LABEL = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")


@dataclass(frozen=True, slots=True)
class _Grant:
    """How a connection was made, as the store keeps it (tokens aside)."""

    auth_kind: AuthKind
    client_id: str | None = None
    username: str | None = None
    key_path: str | None = None


class ConnectRefused(Exception):  # noqa: N818 - it names what happened, like the errors tree
    """The command cannot go ahead; ``str()`` says why and what to do instead."""


def login_url_for(env: str, settings: Settings) -> tuple[Environment, str]:
    """``--env`` → (environment, login URL): production, sandbox, or a login URL of its own."""
    if env == "production":
        return "production", settings.production_login_url
    if env == "sandbox":
        return "sandbox", settings.sandbox_login_url
    try:
        parts = urlsplit(env)
        _ = parts.port  # raises ValueError on a bad port
    except ValueError:
        raise ConnectRefused(f"--env {env!r} is not a URL") from None
    host = parts.hostname or ""
    secure = parts.scheme == "https" or (
        parts.scheme == "http" and instances.is_loopback_host(host)
    )
    if (
        not host
        or not secure
        or parts.username is not None
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        raise ConnectRefused(
            "--env takes production, sandbox, or the org's login URL such as "
            "https://yourdomain.my.salesforce.com (https; http only for a local emulator)"
        )
    return "custom", f"{parts.scheme}://{parts.netloc}"


def default_name(env: str, login_url: str) -> str:
    """The connection name when ``--name`` is not given."""
    if env in ("production", "sandbox"):
        return env
    host = urlsplit(login_url).hostname or ""
    if instances.is_loopback_host(host):
        return "local"
    label = host.split(".", 1)[0]
    return label if _NAME_LABEL.fullmatch(label) else "custom"


def read_secret(variable: str, what: str, stdin: TextIO, environ: Mapping[str, str]) -> str:
    """A secret from ``variable`` in the environment, else the next line of standard input."""
    value = environ.get(variable, "").strip()
    if not value:
        value = getpass.getpass(f"{what}: ") if stdin.isatty() else stdin.readline()
        value = value.strip()
    if not value:
        raise ConnectRefused(f"no {what}: set {variable} or write it to standard input")
    return value


async def check_token(http: httpx.AsyncClient, instance_url: str, token: str, version: str) -> None:
    """ConnectRefused unless the org's REST API accepts ``token`` (what every tool call needs)."""
    try:
        response = await http.get(
            f"{instance_url}/services/data/v{version}/",
            headers={"Authorization": f"Bearer {token}"},
        )
    except httpx.HTTPError:
        raise ConnectRefused(f"{instance_url} did not answer") from None
    if response.status_code != 200:
        raise ConnectRefused(
            f"the org at {instance_url} refused the access token (HTTP {response.status_code})"
        )


async def whoami(http: httpx.AsyncClient, instance_url: str, token: str) -> dict[str, Any]:
    """The org's userinfo for ``token``, or ``{}``: it needs a scope not every token has."""
    try:
        response = await http.get(
            f"{instance_url}/services/oauth2/userinfo",
            headers={"Authorization": f"Bearer {token}"},
        )
        body = response.json() if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        body = None
    return body if isinstance(body, dict) else {}


def _client_app(settings: Settings) -> tuple[str, str]:
    if not settings.client_id or settings.client_secret is None:
        raise ConnectRefused("set CALLFORCE_CLIENT_ID and CALLFORCE_CLIENT_SECRET (the org's app)")
    return settings.client_id, settings.client_secret.get_secret_value()


async def _tokens(
    args: argparse.Namespace,
    settings: Settings,
    http: httpx.AsyncClient,
    login_url: str,
    stdin: TextIO,
    environ: Mapping[str, str],
) -> tuple[grants.TokenSet, _Grant]:
    """Run the chosen grant: the tokens, and how they were obtained."""
    host = urlsplit(login_url).hostname or ""
    if args.client_credentials:
        if host in _WELL_KNOWN_LOGIN_HOSTS:
            raise ConnectRefused(
                "client credentials need the org's My Domain: "
                "--env https://yourdomain.my.salesforce.com"
            )
        client_id, secret = _client_app(settings)
        tokens = await grants.client_credentials(
            http, login_url=login_url, client_id=client_id, client_secret=secret
        )
        grant = _Grant("client_credentials", client_id=client_id)
    elif args.jwt:
        if not args.username or not args.key:
            raise ConnectRefused("--jwt needs --username and --key FILE (a PEM private key)")
        if not settings.client_id:
            raise ConnectRefused("set CALLFORCE_CLIENT_ID (the connected app the key belongs to)")
        key_path = Path(args.key)
        tokens = await grants.jwt_bearer(
            http,
            login_url=login_url,
            client_id=settings.client_id,
            username=args.username,
            key_path=key_path,
        )
        grant = _Grant(
            "jwt", client_id=settings.client_id, username=args.username, key_path=str(key_path)
        )
    elif args.password:
        if not instances.is_loopback_host(host):
            raise ConnectRefused(
                "--password is for the local emulator only (a loopback login URL); "
                "use --client-credentials or --jwt for a real org"
            )
        if not args.username:
            raise ConnectRefused("--password needs --username")
        secret = read_secret("CALLFORCE_PASSWORD", "password", stdin, environ)
        app_id: str = DEMO_APP[0]
        app_secret: str | None = DEMO_APP[1]
        if settings.client_id:
            app_id = settings.client_id
            app_secret = (
                settings.client_secret.get_secret_value() if settings.client_secret else None
            )
        tokens = await grants.password(
            http,
            login_url=login_url,
            client_id=app_id,
            client_secret=app_secret,
            username=args.username,
            password=secret,
        )
        grant = _Grant("token", client_id=app_id, username=args.username)
    else:  # --access-token
        if not args.instance_url:
            raise ConnectRefused("--access-token needs --instance-url (the org's instance)")
        instance = instances.validate_instance_url(args.instance_url, login_url)
        access = read_secret("CALLFORCE_ACCESS_TOKEN", "access token", stdin, environ)
        refresh = None
        if args.refresh_token:
            if not settings.client_id:
                raise ConnectRefused(
                    "a refresh token is renewed through the app it was issued to: "
                    "set CALLFORCE_CLIENT_ID (and CALLFORCE_CLIENT_SECRET)"
                )
            refresh = read_secret("CALLFORCE_REFRESH_TOKEN", "refresh token", stdin, environ)
        tokens = grants.TokenSet(access_token=access, instance_url=instance, refresh_token=refresh)
        grant = _Grant("oauth", client_id=settings.client_id) if refresh else _Grant("token")
    return tokens, grant


async def connect_with_grant(
    args: argparse.Namespace, settings: Settings, stdin: TextIO, environ: Mapping[str, str]
) -> int:
    """Connect with the grant ``args`` chose, check the token, store the connection: 0.

    ConnectRefused for a usage problem; CallforceError when the org or the network said no.
    """
    environment, login_url = login_url_for(args.env, settings)
    name = args.name or default_name(args.env, login_url)
    try:  # the store's naming rule, checked before anything is sent
        Connection(name, environment, login_url, login_url, "token")
    except ValueError as exc:
        raise ConnectRefused(f"--name {name!r}: {exc}") from None
    store = open_store(settings)
    try:
        async with SalesforceClient(settings, store) as client:
            tokens, grant = await _tokens(args, settings, client.http, login_url, stdin, environ)
            access = tokens.access_token
            await check_token(client.http, tokens.instance_url, access, settings.api_version)
            info = await whoami(client.http, tokens.instance_url, access)
        existing = store.get(name)
        conn = Connection(
            name=name,
            environment=environment,
            login_url=login_url,
            instance_url=tokens.instance_url,
            auth_kind=grant.auth_kind,
            access_token=SecretStr(tokens.access_token),
            refresh_token=SecretStr(tokens.refresh_token) if tokens.refresh_token else None,
            org_id=tokens.org_id or _text(info.get("organization_id")),
            user_id=tokens.user_id or _text(info.get("user_id")),
            username=_text(info.get("preferred_username")) or grant.username,
            client_id=grant.client_id,
            key_path=grant.key_path,
            is_default=args.default or not store.list() or bool(existing and existing.is_default),
        )
        store.save(conn)
    finally:
        store.close()
    role = " (default)" if conn.is_default else ""
    print(
        f"Connected {conn.name!r}{role}: {conn.username or 'unknown user'} at {conn.instance_url}"
    )
    if conn.auth_kind == "token":
        print("  No refresh token: this connection works until the session ends.", file=sys.stderr)
    return 0


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
