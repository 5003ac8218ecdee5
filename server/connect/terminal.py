"""``callforce connect``, ``status`` and ``disconnect``: the connection store from a terminal.

Without a headless option, ``callforce connect [--env production|sandbox|URL] [--name NAME]``
signs in through the browser, as the connect page does (:mod:`server.connect.loopback`): a
callback server on loopback, the browser opened at the org's login (the URL printed too), then
``Connected: NAME (USER on INSTANCE)``. It needs a person: without a terminal on standard input
it refuses (exit 2) rather than wait ten minutes for a browser nobody sees. ``--name`` of an
existing connection signs in again for it (same login host) — what a connection that
``needs_reconnect`` asks for.

The headless ways to connect (``--client-credentials``, ``--jwt``, ``--access-token``,
``--password``) are in :mod:`server.connect.headless`.

``disconnect`` revokes the refresh token (or the access token when there is none) at the login
host and forgets the connection even when the revoke fails — and says so, exit status 1.

This module is the CLI's edge: it alone reads the environment (for the token variables of the
headless grants), and hands it on as a mapping.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import webbrowser
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TextIO

from server.connect.errors import ConnectFailed
from server.connect.headless import ConnectRefused, connect_with_grant
from server.errors import CallforceError
from server.salesforce import grants
from server.salesforce.client import SalesforceClient
from server.settings import Settings
from server.store.interface import Connection, ConnectionStore
from server.store.opening import open_store, store_exists


def connect(
    args: argparse.Namespace,
    settings: Settings,
    *,
    stdin: TextIO | None = None,
    environ: Mapping[str, str] | None = None,
    open_browser: Callable[[str], object] | None = None,
) -> int:
    """``callforce connect``: 0 when connected, 1 when the org said no, 2 for a usage problem.

    ``open_browser`` (default :func:`webbrowser.open`) is for tests of the browser sign-in.
    """
    methods = [args.client_credentials, args.jwt, args.access_token, args.password]
    if sum(map(bool, methods)) > 1:
        print(
            "callforce connect: choose one of --client-credentials, --jwt, --access-token, "
            "--password",
            file=sys.stderr,
        )
        return 2
    if not any(methods):
        return _connect_in_browser(
            args, settings, stdin or sys.stdin, open_browser or webbrowser.open
        )
    if args.key:
        # Stored as an absolute path: renewals run from wherever the server starts.
        args.key = str(Path(args.key).expanduser().resolve())
    try:
        return asyncio.run(
            connect_with_grant(
                args, settings, stdin or sys.stdin, os.environ if environ is None else environ
            )
        )
    except ConnectRefused as exc:
        print(f"callforce connect: {exc}", file=sys.stderr)
        return 2
    except CallforceError as exc:
        print(f"callforce connect: {exc.message}", file=sys.stderr)
        return 1


def _connect_in_browser(
    args: argparse.Namespace,
    settings: Settings,
    stdin: TextIO,
    open_browser: Callable[[str], object],
) -> int:
    """The browser sign-in: 0 connected, 1 Salesforce said no, 2 usage, 130 cancelled."""
    if not stdin.isatty():
        print(
            "callforce connect: signing in through the browser needs a person at a terminal. "
            "From a script use --client-credentials, --jwt or --access-token "
            "(see `callforce connect --help`).",
            file=sys.stderr,
        )
        return 2
    # The loopback server brings uvicorn and the web stack: only this command needs them.
    from server.connect.loopback import connect_in_browser  # noqa: PLC0415

    env = args.env or "production"
    choice, my_domain = (env, None) if env in ("production", "sandbox") else ("mydomain", env)
    store = open_store(settings)
    try:
        name = (args.name or "").strip()
        reconnect = bool(name) and store.get(name) is not None
        try:
            conn = asyncio.run(
                connect_in_browser(
                    settings,
                    store,
                    choice=choice,
                    name=name,
                    my_domain=my_domain,
                    reconnect=reconnect,
                    open_browser=open_browser,
                    out=sys.stdout,
                )
            )
        except ConnectFailed as exc:
            hint = f"\n{exc.hint}" if exc.hint else ""
            print(f"callforce connect: {exc.message}{hint}", file=sys.stderr)
            return 2 if exc.reason == "input" else 1
        if conn is None:
            print("callforce connect: cancelled; nothing was saved.", file=sys.stderr)
            return 130
        if args.default:
            store.set_default(conn.name)
    finally:
        store.close()
    print(f"Connected: {conn.name} ({conn.username or 'unknown user'} on {conn.instance_url})")
    return 0


def _open_existing(settings: Settings) -> ConnectionStore | None:
    """The store, or ``None`` when there is none yet (reading never creates one)."""
    if not store_exists(settings):
        return None
    return open_store(settings)


def status(settings: Settings) -> int:
    """``callforce status``: a table of the connections and their state."""
    store = _open_existing(settings)
    if store is None:
        connections: list[Connection] = []
        default = None
    else:
        try:
            connections = store.list()
            chosen = store.default()
        finally:
            store.close()
        default = settings.default_connection or (chosen.name if chosen else None)
    if not connections:
        print("No connections. Connect an org with `callforce connect`, or try `callforce demo`.")
        return 0
    header = ("NAME", "ENVIRONMENT", "STATE", "INSTANCE", "USER", "DEFAULT")
    rows = [
        (
            conn.name,
            conn.environment,
            conn.state,
            conn.instance_url,
            conn.username or "-",
            "yes" if default and conn.name.lower() == default.lower() else "",
        )
        for conn in connections
    ]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    for row in (header, *rows):
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    for conn in connections:
        if conn.state != "connected" and conn.last_error:
            print(f"{conn.name}: {conn.last_error}")
    return 0


async def _revoke(settings: Settings, store: ConnectionStore, conn: Connection) -> str | None:
    """Revoke the connection's longest-lived token; why it failed, or ``None``."""
    token = conn.refresh_token or conn.access_token
    if token is None:
        return None
    try:
        async with asyncio.timeout(settings.call_deadline_seconds):
            async with SalesforceClient(settings, store) as client:
                await grants.revoke(
                    client.http, login_url=conn.login_url, token=token.get_secret_value()
                )
    except CallforceError as exc:
        return exc.message
    except TimeoutError:
        return "the login host did not answer in time"
    return None


def disconnect(name: str, settings: Settings) -> int:
    """``callforce disconnect NAME``: revoke at the login host, then forget the connection."""
    store = _open_existing(settings)
    if store is None:
        print(f"callforce disconnect: no connection named {name!r}", file=sys.stderr)
        return 1
    try:
        conn = store.get(name)
        if conn is None:
            known = ", ".join(c.name for c in store.list()) or "none"
            print(
                f"callforce disconnect: no connection named {name!r} (known: {known})",
                file=sys.stderr,
            )
            return 1
        failure = asyncio.run(_revoke(settings, store, conn))
        store.delete(conn.name)
    finally:
        store.close()
    if failure is None:
        print(f"Revoked {conn.name!r} at {conn.login_url} and forgot it.")
        return 0
    print(
        f"callforce disconnect: could not revoke {conn.name!r} at {conn.login_url}: {failure}\n"
        f"Forgot {conn.name!r} anyway. Its tokens stay valid at Salesforce until they expire "
        "or an admin revokes them (Setup → Connected Apps OAuth Usage).",
        file=sys.stderr,
    )
    return 1
