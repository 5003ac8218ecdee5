"""The HTTP side of callforce: MCP over Streamable HTTP at ``/mcp``, ``/healthz`` and the connect
page at ``/``.

:func:`build_app` mounts the MCP server's ``streamable_http_app()`` last (it matches every path)
and runs its ``session_manager.run()`` — which also enters the server's own lifespan — in the
Starlette lifespan. :func:`routes` builds the route list: health, the connect page
(:func:`server.connect.pages.connect_routes`), any ``extra`` routes, then the MCP mount.

Security, in the order a request meets it:

1. **Bind.** Loopback by default. :func:`check_bind` refuses any other address unless
   ``CALLFORCE_ALLOWED_HOSTS`` *and* ``CALLFORCE_API_TOKENS`` are set, every token at least
   :data:`MIN_PUBLIC_TOKEN_CHARS` characters long.
2. **Host and Origin** (DNS-rebinding protection), with the SDK's own check and settings
   (:func:`transport_security`): loopback names, plus the configured hosts. It guards ``/mcp``
   (inside the SDK) and every other page (:class:`HostCheck`) except ``/healthz``, which says
   nothing but "ok" and the version, so probes may use any name.
3. **Bearer token** (:func:`protect`), when API tokens are configured: ``/mcp`` answers 401
   without ``Authorization: Bearer <one of the tokens>``, and 429 with ``Retry-After`` to an
   address that sent too many wrong ones (:mod:`server.connect.admission`: constant-time
   comparison, a per-address lock-out that doubles). The header is removed before the request
   goes further: a client's token never reaches a tool, so it can never be forwarded to
   Salesforce. The connect page at ``/`` asks for the same tokens, counted by the same throttle —
   as a bearer header, or entered once on its sign-in form for a cookie — except on its OAuth
   callback, which only a ``state`` it issued can use (:mod:`server.connect.pages`).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import threading
from collections.abc import AsyncIterator, Coroutine, Iterator, Sequence
from types import FrameType
from typing import Any, TypeVar

import uvicorn
from mcp.server.transport_security import TransportSecurityMiddleware, TransportSecuritySettings
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.loops.auto import auto_loop_factory

from server import __version__
from server.app import build_server
from server.connect.admission import ApiTokens
from server.connect.pages import connect_routes
from server.salesforce.instances import is_loopback_host
from server.salesforce.usage import ApiUsage
from server.settings import Settings
from server.store.interface import ConnectionStore
from server.toolkit import ToolSpec

_T = TypeVar("_T")
MCP_PATH = "/mcp"
HEALTH_PATH = "/healthz"
_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
#: The shortest API token a non-loopback bind accepts (``secrets.token_urlsafe(32)`` gives 43).
MIN_PUBLIC_TOKEN_CHARS = 32


class UnsafeBind(Exception):  # noqa: N818 - it names what is refused, like the errors tree
    """A non-loopback bind without the allowed hosts and API tokens it needs."""


def check_bind(settings: Settings) -> None:
    """Refuse to listen beyond this machine unless hosts and tokens say who may come in."""
    host = settings.http_host
    if is_loopback_host(host):
        return
    missing = [
        name
        for name, value in (
            ("CALLFORCE_ALLOWED_HOSTS", settings.allowed_hosts),
            ("CALLFORCE_API_TOKENS", settings.api_tokens),
        )
        if not value
    ]
    if missing:
        raise UnsafeBind(
            f"refusing to listen on {host}: a non-loopback address needs "
            f"{' and '.join(missing)}. Anyone who can reach the port could act on your "
            "Salesforce orgs, so set CALLFORCE_ALLOWED_HOSTS (the host names clients use, e.g. "
            "mcp.example.com) and CALLFORCE_API_TOKENS (long random bearer tokens), or bind "
            "127.0.0.1."
        )
    short = [
        f"the {_ordinal(number)} has {len(value)}"
        for number, token in enumerate(settings.api_tokens, start=1)
        if len(value := token.get_secret_value()) < MIN_PUBLIC_TOKEN_CHARS
    ]
    if short:
        # Lengths and positions only: the refusal goes to a terminal or a log, the token not.
        raise UnsafeBind(
            f"refusing to listen on {host}: on a non-loopback address every API token must be "
            f"at least {MIN_PUBLIC_TOKEN_CHARS} characters long; in CALLFORCE_API_TOKENS "
            f"{', '.join(short)}. A short token can be guessed: make each with "
            "python -c 'import secrets; print(secrets.token_urlsafe(32))', or bind 127.0.0.1."
        )


def _ordinal(number: int) -> str:
    if 10 <= number % 100 <= 20:
        return f"{number}th"
    return f"{number}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(number % 10, 'th') }"


def transport_security(settings: Settings) -> TransportSecuritySettings:
    """Host/Origin allowlists: loopback names (any port, or none) plus ``settings.allowed_hosts``.

    A configured host without a port is allowed on any port; with a port, on that port only.
    """
    hosts = [*_LOOPBACK_NAMES, *(f"{name}:*" for name in _LOOPBACK_NAMES)]
    origins = [f"http://{host}" for host in hosts]
    for entry in settings.allowed_hosts:
        host = entry.strip().lower()
        has_port = host.rsplit("]", 1)[-1].count(":") == 1
        variants = [host] if has_port else [host, f"{host}:*"]
        hosts += variants
        origins += [f"{scheme}://{variant}" for scheme in ("https", "http") for variant in variants]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
    )


class HostCheck:
    """Host/Origin validation (the SDK's) for every page except ``/healthz``."""

    def __init__(self, app: ASGIApp, security: TransportSecuritySettings) -> None:
        self.app = app
        self._check = TransportSecurityMiddleware(security)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] != HEALTH_PATH:
            refused = await self._check.validate_request(Request(scope), is_post=False)
            if refused is not None:
                await refused(scope, receive, send)
                return
        await self.app(scope, receive, send)


class RequireBearer:
    """Answer 401 unless ``Authorization: Bearer <token>`` carries one of the API tokens, and 429
    (with ``Retry-After``) to an address locked out for wrong ones (:class:`ApiTokens`).

    The header is dropped before the wrapped app runs: nothing downstream can see, log or
    forward the client's token.
    """

    def __init__(self, app: ASGIApp, tokens: ApiTokens) -> None:
        self.app = app
        self._tokens = tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        presented = None
        headers = []
        for name, value in scope["headers"]:
            if name == b"authorization":
                scheme, _, token = value.decode("latin-1").partition(" ")
                if scheme.lower() == "bearer" and token.strip():
                    presented = token.strip()
            else:
                headers.append((name, value))
        client = scope.get("client")
        address = client[0] if client else None
        refused: Response | None = None
        if presented is not None and (wait := self._tokens.retry_after(address)):
            refused = JSONResponse(
                {
                    "error": "too_many_attempts",
                    "error_description": "too many wrong API tokens from this address: try "
                    f"again in {wait} s",
                },
                status_code=429,
                headers={"Retry-After": str(wait)},
            )
        elif presented is None or not self._tokens.check(presented, address):
            challenge = 'Bearer realm="callforce"'
            if presented is not None:
                challenge += ', error="invalid_token"'
            refused = JSONResponse(
                {
                    "error": "invalid_token" if presented else "unauthorized",
                    "error_description": "send Authorization: Bearer <one of CALLFORCE_API_TOKENS>",
                },
                status_code=401,
                headers={"WWW-Authenticate": challenge},
            )
        if refused is not None:
            await refused(scope, receive, send)
            return
        await self.app({**scope, "headers": headers}, receive, send)


def protect(app: ASGIApp, tokens: ApiTokens) -> ASGIApp:
    """``app`` behind the API tokens when some are configured; as is otherwise."""
    return RequireBearer(app, tokens) if tokens.required else app


async def health(_: Request) -> Response:
    """``GET /healthz``: up, and which version. Nothing else."""
    return JSONResponse({"status": "ok", "version": __version__})


def routes(
    settings: Settings,
    store: ConnectionStore,
    mcp_app: ASGIApp,
    *,
    extra: Sequence[BaseRoute] = (),
    tokens: ApiTokens | None = None,
    usage: ApiUsage | None = None,
) -> list[BaseRoute]:
    """Every route, in matching order: health, the connect page, ``extra``, then the MCP mount.

    The connect page (:mod:`server.connect.pages`: ``/``, its forms, ``/oauth/callback``) guards
    itself: the same API tokens (``tokens``, one throttle for all; by default the settings')
    as a bearer header or a sign-in cookie; it shows the daily API ``usage`` the MCP server's
    client keeps. Wrap ``extra`` routes that need the API tokens with :func:`protect`. The mount
    comes last: it matches any path.
    """
    tokens = tokens or ApiTokens(settings.api_tokens)
    return [
        Route(HEALTH_PATH, health, methods=["GET"]),
        *connect_routes(settings, store, tokens=tokens, usage=usage),
        *extra,
        Mount("/", app=protect(mcp_app, tokens)),
    ]


def build_app(
    settings: Settings,
    store: ConnectionStore,
    *,
    read_only: bool = False,
    actions: Sequence[ToolSpec[Any, Any]] = (),
    extra_routes: Sequence[BaseRoute] = (),
    tokens: ApiTokens | None = None,
) -> Starlette:
    """The Starlette app of ``callforce serve --transport http`` and ``callforce demo``.

    ``store`` is shared by the MCP server and the pages and stays open; the caller closes it.
    ``actions`` are the configured action tools (see :func:`server.app.build_server`).
    ``tokens`` (default: ``settings.api_tokens``) is for tests of the throttle's clock.
    """
    # One record of the orgs' daily API usage, filled by the MCP server's Salesforce client
    # and shown on the connect page (both live in this process).
    usage = ApiUsage()
    server = build_server(
        settings, read_only=read_only, store=store, actions=actions, api_usage=usage
    )
    security = transport_security(settings)
    # Stateless: no session state, JSON answers (no SSE stream to hold); the lifespan's
    # services stay process-wide either way (the session manager enters it once).
    mcp_app = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        transport_security=security,
        host=settings.http_host,
        stateless_http=settings.http_stateless,
        json_response=settings.http_stateless,
    )

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        # A mounted app's own lifespan never runs: the session manager (and with it the MCP
        # server's lifespan: the Salesforce client, describe cache …) is started here.
        async with server.session_manager.run():
            yield

    return Starlette(
        routes=routes(settings, store, mcp_app, extra=extra_routes, tokens=tokens, usage=usage),
        middleware=[Middleware(HostCheck, security=security)],
        lifespan=lifespan,
    )


class PortUnavailable(Exception):  # noqa: N818 - it names what went wrong
    """The address to listen on cannot be bound."""


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` (``port=0``: a free one), for :class:`HttpServer`.

    Its connections send each answer at once (``TCP_NODELAY``). Without it a keep-alive client
    waits for the 40 ms delayed ACK on every response: the plain asyncio loop sets it only on
    sockets made with ``IPPROTO_TCP``, and Linux hands it on to every accepted connection.
    """
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        raise PortUnavailable(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


def url_of(sock: socket.socket, path: str = "") -> str:
    """``http://host:port<path>`` for a bound socket."""
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}{path}"


def run_fast(main: Coroutine[Any, Any, _T]) -> _T:
    """Run ``main`` on the fastest event loop there is (uvloop when installed), as uvicorn's
    own ``run`` does; every process that serves HTTP starts its loop through here or uvicorn."""
    with asyncio.Runner(loop_factory=auto_loop_factory(use_subprocess=False)) as runner:
        return runner.run(main)


class HttpServer(uvicorn.Server):
    """uvicorn for callforce: quiet logs (``log_level``), no access log, and Ctrl-C or SIGTERM
    end it normally.

    uvicorn re-raises the signal after a graceful shutdown (so a plain ``uvicorn`` run ends in
    KeyboardInterrupt, or is killed by SIGTERM), and a second Ctrl-C skips the app's shutdown
    (the store and the Salesforce client would not be closed). Here every signal just asks for
    the graceful shutdown, which open streams cannot hold up for more than 3 seconds, and the
    command returns 0.
    """

    def __init__(self, app: ASGIApp, *, log_level: str = "WARNING") -> None:
        super().__init__(
            uvicorn.Config(
                app,
                log_config=None,
                # Its own lines are redacted like every other (server.cli.logs); access lines
                # (the full path with its query) are never written.
                log_level=log_level.lower(),
                access_log=False,
                server_header=False,
                lifespan="on",
                # An open SSE stream (a legacy client's GET) must not hold the shutdown forever.
                timeout_graceful_shutdown=3,
            )
        )

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        handled = (signal.SIGINT, signal.SIGTERM)
        original = {sig: signal.signal(sig, self._stop) for sig in handled}
        try:
            yield
        finally:
            for sig, handler in original.items():
                signal.signal(sig, handler)

    def _stop(self, sig: int, frame: FrameType | None) -> None:
        self.should_exit = True
