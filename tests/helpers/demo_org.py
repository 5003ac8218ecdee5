"""The demo org as callforce's tests reach it: the demo connected app and user, settings whose
login hosts are emulators, connections to the demo user saved in a store, and the emulator's
control endpoints (request log, fault rules).

The credentials and the API root are those the emulator's own tests use
(:mod:`tests.helpers.emulator`); they are re-exported here under the names callforce's tests use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from emulator.server import BackgroundEmulator
from server.salesforce import grants as auth
from server.settings import Settings
from server.store.interface import AuthKind, Connection
from server.store.sqlite import SQLiteConnectionStore
from tests.helpers.emulator import API, demo_user_id
from tests.helpers.emulator.web_flow import CLIENT_ID, CLIENT_SECRET
from tests.helpers.emulator.web_flow import PASSWORD as DEMO_PASSWORD
from tests.helpers.emulator.web_flow import USERNAME as DEMO_USER

__all__ = [
    "API",
    "CLIENT_ID",
    "CLIENT_SECRET",
    "CONNECTION",
    "DEMO_PASSWORD",
    "DEMO_USER",
    "add_fault",
    "clear_log",
    "connect",
    "demo_tokens",
    "make_settings",
    "password_tokens",
    "request_log",
    "save_demo",
    "token_requests",
]

#: The name of the default connection the tool and action tests make.
CONNECTION = "demo"
#: What the web-server flow grants callforce.
_SCOPE = "api refresh_token"


def make_settings(
    home: Path,
    production: BackgroundEmulator,
    sandbox: BackgroundEmulator | None = None,
    **overrides: Any,
) -> Settings:
    """Settings whose state lives under ``home`` and whose login hosts are emulators: Production
    is ``production``, Sandbox is ``sandbox`` (``production`` again when not given)."""
    values: dict[str, Any] = {
        "home": home,
        "production_login_url": production.base_url,
        "sandbox_login_url": (sandbox or production).base_url,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    values.update(overrides)
    return Settings(**values)


def demo_tokens(emulator: BackgroundEmulator) -> tuple[str, str]:
    """A fresh (access token, refresh token) pair of the demo user, issued by the org itself."""
    user_id = demo_user_id(emulator.org)
    refresh = emulator.org.tokens.issue_refresh_token(user_id, CLIENT_ID, _SCOPE)
    access = emulator.org.tokens.issue_access_token(user_id, CLIENT_ID, _SCOPE, refresh)
    return access, refresh


def save_demo(
    store: SQLiteConnectionStore,
    emulator: BackgroundEmulator,
    name: str = CONNECTION,
    *,
    auth_kind: AuthKind = "oauth",
    refresh: bool = True,
    **fields: Any,
) -> Connection:
    """Save a connection to the emulator's demo user with fresh tokens issued by the org; the
    saved connection. ``fields`` override the connection's fields.

    This is what the web-server flow leaves behind (an access token tied to a refresh token, or
    an access token alone with ``refresh=False``), without driving the login pages.
    """
    user_id = demo_user_id(emulator.org)
    if refresh:
        access, refresh_token = demo_tokens(emulator)
    else:
        access = emulator.org.tokens.issue_access_token(user_id, CLIENT_ID, _SCOPE)
        refresh_token = None
    values: dict[str, Any] = {
        "name": name,
        "environment": "production",
        "login_url": emulator.base_url,
        "instance_url": emulator.base_url,
        "auth_kind": auth_kind,
        "access_token": SecretStr(access),
        "refresh_token": SecretStr(refresh_token) if refresh_token else None,
        "org_id": emulator.org.org_id,
        "user_id": user_id,
        "username": DEMO_USER,
    }
    values.update(fields)
    conn = Connection(**values)
    store.save(conn)
    return conn


async def password_tokens(emulator: BackgroundEmulator) -> auth.TokenSet:
    """The demo user's tokens from the org's password grant (over HTTP, as a client would)."""
    async with httpx.AsyncClient() as http:
        return await auth.password(
            http,
            login_url=emulator.base_url,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            username=DEMO_USER,
            password=DEMO_PASSWORD,
        )


async def connect(store: SQLiteConnectionStore, emulator: BackgroundEmulator, name: str) -> None:
    """Connect the demo user: password grant for the session, a refresh token from the org.

    Unlike :func:`save_demo`, the session and the instance URL come from the login host. The
    password grant issues no refresh token, so one is issued by the org itself, as the
    web-server flow would have; the call path only ever sees what is in the store.
    """
    tokens = await password_tokens(emulator)
    refresh = emulator.org.tokens.issue_refresh_token(demo_user_id(emulator.org), CLIENT_ID, _SCOPE)
    store.save(
        Connection(
            name=name,
            environment="production",
            login_url=emulator.base_url,
            instance_url=tokens.instance_url,
            auth_kind="oauth",
            access_token=SecretStr(tokens.access_token),
            refresh_token=SecretStr(refresh),
            org_id=tokens.org_id,
            user_id=tokens.user_id,
            username=DEMO_USER,
            is_default=name == CONNECTION,
        )
    )


async def request_log(target: httpx.AsyncClient | BackgroundEmulator) -> list[dict[str, Any]]:
    """What reached the emulator since its log was last cleared, oldest first.

    ``target`` is a client of the emulator's /_emulator/ endpoints, or the emulator itself (a
    client is then opened for the one request).
    """
    if isinstance(target, BackgroundEmulator):
        async with httpx.AsyncClient(base_url=target.base_url) as http:
            return await request_log(http)
    response = await target.get("/_emulator/requests")
    entries: list[dict[str, Any]] = response.json()
    return entries


async def clear_log(control: httpx.AsyncClient) -> None:
    """Empty the emulator's request log."""
    await control.delete("/_emulator/requests")


async def add_fault(control: httpx.AsyncClient, **rule: Any) -> None:
    """Install a fault rule on the emulator."""
    response = await control.post("/_emulator/faults", json=rule)
    assert response.status_code == 201, response.text


def token_requests(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The token endpoint calls of a request log."""
    return [entry for entry in log if entry["path"] == "/services/oauth2/token"]
