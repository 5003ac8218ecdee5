"""The connection store's interface: the :class:`Connection` model and the :class:`ConnectionStore`.

A :class:`Connection` is one named org connection: which org (``login_url``, ``instance_url``),
how it was made (``auth_kind``), its tokens (``SecretStr``, hidden from ``repr``) and its state.
:class:`ConnectionStore` is where connections live; the embedded default is
:class:`~server.store.sqlite.SQLiteConnectionStore` (``<home>/callforce.db``), with its lock files
in :mod:`server.store.locks`; replicas share
:class:`~server.store.postgres.PostgresConnectionStore` (``CALLFORCE_DATABASE_URL``), whose
renewal locks are advisory locks. :func:`~server.store.opening.open_store` picks one.

Renewing a session is serialised across processes by :meth:`ConnectionStore.renewal_lock`
(a :class:`RenewalLock`). With refresh-token rotation a refresh invalidates the token the other
process would send, so two processes sharing a store must not refresh at once: the second waits,
re-reads the row and adopts the first one's tokens.

Credentials for re-acquiring a token without a refresh token live outside the row's tokens:
``client_credentials`` uses the settings' client id/secret against the row's ``login_url``;
``jwt`` uses the settings' (or the row's) client id, the row's ``username`` and the private key
file at the row's ``key_path`` (a path, never the key itself).

**Write keys** make a write safe to repeat (the policy is :mod:`server.toolkit.idempotency`;
the store keeps the rows). A key is claimed before its write: :meth:`ConnectionStore.claim_key`
answers with a :class:`KeyClaim` — ``fresh`` (the caller now holds it: pending), ``pending``
(someone else holds it), ``done`` (with the first result) or ``unknown`` (the first attempt sent
its write and never learnt the outcome). The holder then finishes the key (done), marks it
unknown, or releases it (nothing was written: the key is free again). A pending key whose lease
ran out (its holder died) reads as ``unknown``; a key older than its window reads as absent
until :meth:`ConnectionStore.prune_keys` deletes it. Each key method has an async twin
(:meth:`ConnectionStore.aclaim_key` …) with the same semantics, which the event loop awaits: a
store whose database is across a network (PostgreSQL) answers it without holding the loop; one
that answers in a fraction of a millisecond (SQLite) may answer inline. The sync ones serve
threads, commands and tests.

**Connect attempts** (the policy is :mod:`server.connect.flow`) wait in the store, so that a
replica other than the one that started one can finish it. An attempt is a row under an opaque
32-byte key (a digest of the OAuth ``state``, never the state itself) holding its details
sealed by the store's cipher — they include the PKCE verifier — and is *waiting* until it is
taken, then *finished*: its details are gone and the row only remembers, until its time is up,
that the key was used. :meth:`ConnectionStore.take_attempt` is atomic across processes: of two
callers taking one attempt at once, one gets its details and the other ``None``. Times are
seconds since the epoch given by the caller (whose clock the tests may replace).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, get_args

from pydantic import SecretStr

from server.activity.record import ActivityLog


class StoreRefused(RuntimeError):  # noqa: N818 - the name says what happened
    """The store cannot be used by this process (a newer schema, another token key): refused
    when it is opened, with a message that says what to do."""


Environment = Literal["production", "sandbox", "custom"]
AuthKind = Literal["oauth", "client_credentials", "jwt", "token"]
State = Literal["connected", "needs_reconnect", "disconnected"]
#: What a claimed write key was found to be (see the module doc).
KeyState = Literal["fresh", "pending", "done", "unknown"]

#: A connection name: 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit.
CONNECTION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


@dataclass(frozen=True, slots=True)
class Connection:
    """One named org connection. Tokens are ``SecretStr`` and hidden from ``repr``.

    ``client_id`` is the connected app the tokens were issued to (``None``: the settings' one);
    ``key_path`` is the PEM private key of a ``jwt`` connection.
    """

    name: str
    environment: Environment
    login_url: str
    instance_url: str
    auth_kind: AuthKind
    access_token: SecretStr | None = field(default=None, repr=False)
    refresh_token: SecretStr | None = field(default=None, repr=False)
    org_id: str | None = None
    user_id: str | None = None
    username: str | None = None
    client_id: str | None = None
    key_path: str | None = None
    state: State = "connected"
    last_error: str | None = None
    is_default: bool = False
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    def __post_init__(self) -> None:
        if not CONNECTION_NAME.fullmatch(self.name):
            raise ValueError(
                "a connection name is 1-64 letters, digits, '.', '_' or '-', "
                "starting with a letter or digit"
            )
        for name, kind in (
            ("environment", Environment),
            ("auth_kind", AuthKind),
            ("state", State),
        ):
            if getattr(self, name) not in get_args(kind):
                raise ValueError(f"{name} must be one of {', '.join(get_args(kind))}")

    def record_url(self, record_id: str) -> str:
        """A browser link to a record of this org (Salesforce redirects ``/<id>`` to its page)."""
        return f"{self.instance_url.rstrip('/')}/{record_id}"


class RenewalLock(Protocol):
    """An exclusive lock shared by every process using the store; not re-entrant."""

    def acquire(self) -> bool:
        """Take the lock if it is free, without waiting; whether it is now held."""
        ...

    def release(self) -> None:
        """Give the lock back (nothing happens when it is not held)."""
        ...


@dataclass(frozen=True, slots=True)
class KeyClaim:
    """What :meth:`ConnectionStore.claim_key` found (see the module doc)."""

    state: KeyState
    #: ``fresh``: the holder's token, which finishing, marking or releasing the key takes.
    token: str | None = None
    #: ``done``: the first result; ``unknown``: what the first attempt noted.
    result: dict[str, Any] | None = None
    #: What the key was first claimed for (a key reused for another write has another).
    fingerprint: str | None = None


class ConnectionStore(Protocol):
    """Where connections live. Names are case-insensitive. Implementations are thread-safe."""

    def get(self, name: str) -> Connection | None:
        """The connection named ``name``, or ``None``."""
        ...

    def default(self) -> Connection | None:
        """The default connection: the one marked default, else the only one, else ``None``."""
        ...

    def list(self) -> list[Connection]:
        """Every connection, by name."""
        ...

    def save(self, conn: Connection) -> None:
        """Insert or replace the whole row (``created_at`` survives a replace)."""
        ...

    def update_tokens(
        self,
        name: str,
        access_token: str,
        refresh_token: str | None,
        *,
        instance_url: str | None = None,
    ) -> None:
        """Store new tokens (``refresh_token=None`` keeps the old one); state becomes connected."""
        ...

    def mark(self, name: str, state: State, last_error: str | None = None) -> None:
        """Set the state and the plain-language reason."""
        ...

    def delete(self, name: str) -> bool:
        """Forget a connection; whether it existed."""
        ...

    def set_default(self, name: str) -> None:
        """Make ``name`` the default connection (ConnectionNotFound if absent)."""
        ...

    def renewal_lock(self, name: str) -> RenewalLock:
        """The lock every process takes before renewing the session of connection ``name``."""
        ...

    def claim_key(
        self,
        key: str,
        fingerprint: str,
        *,
        lease_seconds: float,
        keep_seconds: float,
        take: Collection[KeyState] = (),
    ) -> KeyClaim:
        """Claim the write key ``key`` for ``lease_seconds``, kept ``keep_seconds`` from now;
        ``fresh`` when it was free (absent or expired) or in one of the states in ``take``,
        else what it is (an abandoned pending key reads as ``unknown``)."""
        ...

    def finish_key(self, key: str, token: str, result: dict[str, Any]) -> None:
        """The held key is done, with ``result`` (nothing happens unless ``token`` holds it)."""
        ...

    def mark_key_unknown(self, key: str, token: str, note: dict[str, Any]) -> None:
        """The held key's write was sent and its outcome is unknown; ``note`` says what it was."""
        ...

    def release_key(self, key: str, token: str) -> None:
        """Forget the held key: its write did not happen, so it may run again."""
        ...

    def prune_keys(self) -> int:
        """Forget some write keys older than their window; how many."""
        ...

    async def aclaim_key(
        self,
        key: str,
        fingerprint: str,
        *,
        lease_seconds: float,
        keep_seconds: float,
        take: Collection[KeyState] = (),
    ) -> KeyClaim:
        """:meth:`claim_key` for the event loop: never holds it for a round trip."""
        ...

    async def afinish_key(self, key: str, token: str, result: dict[str, Any]) -> None:
        """:meth:`finish_key` for the event loop."""
        ...

    async def amark_key_unknown(self, key: str, token: str, note: dict[str, Any]) -> None:
        """:meth:`mark_key_unknown` for the event loop."""
        ...

    async def arelease_key(self, key: str, token: str) -> None:
        """:meth:`release_key` for the event loop."""
        ...

    def put_attempt(
        self, key: bytes, details: SecretStr, *, started_at: float, expires_at: float
    ) -> None:
        """Keep a started connect attempt waiting under ``key``: ``details`` (sealed at rest)
        until ``expires_at``."""
        ...

    def get_attempt(self, key: bytes) -> tuple[SecretStr | None, bool]:
        """The details of the attempt ``key`` while it waits (else ``None``), and whether it is
        finished; changes nothing. StoredTokenUnreadable when the details do not decrypt."""
        ...

    def take_attempt(self, key: bytes, *, remember_until: float) -> SecretStr | None:
        """Finish the waiting attempt ``key``, remembered as finished until ``remember_until``;
        its details to this caller only (``None``: it was not waiting)."""
        ...

    def prune_attempts(
        self, now: float, *, remember_until: float, keep_waiting: int, keep_finished: int
    ) -> None:
        """Finish the attempts waiting past their ``expires_at`` and all but the newest
        ``keep_waiting`` (remembered until ``remember_until``); forget the finished ones past
        their time and all but the newest ``keep_finished``."""
        ...

    def activity(self) -> ActivityLog:
        """The activity record (one row per tool call), opened on first use."""
        ...

    async def aopen(self) -> None:
        """Start opening what the ``a…`` methods use, on the running loop, without waiting
        for it (a server does so at start-up; the first use does it otherwise)."""
        ...

    async def aclose(self) -> None:
        """Release what the ``a…`` methods opened on the running loop (before it ends; they
        open again on the next use)."""
        ...

    def close(self) -> None:
        """Release the store's resources."""
        ...
