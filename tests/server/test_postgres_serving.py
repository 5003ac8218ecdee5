"""CALLFORCE_DATABASE_URL chooses PostgreSQL for the whole process: the server's lifespan and
the commands open it, renewals land in it; a database out of reach is a clear error that never
shows the URL; the setting itself is a secret."""

from __future__ import annotations

import base64
import socket
from pathlib import Path

import httpx
import pydantic
import pytest
from pydantic import SecretStr

from emulator.server import BackgroundEmulator
from server import cli
from server.app import build_server
from server.settings import Settings
from server.store.crypto import TokenCipher
from server.store.interface import Connection
from server.store.opening import open_store
from server.store.postgres import PostgresConnectionStore
from server.store.sqlite import SQLiteConnectionStore
from tests.helpers.demo_org import DEMO_USER, demo_tokens, make_settings
from tests.helpers.tool_calls import serving

KEY = base64.b64encode(b"s" * 32).decode()
PASSWORD = "hunter2-database-password"


def _save_demo(settings: Settings, emulator: BackgroundEmulator, *, access: str) -> None:
    _, refresh = demo_tokens(emulator)
    store = open_store(settings)
    try:
        store.save(
            Connection(
                name="prod",
                environment="production",
                login_url=emulator.base_url,
                instance_url=emulator.base_url,
                auth_kind="oauth",
                access_token=SecretStr(access),
                refresh_token=SecretStr(refresh),
                username=DEMO_USER,
            )
        )
    finally:
        store.close()


async def test_the_served_process_keeps_its_connections_in_postgres(
    tmp_path: Path, emulator: BackgroundEmulator, database_url: str
) -> None:
    """A server built from settings with a database URL opens PostgreSQL in its lifespan: a
    call with an expired session renews it, and the new token is in the database."""
    settings = make_settings(tmp_path / "home", emulator, database_url=database_url, secret_key=KEY)
    _save_demo(settings, emulator, access="expired-access-token")
    async with serving(build_server(settings)) as client:
        result = await client.call_tool("run_query", {"soql": "SELECT Id FROM Account LIMIT 1"})
    assert not result.is_error
    reader = PostgresConnectionStore(database_url, TokenCipher.from_settings(settings))
    try:
        conn = reader.get("prod")
    finally:
        reader.close()
    assert conn is not None
    assert conn.access_token is not None
    assert conn.access_token.get_secret_value() != "expired-access-token"
    assert not (settings.home / "callforce.db").exists()


def test_status_lists_the_connections_in_postgres(
    tmp_path: Path,
    emulator: BackgroundEmulator,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`callforce status` with CALLFORCE_DATABASE_URL reads the database, not the home."""
    settings = make_settings(tmp_path / "home", emulator, database_url=database_url, secret_key=KEY)
    _save_demo(settings, emulator, access="any")
    monkeypatch.setenv("CALLFORCE_HOME", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("CALLFORCE_DATABASE_URL", database_url)
    monkeypatch.setenv("CALLFORCE_SECRET_KEY", KEY)
    assert cli.main(["status"]) == 0
    row = capsys.readouterr().out.splitlines()[1].split()
    assert row[:3] == ["prod", "production", "connected"]


def test_a_database_out_of_reach_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A command whose database cannot be reached exits 1 and says so; the password never shows."""
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("CALLFORCE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv(
        "CALLFORCE_DATABASE_URL", f"postgresql://callforce:{PASSWORD}@127.0.0.1:{port}/callforce"
    )
    assert cli.main(["status"]) == 1
    captured = capsys.readouterr()
    assert "callforce: cannot open the connection database (" in captured.err
    assert PASSWORD not in captured.out + captured.err


def test_the_database_url_is_a_secret_setting(tmp_path: Path, database_url: str) -> None:
    """Only a postgresql:// URL is taken, the refusal does not repeat it, a repr hides it, blank
    means unset; unset opens SQLite, set opens PostgreSQL."""
    with pytest.raises(pydantic.ValidationError, match="postgresql://") as caught:
        Settings(database_url=f"mysql://root:{PASSWORD}@db/callforce")
    assert PASSWORD not in str(caught.value)
    with_password = Settings(database_url=f"postgresql://callforce:{PASSWORD}@db/callforce")
    assert PASSWORD not in repr(with_password)
    assert Settings(database_url="  ").database_url is None

    sqlite = open_store(Settings(home=tmp_path / "home"))
    postgres = open_store(Settings(home=tmp_path / "home", database_url=database_url))
    try:
        assert isinstance(sqlite, SQLiteConnectionStore)
        assert isinstance(postgres, PostgresConnectionStore)
        assert PASSWORD not in repr(postgres)
    finally:
        sqlite.close()
        postgres.close()


async def test_a_cursor_from_one_replica_pages_on_another(
    tmp_path: Path, emulator: BackgroundEmulator, database_url: str
) -> None:
    """Two replicas, both running, each with a home of its own, sharing the database and
    CALLFORCE_SECRET_KEY: the next page of a query asked of one is served by the other."""
    replicas = [
        make_settings(tmp_path / name, emulator, database_url=database_url, secret_key=KEY)
        for name in ("replica-a", "replica-b")
    ]
    access, _ = demo_tokens(emulator)
    _save_demo(replicas[0], emulator, access=access)
    query = {"soql": "SELECT Id, LastName FROM Contact ORDER BY LastName LIMIT 12"}
    async with serving(build_server(replicas[0])) as one, serving(build_server(replicas[1])) as two:
        first = await one.call_tool("run_query", {**query, "max_records": 5})
        assert isinstance(first.structured_content, dict)
        cursor = first.structured_content["next_page"]
        assert isinstance(cursor, str)
        second = await two.call_tool("run_query", {**query, "cursor": cursor, "max_records": 5})
    assert not second.is_error
    assert isinstance(second.structured_content, dict)
    records = second.structured_content["records"]
    assert len(records) == 5
    assert not {r["Id"] for r in records} & {r["Id"] for r in first.structured_content["records"]}


async def test_a_session_adopted_from_another_replica_and_expired_since_is_renewed(
    tmp_path: Path, emulator: BackgroundEmulator, database_url: str
) -> None:
    """Replica A renews; the new session dies at once; replica B, whose snapshot still held the
    old session, adopts A's under the renewal lock, is refused, and renews itself: every call
    succeeds (B used to fail with "refused the session right after renewing it")."""
    access, _ = demo_tokens(emulator)
    one = make_settings(tmp_path / "a", emulator, database_url=database_url, secret_key=KEY)
    other = one.model_copy(update={"home": tmp_path / "b"})
    _save_demo(one, emulator, access=access)
    query = {"soql": "SELECT Id FROM Account LIMIT 1"}
    async with (
        serving(build_server(one)) as a,
        serving(build_server(other)) as b,
        httpx.AsyncClient(base_url=emulator.base_url) as control,
    ):
        for client in (a, b):
            assert not (await client.call_tool("run_query", query)).is_error
        for _ in range(5):
            await control.post("/_emulator/expire-sessions")
            assert not (await a.call_tool("run_query", query)).is_error  # A renews
            await control.post("/_emulator/expire-sessions")  # and that session dies too
            result = await b.call_tool("run_query", query)
            assert not result.is_error, result.content
