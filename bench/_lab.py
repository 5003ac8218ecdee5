"""The processes of bench/transport.py: the emulator over https, each server under test with its
own ``CALLFORCE_HOME`` connected to it, and the bare floor servers — all in their own processes.
"""

from __future__ import annotations

import functools
import os
import re
import ssl
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import certifi
import httpx
from pydantic import SecretStr

from bench._fleet import Child, Fleet
from bench._harness import DEMO_CLIENT, free_port
from server.settings import Settings
from server.store.interface import Connection
from server.store.sqlite import SQLiteConnectionStore

BARE = Path(__file__).resolve().with_name("_bare_server.py")
CALLFORCE = Path(sys.executable).with_name("callforce")
_DEMO_ORG = re.compile(r"demo org \(emulated\):\s+(\S+)")


def child_env(**callforce: str) -> dict[str, str]:
    """This environment without any ``CALLFORCE_*`` of the caller's, plus ``callforce``'s."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CALLFORCE_")}
    env.update({f"CALLFORCE_{key.upper()}": value for key, value in callforce.items()})
    return env


def tls_context(ca: Path | None) -> ssl.SSLContext:
    """What callforce trusts (server.salesforce.trust): certifi's roots plus ``ca``."""
    context = ssl.create_default_context(cafile=certifi.where())
    if ca is not None:
        context.load_verify_locations(cafile=str(ca))
    return context


@dataclass
class Org:
    """A Salesforce org the servers talk to: the emulator's base URL and the CA it is signed by."""

    base: str
    ca: Path | None

    @functools.cached_property
    def tls(self) -> ssl.SSLContext:
        return tls_context(self.ca)

    def grant(self, **form: str) -> dict[str, Any]:
        response = httpx.post(
            f"{self.base}/services/oauth2/token", data=form, verify=self.tls, timeout=30
        )
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return answer

    def connect_home(self, home: Path) -> dict[str, str]:
        """Save a default connection to this org in ``home``; the server's environment."""
        tokens = self.grant(grant_type="client_credentials", **DEMO_CLIENT)
        settings = Settings(
            home=home,
            production_login_url=self.base,
            client_id=DEMO_CLIENT["client_id"],
            client_secret=SecretStr(DEMO_CLIENT["client_secret"]),
            ca_bundle=self.ca,
            secret_key=None,  # the key file in `home`, as the server (without the variable) reads
        )
        store = SQLiteConnectionStore.from_settings(settings)
        try:
            store.save(
                Connection(
                    name="bench",
                    environment="custom",
                    login_url=self.base,
                    instance_url=tokens["instance_url"],
                    auth_kind="client_credentials",
                    access_token=SecretStr(tokens["access_token"]),
                    client_id=DEMO_CLIENT["client_id"],
                    is_default=True,
                )
            )
        finally:
            store.close()
        env = {
            "home": str(home),
            "production_login_url": self.base,
            "client_id": DEMO_CLIENT["client_id"],
            "client_secret": DEMO_CLIENT["client_secret"],
        }
        if self.ca is not None:
            env["ca_bundle"] = str(self.ca)
        return child_env(**env)


@dataclass
class HttpServer:
    """A server under test (or the floor) listening on loopback."""

    child: Child
    port: int

    @property
    def mcp_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

    def ready(self) -> bool:
        return httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2).status_code == 200


@dataclass
class Lab:
    """Every process of the benchmark, started and answering."""

    org: Org
    serve: HttpServer
    #: ``serve`` with the activity record off (CALLFORCE_ACTIVITY_RECORD=0): its floor.
    unrecorded: HttpServer
    stateless: HttpServer
    demo: HttpServer
    demo_org_serve: HttpServer
    bare: HttpServer
    bare_stateless: HttpServer
    stdio_env: dict[str, str]
    logs: Path


def start_emulator(fleet: Fleet, tmp: Path, *extra: str) -> Org:
    """``callforce emulator --tls`` (plus ``extra`` options) in its own process; the org once
    it answers over https."""
    home = tmp / "emulator-home"
    port = free_port()
    child = fleet.start(
        "emulator",
        [str(CALLFORCE), "emulator", "--tls", "--port", str(port), *extra],
        child_env(home=str(home)),
    )
    org = Org(f"https://127.0.0.1:{port}", home / "emulator" / "tls" / "ca.pem")

    def ready() -> bool:
        assert org.ca is not None
        return (
            org.ca.exists()
            and httpx.get(f"{org.base}/services/data", verify=org.tls, timeout=2).is_success
        )

    fleet.wait_until(child, ready)
    return org


def start_lab(fleet: Fleet, tmp: Path) -> Lab:
    """The emulator first, then every HTTP server at once, then ``serve`` on the demo's org."""
    org = start_emulator(fleet, tmp)

    def serve(name: str, env: dict[str, str], *extra: str) -> HttpServer:
        port = free_port()
        argv = [str(CALLFORCE), "serve", "--transport", "http", "--port", str(port), *extra]
        return HttpServer(fleet.start(name, argv, env), port)

    def bare(name: str, *extra: str) -> HttpServer:
        port = free_port()
        argv = [sys.executable, str(BARE), "http", "--port", str(port), *extra]
        return HttpServer(fleet.start(name, argv, child_env()), port)

    demo_port = free_port()
    servers = {
        "serve": serve("serve-http", org.connect_home(tmp / "serve-http")),
        "unrecorded": serve(
            "serve-unrecorded",
            org.connect_home(tmp / "serve-unrecorded") | {"CALLFORCE_ACTIVITY_RECORD": "0"},
        ),
        "stateless": serve(
            "serve-stateless", org.connect_home(tmp / "serve-stateless"), "--stateless"
        ),
        "demo": HttpServer(
            fleet.start(
                "demo",
                [str(CALLFORCE), "demo", "--port", str(demo_port), "--no-sample"],
                child_env(),
            ),
            demo_port,
        ),
        "bare": bare("bare-http"),
        "bare_stateless": bare("bare-stateless", "--stateless"),
    }
    for server in servers.values():
        fleet.wait_until(server.child, server.ready)
    demo = servers["demo"]

    def demo_org() -> bool:
        return _DEMO_ORG.search(demo.child.log.read_text(errors="replace")) is not None

    fleet.wait_until(demo.child, demo_org)
    found = _DEMO_ORG.search(demo.child.log.read_text(errors="replace"))
    assert found is not None
    demo_org_serve = serve(
        "serve-demo-org", Org(found.group(1), None).connect_home(tmp / "serve-demo-org")
    )
    fleet.wait_until(demo_org_serve.child, demo_org_serve.ready)
    return Lab(
        org=org,
        demo_org_serve=demo_org_serve,
        stdio_env=org.connect_home(tmp / "serve-stdio"),
        logs=tmp,
        **servers,
    )
