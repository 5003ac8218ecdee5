"""The describe cache: one describe per object and TTL, single flight, and helpful misses."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from emulator.server import BackgroundEmulator
from server.errors import UnknownObject
from server.salesforce.client import SalesforceClient
from server.salesforce.describe_cache import DescribeCache
from server.store.sqlite import SQLiteConnectionStore
from tests.helpers.demo_org import API, make_settings, request_log, save_demo

CONTACT_DESCRIBE = f"{API}/sobjects/Contact/describe"


@pytest.fixture
def cache() -> DescribeCache:
    """A cache with a long TTL."""
    return DescribeCache(ttl_seconds=900)


@pytest.fixture
def connected(store: SQLiteConnectionStore, emulator: BackgroundEmulator) -> None:
    """The demo org connected as 'demo'."""
    save_demo(store, emulator)


async def _describes(control: httpx.AsyncClient) -> list[dict[str, object]]:
    return [e for e in await request_log(control) if "/sobjects" in str(e["path"])]


@pytest.mark.usefixtures("connected")
async def test_second_get_makes_no_request(
    cache: DescribeCache, client: SalesforceClient, control: httpx.AsyncClient
) -> None:
    """The first get reads the describe; the second is served from memory."""
    first = await cache.get(client, "Contact")
    second = await cache.get(client, "Contact", connection="demo")
    assert first is second
    assert first.name == "Contact"
    assert first.field("email") is not None
    assert [e["path"] for e in await _describes(control)] == [CONTACT_DESCRIBE]


@pytest.mark.usefixtures("connected")
async def test_names_are_case_insensitive(
    cache: DescribeCache, client: SalesforceClient, control: httpx.AsyncClient
) -> None:
    """'contact' and 'CONTACT' share one entry, named as Salesforce spells it."""
    lower = await cache.get(client, "contact")
    upper = await cache.get(client, "CONTACT", connection="DEMO")
    assert lower is upper
    assert upper.name == "Contact"
    assert len(await _describes(control)) == 1


@pytest.mark.usefixtures("connected")
async def test_invalidate_reads_again(
    cache: DescribeCache, client: SalesforceClient, control: httpx.AsyncClient
) -> None:
    """After invalidate, exactly one more describe request is made."""
    await cache.get(client, "Contact")
    cache.invalidate("demo", "contact")
    await cache.get(client, "Contact")
    await cache.get(client, "Contact")
    assert len(await _describes(control)) == 2


@pytest.mark.usefixtures("connected")
async def test_invalidate_without_connection_covers_all(
    cache: DescribeCache, client: SalesforceClient, control: httpx.AsyncClient
) -> None:
    """invalidate(None, object) forgets that object whatever connection read it."""
    await cache.get(client, "Lead")
    cache.invalidate(None, "Lead")
    await cache.get(client, "Lead")
    assert len(await _describes(control)) == 2


@pytest.mark.usefixtures("connected")
async def test_concurrent_first_gets_share_one_request(
    cache: DescribeCache, client: SalesforceClient, control: httpx.AsyncClient
) -> None:
    """Twenty concurrent first gets of one object make one describe request."""
    infos = await asyncio.gather(*(cache.get(client, "Account") for _ in range(20)))
    assert all(info is infos[0] for info in infos)
    assert len(await _describes(control)) == 1


@pytest.mark.usefixtures("connected")
async def test_unknown_object_suggests_the_closest(
    cache: DescribeCache, client: SalesforceClient, control: httpx.AsyncClient
) -> None:
    """A misspelt object is UnknownObject with a "did you mean"; the global list is cached."""
    with pytest.raises(UnknownObject) as caught:
        await cache.get(client, "Contcat")
    assert (
        caught.value.message == "Salesforce has no object named 'Contcat' (did you mean Contact?)."
    )
    assert caught.value.status == 404
    with pytest.raises(UnknownObject):
        await cache.get(client, "Opportunty")
    paths = [e["path"] for e in await _describes(control)]
    assert paths.count(f"{API}/sobjects") == 1
    assert "Contact" in await cache.object_names(client)


@pytest.mark.usefixtures("connected")
async def test_malformed_object_name_is_never_sent(
    cache: DescribeCache, client: SalesforceClient, control: httpx.AsyncClient
) -> None:
    """A name that is not an API name is refused before any request."""
    with pytest.raises(UnknownObject, match="no object named"):
        await cache.get(client, "Contact/../../oauth2")
    assert await request_log(control) == []


async def test_expired_entry_is_revalidated_with_its_etag(
    tmp_path: Path, emulator: BackgroundEmulator, control: httpx.AsyncClient,
    tls_context: ssl.SSLContext,
) -> None:  # fmt: skip
    """With a zero TTL each get revalidates: a 304 keeps the same parsed describe."""
    settings = make_settings(tmp_path, emulator, describe_ttl_seconds=0)
    store = SQLiteConnectionStore.from_settings(settings)
    save_demo(store, emulator)
    cache = DescribeCache.from_settings(settings)
    async with SalesforceClient(settings, store) as client:
        first = await cache.get(client, "Case")
        second = await cache.get(client, "Case")
    store.close()
    assert first is second
    assert [e["status"] for e in await _describes(control)] == [200, 304]


@pytest.fixture
async def two_orgs(
    tmp_path: Path, emulator: BackgroundEmulator, rotating_emulator: BackgroundEmulator,
    tls_context: ssl.SSLContext,
) -> AsyncIterator[SalesforceClient]:  # fmt: skip
    """A client with two connections, 'a' and 'b', to two different orgs."""
    settings = make_settings(tmp_path, emulator)
    store = SQLiteConnectionStore.from_settings(settings)
    save_demo(store, emulator, name="a")
    save_demo(store, rotating_emulator, name="b")
    async with SalesforceClient(settings, store) as client:
        yield client
    store.close()


async def test_entries_are_per_connection(
    two_orgs: SalesforceClient, emulator: BackgroundEmulator,
    rotating_emulator: BackgroundEmulator,
) -> None:  # fmt: skip
    """Each org gets its own describe; invalidating one leaves the other cached."""
    cache = DescribeCache(ttl_seconds=900)
    await cache.get(two_orgs, "Contact", connection="a")
    await cache.get(two_orgs, "Contact", connection="b")
    cache.invalidate("a", "Contact")
    await cache.get(two_orgs, "Contact", connection="a")
    await cache.get(two_orgs, "Contact", connection="b")
    a_paths = [e.path for e in emulator.org.request_log if e.path == CONTACT_DESCRIBE]
    b_paths = [e.path for e in rotating_emulator.org.request_log if e.path == CONTACT_DESCRIBE]
    assert (len(a_paths), len(b_paths)) == (2, 1)
