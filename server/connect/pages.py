"""The connect page: the connections and their state, and "Connect Salesforce". No JavaScript.

:func:`connect_routes` (served by :mod:`server.web` beside ``/mcp``):

==========================  ==================================================================
``GET /``                   the page; ``?notice=…&name=…`` shows the outcome of the last step
``POST /connect``           start a connect (:class:`~server.connect.flow.ConnectFlow`): 303 to
                            the org's authorize URL, or the page again saying what to change
``GET /oauth/callback``     Salesforce sends the browser back here: 303 to
                            ``/?notice=connected&name=…`` or ``/?notice=<failure reason>``;
                            403 to any client but the browser that started it
``POST /disconnect``        revoke at Salesforce, then forget the connection even if that failed
``POST /default``           make a connection the default
``POST /signin``            trade an API token for a sign-in cookie (see below)
``GET /activity`` …         the activity pages, behind the same guard
                            (:mod:`server.connect.activity_pages`)
==========================  ==================================================================

The callback URL is ``http://<host>/oauth/callback`` for a loopback host (as the page was
opened: ``http://127.0.0.1:8000/oauth/callback`` by default) and ``https://<host>/oauth/callback``
for any other (a public deployment sits behind TLS); it must be listed in the Salesforce app.

Each connection's card shows the org's daily API usage (``used / allowance``) as the MCP
server's Salesforce client last read it from an answer's ``Sforce-Limit-Info``: the page sends
no request of its own for it, so before the first tool call it says "not measured yet".

Guards: the Host/Origin check of :mod:`server.web`, then :mod:`server.connect.guard` — with
``CALLFORCE_API_TOKENS`` set, every route but the callback needs a bearer token or a sign-in
(``POST /signin``), and an address that sent too many wrong tokens gets 429 with
``Retry-After`` (:mod:`server.connect.admission`); every form carries a CSRF value bound to the
browser's session cookie. The callback needs no sign-in: it does nothing without a ``state``
issued to this very browser (the attempt is bound to the session cookie) by a callforce sharing
this store — any replica — so a link carrying another person's code and state cannot connect
their org here. Another client's visit (a mail scanner or link preview opening the callback
first) is answered 403 on the spot — open the link in the browser that started the sign-in —
and leaves the attempt for that browser. Pages are never cached or framed; the CSP allows no
script at all.

Tokens never appear on a page, in a URL or in a log line; a notice in the URL is one of a fixed
set of texts, so a forged link cannot make the page say anything else.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from server import __version__
from server.connect.activity_pages import activity_routes
from server.connect.admission import ApiTokens
from server.connect.errors import ConnectFailed
from server.connect.flow import ConnectFlow
from server.connect.guard import PageGuard, read_form
from server.connect.view import connection_card, login_host, notice
from server.errors import CallforceError
from server.salesforce import grants, instances
from server.salesforce.client import SalesforceClient
from server.salesforce.usage import ApiUsage
from server.settings import Settings, derived_key
from server.store.interface import CONNECTION_NAME, Connection, ConnectionStore

CALLBACK_PATH = "/oauth/callback"

PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # same-origin, not no-referrer: under no-referrer a browser sends "Origin: null" with a
    # form POST, which the Host/Origin guard rightly refuses.
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
logger = logging.getLogger("callforce.connect")


@functools.cache
def templates() -> jinja2.Environment:
    """The pages' templates (``server/connect/templates``, autoescaped), loaded on first use."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("server.connect", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


#: What the connect pages' signing key is derived for (server.settings.derived_key).
PAGE_KEY_PURPOSE = "connect pages"


class ConnectPages:
    """The handlers behind :func:`connect_routes`; one instance per app."""

    def __init__(
        self,
        settings: Settings,
        store: ConnectionStore,
        flow: ConnectFlow,
        tokens: ApiTokens,
        usage: ApiUsage | None = None,
    ) -> None:
        self._settings = settings
        self._store = store
        self._flow = flow
        self._guard = PageGuard(tokens, derived_key(settings, PAGE_KEY_PURPOSE))
        self._usage = usage

    # -- rendering -----------------------------------------------------------------------------

    def _html(
        self, request: Request, template: str, context: dict[str, Any], status: int = 200
    ) -> Response:
        session, fresh = self._guard.session_or_new(request)
        page = templates().get_template(template)
        body = page.render(
            csrf=self._guard.csrf(session),
            version=__version__,
            mcp_url=f"{self._origin(request)}/mcp",
            **context,
        )
        response = HTMLResponse(body, status_code=status, headers=PAGE_HEADERS)
        if fresh:
            self._guard.keep_session(request, response, session)
        return response

    @staticmethod
    def _origin(request: Request) -> str:
        host = request.url.hostname or ""
        scheme = "http" if instances.is_loopback_host(host) else "https"
        return f"{scheme}://{request.url.netloc}"

    def callback_url(self, request: Request) -> str:
        """Where Salesforce sends the browser back: this host's ``/oauth/callback``."""
        return f"{self._origin(request)}{CALLBACK_PATH}"

    def _default_name(self) -> str | None:
        if self._settings.default_connection:
            return self._settings.default_connection.lower()
        chosen = self._store.default()
        return chosen.name.lower() if chosen else None

    def _page(
        self,
        request: Request,
        *,
        status: int = 200,
        notice: dict[str, Any] | None = None,
        form: Mapping[str, str] | None = None,
        form_error: ConnectFailed | None = None,
    ) -> Response:
        default = self._default_name()
        form = form or {}
        choice = form.get("environment", "production")
        context = {
            "title": "Salesforce connections",
            "connections": [
                connection_card(
                    conn,
                    default,
                    fixed_default=bool(self._settings.default_connection),
                    usage=self._usage.of(conn.name) if self._usage is not None else None,
                )
                for conn in self._store.list()
            ],
            "notice": notice,
            "form": {
                "environment": choice if choice in ("production", "sandbox", "mydomain") else "",
                "name": form.get("name", "")[:64],
                "my_domain": form.get("my_domain", "")[:200],
                "error": form_error.message if form_error else "",
                "hint": form_error.hint if form_error else "",
            },
            "production_host": login_host(self._settings.production_login_url),
            "sandbox_host": login_host(self._settings.sandbox_login_url),
            "configured": bool(self._settings.client_id),
            "callback_url": self.callback_url(request),
            "default_override": self._settings.default_connection,
        }
        return self._html(request, "connect.html", context, status)

    def _signin_page(self, request: Request, *, error: str = "", status: int = 401) -> Response:
        context = {"title": "Sign in", "error": error}
        return self._html(request, "signin.html", context, status)

    def _locked_out_page(self, request: Request, wait: int) -> Response:
        """429: this address sent too many wrong API tokens (:mod:`server.connect.admission`)."""
        error = (
            f"Too many wrong API tokens from this address: try again in {wait} seconds. "
            "Nothing was checked."
        )
        response = self._signin_page(request, error=error, status=429)
        response.headers["Retry-After"] = str(wait)
        return response

    def _refused(self, request: Request) -> Response | None:
        """The answer for a browser that may not see the page yet (locked out, or not signed
        in); None when it may."""
        if wait := self._guard.retry_after(request, presenting=False):
            return self._locked_out_page(request, wait)
        if not self._guard.signed_in(request):
            return self._signin_page(request)
        return None

    # The activity pages (server.connect.activity_pages) are framed and guarded as these are.
    refusal = _refused
    render = _html

    @staticmethod
    def _see_other(url: str) -> RedirectResponse:
        return RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})

    # -- handlers ------------------------------------------------------------------------------

    async def home(self, request: Request) -> Response:
        """``GET /``: the page."""
        if refused := self._refused(request):
            return refused
        return self._page(request, notice=notice(request.query_params, self._store))

    async def _checked_form(self, request: Request) -> dict[str, str] | Response:
        """The POSTed form, or the answer refusing it (not signed in, too big, CSRF)."""
        if refused := self._refused(request):
            return refused
        form = await read_form(request)
        if form is None:
            return HTMLResponse("The form is too large or malformed.", 400, headers=PAGE_HEADERS)
        if not self._guard.csrf_ok(request, form):
            notice = {
                "tone": "error",
                "title": "The form expired",
                "message": "This form was not sent from this page, or callforce restarted since "
                "the page was loaded.",
                "hint": "Nothing was changed. Try again on this page.",
                "details": [],
            }
            return self._page(request, status=403, notice=notice)
        return form

    async def connect(self, request: Request) -> Response:
        """``POST /connect``: begin the flow and send the browser to Salesforce."""
        form = await self._checked_form(request)
        if isinstance(form, Response):
            return form
        try:
            url = self._flow.begin(
                choice=form.get("environment", ""),
                name=form.get("name", ""),
                my_domain=form.get("my_domain"),
                reconnect=form.get("reconnect") == "1",
                redirect_uri=self.callback_url(request),
                # The session cookie binds the attempt to this browser (the CSRF check has
                # just proved it is there).
                binding=self._guard.session(request),
            )
        except ConnectFailed as exc:
            return self._page(request, status=400, form=form, form_error=exc)
        return self._see_other(url)

    async def callback(self, request: Request) -> Response:
        """``GET /oauth/callback``: finish the flow, then back to the page with the outcome."""
        query = request.query_params
        try:
            conn = await self._flow.complete(
                query.get("state"),
                code=query.get("code"),
                error=query.get("error"),
                error_description=query.get("error_description"),
                binding=self._guard.session(request) or "",
            )
        except ConnectFailed as exc:
            if exc.reason == "wrong_browser":
                return self._other_browser(exc)
            target = f"/?notice={exc.reason}"
            if exc.salesforce_error:
                target += f"&sf={quote(exc.salesforce_error)}"
        else:
            target = f"/?notice=connected&name={quote(conn.name)}"
        return self._see_other(target)

    @staticmethod
    def _other_browser(failure: ConnectFailed) -> Response:
        """The callback's answer to a client that did not start the attempt (a link scanner):
        said on the spot, without a redirect to a page it may not open, a cookie or a footer."""
        body = (
            templates()
            .get_template("other_browser.html")
            .render(title="Not connected", message=failure.message, hint=failure.hint)
        )
        return HTMLResponse(body, status_code=403, headers=PAGE_HEADERS)

    async def disconnect(self, request: Request) -> Response:
        """``POST /disconnect``: revoke at Salesforce and forget, even when revoking fails."""
        form = await self._checked_form(request)
        if isinstance(form, Response):
            return form
        conn = self._named(form)
        if conn is None:
            return self._see_other(f"/?notice=gone&name={quote(form.get('name', '')[:64])}")
        revoked = await self._revoke(conn)
        self._store.delete(conn.name)
        notice = "disconnected" if revoked else "unrevoked"
        return self._see_other(f"/?notice={notice}&name={quote(conn.name)}")

    def _named(self, form: Mapping[str, str]) -> Connection | None:
        name = form.get("name", "")
        return self._store.get(name) if CONNECTION_NAME.fullmatch(name) else None

    async def _revoke(self, conn: Connection) -> bool:
        token = conn.refresh_token or conn.access_token
        if token is None:
            return True
        try:
            async with (
                asyncio.timeout(self._settings.call_deadline_seconds),
                SalesforceClient(self._settings, self._store) as client,
            ):
                await grants.revoke(
                    client.http, login_url=conn.login_url, token=token.get_secret_value()
                )
        except (CallforceError, TimeoutError):
            logger.warning("could not revoke connection %r at its login host", conn.name)
            return False
        return True

    async def make_default(self, request: Request) -> Response:
        """``POST /default``: the tools' default connection."""
        form = await self._checked_form(request)
        if isinstance(form, Response):
            return form
        conn = self._named(form)
        if conn is None:
            return self._see_other(f"/?notice=gone&name={quote(form.get('name', '')[:64])}")
        self._store.set_default(conn.name)
        return self._see_other(f"/?notice=default&name={quote(conn.name)}")

    async def signin(self, request: Request) -> Response:
        """``POST /signin``: an API token in, a sign-in cookie out."""
        form = await read_form(request)
        session = self._guard.session(request)
        if form is None or session is None or not self._guard.csrf_ok(request, form):
            return self._signin_page(request, error="The form expired; try again.", status=403)
        if not self._guard.sign_in_required:
            return self._see_other("/")
        if wait := self._guard.retry_after(request):
            return self._locked_out_page(request, wait)
        if not self._guard.token_ok(form.get("token", "").strip(), request):
            return self._signin_page(request, error="That is not one of callforce's API tokens.")
        response = self._see_other("/")
        self._guard.sign_in(request, response, session)
        return response


def connect_routes(
    settings: Settings,
    store: ConnectionStore,
    *,
    flow: ConnectFlow | None = None,
    tokens: ApiTokens | None = None,
    usage: ApiUsage | None = None,
) -> list[BaseRoute]:
    """The connect page's routes (module docstring). ``tokens``: the app's API tokens, whose
    throttle ``/mcp`` shares (default: the settings' own); ``usage``: the daily API usage the
    MCP server's Salesforce client keeps, for each connection's bar (none: "not measured yet");
    ``flow`` is for tests."""
    pages = ConnectPages(
        settings,
        store,
        flow or ConnectFlow(settings, store),
        tokens or ApiTokens(settings.api_tokens),
        usage,
    )
    return [
        Route("/", pages.home, methods=["GET"]),
        Route("/connect", pages.connect, methods=["POST"]),
        Route(CALLBACK_PATH, pages.callback, methods=["GET"]),
        Route("/disconnect", pages.disconnect, methods=["POST"]),
        Route("/default", pages.make_default, methods=["POST"]),
        Route("/signin", pages.signin, methods=["POST"]),
        *activity_routes(store, pages),
    ]
