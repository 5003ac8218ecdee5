"""How one emulated org is set up: its credentials, storage and behaviour switches."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

#: API versions the emulator serves: v31.0 (Summer '14) … v66.0 (Spring '26), as a real org in 2026.
OLDEST_VERSION = 31
LATEST_VERSION = 66


@dataclass(frozen=True, slots=True)
class EmulatorConfig:
    """Settings of one emulated org. The defaults are the documented demo org.

    ``pod`` makes the ids of two emulators (say production and sandbox) distinguishable.
    ``redirect_uris`` are exact callback URLs accepted besides loopback ones (``http://127.0.0.1``,
    ``http://localhost``, ``http://[::1]`` on any port and path, which the demo app accepts as
    Salesforce accepts registered ones). ``jwt_certificate_pem`` is the X.509 certificate (PEM)
    that JWT bearer assertions must be signed for. With ``rotate_refresh_tokens`` every refresh
    answers a new refresh token and invalidates the old one.
    """

    db_path: str = ":memory:"
    seed: Literal["demo", "empty"] = "demo"
    pod: str = "5g0"
    org_name: str = "callforce demo org"
    is_sandbox: bool = False
    client_id: str = "callforce-demo"
    client_secret: str = "callforce-demo-secret"  # noqa: S105 - the documented demo secret
    username: str = "demo@callforce.dev"
    password: str = "demo"  # noqa: S105 - the documented demo password
    redirect_uris: tuple[str, ...] = ()
    jwt_certificate_pem: str | None = None
    rotate_refresh_tokens: bool = False
    api_request_limit: int = 15000
    time_zone: str = "America/Los_Angeles"
    extra: dict[str, str] = field(default_factory=dict)
