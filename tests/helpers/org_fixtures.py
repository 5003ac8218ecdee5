"""The org fixtures the tool and action tests share: the demo org over real HTTP for the whole
session, a client of its control endpoints, settings, a store holding the connected demo org,
and a REST client of its own to read records back.

Imported by tests/tools/conftest.py and tests/actions/conftest.py, each directory getting its
own instance of the session emulator (pytest registers a fixture per conftest). The functions are
named ``fixture_<name>`` so that a test's parameter never shadows the imported function.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from emulator.config import EmulatorConfig
from emulator.server import BackgroundEmulator
from server.settings import Settings
from server.store.sqlite import SQLiteConnectionStore
from tests.helpers.demo_org import API, CONNECTION, connect, make_settings, password_tokens

#: Not the default (UTC), so a datetime given without an offset is visibly read in a zone.
TIME_ZONE = "America/Los_Angeles"


@pytest.fixture(name="emulator", scope="session")
def fixture_emulator() -> Iterator[BackgroundEmulator]:
    """The demo org on a free port, for the whole session."""
    with BackgroundEmulator(EmulatorConfig()) as running:
        yield running


@pytest.fixture(name="control")
async def fixture_control(emulator: BackgroundEmulator) -> AsyncIterator[httpx.AsyncClient]:
    """A client for the emulator's /_emulator/ endpoints; no faults before or after the test."""
    async with httpx.AsyncClient(base_url=emulator.base_url) as http:
        await http.delete("/_emulator/faults")
        yield http
        await http.delete("/_emulator/faults")


@pytest.fixture(name="settings")
def fixture_settings(tmp_path: Path, emulator: BackgroundEmulator) -> Settings:
    """Settings pointing at the emulator, home in a temporary directory."""
    return make_settings(tmp_path / "home", emulator, time_zone=TIME_ZONE)


@pytest.fixture(name="store")
async def fixture_store(
    settings: Settings, emulator: BackgroundEmulator
) -> AsyncIterator[SQLiteConnectionStore]:
    """The test's connection store, holding the connected demo org as the default."""
    opened = SQLiteConnectionStore.from_settings(settings)
    await connect(opened, emulator, CONNECTION)
    yield opened
    opened.close()


@pytest.fixture(name="reader")
async def fixture_reader(emulator: BackgroundEmulator) -> AsyncIterator[httpx.AsyncClient]:
    """A REST client of the org, with a token of its own, to read records back."""
    tokens = await password_tokens(emulator)
    headers = {"Authorization": f"Bearer {tokens.access_token}"}
    async with httpx.AsyncClient(base_url=emulator.base_url + API, headers=headers) as http:
        yield http
