"""The org's daily API allowance, as Salesforce reports it on every REST answer.

Each answer under ``/services/data`` carries ``Sforce-Limit-Info: api-usage=18/15000`` (requests
used in the last 24 hours / the org's allowance). :class:`ApiUsage` keeps the latest per
connection, in memory: the connect page, ``connection_status`` and the error an agent gets when
the allowance is spent read it from there. One instance serves the process: the HTTP app makes
it and hands it to both the MCP server's Salesforce client and the connect page.

A refusal for the spent allowance (403 REQUEST_LIMIT_EXCEEDED) need not carry the header, yet it
says the count has reached the allowance: :meth:`ApiUsage.explain` records that, and words the
error with the numbers. Nothing here sends a request of its own.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass

from server.errors import RequestLimitExceeded, SalesforceAPIError

_API_USAGE = re.compile(r"api-usage=(\d+)/(\d+)")


@dataclass(frozen=True, slots=True)
class Usage:
    """Requests used of the org's daily allowance, as of ``seen_at`` (seconds since the epoch)."""

    used: int
    limit: int
    seen_at: float

    @property
    def fraction(self) -> float:
        """Used / allowance (0 when the allowance is 0)."""
        return self.used / self.limit if self.limit else 0.0

    def __str__(self) -> str:
        return f"{self.used:,} of {self.limit:,} daily API requests used"


def parse(header: str | None) -> tuple[int, int] | None:
    """``(used, allowance)`` from a ``Sforce-Limit-Info`` value, or None."""
    match = _API_USAGE.search(header or "")
    return (int(match[1]), int(match[2])) if match else None


class ApiUsage:
    """The latest usage seen per connection (names compared without case)."""

    def __init__(self) -> None:
        self._latest: dict[str, Usage] = {}

    def note(self, connection: str, headers: Mapping[str, str]) -> None:
        """Keep what an answer's headers say about ``connection``'s org, if anything."""
        found = parse(headers.get("sforce-limit-info"))
        if found is not None:
            self._latest[connection.lower()] = Usage(found[0], found[1], time.time())

    def of(self, connection: str) -> Usage | None:
        """The latest usage of ``connection``'s org, or None when none was seen yet."""
        return self._latest.get(connection.lower())

    def explain(self, connection: str, error: SalesforceAPIError) -> SalesforceAPIError:
        """``error`` as the agent should read it. For the daily allowance used up, the usage is
        at least the allowance from now on, and the error names it ("15,000 of 15,000");
        every other error, or one before any usage was seen, is returned as it is."""
        if not isinstance(error, RequestLimitExceeded) or not error.daily:
            return error
        latest = self.of(connection)
        if latest is None:
            return error
        used = max(latest.used, latest.limit)
        self._latest[connection.lower()] = Usage(used, latest.limit, time.time())
        return error.with_usage(used, latest.limit)
