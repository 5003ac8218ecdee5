"""The PostgreSQL store's async write keys (the twins a tool call awaits): the event loop goes on
while a claim waits for the database; a database restart fails them at once, then heals
without a lost call; a keyed write answers before its result is stored, and an identical call
meanwhile waits for it and replays. (What they share with SQLite: test_write_keys.py.)"""

from __future__ import annotations

import asyncio
import base64
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from pydantic import SecretStr

from emulator.server import BackgroundEmulator
from server.app import build_server
from server.errors import StoreUnavailable
from server.settings import Settings
from server.store.interface import Connection
from server.store.postgres import PostgresConnectionStore
from server.store.postgres_pool import RETRY_SECONDS
from tests.helpers.demo_org import API, DEMO_USER, add_fault, demo_tokens, make_settings
from tests.helpers.org_records import unique
from tests.helpers.postgres import PostgresCluster, find_bindir
from tests.helpers.tool_calls import serving

KEY = base64.b64encode(b"k" * 32).decode()
DAY = 86_400.0
#: How long another session holds the key's row in the blocking test.
HOLD_SECONDS = 0.5


@pytest.fixture
async def store(tmp_path: Path, database_url: str) -> AsyncIterator[PostgresConnectionStore]:
    """A PostgreSQL store on a fresh database, its async sessions closed on the test's loop."""
    opened = PostgresConnectionStore.from_settings(
        Settings(home=tmp_path / "home", database_url=database_url, secret_key=KEY)
    )
    yield opened
    await opened.aclose()
    opened.close()


async def test_a_claim_waiting_on_a_row_lock_leaves_the_loop_running(
    store: PostgresConnectionStore, database_url: str
) -> None:
    """Another session holds the key's row for 0.5 s: the claim waits that long, and another
    coroutine keeps ticking all the while (a claim inline on the loop would stop it)."""
    held = await store.aclaim_key("k", "f", lease_seconds=10, keep_seconds=DAY)
    assert held.token
    await store.afinish_key("k", held.token, {"id": "001"})
    with psycopg.connect(database_url) as locker:  # a transaction, open until the commit
        locker.execute("SELECT 1 FROM idempotency_keys WHERE key = 'k' FOR UPDATE")
        threading.Timer(HOLD_SECONDS, locker.commit).start()
        ticks = 0
        claiming = asyncio.ensure_future(
            store.aclaim_key("k", "f", lease_seconds=10, keep_seconds=DAY)
        )
        started = time.monotonic()
        while not claiming.done():
            await asyncio.sleep(0.01)
            ticks += 1
        waited = time.monotonic() - started
        found = await claiming
    assert (found.state, found.result) == ("done", {"id": "001"})
    assert waited >= HOLD_SECONDS * 0.8  # it really waited for the lock
    assert ticks >= 10  # ~50 if the loop ran freely; 1 if the claim held it


@pytest.fixture
def own_cluster() -> Iterator[PostgresCluster]:
    """A cluster of this test's own, to stop and start."""
    bindir = find_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed")
    cluster = PostgresCluster(bindir).start()
    yield cluster
    cluster.close()


async def test_async_keys_fail_at_once_while_the_database_is_away_then_heal(
    own_cluster: PostgresCluster, tmp_path: Path
) -> None:
    """A restart between two calls costs no call (a fresh session, the first time); while the
    database is down a claim is StoreUnavailable and the next is refused at once; once it is
    back the same store claims and finishes again."""
    settings = Settings(home=tmp_path / "home", database_url=own_cluster.database(), secret_key=KEY)
    store = PostgresConnectionStore.from_settings(settings)
    try:
        held = await store.aclaim_key("before", "f", lease_seconds=10, keep_seconds=DAY)
        assert held.token
        own_cluster.stop_server("fast")  # every session is ended, as by a restart
        own_cluster.start_server()
        assert (await store.aclaim_key("quick", "f", lease_seconds=10, keep_seconds=DAY)).token
        await store.afinish_key("before", held.token, {"id": "001"})

        own_cluster.stop_server("fast")
        with pytest.raises(StoreUnavailable) as caught:
            await store.aclaim_key("during", "f", lease_seconds=10, keep_seconds=DAY)
        assert "127.0.0.1" not in caught.value.message
        started = time.monotonic()
        with pytest.raises(StoreUnavailable):
            await store.aclaim_key("during", "f", lease_seconds=10, keep_seconds=DAY)
        assert time.monotonic() - started < RETRY_SECONDS  # refused at once, not after a wait

        own_cluster.start_server()
        deadline = time.monotonic() + 30
        while True:
            try:
                claim = await store.aclaim_key("after", "f", lease_seconds=10, keep_seconds=DAY)
                break
            except StoreUnavailable:
                assert time.monotonic() < deadline, "the store never recovered"
                await asyncio.sleep(0.1)
        assert claim.state == "fresh"
        found = await store.aclaim_key("before", "f", lease_seconds=10, keep_seconds=DAY)
        assert (found.state, found.result) == ("done", {"id": "001"})
    finally:
        await store.aclose()
        store.close()


async def test_a_write_answers_before_its_result_is_stored(
    tmp_path: Path,
    emulator: BackgroundEmulator,
    control: httpx.AsyncClient,
    database_url: str,
) -> None:
    """Another session locks the pending key's row during the create: the call still answers
    (its result is stored after); an identical call meanwhile waits until the result is
    stored, then replays it."""
    settings = make_settings(tmp_path / "home", emulator, database_url=database_url, secret_key=KEY)
    access, refresh = demo_tokens(emulator)
    seeding = PostgresConnectionStore.from_settings(settings)
    try:
        seeding.save(
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
        seeding.close()
    args = {"object": "Contact", "data": {"LastName": unique("Later-")}}
    call = {"meta": {"callforce/call": {"id": unique("call-")}}}
    await add_fault(control, method="POST", path=f"{API}/sobjects/Contact", delay_ms=400, times=1)
    locker = await psycopg.AsyncConnection.connect(database_url)
    try:
        async with serving(build_server(settings)) as client:
            first = asyncio.ensure_future(client.call_tool("create_record", args, **call))
            while not await (  # the claim is stored: lock its row until the commit below
                await locker.execute(
                    "SELECT key FROM idempotency_keys WHERE state = 'pending' FOR UPDATE"
                )
            ).fetchall():
                await locker.rollback()
                await asyncio.sleep(0.02)
            answered = await asyncio.wait_for(first, 10)
            assert not answered.is_error
            assert (answered.structured_content or {}).get("replayed") is None
            second = asyncio.ensure_future(client.call_tool("create_record", args, **call))
            await asyncio.sleep(0.3)
            assert not second.done()  # waiting for the first one's result to be stored
            await locker.commit()
            replayed = await asyncio.wait_for(second, 10)
    finally:
        await locker.close()
    assert (replayed.structured_content or {})["replayed"] is True
    assert (replayed.structured_content or {})["id"] == (answered.structured_content or {})["id"]
