"""OAuth tokens of the emulated org: access tokens (sessions) and refresh tokens.

Tokens are kept as SHA-256 digests in SQLite beside the records, so a ``--db`` org keeps its
connections across restarts. Access tokens look like Salesforce's, ``<15-char org id>!<opaque>``.
``expire_all`` invalidates every access token and keeps refresh tokens, which is what a session
timeout does in a real org.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import string
import time
from dataclasses import dataclass

_ALPHABET = string.ascii_letters + string.digits
_DDL = """
CREATE TABLE IF NOT EXISTS access_tokens (
    digest TEXT PRIMARY KEY, user_id TEXT NOT NULL, client_id TEXT NOT NULL,
    scope TEXT NOT NULL, refresh_digest TEXT, issued_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS refresh_tokens (
    digest TEXT PRIMARY KEY, user_id TEXT NOT NULL, client_id TEXT NOT NULL,
    scope TEXT NOT NULL, issued_at INTEGER NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class Session:
    """Who an access token speaks for."""

    user_id: str
    client_id: str
    scope: str


@dataclass(frozen=True, slots=True)
class Grant:
    """A refresh token's grant: the user and app it was issued to."""

    user_id: str
    client_id: str
    scope: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _opaque(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


class TokenStore:
    """Issues, checks and revokes the org's tokens."""

    def __init__(self, db: sqlite3.Connection, org_id15: str) -> None:
        self._db = db
        self._org_id15 = org_id15
        self._db.executescript(_DDL)
        self._cache: dict[str, Session] = {}

    def issue_access_token(
        self, user_id: str, client_id: str, scope: str, refresh_token: str | None = None
    ) -> str:
        """A new access token for the user, tied to the refresh token it came from (if any)."""
        token = f"{self._org_id15}!AQ{_opaque(10)}.{_opaque(96)}"
        self._db.execute(
            "INSERT INTO access_tokens VALUES (?, ?, ?, ?, ?, ?)",
            (
                _digest(token),
                user_id,
                client_id,
                scope,
                _digest(refresh_token) if refresh_token else None,
                int(time.time()),
            ),
        )
        return token

    def issue_refresh_token(self, user_id: str, client_id: str, scope: str) -> str:
        """A new refresh token."""
        token = f"5Aep861{_opaque(80)}"
        self._db.execute(
            "INSERT INTO refresh_tokens VALUES (?, ?, ?, ?, ?)",
            (_digest(token), user_id, client_id, scope, int(time.time())),
        )
        return token

    def session(self, access_token: str) -> Session | None:
        """The session of a valid access token, else ``None``."""
        digest = _digest(access_token)
        cached = self._cache.get(digest)
        if cached is not None:
            return cached
        row = self._db.execute(
            "SELECT user_id, client_id, scope FROM access_tokens WHERE digest = ?", (digest,)
        ).fetchone()
        if row is None:
            return None
        found = Session(*row)
        self._cache[digest] = found
        return found

    def grant(self, refresh_token: str) -> Grant | None:
        """The grant of a valid refresh token, else ``None``."""
        row = self._db.execute(
            "SELECT user_id, client_id, scope FROM refresh_tokens WHERE digest = ?",
            (_digest(refresh_token),),
        ).fetchone()
        return Grant(*row) if row else None

    def revoke(self, token: str) -> bool:
        """Revoke an access or refresh token; revoking a refresh token revokes its access tokens.

        Returns whether the token was known.
        """
        digest = _digest(token)
        self._cache.clear()
        cur = self._db.execute("DELETE FROM access_tokens WHERE digest = ?", (digest,))
        known = cur.rowcount > 0
        cur = self._db.execute("DELETE FROM refresh_tokens WHERE digest = ?", (digest,))
        if cur.rowcount > 0:
            known = True
            self._db.execute("DELETE FROM access_tokens WHERE refresh_digest = ?", (digest,))
        return known

    def expire_all(self) -> None:
        """Every access token stops working; refresh tokens stay valid."""
        self._cache.clear()
        self._db.execute("DELETE FROM access_tokens")

    def clear(self) -> None:
        """Forget every token (reset)."""
        self._cache.clear()
        self._db.execute("DELETE FROM access_tokens")
        self._db.execute("DELETE FROM refresh_tokens")
