"""The stores' connect attempts (SQLite and PostgreSQL alike), between two stores on one place as
two replicas would open it: kept sealed, read without being used, taken once — also when both
take it at the same moment — remembered as finished, expired, bounded and forgotten. (The flow
on top of them: tests/connect/test_replicas.py.)"""

from __future__ import annotations

import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from pydantic import SecretStr

from server.errors import StoredTokenUnreadable
from server.store.interface import ConnectionStore
from tests.helpers.stores import Backend

NOW = 1_700_000_000.0
TTL = 600.0
VERIFIER = "pkce-verifier-that-must-never-be-stored-in-plaintext-0123456789"


def _key(state: str) -> bytes:
    return hashlib.sha256(state.encode()).digest()


def _details(state: str) -> SecretStr:
    return SecretStr(f'{{"state":"{state}","verifier":"{VERIFIER}"}}')


def _put(store: ConnectionStore, state: str, started: float = NOW) -> bytes:
    key = _key(state)
    store.put_attempt(key, _details(state), started_at=started, expires_at=started + TTL)
    return key


def _prune(store: ConnectionStore, now: float, *, waiting: int = 99, finished: int = 1000) -> None:
    store.prune_attempts(
        now, remember_until=now + TTL, keep_waiting=waiting, keep_finished=finished
    )


@pytest.fixture
def stores(backend: Backend) -> tuple[ConnectionStore, ConnectionStore]:
    """Two stores on one place, as two replicas would open it (each backend in turn)."""
    return backend.open(), backend.open()


def test_an_attempt_started_on_one_is_taken_once_on_the_other(
    stores: tuple[ConnectionStore, ConnectionStore],
) -> None:
    """Put on one store; the other reads it (as often as it likes), takes it once, and then
    both know it is finished; a key never put is unknown."""
    one, two = stores
    key = _put(one, "s1")
    assert two.get_attempt(key) == (_details("s1"), False)
    assert two.get_attempt(key) == (_details("s1"), False)  # reading changes nothing
    assert two.take_attempt(key, remember_until=NOW + TTL) == _details("s1")
    assert one.take_attempt(key, remember_until=NOW + TTL) is None
    assert two.take_attempt(key, remember_until=NOW + TTL) is None
    assert one.get_attempt(key) == (None, True)
    assert two.get_attempt(_key("never")) == (None, False)


def test_details_are_sealed_for_their_own_row(backend: Backend, any_store: ConnectionStore) -> None:
    """The row holds neither the state nor the verifier in plaintext, and its details copied
    to another attempt's row do not open there."""
    first, second = _put(any_store, "state-one"), _put(any_store, "state-two")
    rows = backend.execute("SELECT key, details FROM connect_attempts")
    assert {bytes(key) for key, _ in rows} == {first, second}
    for _, sealed in rows:
        assert VERIFIER.encode() not in bytes(sealed)
        assert b"state-" not in bytes(sealed)
    backend.execute(
        "UPDATE connect_attempts SET details = (SELECT details FROM connect_attempts "
        "WHERE key = ?) WHERE key = ?",
        (first, second),
    )
    with pytest.raises(StoredTokenUnreadable):
        any_store.get_attempt(second)
    assert any_store.get_attempt(first) == (_details("state-one"), False)


def test_an_attempt_taken_by_many_at_once_goes_to_one(
    backend: Backend, stores: tuple[ConnectionStore, ConnectionStore]
) -> None:
    """Two replicas (two threads on each) take the same attempt at the same moment: exactly one
    gets its details, every time."""
    one, two = stores
    takers = (one, two, one, two)
    for round_ in range(15):
        key = _put(one, f"race-{round_}")
        start = threading.Barrier(len(takers))

        def take(
            store: ConnectionStore, key: bytes = key, start: threading.Barrier = start
        ) -> bool:
            start.wait()
            return store.take_attempt(key, remember_until=NOW + TTL) is not None

        with ThreadPoolExecutor(len(takers)) as pool:
            won = list(pool.map(take, takers))
        assert won.count(True) == 1, won
        assert one.get_attempt(key) == (None, True)


def test_expired_attempts_finish_and_are_forgotten_later(
    stores: tuple[ConnectionStore, ConnectionStore],
) -> None:
    """Pruning finishes the attempts past their expiry (their callback: already used), keeps
    the others waiting, and forgets a finished attempt once its time is up."""
    one, two = stores
    old = _put(one, "old", started=NOW - TTL - 1)
    fresh = _put(one, "fresh", started=NOW - 10)
    done = _put(one, "done", started=NOW - 20)
    assert two.take_attempt(done, remember_until=NOW + 5) is not None
    _prune(two, NOW)
    assert one.get_attempt(old) == (None, True)
    assert one.get_attempt(fresh) == (_details("fresh"), False)
    assert one.get_attempt(done) == (None, True)
    _prune(two, NOW + 6)  # done's time is up; old was remembered from the first prune
    assert one.get_attempt(done) == (None, False)
    assert one.get_attempt(old) == (None, True)
    _prune(two, NOW + TTL + 1)
    assert one.get_attempt(old) == (None, False)


def test_attempts_are_bounded(stores: tuple[ConnectionStore, ConnectionStore]) -> None:
    """Beyond the bound the oldest waiting attempts finish, and the oldest finished ones are
    forgotten."""
    one, two = stores
    keys = [_put(one, f"a{number}", started=NOW + number) for number in range(6)]
    _prune(two, NOW + 10, waiting=2, finished=3)
    assert [one.get_attempt(key) for key in keys] == [
        (None, False),  # the oldest finished one beyond the three remembered
        (None, True),
        (None, True),
        (None, True),
        (_details("a4"), False),
        (_details("a5"), False),
    ]
