"""The PostgreSQL store's schema: its migrations, the columns of a row, and the key check.

The schema is versioned by the ``schema_version`` table (one row per applied migration).
:func:`migrate` applies, each in its own transaction, the migrations a database has not had
yet, and refuses a database written by a newer callforce. Replicas starting together are
safe: migrating holds a session advisory lock, so one applies and the others then find the
schema current. A migration is appended, never edited.

Besides the tables of the SQLite schema (same columns, PostgreSQL types: ``bytea`` tokens,
``timestamptz`` times, ``boolean`` flags), migration 1 adds ``connections_version``: one
counter that a statement trigger bumps on every write to ``connections`` — by callforce or by
hand — so a replica notices a change by reading one integer (the store's snapshot). Names are
case-insensitive through a unique index on ``lower(name)``.

:func:`check_key` keeps one sealed sentinel in ``store_key_check``: a process whose token key
differs from the one the database's tokens were sealed with is refused at start-up, instead
of reading every stored token as unreadable (and sealing new ones no other replica can open).
"""

from __future__ import annotations

from server.errors import StoredTokenUnreadable
from server.store.crypto import TokenCipher
from server.store.interface import StoreRefused
from server.store.postgres_locks import lock_key
from server.store.postgres_pool import Session

MIGRATIONS: tuple[str, ...] = (
    # 1: one row per named connection; the counter of their changes; the key check.
    """
    CREATE TABLE connections (
        name          text NOT NULL,
        environment   text NOT NULL CHECK (environment IN ('production', 'sandbox', 'custom')),
        login_url     text NOT NULL,
        instance_url  text NOT NULL,
        org_id        text,
        user_id       text,
        username      text,
        auth_kind     text NOT NULL
                      CHECK (auth_kind IN ('oauth', 'client_credentials', 'jwt', 'token')),
        client_id     text,
        key_path      text,
        access_token  bytea,
        refresh_token bytea,
        state         text NOT NULL DEFAULT 'connected'
                      CHECK (state IN ('connected', 'needs_reconnect', 'disconnected')),
        last_error    text,
        created_at    timestamptz NOT NULL,
        updated_at    timestamptz NOT NULL,
        is_default    boolean NOT NULL DEFAULT false
    );
    CREATE UNIQUE INDEX connections_name ON connections (lower(name));
    CREATE UNIQUE INDEX connections_one_default ON connections (is_default) WHERE is_default;
    CREATE TABLE connections_version (
        one      boolean PRIMARY KEY DEFAULT true CHECK (one),
        version  bigint NOT NULL
    );
    INSERT INTO connections_version (version) VALUES (0);
    CREATE FUNCTION connections_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE connections_version SET version = version + 1;
        RETURN NULL;
    END
    $$;
    CREATE TRIGGER connections_changed
        AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON connections
        FOR EACH STATEMENT EXECUTE FUNCTION connections_changed();
    CREATE TABLE store_key_check (
        one     boolean PRIMARY KEY DEFAULT true CHECK (one),
        sealed  bytea NOT NULL
    );
    """,
    # 2: write keys (server.store.postgres_keys). Times are seconds since the epoch by the
    # database's clock; the holder is the token of whoever holds a pending key.
    """
    CREATE TABLE idempotency_keys (
        key          text PRIMARY KEY,
        fingerprint  text NOT NULL,
        state        text NOT NULL CHECK (state IN ('pending', 'done', 'unknown')),
        holder       text,
        result       text,
        lease_until  double precision NOT NULL,
        expires_at   double precision NOT NULL
    );
    CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);
    """,
    # 3: the activity record (server.store.postgres_activity): one row per tool call, no caller
    # data; arguments (JSON, kept as written) only when the operator keeps values.
    """
    CREATE TABLE activity (
        id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        started_at   double precision NOT NULL,
        call_id      text,
        connection   text,
        tool         text NOT NULL,
        outcome      text NOT NULL CHECK (outcome IN ('ok', 'error')),
        error        text,
        duration_ms  double precision NOT NULL,
        sf_requests  integer NOT NULL,
        sf_ms        double precision NOT NULL,
        record_ids   text[] NOT NULL,
        replayed     boolean NOT NULL,
        arguments    json
    );
    CREATE INDEX activity_started ON activity (started_at);
    CREATE INDEX activity_call ON activity (call_id, started_at);
    """,
    # 4: connect attempts (server.store.postgres_attempts), as in SQLite: the key is a SHA-256
    # digest of the OAuth state; details are sealed, NULL once the attempt is finished; times
    # are seconds since the epoch by the caller's clock.
    """
    CREATE TABLE connect_attempts (
        key         bytea PRIMARY KEY CHECK (octet_length(key) = 32),
        details     bytea,
        started_at  double precision NOT NULL,
        expires_at  double precision NOT NULL
    );
    CREATE INDEX connect_attempts_expiry ON connect_attempts (expires_at);
    """,
)
COLUMNS = (
    "name, environment, login_url, instance_url, org_id, user_id, username, auth_kind, "
    "client_id, key_path, access_token, refresh_token, state, last_error, created_at, "
    "updated_at, is_default"
)
#: The advisory lock one migrating process holds (blocks the other starters until it is done).
MIGRATION_LOCK = lock_key("schema migration")
_SENTINEL = "callforce token key check"
# Sealed as a token of a "connection" no real one can be (names start with a letter or digit).
_SENTINEL_PLACE = {"connection": "-store-", "column": "key_check"}


class NewerSchema(StoreRefused):
    """The database was migrated by a newer callforce than this one."""


class KeyMismatch(StoreRefused):
    """This process's token key is not the one the database's tokens are sealed with."""


def schema_version(db: Session) -> int:
    """The newest migration applied to ``db`` (0: none)."""
    row = db.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
    return int(row[0]) if row else 0


def migrate(db: Session) -> None:
    """Bring ``db`` (a session in autocommit mode) to the newest schema version."""
    db.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
    try:
        db.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            "version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        version = schema_version(db)
        if version > len(MIGRATIONS):
            raise NewerSchema(
                f"the connection database has schema version {version}, written by a newer "
                f"callforce (this one knows {len(MIGRATIONS)}); upgrade callforce"
            )
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            with db.transaction():
                db.execute(script)
                db.execute("INSERT INTO schema_version (version) VALUES (%s)", (number,))
    finally:
        # The session ends right after; unlocking says so sooner when it is kept.
        if not db.broken:
            db.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))


def check_key(db: Session, cipher: TokenCipher) -> None:
    """Refuse ``cipher`` unless it opens the database's sentinel (sealed by the first opener)."""
    db.execute(
        "INSERT INTO store_key_check (sealed) VALUES (%s) ON CONFLICT DO NOTHING",
        (cipher.encrypt(_SENTINEL, **_SENTINEL_PLACE),),
    )
    row = db.execute("SELECT sealed FROM store_key_check").fetchone()
    try:
        if row is None or cipher.decrypt(bytes(row[0]), **_SENTINEL_PLACE) != _SENTINEL:
            raise StoredTokenUnreadable(_SENTINEL_PLACE["connection"])
    except StoredTokenUnreadable:
        raise KeyMismatch(
            "the connection database's tokens were sealed with another key: give every "
            "callforce that shares CALLFORCE_DATABASE_URL the same CALLFORCE_SECRET_KEY"
        ) from None
