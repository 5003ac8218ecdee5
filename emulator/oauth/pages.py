"""The browser side of the web-server flow: ``/services/oauth2/authorize``, login and consent.

``GET /services/oauth2/authorize`` (``response_type=code``, ``client_id``, ``redirect_uri``,
``state``, ``scope``, ``code_challenge`` [+ ``code_challenge_method=S256``], ``login_hint``,
``prompt``, ``immediate``):

- unknown ``client_id`` → an error page ``invalid_client_id`` / ``client identifier invalid``;
  a callback that is neither loopback nor registered → an error page ``redirect_uri_mismatch``.
  Neither redirects: the callback is not verified yet, and redirecting there would make the
  emulator an open redirector.
- with a verified callback, other problems go back to it as Salesforce does:
  ``unsupported_response_type``, ``invalid_scope``, ``invalid_request`` (bad PKCE parameters),
  ``immediate_unsuccessful`` (``immediate=true``: the emulator keeps no browser session, so there
  is never a prior approval to reuse; for the same reason ``prompt`` changes nothing).
- otherwise the login page (``#username``, ``#password``, ``#Login``).

``POST /services/oauth2/authorize/login``: wrong credentials → the login page again with
Salesforce's message (five tries, then the authorization is dropped); right → the consent page
("Allow Access?", ``#oaapprove`` / ``#oadeny``). ``POST /services/oauth2/authorize/consent``:
Allow → ``302 redirect_uri?code=…&state=…``; Deny → ``302 redirect_uri?error=access_denied&
error_description=end-user+denied+authorization&state=…``.

Pages are server-rendered HTML (no JavaScript), never cached, never framed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import jinja2
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from emulator.oauth.client import (
    authenticate,
    is_known_client,
    parse_scope,
    redirect_uri_allowed,
    scope_descriptions,
    with_query,
)
from emulator.oauth.flow import AuthorizeRequest, flows_of
from emulator.request_context import org_of

LOGIN_FAILED_MESSAGE = (
    "Please check your username and password. If you still can't log in, contact your "
    "Salesforce administrator."
)
#: RFC 7636: 43–128 unreserved characters (an S256 challenge is always 43).
_PKCE_VALUE = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
_MAX_FIELD = 4096
_PAGE_HEADERS = {
    "Cache-Control": "no-cache,must-revalidate,max-age=0,no-store,private",
    "X-Frame-Options": "DENY",
    # No form-action: Chrome applies it to the redirect after the consent POST, which goes to
    # the client's own callback host.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def _templates(request: Request) -> jinja2.Environment:
    state = request.app.state
    env: jinja2.Environment | None = getattr(state, "oauth_templates", None)
    if env is None:
        env = jinja2.Environment(
            loader=jinja2.PackageLoader("emulator.oauth", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        state.oauth_templates = env
    return env


def _page(request: Request, template: str, context: dict[str, Any], status: int = 200) -> Response:
    org = org_of(request)
    html = (
        _templates(request)
        .get_template(template)
        .render(org_name=org.config.org_name, is_sandbox=org.config.is_sandbox, **context)
    )
    return HTMLResponse(html, status_code=status, headers=_PAGE_HEADERS)


def _error_page(request: Request, error: str, description: str, hint: str) -> Response:
    context = {"title": "OAuth Error", "error": error, "description": description, "hint": hint}
    return _page(request, "oauth_error.html", context, status=400)


def _expired_page(request: Request) -> Response:
    return _error_page(
        request,
        "invalid_request",
        "the login session is invalid or has expired",
        "Start again from the app that sent you here.",
    )


def _redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=302, headers={"Cache-Control": "no-store"})


def _login_page(
    request: Request, pending_id: str, client_id: str, username: str, error: str | None = None
) -> Response:
    context = {
        "pending_id": pending_id,
        "app_name": client_id,
        "username": username,
        "error": error,
    }
    return _page(request, "login.html", context)


def _field(values: Mapping[str, Any], name: str) -> str | None:
    value = values.get(name)
    return value if isinstance(value, str) and len(value) <= _MAX_FIELD else None


async def authorize(request: Request) -> Response:
    """``GET /services/oauth2/authorize``: check the request, then show the login page."""
    config = org_of(request).config
    params = request.query_params
    client_id = _field(params, "client_id")
    if client_id is None or not is_known_client(config, client_id):
        return _error_page(
            request,
            "invalid_client_id",
            "client identifier invalid",
            "The app's consumer key is not known to this org.",
        )
    redirect_uri = _field(params, "redirect_uri")
    if redirect_uri is None or not redirect_uri_allowed(config, redirect_uri):
        return _error_page(
            request,
            "redirect_uri_mismatch",
            "redirect_uri must match configuration",
            "Use a loopback callback (http://127.0.0.1, http://localhost or http://[::1], any "
            "port) or one of the emulator's configured redirect URIs.",
        )
    callback: str = redirect_uri
    state = _field(params, "state") or None

    def back(error: str, description: str) -> Response:
        answer = {"error": error, "error_description": description, "state": state}
        return _redirect(with_query(callback, answer))

    if state is None and params.get("state"):
        return back("invalid_request", "state is too long")
    if params.get("response_type") != "code":
        return back("unsupported_response_type", "response type not supported")
    scope = parse_scope(_field(params, "scope"))
    if scope is None:
        return back("invalid_scope", "the requested scope is not allowed")
    challenge = params.get("code_challenge")
    # Salesforce documents only SHA-256 challenges, so a missing method means S256.
    if params.get("code_challenge_method", "S256") != "S256":
        return back("invalid_request", "invalid code challenge method")
    if challenge is not None and not _PKCE_VALUE.fullmatch(challenge):
        return back("invalid_request", "invalid code challenge")
    if params.get("immediate", "").lower() == "true":
        return back("immediate_unsuccessful", "immediate unsuccessful")
    login_hint = _field(params, "login_hint") or ""
    pending_id = flows_of(request).start(
        AuthorizeRequest(client_id, callback, state, scope, challenge, login_hint)
    )
    return _login_page(request, pending_id, client_id, login_hint)


async def _read_form(request: Request) -> FormData | None:
    try:
        return await request.form(max_files=0, max_fields=20)
    except HTTPException:  # malformed multipart body or a file upload
        return None


async def login(request: Request) -> Response:
    """``POST /services/oauth2/authorize/login``: check the password, then ask for consent."""
    form = await _read_form(request)
    pending_id = _field(form, "pending") if form is not None else None
    flows = flows_of(request)
    pending = flows.pending(pending_id, logged_in=False)
    if form is None or pending_id is None or pending is None:
        return _expired_page(request)
    username = _field(form, "username") or ""
    user = authenticate(org_of(request), username, _field(form, "password"))
    if user is None:
        if not flows.record_failed_login(pending_id):
            return _error_page(
                request,
                "access_denied",
                "too many failed login attempts",
                "Start again from the app that sent you here.",
            )
        return _login_page(
            request, pending_id, pending.request.client_id, username, error=LOGIN_FAILED_MESSAGE
        )
    consent_id = flows.logged_in(pending_id, user["Id"])
    context = {
        "pending_id": consent_id,
        "app_name": pending.request.client_id,
        "username": user.get("Username", username),
        "scopes": scope_descriptions(pending.request.scope),
        "redirect_host": urlsplit(pending.request.redirect_uri).netloc,
    }
    return _page(request, "consent.html", context)


async def consent(request: Request) -> Response:
    """``POST /services/oauth2/authorize/consent``: Allow → code, Deny → access_denied."""
    form = await _read_form(request)
    if form is None or ("oaapprove" in form) == ("oadeny" in form):
        return _error_page(
            request,
            "invalid_request",
            "answer with exactly one of Allow or Deny",
            "Use the Allow or Deny button of the consent page.",
        )
    flows = flows_of(request)
    pending_id = _field(form, "pending") or ""
    pending = flows.finish(pending_id)
    if pending is None or pending.user_id is None:
        return _expired_page(request)
    asked = pending.request
    if "oadeny" in form:
        params = {
            "error": "access_denied",
            "error_description": "end-user denied authorization",
            "state": asked.state,
        }
        return _redirect(with_query(asked.redirect_uri, params))
    code = flows.issue_code(asked, pending.user_id)
    return _redirect(with_query(asked.redirect_uri, {"code": code, "state": asked.state}))
