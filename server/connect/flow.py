"""Connecting an org in the browser: the OAuth web-server flow with PKCE, one attempt at a time.

:meth:`ConnectFlow.begin` checks what the person chose — the environment (Production, Sandbox or
a My Domain URL) and the connection's name — and returns the org's authorize URL. The attempt
waits in the connection store (:meth:`~server.store.interface.ConnectionStore.put_attempt`), so
that any callforce sharing the store — another replica behind the load balancer — can finish
it: its details (the login host, the name, the PKCE S256 verifier, the callback URL) sealed
like tokens, under the SHA-256 digest of its ``state`` (256 random bits; the state itself is
never stored). :meth:`ConnectFlow.complete` takes the attempt out (single use, whatever happens
next, even when two replicas receive the callback at once), refuses it after
:data:`ATTEMPT_TTL_SECONDS`, exchanges the code, which also checks the answer's ``instance_url``
(:func:`server.salesforce.instances.validate_instance_url`), reads the user from ``userinfo``,
and only then saves the connection. Any failure raises
:class:`~server.connect.errors.ConnectFailed` and stores nothing.

An attempt may also be bound to a browser (``binding``: the page's session cookie): the callback
must come back in the browser that started it, so a link carrying someone else's code and state
cannot connect *their* org here. A callback without that binding — a mail scanner or a link
preview opening the URL first — changes nothing: the attempt is neither used up nor exchanged,
and the failure (``wrong_browser``) says to open the link in the browser that started it.

Starting an attempt first finishes the expired ones and, beyond :data:`MAX_WAITING` waiting,
the oldest; a finished attempt is remembered for :data:`ATTEMPT_TTL_SECONDS` (at most
:data:`MAX_REMEMBERED`), so its callback is told it was already used rather than unknown. Times
are the wall clock, which every replica shares.

What the person chose is checked by :mod:`server.connect.targets`; failures are
:class:`~server.connect.errors.ConnectFailed`, whose reasons are listed there.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Callable
from typing import Any

import httpx
from pydantic import SecretStr

from server.connect.errors import ConnectFailed, callback_error
from server.connect.targets import check_name, default_name, resolve_environment
from server.errors import (
    CallforceError,
    InvalidInstanceUrl,
    OAuthFailure,
    StoredTokenUnreadable,
    Timeout,
    TransportError,
)
from server.salesforce import grants, web_server_flow
from server.salesforce.client import SalesforceClient
from server.settings import Settings
from server.store.interface import Connection, ConnectionStore, Environment

#: How long a started attempt may wait for its callback.
ATTEMPT_TTL_SECONDS = 10 * 60
#: What callforce asks for: the REST API, and a refresh token so the connection lasts.
SCOPE = "api refresh_token"
#: Attempts waiting at most (starting one more finishes the oldest).
MAX_WAITING = 100
#: Finished attempts remembered at most.
MAX_REMEMBERED = 1000

logger = logging.getLogger("callforce.connect")


@dataclasses.dataclass(frozen=True, slots=True)
class Attempt:
    """One started connect, waiting for its callback. The verifier is hidden from ``repr``;
    ``binding`` is the SHA-256 digest of the browser's session."""

    name: str
    environment: Environment
    login_url: str
    client_id: str
    redirect_uri: str
    verifier: str = dataclasses.field(repr=False)
    started: float = 0.0
    reconnect: bool = False
    binding: bytes | None = None

    def sealable(self) -> SecretStr:
        """The attempt as the store keeps it (sealed there: the verifier is in it)."""
        fields = dataclasses.asdict(self)
        fields["binding"] = self.binding.hex() if self.binding is not None else None
        return SecretStr(json.dumps(fields, separators=(",", ":")))

    @classmethod
    def opened(cls, details: SecretStr) -> Attempt:
        """The attempt :meth:`sealable` made ``details`` of."""
        fields = json.loads(details.get_secret_value())
        binding = fields.pop("binding")
        return cls(**fields, binding=bytes.fromhex(binding) if binding is not None else None)


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode()).digest()


class ConnectFlow:
    """Connect attempts, kept in the store, and their completion (module docstring).

    ``transport`` is for tests that fake the login host below httpx; ``clock`` (seconds since
    the epoch) for tests of expiry: flows sharing a store must share a clock.
    """

    def __init__(
        self,
        settings: Settings,
        store: ConnectionStore,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._store = store
        self._transport = transport
        self._clock = clock

    def __repr__(self) -> str:
        return f"ConnectFlow({self._store!r})"

    # -- starting ------------------------------------------------------------------------------

    def begin(
        self,
        *,
        choice: str,
        name: str = "",
        redirect_uri: str,
        my_domain: str | None = None,
        reconnect: bool = False,
        binding: str | None = None,
    ) -> str:
        """Start an attempt; the org's authorize URL to send the browser to.

        ``reconnect=True`` signs in again for the existing connection ``name`` (same login host);
        otherwise ``name`` (default: from the environment) must not be taken yet.
        """
        client_id = self._settings.client_id
        if not client_id:
            raise ConnectFailed(
                "input",
                "callforce has no Salesforce app configured, so it cannot ask Salesforce to "
                "sign you in.",
                "Set CALLFORCE_CLIENT_ID and CALLFORCE_CLIENT_SECRET to your External Client "
                "App's consumer key and secret, restart callforce, and connect again.",
            )
        if reconnect:
            existing = self._store.get(check_name(name))
            if existing is None:
                raise ConnectFailed(
                    "input", f"There is no connection named '{name.strip()}' to reconnect.", ""
                )
            environment, login_url, name = existing.environment, existing.login_url, existing.name
        else:
            environment, login_url = resolve_environment(self._settings, choice, my_domain)
            name = check_name(name or default_name(choice, login_url))
            if self._store.get(name) is not None:
                raise ConnectFailed(
                    "input",
                    f"A connection named '{name}' already exists.",
                    "Type another name, or use its Reconnect or Disconnect button.",
                )
        verifier, challenge = web_server_flow.pkce_pair()
        state = secrets.token_urlsafe(32)
        now = self._clock()
        attempt = Attempt(
            name=name,
            environment=environment,
            login_url=login_url,
            client_id=client_id,
            redirect_uri=redirect_uri,
            verifier=verifier,
            started=now,
            reconnect=reconnect,
            binding=_digest(binding) if binding else None,
        )
        self._store.prune_attempts(
            now,
            remember_until=now + ATTEMPT_TTL_SECONDS,
            keep_waiting=MAX_WAITING - 1,
            keep_finished=MAX_REMEMBERED,
        )
        self._store.put_attempt(
            _digest(state),
            attempt.sealable(),
            started_at=now,
            expires_at=now + ATTEMPT_TTL_SECONDS,
        )
        logger.info("connect %r: sending the browser to %s", name, login_url)
        return web_server_flow.authorization_url(
            login_url,
            client_id=client_id,
            redirect_uri=redirect_uri,
            state=state,
            code_challenge=challenge,
            scope=SCOPE,
        )

    # -- finishing -----------------------------------------------------------------------------

    def take(self, state: str | None, binding: str | None = None) -> Attempt:
        """Remove and return the attempt of ``state``, or say why there is none.

        A bound attempt is only taken by its own browser: anyone else's visit (``wrong_browser``)
        leaves it waiting, untouched.
        """
        if not state:
            raise ConnectFailed("state_unknown")
        key = _digest(state)
        try:
            details, finished = self._store.get_attempt(key)
            if details is None:
                raise ConnectFailed("state_used" if finished else "state_unknown")
            attempt = Attempt.opened(details)
            if attempt.binding is not None and not hmac.compare_digest(
                attempt.binding, _digest(binding or "")
            ):
                # A mail scanner or a link preview follows the callback URL before the person
                # does. Using the attempt up here would show the person "already used", so the
                # visit changes nothing: no exchange, and the browser that started it can still
                # finish.
                logger.info("connect %r: callback from another client ignored", attempt.name)
                raise ConnectFailed("wrong_browser")
            now = self._clock()
            if self._store.take_attempt(key, remember_until=now + ATTEMPT_TTL_SECONDS) is None:
                # Another replica took it since it was read: the same callback twice at once.
                raise ConnectFailed("state_used")
        except StoredTokenUnreadable:
            # Sealed with another key than this process's: it cannot be finished here.
            logger.warning("a connect attempt in the store does not decrypt")
            raise ConnectFailed("state_unknown") from None
        if now - attempt.started > ATTEMPT_TTL_SECONDS:
            raise ConnectFailed("state_expired")
        return attempt

    async def complete(
        self,
        state: str | None,
        *,
        code: str | None = None,
        error: str | None = None,
        error_description: str | None = None,
        binding: str | None = None,
    ) -> Connection:
        """Finish the attempt of ``state``: the saved connection, or ConnectFailed (nothing saved).

        ``code`` or ``error`` (+ ``error_description``) are the callback's query parameters.
        """
        attempt = self.take(state, binding)
        if error:
            raise callback_error(error, error_description)
        if not code:
            raise ConnectFailed("exchange", salesforce_error="no_code")
        async with SalesforceClient(
            self._settings, self._store, oauth_transport=self._transport
        ) as client:
            tokens = await self._exchange(client.http, attempt, code)
            info = await _userinfo(client.http, tokens)
            existing = self._store.get(attempt.name)
            org_id = tokens.org_id or _text(info.get("organization_id"))
            if (
                attempt.reconnect
                and existing is not None
                and existing.org_id
                and org_id
                and existing.org_id[:15] != org_id[:15]  # 15- and 18-character forms
            ):
                await _revoke_quietly(client.http, attempt.login_url, tokens)
                raise ConnectFailed("other_org")
        conn = Connection(
            name=attempt.name,
            environment=attempt.environment,
            login_url=attempt.login_url,
            instance_url=tokens.instance_url,
            auth_kind="oauth" if tokens.refresh_token else "token",
            access_token=SecretStr(tokens.access_token),
            refresh_token=SecretStr(tokens.refresh_token) if tokens.refresh_token else None,
            org_id=org_id,
            user_id=tokens.user_id or _text(info.get("user_id")),
            username=_text(info.get("preferred_username")),
            client_id=attempt.client_id,
            # As `callforce connect`: the first connection of a store becomes the default.
            is_default=existing.is_default if existing else not self._store.list(),
        )
        self._store.save(conn)
        logger.info("connect %r: connected", conn.name)
        return self._store.get(conn.name) or conn

    async def _exchange(
        self, http: httpx.AsyncClient, attempt: Attempt, code: str
    ) -> grants.TokenSet:
        secret = self._settings.client_secret
        try:
            return await web_server_flow.exchange_code(
                http,
                login_url=attempt.login_url,
                client_id=attempt.client_id,
                client_secret=secret.get_secret_value() if secret else None,
                code=code,
                redirect_uri=attempt.redirect_uri,
                code_verifier=attempt.verifier,
            )
        except InvalidInstanceUrl:
            logger.warning("connect %r: the token answer named a non-Salesforce host", attempt.name)
            raise ConnectFailed("instance") from None
        except OAuthFailure as exc:
            raise callback_error(exc.error, exc.description) from None
        except (TransportError, Timeout):
            raise ConnectFailed("unreachable") from None
        except CallforceError:  # a 5xx from the login host
            raise ConnectFailed("exchange", salesforce_error="server_error") from None


async def _userinfo(http: httpx.AsyncClient, tokens: grants.TokenSet) -> dict[str, Any]:
    """The user's ``userinfo`` (username, org and user ids), or ``{}`` when it is not given."""
    try:
        response = await http.get(
            f"{tokens.instance_url}/services/oauth2/userinfo",
            headers={"Authorization": f"Bearer {tokens.access_token}"},
        )
        body = response.json() if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        body = None
    return body if isinstance(body, dict) else {}


async def _revoke_quietly(http: httpx.AsyncClient, login_url: str, tokens: grants.TokenSet) -> None:
    """Revoke tokens we will not keep; a failure only means they live until they expire."""
    try:
        await grants.revoke(
            http, login_url=login_url, token=tokens.refresh_token or tokens.access_token
        )
    except CallforceError:
        logger.info("could not revoke tokens of an abandoned connect")


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
