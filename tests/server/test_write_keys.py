"""The stores' write keys (SQLite and PostgreSQL alike): claim, finish, mark unknown, release,
take over, expire and prune, between two stores on one place, through the sync methods and
their async twins; and a SQLite store from before them is migrated."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from server.settings import Settings
from server.store.interface import ConnectionStore
from server.store.sqlite import DB_FILE, SQLiteConnectionStore
from server.store.sqlite_schema import MIGRATIONS
from tests.helpers.stores import Backend

DAY = 86_400.0


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A fresh callforce home."""
    return tmp_path / "home"


@pytest.fixture
def stores(backend: Backend) -> tuple[ConnectionStore, ConnectionStore]:
    """Two stores on one place, as two processes would open it (each backend in turn)."""
    return backend.open(), backend.open()


def test_a_key_is_claimed_once_and_then_replays(
    stores: tuple[ConnectionStore, ConnectionStore],
) -> None:
    """Fresh for the first; pending for the other store while held; done with the result."""
    one, two = stores
    held = one.claim_key("k", "f", lease_seconds=10, keep_seconds=DAY)
    assert held.state == "fresh"
    assert held.token
    assert two.claim_key("k", "f", lease_seconds=10, keep_seconds=DAY).state == "pending"
    two.finish_key("k", "not-the-holder", {"id": "stolen"})  # only the holder may finish
    one.finish_key("k", held.token, {"id": "001"})
    found = two.claim_key("k", "f", lease_seconds=10, keep_seconds=DAY)
    assert (found.state, found.result, found.fingerprint) == ("done", {"id": "001"}, "f")


def test_released_keys_are_free_and_unknown_ones_stay(
    stores: tuple[ConnectionStore, ConnectionStore],
) -> None:
    """A release frees the key; an unknown outcome is kept, with its note, unless taken over."""
    one, two = stores
    held = one.claim_key("a", "f", lease_seconds=10, keep_seconds=DAY)
    assert held.token
    one.release_key("a", held.token)
    assert two.claim_key("a", "f", lease_seconds=10, keep_seconds=DAY).state == "fresh"
    held = one.claim_key("b", "f", lease_seconds=10, keep_seconds=DAY)
    assert held.token
    one.mark_key_unknown("b", held.token, {"operation": "create"})
    found = two.claim_key("b", "f", lease_seconds=10, keep_seconds=DAY)
    assert (found.state, found.result) == ("unknown", {"operation": "create"})
    taken = two.claim_key("b", "f", lease_seconds=10, keep_seconds=DAY, take={"unknown"})
    assert taken.state == "fresh"


def test_an_abandoned_pending_key_reads_as_unknown(
    stores: tuple[ConnectionStore, ConnectionStore],
) -> None:
    """Its holder's lease ran out (the process died mid-write): the outcome is unknown."""
    one, two = stores
    assert one.claim_key("k", "f", lease_seconds=0.01, keep_seconds=DAY).state == "fresh"
    time.sleep(0.02)
    assert two.claim_key("k", "f", lease_seconds=10, keep_seconds=DAY).state == "unknown"


def test_expired_keys_are_free_and_pruned(
    stores: tuple[ConnectionStore, ConnectionStore],
) -> None:
    """Past its window a key is claimed afresh; prune deletes the expired ones only."""
    one, _ = stores
    held = one.claim_key("old", "f", lease_seconds=10, keep_seconds=0.01)
    assert held.token
    one.finish_key("old", held.token, {"id": "1"})
    one.claim_key("kept", "f", lease_seconds=10, keep_seconds=DAY)
    time.sleep(0.02)
    assert one.prune_keys() == 1
    assert one.claim_key("old", "f", lease_seconds=10, keep_seconds=DAY).state == "fresh"
    assert one.claim_key("kept", "f", lease_seconds=10, keep_seconds=DAY).state == "pending"


def test_a_store_from_before_write_keys_is_migrated(home: Path) -> None:
    """A version-1 database gains the write keys table when it is opened."""
    home.mkdir(mode=0o700)
    raw = sqlite3.connect(home / DB_FILE)
    raw.executescript(MIGRATIONS[0])
    raw.execute("PRAGMA user_version = 1")
    raw.close()
    store = SQLiteConnectionStore.from_settings(Settings(home=home))
    try:
        assert store.schema_version == len(MIGRATIONS) == 4
        assert store.claim_key("k", "f", lease_seconds=1, keep_seconds=DAY).state == "fresh"
    finally:
        store.close()


def test_a_key_claimed_by_many_at_once_goes_to_one(
    stores: tuple[ConnectionStore, ConnectionStore],
) -> None:
    """Eight claims of one key from two stores at the same moment: one is fresh, the others
    find it pending."""
    one, two = stores
    start = threading.Barrier(8)

    def claim(store: ConnectionStore) -> str:
        start.wait()
        return store.claim_key("race", "f", lease_seconds=10, keep_seconds=DAY).state

    with ThreadPoolExecutor(8) as pool:
        states = sorted(pool.map(claim, [one, two] * 4))
    assert states == ["fresh"] + ["pending"] * 7


@pytest.fixture
async def async_stores(
    stores: tuple[ConnectionStore, ConnectionStore],
) -> AsyncIterator[tuple[ConnectionStore, ConnectionStore]]:
    """The two stores, their async sessions closed on the test's loop at the end."""
    yield stores
    for store in stores:
        await store.aclose()


async def test_the_async_twins_keep_the_same_keys(
    async_stores: tuple[ConnectionStore, ConnectionStore],
) -> None:
    """aclaim/afinish/arelease/amark_key_unknown move the same rows the sync methods read:
    fresh, then pending elsewhere, done with the result, released, unknown, taken over."""
    one, two = async_stores
    held = await one.aclaim_key("k", "f", lease_seconds=10, keep_seconds=DAY)
    assert held.state == "fresh"
    assert held.token
    assert (await two.aclaim_key("k", "f", lease_seconds=10, keep_seconds=DAY)).state == "pending"
    assert two.claim_key("k", "f", lease_seconds=10, keep_seconds=DAY).state == "pending"
    await two.afinish_key("k", "not-the-holder", {"id": "stolen"})  # only the holder may finish
    await one.afinish_key("k", held.token, {"id": "001"})
    found = await two.aclaim_key("k", "f", lease_seconds=10, keep_seconds=DAY)
    assert (found.state, found.result, found.fingerprint) == ("done", {"id": "001"}, "f")

    held = await one.aclaim_key("a", "f", lease_seconds=10, keep_seconds=DAY)
    assert held.token
    await one.arelease_key("a", held.token)
    assert two.claim_key("a", "f", lease_seconds=10, keep_seconds=DAY).state == "fresh"
    held = await one.aclaim_key("b", "f", lease_seconds=10, keep_seconds=DAY)
    assert held.token
    await one.amark_key_unknown("b", held.token, {"operation": "create"})
    found = await two.aclaim_key("b", "f", lease_seconds=10, keep_seconds=DAY)
    assert (found.state, found.result) == ("unknown", {"operation": "create"})
    taken = await two.aclaim_key("b", "f", lease_seconds=10, keep_seconds=DAY, take={"unknown"})
    assert taken.state == "fresh"

    assert (await one.aclaim_key("c", "f", lease_seconds=0.01, keep_seconds=DAY)).state == "fresh"
    await asyncio.sleep(0.02)
    assert (await two.aclaim_key("c", "f", lease_seconds=10, keep_seconds=DAY)).state == "unknown"


async def test_a_key_claimed_by_many_coroutines_at_once_goes_to_one(
    async_stores: tuple[ConnectionStore, ConnectionStore],
) -> None:
    """Eight async claims of one key from two stores at once: one fresh, seven pending."""
    one, two = async_stores
    claims = await asyncio.gather(
        *(store.aclaim_key("race", "f", lease_seconds=10, keep_seconds=DAY)
          for store in [one, two] * 4)
    )  # fmt: skip
    assert sorted(claim.state for claim in claims) == ["fresh"] + ["pending"] * 7
