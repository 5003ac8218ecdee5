"""The runtime state of one emulated org, shared by every route through ``app.state.org``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from emulator.config import EmulatorConfig
from emulator.ids import to18
from emulator.schema import Schema, load_schema
from emulator.sessions import TokenStore
from emulator.store import OrgStore


@dataclass(slots=True)
class FaultRule:
    """One ``POST /_emulator/faults`` rule (see :mod:`emulator.control`)."""

    path: str
    method: str | None = None
    status: int | None = None
    body: Any = None
    delay_ms: int = 0
    drop: bool = False
    times: int = 1


@dataclass(slots=True)
class RequestLogEntry:
    """What reached the org: for asserting in tests how many requests a tool made."""

    method: str
    path: str
    query: str
    grant_type: str | None
    status: int


@dataclass
class Org:
    """An org: schema, records, tokens, limits, faults and the request log."""

    config: EmulatorConfig
    schema: Schema
    store: OrgStore
    tokens: TokenStore
    org_id: str
    seeder: Callable[[Org], None]
    #: Data API requests counted today, and the daily allowance (both settable through
    #: ``/_emulator/limits``; the allowance starts as ``config.api_request_limit``).
    api_requests: int = 0
    api_request_limit: int = 0
    faults: list[FaultRule] = field(default_factory=list)
    request_log: list[RequestLogEntry] = field(default_factory=list)

    @classmethod
    def create(cls, config: EmulatorConfig, seeder: Callable[[Org], None]) -> Org:
        """Open (or create) the org's database; seed it when it is new."""
        schema = load_schema()
        store = OrgStore(schema, config.db_path, pod=config.pod)
        org_id = to18(f"00D{config.pod}000CFDemo")
        org = cls(
            config=config,
            schema=schema,
            store=store,
            tokens=TokenStore(store.db, org_id[:15]),
            org_id=org_id,
            seeder=seeder,
            api_request_limit=config.api_request_limit,
        )
        if store.is_empty:
            seeder(org)
        return org

    @property
    def tz(self) -> ZoneInfo:
        """The org's (and demo user's) time zone, for date literals."""
        return ZoneInfo(self.config.time_zone)

    def now(self) -> dt.datetime:
        """The current instant, UTC."""
        return dt.datetime.now(dt.UTC)

    def user_by_username(self, username: str) -> dict[str, Any] | None:
        """The active User record with this username (case-insensitive), or ``None``."""
        for user in self.store.lookup("User", "Username", username):
            if user.get("IsActive", True):
                return user
        return None

    def reset(self) -> None:
        """Back to the seed: records, tokens, limits, faults and the log."""
        self.store.clear()
        self.tokens.clear()
        self.faults.clear()
        self.request_log.clear()
        self.api_requests = 0
        self.api_request_limit = self.config.api_request_limit
        self.seeder(self)
