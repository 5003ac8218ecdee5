"""The connection stores: round trip, encryption at rest, defaults, what other processes commit
(SQLite and PostgreSQL alike, through ``any_store``); file modes and schema of the SQLite one.
PostgreSQL's own behaviour is in test_postgres_store.py."""

from __future__ import annotations

import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from server.errors import ConnectionNotFound
from server.settings import Settings
from server.store.interface import Connection, ConnectionStore
from server.store.sqlite import DB_FILE, SQLiteConnectionStore
from server.store.sqlite_schema import MIGRATIONS
from tests.helpers.stores import Backend

ACCESS = "00D5g000004CFDe!AQplaintext-access-token-0123456789"
REFRESH = "5Aep861plaintext-refresh-token-0123456789"


def _connection(name: str = "prod", **changes: object) -> Connection:
    values: dict[str, object] = {
        "name": name,
        "environment": "production",
        "login_url": "https://login.salesforce.com",
        "instance_url": "https://acme.my.salesforce.com",
        "auth_kind": "oauth",
        "access_token": SecretStr(f"{ACCESS}-{name}"),
        "refresh_token": SecretStr(f"{REFRESH}-{name}"),
        "org_id": "00D5g000004CFDeEAO",
        "user_id": "0055g00000A1B2CAAR",
        "username": "ana@acme.example",
    }
    values.update(changes)
    return Connection(**values)  # type: ignore[arg-type]  # a test-only bag of overrides


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A fresh callforce home."""
    return tmp_path / "home"


@pytest.fixture
def store(home: Path) -> Iterator[SQLiteConnectionStore]:
    """A store under ``home``."""
    opened = SQLiteConnectionStore.from_settings(Settings(home=home))
    yield opened
    opened.close()


def test_round_trip(any_store: ConnectionStore) -> None:
    """Every field saved comes back, tokens decrypted, looked up in any case."""
    store = any_store
    saved = _connection(client_id="app-1", key_path=None, last_error=None)
    store.save(saved)
    loaded = store.get("PROD")
    assert loaded is not None
    assert loaded.name == "prod"
    assert loaded.access_token is not None
    assert loaded.access_token.get_secret_value() == f"{ACCESS}-prod"
    assert loaded.refresh_token is not None
    assert loaded.refresh_token.get_secret_value() == f"{REFRESH}-prod"
    for field in ("environment", "login_url", "instance_url", "auth_kind", "org_id", "user_id",
                  "username", "client_id", "state"):  # fmt: skip
        assert getattr(loaded, field) == getattr(saved, field), field
    assert loaded.created_at is not None
    assert loaded.updated_at is not None
    assert store.get("nope") is None


def test_repr_hides_tokens(any_store: ConnectionStore) -> None:
    """A connection's repr shows neither token."""
    any_store.save(_connection())
    text = repr(any_store.get("prod"))
    assert ACCESS not in text
    assert REFRESH not in text


def test_no_plaintext_token_on_disk(home: Path, store: SQLiteConnectionStore) -> None:
    """The database file and its WAL hold only ciphertext, before and after a checkpoint."""
    store.save(_connection())
    store.update_tokens("prod", f"{ACCESS}-rotated", f"{REFRESH}-rotated")
    files = [home / DB_FILE, home / f"{DB_FILE}-wal"]

    def disk() -> bytes:
        return b"".join(path.read_bytes() for path in files if path.exists())

    before = disk()
    assert b"acme.my.salesforce.com" in before  # the row is really in these bytes
    store.close()
    after = disk()
    for data in (before, after):
        assert b"plaintext-access-token" not in data
        assert b"plaintext-refresh-token" not in data


def test_files_are_private(home: Path, store: SQLiteConnectionStore) -> None:
    """The home is 0700; the database, -wal and -shm are 0600."""
    store.save(_connection())
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    for name in (DB_FILE, f"{DB_FILE}-wal", f"{DB_FILE}-shm"):
        path = home / name
        assert path.exists(), name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, name


def test_existing_database_is_tightened(home: Path) -> None:
    """A database file left world-readable is set to 0600 when the store opens it."""
    SQLiteConnectionStore.from_settings(Settings(home=home)).close()
    (home / DB_FILE).chmod(0o644)
    SQLiteConnectionStore.from_settings(Settings(home=home)).close()
    assert stat.S_IMODE((home / DB_FILE).stat().st_mode) == 0o600


def test_ciphertext_moved_to_another_row_fails(
    backend: Backend, any_store: ConnectionStore
) -> None:
    """A token blob copied into another connection's row does not decrypt there."""
    store = any_store
    store.save(_connection("prod"))
    store.save(_connection("sandbox", environment="sandbox"))
    backend.execute(
        "UPDATE connections SET access_token = "
        "(SELECT access_token FROM connections WHERE name = 'prod') WHERE name = 'sandbox'"
    )
    backend.settle()
    moved = store.get("sandbox")
    assert moved is not None
    assert moved.access_token is None
    assert moved.state == "needs_reconnect"
    assert moved.last_error is not None
    assert "decrypt" in moved.last_error
    untouched = store.get("prod")
    assert untouched is not None
    assert untouched.state == "connected"


def test_update_tokens(any_store: ConnectionStore) -> None:
    """New tokens replace the old; no refresh token keeps the stored one; state is connected."""
    store = any_store
    store.save(_connection(state="needs_reconnect", last_error="refused"))
    store.update_tokens("prod", "access-2", None)
    conn = store.get("prod")
    assert conn is not None
    assert conn.access_token is not None
    assert conn.access_token.get_secret_value() == "access-2"
    assert conn.refresh_token is not None
    assert conn.refresh_token.get_secret_value() == f"{REFRESH}-prod"
    assert (conn.state, conn.last_error) == ("connected", None)
    store.update_tokens("prod", "access-3", "refresh-3", instance_url="https://b.my.salesforce.com")
    conn = store.get("prod")
    assert conn is not None
    assert conn.refresh_token is not None
    assert conn.refresh_token.get_secret_value() == "refresh-3"
    assert conn.instance_url == "https://b.my.salesforce.com"
    with pytest.raises(ConnectionNotFound):
        store.update_tokens("nope", "a", None)


def test_tokens_survive_reopening(backend: Backend, any_store: ConnectionStore) -> None:
    """Another store on the same place (another process) reads the same tokens."""
    any_store.save(_connection())
    conn = backend.open().get("prod")
    assert conn is not None
    assert conn.access_token is not None
    assert conn.access_token.get_secret_value() == f"{ACCESS}-prod"


def test_mark_and_delete(any_store: ConnectionStore) -> None:
    """mark sets state and reason; delete forgets the row and says whether it existed."""
    store = any_store
    store.save(_connection())
    store.mark("prod", "needs_reconnect", "Salesforce refused the saved sign-in.")
    conn = store.get("prod")
    assert conn is not None
    assert conn.state == "needs_reconnect"
    assert conn.last_error == "Salesforce refused the saved sign-in."
    assert store.delete("prod") is True
    assert store.delete("prod") is False
    assert store.get("prod") is None
    with pytest.raises(ConnectionNotFound):
        store.mark("prod", "connected")


def test_defaults(any_store: ConnectionStore) -> None:
    """The only connection is the default; with several, the marked one; only one is marked."""
    store = any_store
    assert store.default() is None
    store.save(_connection("b"))
    only = store.default()
    assert only is not None
    assert only.name == "b"
    store.save(_connection("a"))
    assert store.default() is None
    store.set_default("a")
    chosen = store.default()
    assert chosen is not None
    assert chosen.name == "a"
    store.save(_connection("c", is_default=True))
    assert [conn.name for conn in store.list() if conn.is_default] == ["c"]
    with pytest.raises(ConnectionNotFound) as caught:
        store.set_default("zzz")
    assert "a, b, c" in caught.value.message
    assert [conn.name for conn in store.list() if conn.is_default] == ["c"]


def test_save_replaces_and_keeps_created_at(any_store: ConnectionStore) -> None:
    """Saving a connection again (in another case) replaces its row, keeping its first spelling
    and when it was created."""
    store = any_store
    store.save(_connection())
    first = store.get("prod")
    store.save(_connection("PROD", username="bo@acme.example", refresh_token=None))
    second = store.get("prod")
    assert first is not None
    assert second is not None
    assert second.name == "prod"
    assert second.username == "bo@acme.example"
    assert second.refresh_token is None
    assert second.created_at == first.created_at
    assert len(store.list()) == 1


def test_schema_is_versioned(home: Path, store: SQLiteConnectionStore) -> None:
    """The schema version is recorded; a database from a newer callforce is refused."""
    assert store.schema_version == len(MIGRATIONS) == 4
    store.close()
    raw = sqlite3.connect(home / DB_FILE)
    raw.execute("PRAGMA user_version = 99")
    raw.close()
    with pytest.raises(RuntimeError, match="newer callforce"):
        SQLiteConnectionStore.from_settings(Settings(home=home))


@pytest.mark.parametrize("name", ["", "has space", "a/b", "-dash", "x" * 65])
def test_bad_names_are_refused(name: str) -> None:
    """Connection names are short identifiers: they appear in commands and messages."""
    with pytest.raises(ValueError, match="connection name"):
        _connection(name)


def test_what_another_process_commits_is_seen_on_the_next_read(
    backend: Backend, any_store: ConnectionStore
) -> None:
    """Reads come from a snapshot, but a write through another store on the same place (as
    another process makes) is seen on the next read once it has settled (SQLite: at once;
    PostgreSQL: within the snapshot's check interval): a rotation, a new default, a deletion,
    a new row."""
    store = any_store
    store.save(_connection("prod", is_default=True))
    assert store.get("prod") is not None  # the snapshot is taken
    other = backend.open()
    other.update_tokens("prod", "rotated-access", "rotated-refresh")
    backend.settle()
    seen = store.get("prod")
    assert seen is not None
    assert seen.access_token is not None
    assert seen.access_token.get_secret_value() == "rotated-access"
    other.save(_connection("sandbox"))
    other.set_default("sandbox")
    backend.settle()
    default = store.default()
    assert default is not None
    assert default.name == "sandbox"
    other.mark("prod", "needs_reconnect", "refused")
    backend.settle()
    marked = store.get("PROD")
    assert marked is not None
    assert marked.state == "needs_reconnect"
    assert other.delete("prod")
    backend.settle()
    assert store.get("prod") is None
    assert [conn.name for conn in store.list()] == ["sandbox"]


def test_its_own_writes_are_seen_at_once(any_store: ConnectionStore) -> None:
    """Writes through the store itself (which do not move data_version) refresh its reads."""
    store = any_store
    store.save(_connection("prod"))
    assert store.default() is not None  # the only connection
    store.save(_connection("sandbox"))
    assert store.default() is None  # two, none marked
    store.set_default("sandbox")
    default = store.default()
    assert default is not None
    assert default.name == "sandbox"
    store.update_tokens("prod", "new-access", None)
    updated = store.get("prod")
    assert updated is not None
    assert updated.access_token is not None
    assert updated.access_token.get_secret_value() == "new-access"


def test_a_connection_created_elsewhere_is_found_at_once(
    backend: Backend, any_store: ConnectionStore
) -> None:
    """Looking up a name the snapshot lacks reads again without waiting for it to settle: a
    connect finished on another replica is on the page the browser is sent to next, wherever
    that page is served."""
    store = any_store
    assert store.get("uat") is None  # the snapshot is taken, without it
    backend.open().save(_connection("uat"))
    found = store.get("UAT")
    assert found is not None
    assert found.refresh_token == _connection("uat").refresh_token
