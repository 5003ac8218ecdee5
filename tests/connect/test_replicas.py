"""The connect flow across replicas (issue 14, item 2): two callforces sharing one store — SQLite
in one home, or PostgreSQL with a home each — and one CALLFORCE_SECRET_KEY, as replicas behind a
load balancer. An attempt started on one is finished on the other, once, even when both receive
the callback at the same moment; a link scanner's visit to either leaves it usable; an expired
one is refused everywhere; the pages' forms and sign-ins of one replica are accepted by the
other."""

from __future__ import annotations

import asyncio
import base64
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from emulator.server import BackgroundEmulator
from server import web
from server.connect.errors import ConnectFailed
from server.connect.flow import ATTEMPT_TTL_SECONDS, ConnectFlow
from server.settings import Settings
from server.store.interface import Connection, ConnectionStore
from server.store.opening import open_store
from tests.helpers.connect_flow import (
    APP_URL,
    csrf_of,
    local_part,
    query_of,
    salesforce_answer,
)
from tests.helpers.demo_org import make_settings, request_log, token_requests

CALLBACK = f"{APP_URL}/oauth/callback"
SECRET = base64.b64encode(b"r" * 32).decode()
API_TOKEN = "replica-token-0123456789abcdef0123456789"
WHERE_TO_OPEN = "browser that started the sign-in"


class Clock:
    """A wall clock the test moves by hand; replicas sharing a store share it."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


Replicas = tuple[tuple[Settings, ConnectionStore], tuple[Settings, ConnectionStore]]


@contextmanager
def replica_pair(
    kind: str,
    tmp_path: Path,
    database_url: str | None,
    emulators: tuple[BackgroundEmulator, BackgroundEmulator],
    **extra: object,
) -> Iterator[Replicas]:
    """Two replicas' settings and stores on one place, with one CALLFORCE_SECRET_KEY."""
    if kind == "sqlite":
        homes = [tmp_path / "home"] * 2
    else:
        homes = [tmp_path / "replica-a", tmp_path / "replica-b"]
    settings = [
        make_settings(home, *emulators, database_url=database_url, secret_key=SECRET, **extra)
        for home in homes
    ]
    stores = [open_store(each) for each in settings]
    try:
        yield (settings[0], stores[0]), (settings[1], stores[1])
    finally:
        for store in stores:
            store.close()


@pytest.fixture(params=["sqlite", "postgres"])
def kind(request: pytest.FixtureRequest) -> str:
    """Each store the replicas may share in turn."""
    return str(request.param)


@pytest.fixture
def place(kind: str, request: pytest.FixtureRequest) -> str | None:
    """The database the replicas share (PostgreSQL), or None (one SQLite home)."""
    return str(request.getfixturevalue("database_url")) if kind == "postgres" else None


@pytest.fixture
def replicas(
    kind: str,
    place: str | None,
    tmp_path: Path,
    production: BackgroundEmulator,
    sandbox: BackgroundEmulator,
) -> Iterator[Replicas]:
    """Two replicas on one place (:func:`replica_pair`)."""
    with replica_pair(kind, tmp_path, place, (production, sandbox)) as pair:
        yield pair


def _flows(
    replicas: Replicas, clock: Callable[[], float] = time.time
) -> tuple[ConnectFlow, ConnectFlow]:
    (settings_a, store_a), (settings_b, store_b) = replicas
    return ConnectFlow(settings_a, store_a, clock=clock), ConnectFlow(
        settings_b, store_b, clock=clock
    )


# -- the flow ----------------------------------------------------------------------------------


async def test_a_callback_on_another_replica_connects_once(replicas: Replicas) -> None:
    """Begun on A, the callback on B connects; the state replayed on either is already used."""
    one, two = _flows(replicas)
    answer = query_of(
        await salesforce_answer(one.begin(choice="sandbox", name="uat", redirect_uri=CALLBACK))
    )
    conn = await two.complete(answer["state"], code=answer["code"])
    assert (conn.name, conn.environment, conn.state) == ("uat", "sandbox", "connected")
    for flow in (one, two):
        with pytest.raises(ConnectFailed) as caught:
            await flow.complete(answer["state"], code=answer["code"])
        assert caught.value.reason == "state_used"
    # A just-created connection is seen at once by the replica that did not save it.
    seen = replicas[0][1].get("uat")
    assert seen is not None
    assert seen.refresh_token == conn.refresh_token


async def test_a_scanner_on_another_replica_leaves_the_attempt(
    replicas: Replicas, production: BackgroundEmulator, logs: None
) -> None:
    """A link scanner reaching B first is refused as another browser's and exchanges nothing;
    the browser, on A, then connects."""
    one, two = _flows(replicas)
    url = one.begin(choice="production", name="prod", redirect_uri=CALLBACK, binding="browser-a")
    answer = query_of(await salesforce_answer(url))
    with pytest.raises(ConnectFailed) as caught:
        await two.complete(answer["state"], code=answer["code"], binding=None)
    assert caught.value.reason == "wrong_browser"
    assert token_requests(await request_log(production)) == []
    conn = await one.complete(answer["state"], code=answer["code"], binding="browser-a")
    assert conn.name == "prod"
    with pytest.raises(ConnectFailed) as again:
        await two.complete(answer["state"], code=answer["code"], binding=None)
    assert again.value.reason == "state_used"


async def test_an_expired_attempt_is_refused_on_another_replica(replicas: Replicas) -> None:
    """Older than 10 minutes by the shared clock: B refuses it as expired, then as used."""
    clock = Clock()
    one, two = _flows(replicas, clock)
    answer = query_of(
        await salesforce_answer(one.begin(choice="production", name="p", redirect_uri=CALLBACK))
    )
    clock.now += ATTEMPT_TTL_SECONDS + 1
    with pytest.raises(ConnectFailed) as caught:
        await two.complete(answer["state"], code=answer["code"])
    assert caught.value.reason == "state_expired"
    with pytest.raises(ConnectFailed) as again:
        await one.complete(answer["state"], code=answer["code"])
    assert again.value.reason == "state_used"
    assert replicas[1][1].list() == []


async def test_the_same_callback_on_two_replicas_at_once_connects_once(
    replicas: Replicas, production: BackgroundEmulator, logs: None
) -> None:
    """The callback reaches A and B at the same moment (threads, each with its own loop): one
    connects, the other is told it was already used, and the code is exchanged once."""
    flows = _flows(replicas)
    answer = query_of(
        await salesforce_answer(flows[0].begin(choice="production", redirect_uri=CALLBACK))
    )
    start = threading.Barrier(len(flows))

    def finish(flow: ConnectFlow) -> Connection | ConnectFailed:
        start.wait()
        try:
            return asyncio.run(flow.complete(answer["state"], code=answer["code"]))
        except ConnectFailed as exc:
            return exc

    outcomes = await asyncio.gather(*(asyncio.to_thread(finish, flow) for flow in flows))
    connected = [each for each in outcomes if isinstance(each, Connection)]
    refused = [each.reason for each in outcomes if isinstance(each, ConnectFailed)]
    assert len(connected) == 1, outcomes
    assert refused == ["state_used"]
    assert len(token_requests(await request_log(production))) == 1


# -- the pages, behind a load balancer ---------------------------------------------------------


class Balancer:
    """A load balancer in front of the replicas' apps: each request goes where ``to`` says."""

    def __init__(self, *apps: ASGIApp) -> None:
        self.apps = apps
        self.to = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.apps[self.to](scope, receive, send)


def _balancer(replicas: Replicas) -> Balancer:
    return Balancer(*(web.build_app(settings, store) for settings, store in replicas))


def _client(balancer: Balancer) -> httpx.AsyncClient:
    """A browser (its own cookies) reaching the replicas through ``balancer``."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=balancer), base_url=APP_URL)


async def test_the_pages_work_whichever_replica_answers(
    replicas: Replicas, production: BackgroundEmulator, logs: None
) -> None:
    """The page from A, its form posted to B (the CSRF value holds there), a scanner's visit
    to A, the browser's callback on A, the outcome shown by B, a replay on B."""
    balancer = _balancer(replicas)
    async with _client(balancer) as browser, _client(balancer) as scanner:
        balancer.to = 0
        page = await browser.get("/")
        balancer.to = 1
        started = await browser.post(
            "/connect",
            data={"csrf": csrf_of(page.text), "environment": "production", "name": "prod"},
        )
        assert started.status_code == 303, started.text
        callback = local_part(await salesforce_answer(started.headers["location"]))
        balancer.to = 0
        seen = await scanner.get(callback)
        assert seen.status_code == 403
        assert WHERE_TO_OPEN in seen.text
        landed = await browser.get(callback)
        assert landed.headers["location"] == "/?notice=connected&name=prod"
        balancer.to = 1
        shown = (await browser.get(landed.headers["location"])).text
        assert "Connected" in shown[shown.index('id="notice"') :]
        replay = await browser.get(callback)
        assert replay.headers["location"] == "/?notice=state_used"
    assert len(token_requests(await request_log(production))) == 1


async def test_a_sign_in_on_one_replica_holds_on_the_other(
    kind: str,
    place: str | None,
    tmp_path: Path,
    production: BackgroundEmulator,
    sandbox: BackgroundEmulator,
) -> None:
    """With API tokens: the sign-in form of A posted to B signs the browser in, and A then
    shows it the page."""
    with replica_pair(
        kind, tmp_path, place, (production, sandbox), api_tokens=[API_TOKEN]
    ) as replicas:
        balancer = _balancer(replicas)
        async with _client(balancer) as browser:
            locked = await browser.get("/")
            assert locked.status_code == 401
            balancer.to = 1
            signin = await browser.post(
                "/signin", data={"csrf": csrf_of(locked.text), "token": API_TOKEN}
            )
            assert signin.status_code == 303
            balancer.to = 0
            page = await browser.get("/")
            assert page.status_code == 200
            assert "Connect Salesforce" in page.text


async def test_without_a_shared_secret_a_form_stays_with_its_replica(
    tmp_path: Path, production: BackgroundEmulator, sandbox: BackgroundEmulator
) -> None:
    """No CALLFORCE_SECRET_KEY: each process signs its forms with a key of its own, so a form
    from A posted to B is refused (what the shared key is for)."""
    settings = make_settings(tmp_path / "home", production, sandbox)
    store = open_store(settings)
    try:
        balancer = Balancer(web.build_app(settings, store), web.build_app(settings, store))
        async with _client(balancer) as browser:
            page = await browser.get("/")
            balancer.to = 1
            refused = await browser.post(
                "/connect",
                data={"csrf": csrf_of(page.text), "environment": "production", "name": "prod"},
            )
        assert refused.status_code == 403
        assert "The form expired" in refused.text
    finally:
        store.close()
