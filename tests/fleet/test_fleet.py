"""Three ``callforce serve --transport http --stateless`` replicas on one PostgreSQL, against an
org that rotates refresh tokens — real processes, real sockets, the MCP SDK's client connecting
per call as a voice platform does: one refresh across the fleet after the sessions expired; a
replica killed mid-renewal; PostgreSQL restarted under traffic; a write retried on another
replica answered from the first."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import httpx2
import pytest
from mcp.types import CallToolResult

from tests.fleet.conftest import Fleet
from tests.fleet.replicas import Replica, call, renewal_lock_holder
from tests.helpers.demo_org import CONNECTION, request_log
from tests.helpers.tool_calls import text_of

pytestmark = pytest.mark.fleet

CALLS = 60
QUERY = "SELECT Id, Name FROM Account ORDER BY Name LIMIT 3"
TOKEN_PATH = "/services/oauth2/token"
#: What an agent hears while the database is away (server.errors.StoreUnavailable).
STORE_AWAY = "callforce cannot reach its connection database just now"


def _spread(fleet: Fleet, number: int) -> Replica:
    """Round robin, as a load balancer without sticky sessions."""
    return fleet.replicas[number % len(fleet.replicas)]


def _failures(results: list[CallToolResult]) -> list[str]:
    return [text_of(result) for result in results if result.is_error]


def _structured(result: CallToolResult) -> dict[str, Any]:
    structured: dict[str, Any] | None = result.structured_content
    assert structured is not None, text_of(result)
    return structured


async def _token_requests(control: httpx.AsyncClient) -> list[tuple[str | None, int]]:
    """(grant_type, status) of every request that reached the token endpoint."""
    log = await request_log(control)
    return [(entry["grant_type"], entry["status"]) for entry in log if entry["path"] == TOKEN_PATH]


async def test_expired_sessions_are_renewed_once_for_the_whole_fleet(
    fleet: Fleet, http: httpx2.AsyncClient, control: httpx.AsyncClient
) -> None:
    """Sessions expired, 60 concurrent calls spread over three replicas: every call succeeds
    and the org sees exactly one refresh-token request (a second one, with rotation, would
    present a dead refresh token and lose the connection)."""
    await control.post("/_emulator/expire-sessions")
    results = await asyncio.gather(
        *(call(http, _spread(fleet, n), "run_query", {"soql": QUERY}) for n in range(CALLS))
    )
    assert _failures(results) == [], fleet.logs()
    assert all(len(_structured(result)["records"]) == 3 for result in results)
    assert await _token_requests(control) == [("refresh_token", 200)]


async def test_a_replica_killed_mid_renewal_leaves_the_connection_working(
    fleet: Fleet, http: httpx2.AsyncClient, control: httpx.AsyncClient
) -> None:
    """kill -9 of the replica holding the renewal lock, its token request out: PostgreSQL frees
    the lock with the dead session, one survivor refreshes, every call on the survivors
    succeeds, and the connection stays connected — for a restarted replica too, with no
    further refresh."""
    # The holder's token request waits at the login host, then is dropped unanswered: the
    # replica dies before Salesforce acted on it. (Had Salesforce rotated the refresh token
    # first, the new one would die with the process: the loss docs/connect.md says nothing
    # can prevent.)
    fault = {"method": "POST", "path": TOKEN_PATH, "delay_ms": 2000, "drop": True, "times": 1}
    assert (await control.post("/_emulator/faults", json=fault)).status_code == 201
    await control.post("/_emulator/expire-sessions")
    calls = [
        asyncio.create_task(call(http, _spread(fleet, n), "run_query", {"soql": QUERY}))
        for n in range(CALLS)
    ]
    holder = await _renewal_lock_holder(fleet, control)
    victim = next(replica for replica in fleet.replicas if replica.name == holder)
    victim.kill()
    outcomes = await asyncio.gather(*calls, return_exceptions=True)

    survivors = [outcome for n, outcome in enumerate(outcomes) if _spread(fleet, n) is not victim]
    assert len(survivors) == CALLS * 2 // 3
    answered = [outcome for outcome in survivors if isinstance(outcome, CallToolResult)]
    assert len(answered) == len(survivors), [repr(o) for o in survivors if o not in answered]
    assert _failures(answered) == [], fleet.logs()
    # The victim's own calls died with it, at the transport: not counted.
    assert await _token_requests(control) == [(None, 0), ("refresh_token", 200)]
    conn = fleet.store()
    assert conn.state == "connected"
    assert conn.refresh_token is not None
    assert fleet.emulator.org.tokens.grant(conn.refresh_token.get_secret_value()) is not None

    victim.start()
    victim.wait_ready()
    status = await call(http, victim, "connection_status", {})
    assert not status.is_error, text_of(status)
    assert [c["state"] for c in _structured(status)["connections"]] == ["connected"]
    after = await asyncio.gather(
        *(call(http, replica, "run_query", {"soql": QUERY}) for replica in fleet.replicas)
    )
    assert _failures(after) == []
    assert await _token_requests(control) == [(None, 0), ("refresh_token", 200)]


async def _renewal_lock_holder(fleet: Fleet, control: httpx.AsyncClient) -> str:
    """The replica holding the renewal lock, once its token request reached the org."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if any(entry["path"] == TOKEN_PATH for entry in await request_log(control)):
            holder = await asyncio.to_thread(renewal_lock_holder, fleet.database_url, CONNECTION)
            assert holder is not None, "a token request is out but nobody holds the lock"
            return holder
        await asyncio.sleep(0.02)
    raise AssertionError(f"no token request reached the org:\n{fleet.logs()}")


async def test_postgres_restarted_mid_traffic(
    fleet: Fleet, http: httpx2.AsyncClient, control: httpx.AsyncClient
) -> None:
    """PostgreSQL stops under a stream of keyed writes over the three replicas: meanwhile each
    write fails at once saying the database is out of reach (never another error, never a
    hang); once it is back every replica writes again, none restarted."""
    pids = [replica.pid for replica in fleet.replicas]
    outcomes: list[Outcome] = []
    phase = "up"
    stop = asyncio.Event()

    async def one(number: int) -> None:
        started, where, begun = phase, _spread(fleet, number), time.monotonic()
        try:
            result: CallToolResult | BaseException = await call(
                http, where, "create_record", _contact(f"Restart{number}"), f"restart-{number}"
            )
        except Exception as exc:
            result = exc
        outcomes.append(Outcome(started, phase, where, time.monotonic() - begun, result))

    async def traffic() -> None:
        tasks: list[asyncio.Task[None]] = []
        while not stop.is_set():
            tasks.append(asyncio.create_task(one(len(tasks))))
            await asyncio.sleep(0.03)
        await asyncio.gather(*tasks)

    running = asyncio.create_task(traffic())
    try:
        # Until some writes went through (a loaded machine may take longer than usual).
        for _ in range(300):
            if sum(o.began == o.ended == "up" for o in outcomes) >= 3:
                break
            await asyncio.sleep(0.05)
        phase = "stopping"
        await asyncio.to_thread(fleet.cluster.stop_server, "fast")
        phase = "down"
        await asyncio.sleep(1.5)
        phase = "starting"
        await asyncio.to_thread(fleet.cluster.start_server)
        phase = "back"
        await _every_replica_writes(fleet, outcomes, seconds=20)
    finally:
        stop.set()
        await running
        if not fleet.cluster.running:
            fleet.cluster.start_server()

    for outcome in outcomes:  # whenever it came: an answer, and any failure is the database's
        assert isinstance(outcome.result, CallToolResult), outcome
        if outcome.result.is_error:
            assert STORE_AWAY in text_of(outcome.result), outcome
            assert outcome.seconds < 3, outcome
    up = [o.result for o in outcomes if o.began == o.ended == "up"]
    down = [o.result for o in outcomes if o.began == o.ended == "down"]
    assert up, "calls were made before the stop"
    assert all(isinstance(r, CallToolResult) and not r.is_error for r in up)
    assert down, "calls were made during the outage"
    assert all(isinstance(r, CallToolResult) and r.is_error for r in down)  # they need the store
    assert [replica.pid for replica in fleet.replicas] == pids


@dataclass(frozen=True)
class Outcome:
    """One call of the restart test: the phases it began and ended in, where, how long, what."""

    began: str
    ended: str
    where: Replica
    seconds: float
    result: CallToolResult | BaseException

    def __repr__(self) -> str:
        shown = text_of(self.result) if isinstance(self.result, CallToolResult) else self.result
        return f"{self.where.name} {self.began}→{self.ended} {self.seconds:.2f} s: {shown!r}"


async def _every_replica_writes(fleet: Fleet, outcomes: list[Outcome], seconds: float) -> None:
    """Wait until a write begun after the restart succeeded on every replica."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ok = {
            o.where.name
            for o in outcomes
            if o.began == "back" and isinstance(o.result, CallToolResult) and not o.result.is_error
        }
        if ok == {replica.name for replica in fleet.replicas}:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not every replica writes again after the restart:\n{fleet.logs()}")


def _contact(last_name: str) -> dict[str, Any]:
    return {"object": "Contact", "data": {"FirstName": "Fleet", "LastName": last_name}}


@pytest.mark.parametrize("retry", ["after", "meanwhile"])
async def test_a_write_retried_on_another_replica_is_not_repeated(
    fleet: Fleet, http: httpx2.AsyncClient, retry: str
) -> None:
    """The same create in the same call, sent to one replica and then (or meanwhile) to
    another: one record; the second answer is the first one's, marked replayed."""
    name = f"Retry{uuid.uuid4().hex[:12]}"
    call_id = f"fleet-{name}"
    first_replica, second_replica, reader = fleet.replicas
    if retry == "after":
        first = await call(http, first_replica, "create_record", _contact(name), call_id)
        second = await call(http, second_replica, "create_record", _contact(name), call_id)
    else:
        first, second = await asyncio.gather(
            call(http, first_replica, "create_record", _contact(name), call_id),
            call(http, second_replica, "create_record", _contact(name), call_id),
        )
    assert not first.is_error, text_of(first)
    assert not second.is_error, text_of(second)
    answers = [_structured(first), _structured(second)]
    assert answers[0]["id"] == answers[1]["id"]
    assert sorted(bool(answer.get("replayed")) for answer in answers) == [False, True]
    soql = f"SELECT Id FROM Contact WHERE LastName = '{name}'"  # noqa: S608 - hex, not input
    found = await call(http, reader, "run_query", {"soql": soql})
    assert [row["Id"] for row in _structured(found)["records"]] == [answers[0]["id"]]
