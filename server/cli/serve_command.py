"""``callforce serve``: MCP over stdio (the default) or Streamable HTTP, for real use.

The command's options override the settings; the configured actions (``--actions``) are checked
against the org before anything is served, and a failed check ends the command with its status.
Over stdio, stdout is the wire once the server runs: nothing else may write to it. The MCP SDK,
the web transport and the store are imported only when the command runs. With the ``otel`` extra
and ``OTEL_EXPORTER_OTLP_ENDPOINT`` set, tool calls are exported as spans
(:mod:`server.activity.tracing`).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from server.settings import Settings

if TYPE_CHECKING:
    from server.store.interface import ConnectionStore


def serve(args: argparse.Namespace, settings: Settings) -> int:
    """Serve with the settings and the command's options; the exit status."""
    overrides: dict[str, object] = {}
    if args.host is not None:
        overrides["http_host"] = args.host
    if args.port is not None:
        overrides["http_port"] = args.port
    if args.read_only:
        overrides["read_only"] = True
    if args.stateless:
        overrides["http_stateless"] = True
    if args.actions is not None:
        overrides["actions"] = Path(args.actions)
    if args.expose is not None:
        overrides["expose"] = args.expose
    settings = settings.model_copy(update=overrides)
    if settings.expose == "actions" and settings.actions is None:
        print(
            "callforce serve: --expose actions serves only configured actions: give the action "
            "file with --actions FILE (or CALLFORCE_ACTIONS).",
            file=sys.stderr,
        )
        return 2
    from server.activity import tracing  # noqa: PLC0415 - only when serving

    # The CLI is the edge: the one place the environment is read (OTEL_* for the exporter).
    tracing.configure(os.environ)
    if args.transport == "stdio":
        return _serve_stdio(settings)
    return _serve_http(settings)


def _actions(settings: Settings, store: ConnectionStore) -> list[Any] | int:
    """The checked action tools of ``settings.actions`` (none without one), else a status."""
    if settings.actions is None:
        return []
    from server.actions.cli import prepare  # noqa: PLC0415 - keep `callforce` start-up light

    return prepare("callforce serve", settings, store, settings.actions, sys.stderr)


def _serve_stdio(settings: Settings) -> int:
    from server.app import build_server  # noqa: PLC0415 - keep `callforce` start-up light
    from server.store.opening import open_store  # noqa: PLC0415

    store = open_store(settings)
    try:
        actions = _actions(settings, store)
        if isinstance(actions, int):
            return actions
        # stdout is the wire from here on: nothing else may write to it.
        build_server(settings, store=store, actions=actions).run("stdio")
    finally:
        store.close()
    return 0


def _serve_http(settings: Settings) -> int:
    from server import web  # noqa: PLC0415 - keep `callforce` start-up light
    from server.store.opening import open_store  # noqa: PLC0415

    try:
        web.check_bind(settings)
        sock = web.listen(settings.http_host, settings.http_port)
    except (web.UnsafeBind, web.PortUnavailable) as exc:
        print(f"callforce serve: {exc}", file=sys.stderr)
        return 2
    store = open_store(settings)
    try:
        actions = _actions(settings, store)
        if isinstance(actions, int):
            return actions
        app = web.build_app(settings, store, actions=actions)
        guarded = "bearer token required" if settings.api_tokens else "no token required"
        if settings.http_stateless:
            guarded = f"stateless, {guarded}"
        served = f"; {len(actions)} configured actions" if actions else ""
        print(
            f"callforce: MCP over Streamable HTTP at {web.url_of(sock, web.MCP_PATH)} "
            f"({guarded}{served}); connect page at {web.url_of(sock, '/')}. Ctrl-C stops.",
            file=sys.stderr,
            flush=True,
        )
        web.HttpServer(app, log_level=settings.log_level).run(sockets=[sock])
    finally:
        sock.close()
        store.close()
    return 0
