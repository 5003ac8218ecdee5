"""Two OS processes sharing one store through refresh-token rotation: the org answers every refresh
with a new refresh token and kills the old one, the sessions expire, both processes call at once —
and neither loses the connection. With SQLite (one home) and PostgreSQL (one database) alike."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from emulator.config import EmulatorConfig
from emulator.server import BackgroundEmulator
from server.connect.flow import ConnectFlow
from server.settings import Settings
from server.store.interface import ConnectionStore
from server.store.opening import open_store
from server.store.sqlite import SQLiteConnectionStore
from tests.helpers.connect_flow import APP_URL, query_of, salesforce_answer
from tests.helpers.demo_org import CLIENT_ID, CLIENT_SECRET, make_settings
from tests.helpers.stores import Backend

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 3
WORKERS = ("a", "b")


@pytest.fixture(scope="module")
def rotating() -> Iterator[BackgroundEmulator]:
    """An org that rotates refresh tokens on every refresh."""
    with BackgroundEmulator(EmulatorConfig(rotate_refresh_tokens=True)) as running:
        yield running


async def _wait_for(paths: list[Path], seconds: float = 60) -> None:
    for _ in range(int(seconds / 0.02)):
        if all(path.exists() for path in paths):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"the workers never wrote {[path.name for path in paths]}")


async def test_two_processes_share_a_rotating_connection(
    tmp_path: Path, rotating: BackgroundEmulator, backend: Backend
) -> None:
    """Both expire at once each round: one rotating refresh, the other adopts it; all calls work."""
    settings = make_settings(
        tmp_path / "home", rotating, rotating, database_url=backend.settings.database_url
    )
    store = open_store(settings)
    flow = ConnectFlow(settings, store)
    url = flow.begin(choice="production", name="prod", redirect_uri=f"{APP_URL}/oauth/callback")
    answer = query_of(await salesforce_answer(url))
    await flow.complete(answer["state"], code=answer["code"])

    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith("CALLFORCE_")},
        "CALLFORCE_HOME": str(settings.home),
        "CALLFORCE_PRODUCTION_LOGIN_URL": rotating.base_url,
        "CALLFORCE_CLIENT_ID": CLIENT_ID,
        "CALLFORCE_CLIENT_SECRET": CLIENT_SECRET,
    }
    if settings.database_url is not None:
        env["CALLFORCE_DATABASE_URL"] = settings.database_url.get_secret_value()
    signals = tmp_path / "signals"
    signals.mkdir()
    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.connect.rotation_worker", str(signals), name, str(ROUNDS),
            cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE,
        )
        for name in WORKERS
    ]  # fmt: skip
    async with httpx.AsyncClient(base_url=rotating.base_url) as control:
        await control.delete("/_emulator/requests")
        for round_number in range(ROUNDS):
            await _wait_for([signals / f"ready-{name}-{round_number}" for name in WORKERS])
            await control.post("/_emulator/expire-sessions")
            # A slow token endpoint: without a lock across processes both would refresh.
            await control.post(
                "/_emulator/faults",
                json={"method": "POST", "path": "/services/oauth2/token", "delay_ms": 700,
                      "times": 2},
            )  # fmt: skip
            (signals / f"go-{round_number}").touch()
        outputs = [await asyncio.wait_for(worker.communicate(), 120) for worker in workers]
        log = (await control.get("/_emulator/requests")).json()
        await control.delete("/_emulator/faults")

    for worker, (stdout, _) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0
        assert json.loads(stdout) == ["ok"] * ROUNDS
    token_calls = [(e["grant_type"], e["status"]) for e in log if e["grant_type"]]
    assert token_calls == [("refresh_token", 200)] * ROUNDS
    conn = store.get("prod")
    assert conn is not None
    assert conn.state == "connected"
    assert conn.refresh_token is not None
    assert rotating.org.tokens.grant(conn.refresh_token.get_secret_value()) is not None
    store.close()


def test_renewal_lock_is_exclusive_between_stores(backend: Backend) -> None:
    """Two stores on one place: one holds a connection's renewal lock (any spelling), the other
    is refused it until it is released; other connections' locks are apart; not re-entrant."""
    first: ConnectionStore = backend.open()
    second: ConnectionStore = backend.open()
    held = first.renewal_lock("Prod")
    assert held.acquire()
    with pytest.raises(RuntimeError, match="not re-entrant"):
        held.acquire()
    assert not second.renewal_lock("prod").acquire()
    assert not first.renewal_lock("PROD").acquire()  # another holder in the same process too
    other = second.renewal_lock("uat")
    assert other.acquire()
    held.release()
    held.release()  # nothing happens when it is not held
    again = second.renewal_lock("PROD")
    assert again.acquire()
    again.release()
    other.release()
    with pytest.raises(ValueError, match="not a connection name"):
        first.renewal_lock("../escape")


def test_renewal_lock_files_are_private(tmp_path: Path) -> None:
    """SQLite's renewal locks are files, one per connection (lower-cased), in a private folder."""
    settings = Settings(home=tmp_path / "home")
    first = SQLiteConnectionStore.from_settings(settings)
    second = SQLiteConnectionStore.from_settings(settings)
    held = first.renewal_lock("Prod")
    assert held.acquire()
    assert second.renewal_lock("uat").acquire()
    folder = settings.home / "callforce.db.locks"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert {path.name for path in folder.iterdir()} == {"prod.lock", "uat.lock"}
    assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in folder.iterdir())
    first.close()
    second.close()
