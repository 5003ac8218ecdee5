"""Fixtures for the connect flow: two emulators playing Production (pod 5g0) and Sandbox (pod 3x0),
settings whose login hosts point at them, and a store per test.

The helpers that drive the flow (the in-process app, its pages, the emulator's login and consent
pages) are in :mod:`tests.helpers.connect_flow`; the app on a real socket, for the browser, in
:mod:`tests.helpers.background_app`.
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
from tests.helpers.demo_org import make_settings


@pytest.fixture(scope="session")
def production() -> Iterator[BackgroundEmulator]:
    """The emulator playing the production login host and org."""
    with BackgroundEmulator(EmulatorConfig(pod="5g0", org_name="Acme production")) as running:
        yield running


@pytest.fixture(scope="session")
def sandbox() -> Iterator[BackgroundEmulator]:
    """The emulator playing the sandbox login host and org."""
    config = EmulatorConfig(is_sandbox=True, pod="3x0", org_name="Acme UAT sandbox")
    with BackgroundEmulator(config) as running:
        yield running


@pytest.fixture
def settings(
    tmp_path: Path, production: BackgroundEmulator, sandbox: BackgroundEmulator
) -> Settings:
    """Settings pointing at the two emulators, home in a temporary directory."""
    return make_settings(tmp_path / "home", production, sandbox)


@pytest.fixture
def store(settings: Settings) -> Iterator[SQLiteConnectionStore]:
    """The test's (empty) connection store."""
    opened = SQLiteConnectionStore.from_settings(settings)
    yield opened
    opened.close()


@pytest.fixture
async def logs(production: BackgroundEmulator, sandbox: BackgroundEmulator) -> AsyncIterator[None]:
    """Both emulators start the test with an empty request log and no faults."""
    async with httpx.AsyncClient() as http:
        for emulator in (production, sandbox):
            await http.delete(f"{emulator.base_url}/_emulator/requests")
            await http.delete(f"{emulator.base_url}/_emulator/faults")
        yield
        for emulator in (production, sandbox):
            await http.delete(f"{emulator.base_url}/_emulator/faults")
