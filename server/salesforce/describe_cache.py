"""Per-org describe cache: what each object's fields are, read once and reused.

Entries are keyed by (connection, object name), both case-insensitive, and live
``Settings.describe_ttl_seconds``. An expired entry is revalidated with its ``ETag``
(``If-None-Match``): a 304 keeps it for another TTL without re-parsing 150 kB of JSON.
:meth:`DescribeCache.invalidate` drops an entry outright; tools call it when Salesforce answers
``INVALID_FIELD`` / "No such column", so a field added in Setup is seen on the next call.

Loads are single-flight per key (:class:`~server.salesforce.single_flight.SingleFlight`):
concurrent first calls share one describe request, and a caller that gives up (its deadline)
does not cancel it for the others. Failures are not cached.

:meth:`DescribeCache.dropping_stale` wraps a write: when Salesforce rejects a field the cached
describe listed, the describe is dropped and the error becomes
:class:`~server.errors.StaleDescribe`, which tells the agent to check the names and call again.

An object the org does not have is :class:`~server.errors.UnknownObject`, with close names from
the org's describeGlobal list (cached the same way): "Salesforce has no object named 'Contcat'
(did you mean Contact?)".
"""

from __future__ import annotations

import difflib
import functools
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from server.errors import InvalidRequest, NotFound, StaleDescribe, UnknownObject
from server.salesforce.answers import json_object
from server.salesforce.client import SalesforceClient
from server.salesforce.fields import ObjectInfo
from server.salesforce.single_flight import SingleFlight
from server.settings import Settings

_T = TypeVar("_T")
#: An sObject API name: letters, digits and underscores (custom: ``Foo__c``, ``ns__Foo__c``).
_OBJECT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,79}")
_GLOBAL = "*describeGlobal*"


@dataclass(slots=True)
class _Entry(Generic[_T]):
    value: _T
    etag: str | None
    expires_at: float


class DescribeCache:
    """Describes of every connected org, per object; one instance per process."""

    def __init__(self, ttl_seconds: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl_seconds
        self._clock = clock
        self._objects: dict[tuple[str, str], _Entry[ObjectInfo]] = {}
        self._globals: dict[str, _Entry[tuple[str, ...]]] = {}
        self._loads: SingleFlight[Any] = SingleFlight()

    @classmethod
    def from_settings(cls, settings: Settings) -> DescribeCache:
        """A cache with ``settings.describe_ttl_seconds``."""
        return cls(settings.describe_ttl_seconds)

    async def get(
        self, client: SalesforceClient, sobject: str, *, connection: str | None = None
    ) -> ObjectInfo:
        """The describe of ``sobject`` (any case) in the connection's org."""
        conn = client.connection_for(connection).name.lower()
        if not _OBJECT_NAME.fullmatch(sobject):
            raise UnknownObject(sobject)  # never put a malformed name into a URL
        key = (conn, sobject.lower())
        entry = self._objects.get(key)
        if entry is not None and entry.expires_at > self._clock():
            return entry.value
        load = functools.partial(self._load_object, client, conn, sobject, key)
        result: ObjectInfo = await self._loads.run(("object", *key), load)
        return result

    async def object_names(
        self, client: SalesforceClient, *, connection: str | None = None
    ) -> tuple[str, ...]:
        """Every object name of the connection's org (describeGlobal), cached like describes."""
        conn = client.connection_for(connection).name.lower()
        entry = self._globals.get(conn)
        if entry is not None and entry.expires_at > self._clock():
            return entry.value
        load = functools.partial(self._load_global, client, conn)
        names: tuple[str, ...] = await self._loads.run((_GLOBAL, conn), load)
        return names

    def invalidate(self, connection: str | None, sobject: str | None = None) -> None:
        """Forget a describe so the next :meth:`get` reads it again.

        ``connection=None`` means every connection (a tool that did not name one need not
        resolve the default); ``sobject=None`` means every object of the connection(s).
        """
        conn = connection.lower() if connection else None
        name = sobject.lower() if sobject else None
        for key in list(self._objects):
            if (conn is None or key[0] == conn) and (name is None or key[1] == name):
                del self._objects[key]
        if name is None:
            for global_key in list(self._globals):
                if conn is None or global_key == conn:
                    del self._globals[global_key]

    @contextmanager
    def dropping_stale(self, connection: str, sobject: str) -> Iterator[None]:
        """When Salesforce rejects a field we believed in, forget the describe and say so."""
        try:
            yield
        except InvalidRequest as exc:
            if not exc.unknown_field:
                raise
            self.invalidate(connection, sobject)
            raise StaleDescribe.after(exc, sobject) from None

    async def _load_object(
        self, client: SalesforceClient, conn: str, sobject: str, key: tuple[str, str]
    ) -> ObjectInfo:
        stale = self._objects.get(key)
        headers = {"If-None-Match": stale.etag} if stale and stale.etag else None
        try:
            response = await client.request(
                "GET",
                client.api_path(f"sobjects/{sobject}/describe"),
                connection=conn,
                headers=headers,
            )
        except NotFound:
            names = await self.object_names(client, connection=conn)
            raise UnknownObject(sobject, _close(sobject, names)) from None
        if response.status_code == 304 and stale is not None:
            stale.expires_at = self._clock() + self._ttl
            return stale.value
        info = ObjectInfo.from_describe(json_object(response, "the describe"))
        self._objects[key] = _Entry(info, response.headers.get("ETag"), self._clock() + self._ttl)
        return info

    async def _load_global(self, client: SalesforceClient, conn: str) -> tuple[str, ...]:
        response = await client.request("GET", client.api_path("sobjects"), connection=conn)
        body = json_object(response, "the describe")
        entries = body.get("sobjects")
        names = tuple(
            entry["name"]
            for entry in (entries if isinstance(entries, list) else [])
            if isinstance(entry, dict) and isinstance(entry.get("name"), str)
        )
        self._globals[conn] = _Entry(names, None, self._clock() + self._ttl)
        return names


def _close(sobject: str, names: tuple[str, ...], limit: int = 2) -> list[str]:
    """Object names close to ``sobject``, best first (case-insensitive)."""
    by_lower = {name.lower(): name for name in names}
    matches = difflib.get_close_matches(sobject.lower(), list(by_lower), n=limit, cutoff=0.6)
    return [by_lower[match] for match in matches]
