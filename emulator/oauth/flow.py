"""Server-side state of the web-server flow: pending authorizations and authorization codes.

An authorization starts at ``GET /services/oauth2/authorize``; its validated parameters stay here,
keyed by an unguessable id (256 random bits) that the login form carries — the browser never holds
the parameters, so it cannot alter the callback, scope or PKCE challenge. A successful login moves
the authorization to the consent step under a *new* id, so the login page's id cannot skip the
password. Allow turns it into an authorization code: single use, valid for 15 minutes, bound to
the client, callback and challenge. A replayed code revokes the tokens issued from it (RFC 6749
§4.1.2: a replay means the code leaked).

Everything is in memory, bounded (the oldest entries go first), and lives on the app's state:
``flows_of(request)``.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.requests import Request

from emulator.request_context import org_of

PENDING_TTL_SECONDS = 10 * 60
CODE_TTL_SECONDS = 15 * 60
MAX_FAILED_LOGINS = 5
_MAX_ENTRIES = 1000


@dataclass(frozen=True, slots=True)
class AuthorizeRequest:
    """The validated parameters of one ``GET /services/oauth2/authorize``."""

    client_id: str
    redirect_uri: str
    state: str | None
    scope: str
    code_challenge: str | None
    login_hint: str


@dataclass(slots=True)
class PendingAuthorization:
    """An authorization waiting for the user's login (``user_id`` unset) or consent."""

    request: AuthorizeRequest
    expires_at: float
    user_id: str | None = None
    failed_logins: int = 0


@dataclass(slots=True)
class AuthorizationCode:
    """An issued code; ``used`` once exchanged, ``tokens`` are what the exchange issued."""

    request: AuthorizeRequest
    user_id: str
    expires_at: float
    used: bool = False
    tokens: list[str] = field(default_factory=list)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class FlowState:
    """Pending authorizations and codes of one app."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._pending: dict[str, PendingAuthorization] = {}
        self._codes: dict[str, AuthorizationCode] = {}

    def start(self, request: AuthorizeRequest) -> str:
        """Keep ``request`` until the user logs in; the id for the login form."""
        return self._add_pending(PendingAuthorization(request, self._clock() + PENDING_TTL_SECONDS))

    def pending(self, pending_id: str | None, *, logged_in: bool) -> PendingAuthorization | None:
        """The live pending authorization at the login (or consent) step, else ``None``."""
        found = self._pending.get(pending_id or "")
        if found is None or (found.user_id is not None) != logged_in:
            return None
        if found.expires_at <= self._clock():
            del self._pending[pending_id or ""]
            return None
        return found

    def record_failed_login(self, pending_id: str) -> bool:
        """Count a wrong password; ``False`` (and the authorization dropped) past the maximum."""
        found = self._pending.get(pending_id)
        if found is None:
            return False
        found.failed_logins += 1
        if found.failed_logins >= MAX_FAILED_LOGINS:
            del self._pending[pending_id]
            return False
        return True

    def logged_in(self, pending_id: str, user_id: str) -> str:
        """Move the authorization to the consent step; the new id for the consent form."""
        found = self._pending.pop(pending_id)
        found.user_id = user_id
        return self._add_pending(found)

    def finish(self, pending_id: str) -> PendingAuthorization | None:
        """Remove and return the authorization at the consent step (consent is answered once)."""
        found = self.pending(pending_id, logged_in=True)
        if found is not None:
            del self._pending[pending_id]
        return found

    def issue_code(self, request: AuthorizeRequest, user_id: str) -> str:
        """A new authorization code: base64 of 64 random bytes, so it ends in ``==``."""
        code = "aPrx" + base64.b64encode(secrets.token_bytes(64)).decode()
        self._purge(self._codes)
        self._codes[_digest(code)] = AuthorizationCode(
            request, user_id, self._clock() + CODE_TTL_SECONDS
        )
        return code

    def code(self, code: str) -> AuthorizationCode | None:
        """The issued code (used or not, expired or not), else ``None``."""
        return self._codes.get(_digest(code))

    def is_expired(self, code: AuthorizationCode) -> bool:
        """Whether the code is past its 15 minutes."""
        return code.expires_at <= self._clock()

    def _add_pending(self, pending: PendingAuthorization) -> str:
        self._purge(self._pending)
        pending_id = secrets.token_urlsafe(32)
        self._pending[pending_id] = pending
        return pending_id

    def _purge(
        self, entries: dict[str, PendingAuthorization] | dict[str, AuthorizationCode]
    ) -> None:
        # Drop expired entries, then the oldest, so a flood of authorize requests cannot grow
        # memory without bound.
        now = self._clock()
        for key in [key for key, entry in entries.items() if entry.expires_at <= now]:
            del entries[key]
        while len(entries) >= _MAX_ENTRIES:
            del entries[next(iter(entries))]


def flows_of(request: Request) -> FlowState:
    """The app's flow state, created on first use."""
    state = request.app.state
    flows: FlowState | None = getattr(state, "oauth_flows", None)
    if flows is None:
        org = org_of(request)
        flows = FlowState(lambda: org.now().timestamp())
        state.oauth_flows = flows
    return flows
