"""Connecting an org in the browser: the OAuth web-server flow with PKCE, one attempt at a time.

:meth:`ConnectFlow.begin` checks what the person chose — the environment (Production, Sandbox or
a My Domain URL) and the connection's name — and returns the org's authorize URL. The attempt
stays in this process's memory under its ``state`` (256 random bits): the login host, the name,
the PKCE S256 verifier and the callback URL. :meth:`ConnectFlow.complete` takes the attempt out
(single use, whatever happens next), refuses it after :data:`ATTEMPT_TTL_SECONDS`, exchanges the
code, which also checks the answer's ``instance_url`` (:func:`server.auth.validate_instance_url`),
reads the user from ``userinfo``, and only then saves the connection. Any failure raises
:class:`ConnectFailed` and stores nothing.

An attempt may also be bound to a browser (``binding``, a random value the page keeps in a
cookie): the callback must come back in the browser that started it, so a link carrying someone
else's code and state cannot connect *their* org here.

Failures, by :class:`ConnectFailed` ``reason`` (the text is :func:`failure_text`'s):

=================  ===================================================================
``input``          what was entered is not usable (the message says what to change)
``denied``         the person chose Deny on Salesforce's consent page
``state_unknown``  the callback's ``state`` was never issued here (or another browser's)
``state_used``     the callback's ``state`` was already used
``state_expired``  the attempt is older than 10 minutes
``client``         Salesforce does not know the consumer key, or the secret is wrong
``callback``       the app does not list this callback URL
``exchange``       Salesforce refused the code, or sent an error of its own
``unreachable``    the login host did not answer
``instance``       the answer's ``instance_url`` is not a Salesforce host
``other_org``      a reconnect signed in to a different org than the connection's
=================  ===================================================================
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, get_args
from urllib.parse import urlsplit

import httpx
from pydantic import SecretStr

from server import auth
from server.errors import CallforceError, InvalidInstanceUrl, OAuthFailure, Timeout, TransportError
from server.salesforce import SalesforceClient
from server.settings import Settings
from server.store import Connection, ConnectionStore, Environment

#: How long a started attempt may wait for its callback.
ATTEMPT_TTL_SECONDS = 10 * 60
#: What callforce asks for: the REST API, and a refresh token so the connection lasts.
SCOPE = "api refresh_token"
_MAX_ATTEMPTS = 100
_MAX_REMEMBERED = 1000
_ERROR_CODE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,63}")

Choice = Literal["production", "sandbox", "mydomain"]
Reason = Literal[
    "input",
    "denied",
    "state_unknown",
    "state_used",
    "state_expired",
    "client",
    "callback",
    "exchange",
    "unreachable",
    "instance",
    "other_org",
]
REASONS: frozenset[str] = frozenset(get_args(Reason))
logger = logging.getLogger("callforce.connect")

_FAILURES: dict[str, tuple[str, str]] = {
    "input": ("What was entered cannot be used.", ""),
    "denied": (
        "Access was not granted: Deny was chosen on Salesforce's consent page.",
        "Nothing was saved. To connect, start again and choose Allow.",
    ),
    "state_unknown": (
        "This sign-in did not start on this page (its state is unknown here), so it was refused.",
        "Nothing was saved. Start again with the Connect button, in this browser.",
    ),
    "state_used": (
        "This sign-in was already used: each one works once.",
        "Nothing was saved by it. Start again with the Connect button.",
    ),
    "state_expired": (
        "This sign-in took longer than 10 minutes and expired.",
        "Nothing was saved. Start again with the Connect button.",
    ),
    "client": (
        "Salesforce does not accept callforce's app: the consumer key or secret is wrong.",
        "Check CALLFORCE_CLIENT_ID and CALLFORCE_CLIENT_SECRET against the app's consumer key "
        "and secret in Salesforce Setup, restart callforce, and connect again.",
    ),
    "callback": (
        "Salesforce refused the callback URL: the app does not list it.",
        "Add the callback URL shown below to the External Client App's OAuth settings, then "
        "connect again.",
    ),
    "exchange": (
        "Salesforce did not complete the sign-in.",
        "Nothing was saved. Connect again; if it keeps failing, check the app's OAuth settings "
        "(scopes api and refresh_token, PKCE).",
    ),
    "unreachable": (
        "The Salesforce login host did not answer.",
        "Nothing was saved. Check the network (and the My Domain URL), then connect again.",
    ),
    "instance": (
        "Salesforce's answer pointed at a server that is not a Salesforce host, so its tokens "
        "were not used.",
        "Nothing was saved. Check the login URL or My Domain URL you chose, then connect again.",
    ),
    "other_org": (
        "You signed in to a different org than the one this connection belongs to.",
        "Nothing was changed. Reconnect signed in as a user of the connection's own org, or add "
        "the other org as a new connection with its own name.",
    ),
}


def failure_text(reason: str, salesforce_error: str | None = None) -> tuple[str, str]:
    """(what happened, what to do) for a failure ``reason`` and Salesforce's ``error`` code."""
    message, hint = _FAILURES.get(reason, _FAILURES["exchange"])
    if salesforce_error and reason in ("client", "callback", "exchange"):
        message = f"{message} (Salesforce said: {salesforce_error})"
    return message, hint


class ConnectFailed(CallforceError):  # noqa: N818 - names what happened, as the errors tree
    """A connect attempt failed and nothing was stored; ``hint`` says what to do next."""

    def __init__(
        self,
        reason: Reason,
        message: str | None = None,
        hint: str | None = None,
        *,
        salesforce_error: str | None = None,
    ) -> None:
        default_message, default_hint = failure_text(reason, salesforce_error)
        self.reason = reason
        self.hint = hint if hint is not None else default_hint
        self.salesforce_error = salesforce_error
        super().__init__(message or default_message)


@dataclass(frozen=True, slots=True)
class Attempt:
    """One started connect, waiting for its callback. The verifier is hidden from ``repr``."""

    name: str
    environment: Environment
    login_url: str
    client_id: str
    redirect_uri: str
    verifier: str = field(repr=False)
    started: float = 0.0
    reconnect: bool = False
    binding: bytes | None = None


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode()).digest()


def _error_code(value: str | None) -> str | None:
    """Salesforce's error code when it looks like one (it is shown on a page)."""
    return value if value and _ERROR_CODE.fullmatch(value) else None


def _refused_my_domain(detail: str) -> ConnectFailed:
    return ConnectFailed(
        "input",
        f"{detail} Enter your org's My Domain URL, such as https://yourcompany.my.salesforce.com "
        "(Setup → My Domain shows it).",
        "",
    )


def my_domain_login_url(text: str, settings: Settings) -> tuple[Environment, str]:
    """(environment, login URL) for a typed My Domain URL: https on a Salesforce domain.

    ``yourcompany.my.salesforce.com`` without a scheme is fine; a Lightning address
    (``….lightning.force.com``) becomes its My Domain. A loopback URL is accepted, http or https,
    only when a configured login host is loopback itself (the local emulator in tests).
    """
    raw = text.strip()
    if not raw:
        raise _refused_my_domain("The My Domain URL is empty.")
    if "://" not in raw:
        raw = f"https://{raw}"
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        raise _refused_my_domain("That is not a URL.") from None
    host = (parts.hostname or "").lower()
    if (
        not host
        or parts.username is not None
        or parts.password is not None
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        raise _refused_my_domain("A My Domain URL is just https:// and a host name.")
    if auth.is_loopback_host(host):
        local = any(
            auth.is_loopback_host(urlsplit(url).hostname or "")
            for url in (settings.production_login_url, settings.sandbox_login_url)
        )
        if local and parts.scheme in ("http", "https"):
            return "custom", f"{parts.scheme}://{parts.netloc}"
        raise _refused_my_domain("A loopback address is not a Salesforce org.")
    if parts.scheme != "https" or port not in (None, 443):
        raise _refused_my_domain("A My Domain URL starts with https:// (and has no port).")
    for lightning, my_domain in (
        (".sandbox.lightning.force.com", ".sandbox.my.salesforce.com"),
        (".lightning.force.com", ".my.salesforce.com"),
    ):
        if host.endswith(lightning):
            host = host.removesuffix(lightning) + my_domain
            break
    if not any(host.endswith(f".{domain}") for domain in auth.SALESFORCE_DOMAINS):
        raise _refused_my_domain(f"{host} is not a Salesforce domain.")
    return (
        "sandbox" if host.endswith(".sandbox.my.salesforce.com") else "custom"
    ), f"https://{host}"


def resolve_environment(
    settings: Settings, choice: str, my_domain: str | None = None
) -> tuple[Environment, str]:
    """(environment, login URL) for the page's choice: production, sandbox or mydomain."""
    if choice == "production":
        return "production", settings.production_login_url
    if choice == "sandbox":
        return "sandbox", settings.sandbox_login_url
    if choice == "mydomain":
        return my_domain_login_url(my_domain or "", settings)
    raise ConnectFailed("input", "Choose where to connect: Production, Sandbox or My Domain.", "")


def default_name(choice: str, login_url: str) -> str:
    """The name a connection gets when none is typed: the environment, or the My Domain's name."""
    if choice in ("production", "sandbox"):
        return choice
    host = urlsplit(login_url).hostname or ""
    if auth.is_loopback_host(host):
        return "local"
    # acme--uat.sandbox.my.salesforce.com → acme-uat
    label = host.split(".", 1)[0].replace("--", "-")
    return label if _LABEL.fullmatch(label) else "mydomain"


def check_name(name: str) -> str:
    """``name`` stripped, if the store accepts it as a connection name."""
    name = name.strip()
    try:
        Connection(name, "production", "https://login.salesforce.com", "https://x", "oauth")
    except ValueError as exc:
        shown = name if len(name) <= 70 else name[:69] + "…"
        raise ConnectFailed("input", f"The name '{shown}' cannot be used: {exc}.", "") from None
    return name


class ConnectFlow:
    """Pending connect attempts of one process, and their completion (module docstring).

    ``transport`` is for tests that fake the login host below httpx; ``clock`` for tests of
    expiry.
    """

    def __init__(
        self,
        settings: Settings,
        store: ConnectionStore,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._store = store
        self._transport = transport
        self._clock = clock
        self._attempts: dict[bytes, Attempt] = {}
        self._finished: dict[bytes, float] = {}

    def __repr__(self) -> str:
        return f"ConnectFlow({len(self._attempts)} pending)"

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
        verifier, challenge = auth.pkce_pair()
        state = secrets.token_urlsafe(32)
        self._forget_old()
        self._attempts[_digest(state)] = Attempt(
            name=name,
            environment=environment,
            login_url=login_url,
            client_id=client_id,
            redirect_uri=redirect_uri,
            verifier=verifier,
            started=self._clock(),
            reconnect=reconnect,
            binding=_digest(binding) if binding else None,
        )
        logger.info("connect %r: sending the browser to %s", name, login_url)
        return auth.authorization_url(
            login_url,
            client_id=client_id,
            redirect_uri=redirect_uri,
            state=state,
            code_challenge=challenge,
            scope=SCOPE,
        )

    def _forget_old(self) -> None:
        now = self._clock()
        for key in [k for k, a in self._attempts.items() if now - a.started > ATTEMPT_TTL_SECONDS]:
            self._finished[key] = now
            del self._attempts[key]
        for key in [k for k, at in self._finished.items() if now - at > ATTEMPT_TTL_SECONDS]:
            del self._finished[key]
        # Bounded: the oldest go first (dicts keep insertion order).
        while len(self._attempts) >= _MAX_ATTEMPTS:
            oldest = next(iter(self._attempts))
            self._finished[oldest] = now
            del self._attempts[oldest]
        while len(self._finished) > _MAX_REMEMBERED:
            del self._finished[next(iter(self._finished))]

    # -- finishing -----------------------------------------------------------------------------

    def take(self, state: str | None, binding: str | None = None) -> Attempt:
        """Remove and return the attempt of ``state``, or say why there is none."""
        if not state:
            raise ConnectFailed("state_unknown")
        key = _digest(state)
        attempt = self._attempts.pop(key, None)
        if attempt is None:
            raise ConnectFailed("state_used" if key in self._finished else "state_unknown")
        now = self._clock()
        self._finished[key] = now
        if attempt.binding is not None and not hmac.compare_digest(
            attempt.binding, _digest(binding or "")
        ):
            raise ConnectFailed("state_unknown")
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
            raise _callback_error(error, error_description)
        if not code:
            raise ConnectFailed("exchange", salesforce_error="no_code")
        async with SalesforceClient(
            self._settings, self._store, transport=self._transport
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
            is_default=existing.is_default if existing else self._store.default() is None,
        )
        self._store.save(conn)
        logger.info("connect %r: connected", conn.name)
        return self._store.get(conn.name) or conn

    async def _exchange(
        self, http: httpx.AsyncClient, attempt: Attempt, code: str
    ) -> auth.TokenSet:
        secret = self._settings.client_secret
        try:
            return await auth.exchange_code(
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
            raise _callback_error(exc.error, exc.description) from None
        except (TransportError, Timeout):
            raise ConnectFailed("unreachable") from None
        except CallforceError:  # a 5xx from the login host
            raise ConnectFailed("exchange", salesforce_error="server_error") from None


def _callback_error(error: str, description: str | None) -> ConnectFailed:
    """The failure for Salesforce's ``error`` code (on the callback or from the token endpoint)."""
    code = _error_code(error) or "unknown_error"
    logger.info("connect: Salesforce answered %s", code)
    if code == "access_denied":
        return ConnectFailed("denied")
    if code in ("invalid_client_id", "invalid_client"):
        return ConnectFailed("client", salesforce_error=code)
    if code == "redirect_uri_mismatch":
        return ConnectFailed("callback", salesforce_error=code)
    del description  # Salesforce's free text is not shown: a forged callback could carry any
    return ConnectFailed("exchange", salesforce_error=code)


async def _userinfo(http: httpx.AsyncClient, tokens: auth.TokenSet) -> dict[str, Any]:
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


async def _revoke_quietly(http: httpx.AsyncClient, login_url: str, tokens: auth.TokenSet) -> None:
    """Revoke tokens we will not keep; a failure only means they live until they expire."""
    try:
        await auth.revoke(
            http, login_url=login_url, token=tokens.refresh_token or tokens.access_token
        )
    except CallforceError:
        logger.info("could not revoke tokens of an abandoned connect")


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
