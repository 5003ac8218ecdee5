"""The PostgreSQL store's own behaviour, on a throwaway cluster: the renewal lock is an advisory
lock that dies with its holder, replicas migrate at once safely, a newer schema or another key
is refused, tokens are sealed as in SQLite, the snapshot notices other replicas, and a database
restart fails calls clearly and then heals. (What it shares with SQLite: test_store.py,
test_write_keys.py, test_rotation.py.)"""

from __future__ import annotations

import base64
import os
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from pydantic import SecretStr

from server.errors import StoreUnavailable
from server.settings import Settings
from server.store.crypto import TokenCipher
from server.store.interface import Connection
from server.store.postgres import PostgresConnectionStore
from server.store.postgres_pool import RETRY_SECONDS
from server.store.postgres_schema import MIGRATIONS, KeyMismatch, NewerSchema
from server.store.postgres_snapshot import CHECK_SECONDS
from tests.helpers.postgres import PostgresCluster, find_bindir

ROOT = Path(__file__).resolve().parents[2]
KEY = base64.b64encode(b"k" * 32).decode()
ACCESS = "00D5g000004CFDe!AQplaintext-access-token-0123456789"
REFRESH = "5Aep861plaintext-refresh-token-0123456789"
DAY = 86_400.0


def _connection(name: str = "prod", **changes: object) -> Connection:
    values: dict[str, object] = {
        "name": name,
        "environment": "production",
        "login_url": "https://login.salesforce.com",
        "instance_url": "https://acme.my.salesforce.com",
        "auth_kind": "oauth",
        "access_token": SecretStr(ACCESS),
        "refresh_token": SecretStr(REFRESH),
    }
    values.update(changes)
    return Connection(**values)  # type: ignore[arg-type]  # a test-only bag of overrides


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """A fresh database, with a token key set (as replicas share one)."""
    return Settings(home=tmp_path / "home", database_url=database_url, secret_key=KEY)


@pytest.fixture
def store(settings: Settings) -> Iterator[PostgresConnectionStore]:
    """The PostgreSQL store of ``settings``."""
    opened = PostgresConnectionStore.from_settings(settings)
    yield opened
    opened.close()


def _url(settings: Settings) -> str:
    assert settings.database_url is not None
    return settings.database_url.get_secret_value()


def _sql(settings: Settings, statement: str) -> list[tuple[object, ...]]:
    with psycopg.connect(_url(settings), autocommit=True) as raw:
        cursor = raw.execute(statement)  # type: ignore[call-overload]  # fixed test SQL
        return cursor.fetchall() if cursor.description else []


def _worker(settings: Settings, *arguments: str) -> subprocess.Popen[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CALLFORCE_")}
    env |= {
        "CALLFORCE_HOME": str(settings.home),
        "CALLFORCE_DATABASE_URL": _url(settings),
        "CALLFORCE_SECRET_KEY": KEY,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "tests.helpers.postgres_worker", *arguments],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )


def _end(process: subprocess.Popen[str]) -> None:
    """Kill the worker if it still runs; reap it and close its pipe."""
    if process.poll() is None:
        process.kill()
    process.wait(30)
    if process.stdout is not None:
        process.stdout.close()


def _line(process: subprocess.Popen[str], seconds: float = 60) -> str:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], seconds)
    assert ready, "the worker said nothing"
    return process.stdout.readline().strip()


def test_a_renewal_lock_dies_with_its_holder(
    settings: Settings, store: PostgresConnectionStore
) -> None:
    """A process holding a connection's renewal lock (an advisory lock in PostgreSQL) keeps it
    from this one; `kill -9` it and the lock is free, with no one releasing it."""
    holder = _worker(settings, "hold", "Prod")
    try:
        assert _line(holder) == "held"
        advisory = (
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        assert _sql(settings, advisory) == [(1,)]
        lock = store.renewal_lock("prod")
        assert not lock.acquire()
        holder.kill()  # SIGKILL: nothing in the holder runs again
        holder.wait(10)
        deadline = time.monotonic() + 10
        while not lock.acquire():
            assert time.monotonic() < deadline, "the lock outlived its holder"
            time.sleep(0.05)
        lock.release()
        assert _sql(settings, advisory) == [(0,)]
    finally:
        _end(holder)


def test_three_replicas_starting_at_once_migrate_once(settings: Settings, tmp_path: Path) -> None:
    """Three processes opening a fresh database together: each migration is applied once, and
    every process finds the newest schema."""
    go = tmp_path / "go"
    workers = [_worker(settings, "open", str(go)) for _ in range(3)]
    try:
        time.sleep(0.5)  # let them import and wait for the signal
        go.touch()
        versions = [_line(worker) for worker in workers]
        assert [worker.wait(30) for worker in workers] == [0, 0, 0]
    finally:
        for worker in workers:
            _end(worker)
    assert versions == [str(len(MIGRATIONS))] * 3
    applied = _sql(settings, "SELECT version FROM schema_version ORDER BY version")
    assert applied == [(number,) for number in range(1, len(MIGRATIONS) + 1)]


def test_a_newer_schema_is_refused(settings: Settings, store: PostgresConnectionStore) -> None:
    """A database migrated by a newer callforce is refused at opening, with a message."""
    assert store.schema_version == len(MIGRATIONS) == 4
    _sql(settings, "INSERT INTO schema_version (version) VALUES (99)")
    with pytest.raises(NewerSchema, match="newer callforce"):
        PostgresConnectionStore.from_settings(settings)


def test_another_token_key_is_refused(settings: Settings, store: PostgresConnectionStore) -> None:
    """A replica whose CALLFORCE_SECRET_KEY differs from the database's is refused at start."""
    other_key = base64.b64encode(b"x" * 32).decode()
    with pytest.raises(KeyMismatch, match="same CALLFORCE_SECRET_KEY"):
        PostgresConnectionStore.from_settings(
            settings.model_copy(update={"secret_key": SecretStr(other_key)})
        )


def test_tokens_are_sealed_as_in_sqlite(settings: Settings, store: PostgresConnectionStore) -> None:
    """The token columns hold TokenCipher's sealed bytes, bound to (connection, column), and no
    plaintext token is anywhere in the table."""
    store.save(_connection("Prod"))
    store.update_tokens("PROD", f"{ACCESS}-rotated", f"{REFRESH}-rotated")
    rows = _sql(settings, "SELECT access_token, refresh_token, c::text FROM connections c")
    access, refresh, whole = rows[0]
    assert isinstance(access, bytes)
    assert isinstance(refresh, bytes)
    assert isinstance(whole, str)
    for data in (access, refresh, whole.encode()):
        assert b"plaintext-access-token" not in data
        assert b"plaintext-refresh-token" not in data
    cipher = TokenCipher.from_settings(settings)
    assert cipher.decrypt(access, connection="prod", column="access_token") == f"{ACCESS}-rotated"
    assert cipher.decrypt(refresh, connection="prod", column="refresh_token") == (
        f"{REFRESH}-rotated"
    )


def test_the_snapshot_notices_another_replica_within_its_interval(
    settings: Settings, store: PostgresConnectionStore
) -> None:
    """A token rotated through another store instance is read here within CHECK_SECONDS."""
    store.save(_connection())
    assert store.get("prod") is not None  # the snapshot is taken
    other = PostgresConnectionStore.from_settings(settings)
    try:
        other.update_tokens("prod", "rotated-access", None)
        changed = time.monotonic()
        while True:
            conn = store.get("prod")
            assert conn is not None
            assert conn.access_token is not None
            if conn.access_token.get_secret_value() == "rotated-access":
                break
            assert time.monotonic() - changed < CHECK_SECONDS + 1.0, "the change was never seen"
            time.sleep(0.01)
    finally:
        other.close()


def test_taking_a_renewal_lock_makes_the_next_read_fresh(settings: Settings) -> None:
    """However long the snapshot is trusted, a replica that takes the renewal lock reads what
    the previous holder stored — so it adopts that renewal instead of refreshing again."""
    cipher = TokenCipher.from_settings(settings)
    store = PostgresConnectionStore(_url(settings), cipher, check_seconds=3600)
    other = PostgresConnectionStore(_url(settings), cipher)
    try:
        store.save(_connection())
        assert store.get("prod") is not None  # the snapshot is taken
        other.update_tokens("prod", "renewed-elsewhere", "rotated-refresh")
        stale = store.get("prod")
        assert stale is not None
        assert stale.access_token is not None
        assert stale.access_token.get_secret_value() == ACCESS  # trusted for an hour
        lock = store.renewal_lock("prod")
        assert lock.acquire()
        fresh = store.get("prod")
        lock.release()
        assert fresh is not None
        assert fresh.access_token is not None
        assert fresh.access_token.get_secret_value() == "renewed-elsewhere"
    finally:
        store.close()
        other.close()


@pytest.fixture
def own_cluster() -> Iterator[PostgresCluster]:
    """A cluster of this test's own, to stop and start."""
    bindir = find_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed")
    cluster = PostgresCluster(bindir).start()
    yield cluster
    cluster.close()


def test_a_database_restart_fails_calls_clearly_then_heals(
    own_cluster: PostgresCluster, tmp_path: Path
) -> None:
    """While PostgreSQL is down, reads are served from the snapshot, writes fail at once with
    StoreUnavailable (its message names no host); once it is back the same store works again."""
    settings = Settings(home=tmp_path / "home", database_url=own_cluster.database(), secret_key=KEY)
    store = PostgresConnectionStore.from_settings(settings)
    try:
        store.save(_connection())
        assert store.claim_key("before", "f", lease_seconds=10, keep_seconds=DAY).state == "fresh"
        assert store.get("prod") is not None  # the snapshot is taken
        own_cluster.stop_server("fast")  # every session is ended, as by a restart

        time.sleep(CHECK_SECONDS)
        conn = store.get("prod")  # the check fails: the snapshot still holds
        assert conn is not None
        assert conn.state == "connected"
        with pytest.raises(StoreUnavailable) as caught:
            store.claim_key("during", "f", lease_seconds=10, keep_seconds=DAY)
        assert "127.0.0.1" not in caught.value.message
        assert "try again shortly" in caught.value.message
        started = time.monotonic()
        with pytest.raises(StoreUnavailable):
            store.update_tokens("prod", "lost", None)
        assert time.monotonic() - started < RETRY_SECONDS  # refused at once, not after a wait
        with pytest.raises(StoreUnavailable):
            store.renewal_lock("prod").acquire()

        own_cluster.start_server()
        deadline = time.monotonic() + 30
        while True:
            try:
                claim = store.claim_key("after", "f", lease_seconds=10, keep_seconds=DAY)
                break
            except StoreUnavailable:
                assert time.monotonic() < deadline, "the store never recovered"
                time.sleep(0.1)
        assert claim.state == "fresh"
        store.update_tokens("prod", "after-restart", None)
        healed = store.get("prod")
        assert healed is not None
        assert healed.access_token is not None
        assert healed.access_token.get_secret_value() == "after-restart"
        lock = store.renewal_lock("prod")
        assert lock.acquire()
        lock.release()
    finally:
        store.close()


def test_a_quick_restart_costs_no_call(own_cluster: PostgresCluster, tmp_path: Path) -> None:
    """A restart between two calls leaves every kept session dead; the next token write, key
    claim, read and renewal lock each find a fresh session and succeed the first time."""
    settings = Settings(home=tmp_path / "home", database_url=own_cluster.database(), secret_key=KEY)
    store = PostgresConnectionStore.from_settings(settings)
    try:
        store.save(_connection())
        assert store.get("prod") is not None
        held = store.claim_key("before", "f", lease_seconds=10, keep_seconds=DAY)
        lock = store.renewal_lock("prod")
        assert lock.acquire()  # the lock session is now open
        lock.release()
        own_cluster.stop_server("fast")
        own_cluster.start_server()

        store.update_tokens("prod", "after-restart", None)
        assert store.claim_key("after", "f", lease_seconds=10, keep_seconds=DAY).state == "fresh"
        assert held.token
        store.finish_key("before", held.token, {"id": "001"})
        assert lock.acquire()
        lock.release()
        time.sleep(CHECK_SECONDS)
        conn = store.get("prod")
        assert conn is not None
        assert conn.access_token is not None
        assert conn.access_token.get_secret_value() == "after-restart"
    finally:
        store.close()
