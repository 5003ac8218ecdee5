"""The connection store's SQLite schema: its migrations and the columns of a row.

The schema is versioned by ``PRAGMA user_version``: :func:`migrate` applies, each in its own
transaction, the migrations a database has not had yet, and refuses a database written by a
newer callforce. A migration is appended, never edited.
"""

from __future__ import annotations

import sqlite3

from server.store.interface import StoreRefused

MIGRATIONS: tuple[str, ...] = (
    # 1: one row per named connection.
    """
    CREATE TABLE connections (
        name          TEXT PRIMARY KEY COLLATE NOCASE,
        environment   TEXT NOT NULL CHECK (environment IN ('production', 'sandbox', 'custom')),
        login_url     TEXT NOT NULL,
        instance_url  TEXT NOT NULL,
        org_id        TEXT,
        user_id       TEXT,
        username      TEXT,
        auth_kind     TEXT NOT NULL
                      CHECK (auth_kind IN ('oauth', 'client_credentials', 'jwt', 'token')),
        client_id     TEXT,
        key_path      TEXT,
        access_token  BLOB,
        refresh_token BLOB,
        state         TEXT NOT NULL DEFAULT 'connected'
                      CHECK (state IN ('connected', 'needs_reconnect', 'disconnected')),
        last_error    TEXT,
        created_at    TEXT NOT NULL,
        updated_at    TEXT NOT NULL,
        is_default    INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1))
    );
    CREATE UNIQUE INDEX connections_one_default ON connections (is_default) WHERE is_default = 1;
    """,
    # 2: write keys (server.store.sqlite_keys): one row per key, its state and first result.
    # Times are seconds since the epoch; the holder is the token of whoever holds a pending key.
    """
    CREATE TABLE idempotency_keys (
        key          TEXT PRIMARY KEY,
        fingerprint  TEXT NOT NULL,
        state        TEXT NOT NULL CHECK (state IN ('pending', 'done', 'unknown')),
        holder       TEXT,
        result       TEXT,
        lease_until  REAL NOT NULL,
        expires_at   REAL NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);
    """,
    # 3: the activity record (server.store.sqlite_activity): one row per tool call, no caller
    # data. record_ids is a JSON array; arguments (JSON) only when the operator keeps values.
    """
    CREATE TABLE activity (
        id           INTEGER PRIMARY KEY,
        started_at   REAL NOT NULL,
        call_id      TEXT,
        connection   TEXT,
        tool         TEXT NOT NULL,
        outcome      TEXT NOT NULL CHECK (outcome IN ('ok', 'error')),
        error        TEXT,
        duration_ms  REAL NOT NULL,
        sf_requests  INTEGER NOT NULL,
        sf_ms        REAL NOT NULL,
        record_ids   TEXT NOT NULL,
        replayed     INTEGER NOT NULL CHECK (replayed IN (0, 1)),
        arguments    TEXT
    );
    CREATE INDEX activity_started ON activity (started_at);
    CREATE INDEX activity_call ON activity (call_id, started_at);
    """,
    # 4: connect attempts (server.store.sqlite_attempts): the key is a SHA-256 digest of the
    # OAuth state; details are sealed, NULL once the attempt is finished. Times are seconds
    # since the epoch; expires_at is when a waiting attempt expires, or a finished one is
    # forgotten.
    """
    CREATE TABLE connect_attempts (
        key         BLOB PRIMARY KEY CHECK (length(key) = 32),
        details     BLOB,
        started_at  REAL NOT NULL,
        expires_at  REAL NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX connect_attempts_expiry ON connect_attempts (expires_at);
    """,
)
COLUMNS = (
    "name, environment, login_url, instance_url, org_id, user_id, username, auth_kind, "
    "client_id, key_path, access_token, refresh_token, state, last_error, created_at, "
    "updated_at, is_default"
)


def migrate(db: sqlite3.Connection) -> None:
    """Bring ``db`` (opened in autocommit mode) to the newest schema version."""
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version > len(MIGRATIONS):
        raise StoreRefused(
            "the connection store was written by a newer callforce; upgrade callforce"
        )
    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        db.execute("BEGIN IMMEDIATE")
        try:
            for statement in script.split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute(f"PRAGMA user_version = {number}")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
