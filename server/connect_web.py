"""The connect page: the connections and their state, and "Connect Salesforce". No JavaScript.

:func:`connect_routes` (served by :mod:`server.web` beside ``/mcp``):

==========================  ==================================================================
``GET /``                   the page; ``?notice=…&name=…`` shows the outcome of the last step
``POST /connect``           start a connect (:class:`~server.connect_flow.ConnectFlow`): 303 to
                            the org's authorize URL, or the page again saying what to change
``GET /oauth/callback``     Salesforce sends the browser back here: 303 to
                            ``/?notice=connected&name=…`` or ``/?notice=<failure reason>``
``POST /disconnect``        revoke at Salesforce, then forget the connection even if that failed
``POST /default``           make a connection the default
``POST /signin``            trade an API token for a sign-in cookie (see below)
==========================  ==================================================================

The callback URL is ``http://<host>/oauth/callback`` for a loopback host (as the page was
opened: ``http://127.0.0.1:8000/oauth/callback`` by default) and ``https://<host>/oauth/callback``
for any other (a public deployment sits behind TLS); it must be listed in the Salesforce app.

Guards (on top of :mod:`server.web`'s Host/Origin check):

- **Sign-in.** With ``CALLFORCE_API_TOKENS`` set — always so on a non-loopback bind, which
  :func:`server.web.check_bind` enforces — every route but the callback needs
  ``Authorization: Bearer <token>`` (as ``/mcp``) or the sign-in cookie a browser gets by
  entering a token once on the sign-in form (valid for 12 hours, or until callforce restarts).
  The callback needs neither: it does nothing without a ``state`` this process issued to this
  very browser.
- **CSRF.** Every form carries HMAC(process key, session cookie); a POST without the match is
  refused (403). ``Origin`` is checked by the Host/Origin guard.
- **Binding.** A connect attempt is bound to the browser's session cookie: the callback must
  arrive in the browser that pressed Connect, so a link carrying another person's code and
  state cannot connect their org here.
- **Cookies** (the session, the sign-in) are HttpOnly, ``SameSite=Lax`` (the callback arrives
  from Salesforce's site and must carry them), ``Secure`` over https, and named with the port:
  browsers share cookies between the ports of a host.
- Pages are never cached or framed; the CSP allows no script at all.

Tokens never appear on a page, in a URL or in a log line; a notice in the URL is one of a fixed
set of texts, so a forged link cannot make the page say anything else.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import logging
import re
import secrets
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import jinja2
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from server import __version__, auth
from server.connect_flow import REASONS, ConnectFailed, ConnectFlow, failure_text
from server.errors import CallforceError
from server.salesforce import SalesforceClient
from server.settings import Settings
from server.store import Connection, ConnectionStore

CALLBACK_PATH = "/oauth/callback"
SIGNIN_SECONDS = 12 * 60 * 60
_MAX_FORM_BYTES = 16 * 1024
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_ERROR_CODE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
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
_STATES = {
    "connected": "Connected",
    "needs_reconnect": "Needs reconnect",
    "disconnected": "Disconnected",
}
_ENVIRONMENTS = {"production": "Production", "sandbox": "Sandbox", "custom": "My Domain"}
logger = logging.getLogger("callforce.connect")


@functools.cache
def templates() -> jinja2.Environment:
    """The pages' templates (``server/templates``, autoescaped), loaded on first use."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("server", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class ConnectPages:
    """The handlers behind :func:`connect_routes`; one instance per app."""

    def __init__(self, settings: Settings, store: ConnectionStore, flow: ConnectFlow) -> None:
        self._settings = settings
        self._store = store
        self._flow = flow
        self._key = secrets.token_bytes(32)  # signs CSRF and sign-in values; dies with the process
        self._tokens = [_digest(token.get_secret_value()) for token in settings.api_tokens]

    # -- cookies, CSRF and sign-in -------------------------------------------------------------

    @staticmethod
    def _cookie(request: Request, purpose: str) -> str:
        port = request.url.port or (443 if request.url.scheme == "https" else 80)
        return f"callforce-{purpose}-{port}"

    def _sign(self, *parts: str) -> str:
        return hmac.new(self._key, "\x00".join(parts).encode(), hashlib.sha256).hexdigest()

    def _session(self, request: Request) -> str | None:
        value = request.cookies.get(self._cookie(request, "session"), "")
        return value if re.fullmatch(r"[A-Za-z0-9_-]{43}", value) else None

    def _csrf_ok(self, request: Request, form: Mapping[str, str]) -> bool:
        session = self._session(request)
        if session is None:
            return False
        return hmac.compare_digest(self._sign("csrf", session), form.get("csrf", ""))

    def _token_ok(self, presented: str) -> bool:
        digest = _digest(presented)
        matched = False
        for known in self._tokens:  # no early exit: every token is compared
            matched |= hmac.compare_digest(digest, known)
        return matched

    def _signed_in(self, request: Request) -> bool:
        if not self._tokens:
            return True
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return self._token_ok(token.strip())
        session = self._session(request)
        issued, _, signature = request.cookies.get(self._cookie(request, "signin"), "").partition(
            "."
        )
        if session is None or not issued.isdigit() or time.time() - int(issued) > SIGNIN_SECONDS:
            return False
        return hmac.compare_digest(self._sign("signin", session, issued), signature)

    def _set_cookie(
        self, request: Request, response: Response, purpose: str, value: str, **options: Any
    ) -> None:
        response.set_cookie(
            self._cookie(request, purpose),
            value,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            **options,
        )

    # -- rendering -----------------------------------------------------------------------------

    def _html(
        self, request: Request, template: str, context: dict[str, Any], status: int = 200
    ) -> Response:
        session = self._session(request)
        fresh = session is None
        if session is None:
            session = secrets.token_urlsafe(32)
        page = templates().get_template(template)
        body = page.render(
            csrf=self._sign("csrf", session),
            version=__version__,
            mcp_url=f"{self._origin(request)}/mcp",
            **context,
        )
        response = HTMLResponse(body, status_code=status, headers=PAGE_HEADERS)
        if fresh:
            self._set_cookie(request, response, "session", session, path="/")
        return response

    @staticmethod
    def _origin(request: Request) -> str:
        host = request.url.hostname or ""
        scheme = "http" if auth.is_loopback_host(host) else "https"
        return f"{scheme}://{request.url.netloc}"

    def callback_url(self, request: Request) -> str:
        """Where Salesforce sends the browser back: this host's ``/oauth/callback``."""
        return f"{self._origin(request)}{CALLBACK_PATH}"

    def _login_host(self, url: str) -> str:
        return urlsplit(url).netloc

    def _default_name(self) -> str | None:
        if self._settings.default_connection:
            return self._settings.default_connection.lower()
        chosen = self._store.default()
        return chosen.name.lower() if chosen else None

    def _card(self, conn: Connection, default: str | None) -> dict[str, Any]:
        return {
            "name": conn.name,
            "state": conn.state,
            "state_label": _STATES.get(conn.state, conn.state),
            "environment": _ENVIRONMENTS.get(conn.environment, conn.environment),
            "login_host": self._login_host(conn.login_url),
            "org_id": conn.org_id,
            "username": conn.username,
            "instance_url": conn.instance_url,
            "is_default": conn.name.lower() == default,
            "last_error": conn.last_error,
            "can_make_default": not self._settings.default_connection
            and conn.name.lower() != default,
        }

    def _notice(self, query: Mapping[str, str]) -> dict[str, Any] | None:
        """The banner for ``?notice=…``: fixed texts, the name only if it is a valid one."""
        kind = query.get("notice", "")
        name = query.get("name", "")
        name = name if _NAME.fullmatch(name) else ""
        if kind == "connected" and name:
            conn = self._store.get(name)
            if conn is None:
                return None
            return {
                "tone": "success",
                "title": "Connected",
                "message": f"The connection '{conn.name}' is ready for your agents.",
                "hint": "",
                "details": [
                    ("Org", conn.org_id or "unknown"),
                    ("User", conn.username or "unknown"),
                    ("Instance", conn.instance_url),
                ],
            }
        texts = {
            "disconnected": ("Disconnected", f"'{name}' was revoked at Salesforce and forgotten."),
            "unrevoked": (
                "Disconnected",
                f"'{name}' was forgotten, but Salesforce could not be reached to revoke its "
                "access. It ends when the tokens expire, or an admin revokes it in Setup → "
                "Connected Apps OAuth Usage.",
            ),
            "default": ("Default changed", f"Tools now use '{name}' unless told otherwise."),
            "gone": ("Not found", f"There is no connection named '{name}' any more."),
        }
        if kind in texts and name:
            title, message = texts[kind]
            tone = "success" if kind in ("disconnected", "default") else "warning"
            return {"tone": tone, "title": title, "message": message, "hint": "", "details": []}
        if kind in REASONS and kind != "input":
            code = query.get("sf", "")
            message, hint = failure_text(kind, code if _ERROR_CODE.fullmatch(code) else None)
            return {
                "tone": "error",
                "title": "Not connected",
                "message": message,
                "hint": hint,
                "details": [],
            }
        return None

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
            "connections": [self._card(conn, default) for conn in self._store.list()],
            "notice": notice,
            "form": {
                "environment": choice if choice in ("production", "sandbox", "mydomain") else "",
                "name": form.get("name", "")[:64],
                "my_domain": form.get("my_domain", "")[:200],
                "error": form_error.message if form_error else "",
                "hint": form_error.hint if form_error else "",
            },
            "production_host": self._login_host(self._settings.production_login_url),
            "sandbox_host": self._login_host(self._settings.sandbox_login_url),
            "configured": bool(self._settings.client_id),
            "callback_url": self.callback_url(request),
            "default_override": self._settings.default_connection,
        }
        return self._html(request, "connect.html", context, status)

    def _signin_page(self, request: Request, *, error: str = "", status: int = 401) -> Response:
        context = {"title": "Sign in", "error": error}
        return self._html(request, "signin.html", context, status)

    @staticmethod
    def _see_other(url: str) -> RedirectResponse:
        return RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})

    # -- handlers ------------------------------------------------------------------------------

    async def home(self, request: Request) -> Response:
        """``GET /``: the page."""
        if not self._signed_in(request):
            return self._signin_page(request)
        return self._page(request, notice=self._notice(request.query_params))

    async def _checked_form(self, request: Request) -> dict[str, str] | Response:
        """The POSTed form, or the answer refusing it (not signed in, too big, CSRF)."""
        if not self._signed_in(request):
            return self._signin_page(request)
        form = await _read_form(request)
        if form is None:
            return HTMLResponse("The form is too large or malformed.", 400, headers=PAGE_HEADERS)
        if not self._csrf_ok(request, form):
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
                binding=self._session(request),
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
                binding=self._session(request) or "",
            )
        except ConnectFailed as exc:
            target = f"/?notice={exc.reason}"
            if exc.salesforce_error:
                target += f"&sf={quote(exc.salesforce_error)}"
        else:
            target = f"/?notice=connected&name={quote(conn.name)}"
        return self._see_other(target)

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
        return self._store.get(name) if _NAME.fullmatch(name) else None

    async def _revoke(self, conn: Connection) -> bool:
        token = conn.refresh_token or conn.access_token
        if token is None:
            return True
        try:
            async with (
                asyncio.timeout(self._settings.call_deadline_seconds),
                SalesforceClient(self._settings, self._store) as client,
            ):
                await auth.revoke(
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
        form = await _read_form(request)
        session = self._session(request)
        if form is None or session is None or not self._csrf_ok(request, form):
            return self._signin_page(request, error="The form expired; try again.", status=403)
        if not self._tokens:
            return self._see_other("/")
        if not self._token_ok(form.get("token", "").strip()):
            return self._signin_page(request, error="That is not one of callforce's API tokens.")
        issued = str(int(time.time()))
        response = self._see_other("/")
        self._set_cookie(
            request,
            response,
            "signin",
            f"{issued}.{self._sign('signin', session, issued)}",
            path="/",
            max_age=SIGNIN_SECONDS,
        )
        return response


async def _read_form(request: Request) -> dict[str, str] | None:
    """An urlencoded form of at most 16 KiB (the last value of a repeated field), else None."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        return None
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > _MAX_FORM_BYTES:
                return None
    except ClientDisconnect:
        return None
    try:
        pairs = parse_qsl(body.decode(), keep_blank_values=True, max_num_fields=50)
    except (UnicodeDecodeError, ValueError):
        return None
    return dict(pairs)


def connect_routes(
    settings: Settings, store: ConnectionStore, *, flow: ConnectFlow | None = None
) -> list[BaseRoute]:
    """The connect page's routes (module docstring); ``flow`` is for tests."""
    pages = ConnectPages(settings, store, flow or ConnectFlow(settings, store))
    return [
        Route("/", pages.home, methods=["GET"]),
        Route("/connect", pages.connect, methods=["POST"]),
        Route(CALLBACK_PATH, pages.callback, methods=["GET"]),
        Route("/disconnect", pages.disconnect, methods=["POST"]),
        Route("/default", pages.make_default, methods=["POST"]),
        Route("/signin", pages.signin, methods=["POST"]),
    ]
