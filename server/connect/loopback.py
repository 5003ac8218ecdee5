"""``callforce connect`` in a terminal: the browser sign-in, with a callback server on loopback.

:func:`connect_in_browser` listens on ``127.0.0.1`` — on ``CALLFORCE_HTTP_PORT`` (8000) when it
is free, so the callback is the one the Salesforce app already lists
(``http://127.0.0.1:8000/oauth/callback``), else on any free port (the app must then list that
callback too) — starts a :class:`~server.connect.flow.ConnectFlow` attempt with that callback,
opens the browser at the org's authorize URL (and prints it, for when no browser opens), and
waits for Salesforce to send the browser back. The browser then shows whether it worked; the
terminal gets the connection, or :class:`~server.connect.flow.ConnectFailed`.

The server answers only ``/oauth/callback`` and lives for one attempt (at most 10 minutes).
A request with a ``state`` it did not issue gets an error page and changes nothing — the
attempt keeps waiting for its own callback. Ctrl-C ends the wait: :func:`connect_in_browser`
returns ``None`` and nothing is stored.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from typing import Any, TextIO

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from server import web
from server.connect.errors import ConnectFailed
from server.connect.flow import ATTEMPT_TTL_SECONDS, ConnectFlow
from server.connect.pages import CALLBACK_PATH, PAGE_HEADERS, templates
from server.settings import Settings
from server.store.interface import Connection, ConnectionStore

logger = logging.getLogger("callforce.connect")


def _listen(settings: Settings, out: TextIO) -> tuple[socket.socket, str]:
    """A loopback socket (the configured port if free) and its callback URL."""
    try:
        sock = web.listen("127.0.0.1", settings.http_port)
    except web.PortUnavailable:
        sock = web.listen("127.0.0.1", 0)
        print(
            f"Port {settings.http_port} is busy (is `callforce serve` running? Its page at "
            f"http://127.0.0.1:{settings.http_port}/ connects orgs too), so the callback is "
            f"{web.url_of(sock, CALLBACK_PATH)}: the Salesforce app must list it.",
            file=out,
        )
    return sock, web.url_of(sock, CALLBACK_PATH)


def _finished_page(conn: Connection | None, failure: ConnectFailed | None) -> Response:
    context = {
        "title": "Connected" if conn else "Not connected",
        "conn": conn,
        "message": failure.message if failure else "",
        "hint": failure.hint if failure else "",
    }
    body = templates().get_template("finished.html").render(**context)
    return HTMLResponse(body, status_code=200 if conn else 400, headers=PAGE_HEADERS)


async def connect_in_browser(
    settings: Settings,
    store: ConnectionStore,
    *,
    choice: str,
    name: str = "",
    my_domain: str | None = None,
    reconnect: bool = False,
    open_browser: Callable[[str], object],
    out: TextIO,
) -> Connection | None:
    """Sign in through the browser; the saved connection, or ``None`` when Ctrl-C ended the wait.

    Raises :class:`ConnectFailed` when the attempt cannot start or Salesforce's answer is not
    usable (nothing is stored then).
    """
    flow = ConnectFlow(settings, store)
    sock, callback_url = _listen(settings, out)
    try:
        url = flow.begin(
            choice=choice,
            name=name,
            my_domain=my_domain,
            reconnect=reconnect,
            redirect_uri=callback_url,
        )
    except ConnectFailed:
        sock.close()
        raise
    outcome: asyncio.Future[Connection] = asyncio.get_running_loop().create_future()

    async def callback(request: Request) -> Response:
        query = request.query_params
        try:
            conn = await flow.complete(
                query.get("state"),
                code=query.get("code"),
                error=query.get("error"),
                error_description=query.get("error_description"),
            )
        except ConnectFailed as exc:
            # Someone else's request (no state of ours) must not end our attempt.
            if exc.reason not in ("state_unknown", "wrong_browser") and not outcome.done():
                outcome.set_exception(exc)
            return _finished_page(None, exc)
        if not outcome.done():
            outcome.set_result(conn)
        return _finished_page(conn, None)

    server = web.HttpServer(Starlette(routes=[Route(CALLBACK_PATH, callback, methods=["GET"])]))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        print(
            f"Sign in to Salesforce in your browser. If it does not open, open:\n  {url}", file=out
        )
        print("Waiting for Salesforce to send the browser back (Ctrl-C cancels) …", file=out)
        # In a thread: a console browser (www-browser) runs until it is closed, and the
        # callback server must keep serving meanwhile.
        if not await asyncio.to_thread(open_browser, url):
            logger.info("no browser could be opened; the URL is printed")
        either: list[asyncio.Future[Any]] = [outcome, serving]
        finished, _ = await asyncio.wait(
            either, timeout=ATTEMPT_TTL_SECONDS, return_when=asyncio.FIRST_COMPLETED
        )
        if outcome in finished:
            return outcome.result()
        if serving in finished:  # Ctrl-C (the server took the signal) or a server failure
            serving.result()
            return None
        raise ConnectFailed("state_expired")
    finally:
        # The browser's page is answered before the server stops: shutdown lets it finish.
        server.should_exit = True
        await asyncio.wait({serving}, timeout=5)
        sock.close()
