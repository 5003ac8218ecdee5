"""The MCP server: a typed lifespan holding the shared services, and the tools registered on it.

:func:`build_server` makes an ``MCPServer[Services]``; nothing happens at import. The lifespan
(once per process over stdio or HTTP, once per in-process ``Client``) opens the connection store
(unless one is given), ONE :class:`~server.salesforce.client.SalesforceClient` (one pooled
``httpx.AsyncClient``), the describe cache and the key that signs query cursors, and closes them
on the way out, as one :class:`~server.toolkit.Services`. Tools reach it through their
``ToolContext``, never through globals.

Read-only mode (``read_only=True`` or ``Settings.read_only``) registers only the tools whose
annotations say they cannot write: run_query, describe_object and connection_status.
custom_api_call is left out too, even for GET: an Apex REST service may change data on any
method, so a read-only server cannot vouch for it.

Configured actions (``actions``: typed tools from :func:`server.actions.serving.load_action_specs`)
are served after the generic tools, filtered the same way, and ``Settings.expose`` can narrow
the list to the actions only or to reads only; the action file's call bindings (its ``[call]``
table) are the server's, for every tool. When ``Settings.actions`` is set, the lifespan also
watches that file and swaps the action tools (and the call bindings) when it changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from mcp.server.mcpserver import MCPServer

from server import __version__
from server.activity.recorder import ActivityRecorder
from server.salesforce.client import SalesforceClient
from server.salesforce.describe_cache import DescribeCache
from server.salesforce.usage import ApiUsage
from server.settings import Settings, derived_key
from server.store.interface import ConnectionStore
from server.store.opening import open_store
from server.toolkit import Services, ToolSpec, register, select_tools
from server.toolkit.call import CallBindings, Calls, CarriesCallBindings
from tools import ALL_TOOLS

INSTRUCTIONS = """\
callforce lets you read and change records in the caller's Salesforce org during the call.

- Find records with run_query (SOQL SELECT; filter with WHERE, select only the fields you need).
  Ids come from query results: never invent or guess one.
- Before writing to an unfamiliar object, call describe_object: it lists the fields you can
  write, with their types, the required ones and picklist values.
- The writing tools take values as the caller said them ("yes", "March 5, 1990", "1,250", a
  picklist label). When one cannot be converted, nothing is written and the error names the
  field and what it needs: ask the caller, then call again.
- When you might retry, prefer upsert_record with an external id over create_record.
- bulk_write reports each record separately: always check its failed count.
- A tool error is for you to act on; do not read internal details aloud. If a connection needs
  to be reconnected, tell the caller the system is unavailable and offer a follow-up.
"""

#: How long after start the Salesforce client's HTTP setup is built (see the lifespan).
_WARM_UP_SECONDS = 0.25
#: What the run_query cursor key is derived for (see :func:`server.settings.derived_key`).
CURSOR_KEY_PURPOSE = "run_query cursors"

READ_ONLY_NOTE = "\nThis server is read-only: it can look records up but cannot change them.\n"


def build_server(
    settings: Settings,
    *,
    read_only: bool = False,
    store: ConnectionStore | None = None,
    actions: Sequence[ToolSpec[Any, Any]] = (),
    call_bindings: CallBindings | None = None,
    api_usage: ApiUsage | None = None,
) -> MCPServer[Services]:
    """The callforce MCP server; ``store`` (if given) is used as is and left open at shutdown.

    ``api_usage`` keeps the orgs' daily API usage for the Salesforce client (the HTTP app shares
    one with the connect page; by default the client has its own).
    ``actions`` are the configured action tools, already checked against the org;
    ``call_bindings`` the call variables, else those the actions come with (an action file's
    ``[call]`` table, see :class:`~server.actions.specs.ActionTools`), else those of
    ``CALLFORCE_CALL_HEADERS`` or the defaults.
    """
    read_only = read_only or settings.read_only
    if call_bindings is None and isinstance(actions, CarriesCallBindings):
        call_bindings = actions.call_bindings

    @asynccontextmanager
    async def lifespan(_: MCPServer[Services]) -> AsyncIterator[Services]:
        owned = store is None
        connections = store
        if connections is None:  # opening creates the home, the key file and the schema
            connections = await asyncio.to_thread(open_store, settings)
        try:
            await connections.aopen()  # the write keys' sessions connect while we start
            recorder = None
            if settings.activity_record:
                recorder = ActivityRecorder(
                    connections.activity(), keep_days=settings.activity_days
                )
            async with (
                SalesforceClient(settings, connections, api_usage=api_usage) as client,
                _closing(recorder),
            ):
                services = Services(
                    settings=settings,
                    store=connections,
                    client=client,
                    describe=DescribeCache.from_settings(settings),
                    cursor_key=derived_key(settings, CURSOR_KEY_PURPOSE) or secrets.token_bytes(32),
                    calls=Calls(call_bindings or CallBindings.from_headers(settings.call_headers)),
                    activity=recorder,
                )
                # The HTTP client's TLS setup is built once the server has answered the
                # start-up requests (initialize, tools/list), before the first tool call.
                warm = asyncio.get_running_loop().call_later(_WARM_UP_SECONDS, client.warm_up)
                try:
                    async with _watching(server, services, read_only=read_only, served=served):
                        yield services
                finally:
                    warm.cancel()
                    await services.write_keys.drain()  # the keys still being recorded
        finally:
            try:
                await connections.aclose()  # its async sessions belong to this loop
            finally:
                if owned:
                    connections.close()

    server = MCPServer[Services](
        "callforce",
        title="callforce",
        description="Salesforce actions for AI voice agents.",
        version=__version__,
        instructions=INSTRUCTIONS + (READ_ONLY_NOTE if read_only else ""),
        lifespan=lifespan,
        # MCPServer configures the root logger when nobody has; WARNING keeps httpx from logging
        # every Salesforce URL (queries and external ids are caller data).
        log_level="WARNING",
    )
    _serve_tools_only(server)
    origins = {spec.origin for spec in actions if spec.origin is not None}
    served = origins.pop() if len(origins) == 1 else None
    for spec in select_tools(ALL_TOOLS, actions, read_only=read_only, expose=settings.expose):
        register(server, spec)
    return server


@asynccontextmanager
async def _closing(recorder: ActivityRecorder | None) -> AsyncIterator[None]:
    """Write the recorder's queue on the way out (off the loop: it joins a thread)."""
    try:
        yield
    finally:
        if recorder is not None:
            await asyncio.to_thread(recorder.close)


#: What MCPServer always answers, and so advertises, though callforce has none of it.
_UNSERVED_METHODS = (
    "prompts/list",
    "prompts/get",
    "resources/list",
    "resources/templates/list",
    "resources/read",
    "resources/subscribe",
    "resources/unsubscribe",
)


def _serve_tools_only(server: MCPServer[Services]) -> None:
    """Declare only the capabilities callforce serves: tools.

    MCPServer registers prompt and resource handlers whether or not there are any, and the SDK
    derives the advertised capabilities from the registered handlers; with them gone, clients
    see no empty prompts/resources capability, and such a request is "method not found".
    The SDK has no public way to drop a handler (mcp 2.3); tests/test_transports.py checks the
    capabilities, so an SDK change that breaks this is seen at once.
    """
    handlers = server._lowlevel_server._request_handlers  # private: no public API, see above
    for method in _UNSERVED_METHODS:
        handlers.pop(method, None)


@contextlib.asynccontextmanager
async def _watching(
    server: MCPServer[Services], services: Services, *, read_only: bool, served: str | None
) -> AsyncIterator[None]:
    """Reload the action file when it changes, while the server runs (if there is one).

    ``served`` is the digest of the file version the actions were built from; without one, the
    file as it is now, read before the server answers anything.
    """
    settings = services.settings
    if settings.actions is None or settings.actions_reload_seconds <= 0:
        yield
        return
    # Imported here: a server without actions does not pay for the templating machinery.
    from server.actions.serving import base_bindings, read_digest, watch_actions  # noqa: PLC0415

    if served is None:
        served = await asyncio.to_thread(read_digest, settings.actions)
    watcher = asyncio.create_task(
        watch_actions(
            server,
            settings.actions,
            client=services.client,
            describe=services.describe,
            served=served,
            read_only=read_only,
            expose=settings.expose,
            interval=settings.actions_reload_seconds,
            calls=services.calls,
            base=base_bindings(settings),
        )
    )
    try:
        yield
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
