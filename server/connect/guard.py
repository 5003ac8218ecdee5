"""Who may use the connect page, and whether a form came from it: session, CSRF and sign-in.

On top of :mod:`server.web`'s Host/Origin check:

- **Session.** Every page sets a random session cookie (256 bits) if the browser has none.
- **CSRF.** Every form carries HMAC(page key, session); a POST without the match is refused.
  The page key is derived from ``CALLFORCE_SECRET_KEY`` (every replica sharing it accepts the
  others' forms, and a restart keeps them valid); without it the key is random per process, and
  after a restart a page loaded before it must be reloaded.
- **Sign-in.** With ``CALLFORCE_API_TOKENS`` set — always so on a non-loopback bind, which
  :func:`server.web.check_bind` enforces — pages need ``Authorization: Bearer <token>`` (as
  ``/mcp``) or a sign-in cookie, which a browser gets by entering one of the tokens once on the
  sign-in form: HMAC(process key, session, time), valid for :data:`SIGNIN_SECONDS` or until
  callforce restarts. The token itself is never put in a cookie. Tokens are checked by the
  app's :class:`~server.connect.admission.ApiTokens`: in constant time, and wrong ones — from
  the header or the form — count towards the address's lock-out, shared with ``/mcp``.
- **Cookies** are HttpOnly, ``SameSite=Lax`` (the OAuth callback arrives from Salesforce's site
  and must carry them), ``Secure`` over https, and named with the port: browsers share cookies
  between the ports of a host, and two callforces on one machine must not overwrite each other's.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from server.connect.admission import ApiTokens

#: How long a sign-in with an API token lasts.
SIGNIN_SECONDS = 12 * 60 * 60
_MAX_FORM_BYTES = 16 * 1024
_SESSION = re.compile(r"[A-Za-z0-9_-]{43}")


class PageGuard:
    """Sessions, CSRF values and sign-ins of one app.

    They are signed with ``key``: one derived from ``CALLFORCE_SECRET_KEY``, so that every
    replica sharing it accepts a form or a sign-in another replica issued (a load balancer may
    send the POST elsewhere than the GET); without it a random key of this process's own.
    """

    def __init__(self, tokens: ApiTokens, key: bytes | None = None) -> None:
        self._key = key or secrets.token_bytes(32)
        self._tokens = tokens

    def __repr__(self) -> str:
        return f"PageGuard({self._tokens!r})"

    @staticmethod
    def cookie_name(request: Request, purpose: str) -> str:
        """``callforce-<purpose>-<port>``."""
        port = request.url.port or (443 if request.url.scheme == "https" else 80)
        return f"callforce-{purpose}-{port}"

    def _sign(self, *parts: str) -> str:
        return hmac.new(self._key, "\x00".join(parts).encode(), hashlib.sha256).hexdigest()

    def session(self, request: Request) -> str | None:
        """The browser's session value, when it has a well-formed one."""
        value = request.cookies.get(self.cookie_name(request, "session"), "")
        return value if _SESSION.fullmatch(value) else None

    def csrf(self, session: str) -> str:
        """The value every form of this session carries."""
        return self._sign("csrf", session)

    def csrf_ok(self, request: Request, form: Mapping[str, str]) -> bool:
        """Whether ``form`` came from a page of this browser's session (and this process)."""
        session = self.session(request)
        return session is not None and hmac.compare_digest(self.csrf(session), form.get("csrf", ""))

    @property
    def sign_in_required(self) -> bool:
        """Whether API tokens are configured."""
        return self._tokens.required

    @staticmethod
    def _address(request: Request) -> str | None:
        return request.client.host if request.client else None

    @staticmethod
    def _bearer(request: Request) -> str | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        return token.strip() if scheme.lower() == "bearer" and token.strip() else None

    def retry_after(self, request: Request, *, presenting: bool = True) -> int:
        """Seconds this browser's address is locked out for wrong tokens (0: it is not).

        ``presenting=False`` asks for a page request: only a bearer header tries a token there.
        """
        if not self._tokens.required or not (presenting or self._bearer(request)):
            return 0
        return self._tokens.retry_after(self._address(request))

    def token_ok(self, presented: str, request: Request) -> bool:
        """Whether ``presented`` is one of the API tokens (a wrong one counts against the
        request's address; ask :meth:`retry_after` first)."""
        return self._tokens.check(presented, self._address(request))

    def signed_in(self, request: Request) -> bool:
        """Bearer token or sign-in cookie; always True when no API token is configured."""
        if not self._tokens.required:
            return True
        bearer = self._bearer(request)
        if bearer is not None:
            return self.token_ok(bearer, request)
        session = self.session(request)
        cookie = request.cookies.get(self.cookie_name(request, "signin"), "")
        issued, _, signature = cookie.partition(".")
        if session is None or not issued.isdigit() or time.time() - int(issued) > SIGNIN_SECONDS:
            return False
        return hmac.compare_digest(self._sign("signin", session, issued), signature)

    def set_cookie(
        self, request: Request, response: Response, purpose: str, value: str, **options: Any
    ) -> None:
        """Set one of the page's cookies (HttpOnly, SameSite=Lax, Secure over https)."""
        response.set_cookie(
            self.cookie_name(request, purpose),
            value,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            **options,
        )

    def session_or_new(self, request: Request) -> tuple[str, bool]:
        """The browser's session, or a new one (True) to give it with :meth:`keep_session`."""
        existing = self.session(request)
        return (existing, False) if existing else (secrets.token_urlsafe(32), True)

    def keep_session(self, request: Request, response: Response, session: str) -> None:
        """Give the browser its session cookie."""
        self.set_cookie(request, response, "session", session, path="/")

    def sign_in(self, request: Request, response: Response, session: str) -> None:
        """Give the browser (its ``session``) the sign-in cookie."""
        issued = str(int(time.time()))
        value = f"{issued}.{self._sign('signin', session, issued)}"
        self.set_cookie(request, response, "signin", value, path="/", max_age=SIGNIN_SECONDS)


async def read_form(request: Request) -> dict[str, str] | None:
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
