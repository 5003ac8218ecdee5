"""Serving configured actions: type them against the org, swap them in when the file changes.

:func:`load_action_specs` is what ``callforce serve --actions`` and ``callforce demo`` run
before serving: it reads the file, checks it against the org through a short-lived
:class:`~server.salesforce.client.SalesforceClient` and returns the typed tools (or raises
:class:`~server.actions.model.ActionFileError` naming file, action and key), with the file's call
bindings (its ``[call]`` table), which the server they are given to serves. The tools' handlers
use the serving process's own client at call time, so nothing here outlives the check.

While serving, :func:`watch_actions` (started by the server's lifespan when
``CALLFORCE_ACTIONS`` is set) polls the file and :func:`reload_actions` swaps the action tools
in one step, with the process's call bindings (``Calls``): a file that no longer checks leaves
the served tools and bindings as they were, and clients are told the tool list changed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcp.server.mcpserver import Context, MCPServer

from server.actions.check import CheckReport, check_actions
from server.actions.loading import file_digest, load_actions
from server.actions.model import GENERIC_TOOL_NAMES, ActionFileError, Problem
from server.actions.specs import ActionTools, action_spec, build_action_specs
from server.errors import CallforceError
from server.salesforce.client import SalesforceClient
from server.salesforce.describe_cache import DescribeCache
from server.settings import Settings
from server.store.interface import ConnectionStore
from server.toolkit import Expose, ToolSpec, register, select_tools, unregister
from server.toolkit.call import CallBindings, Calls

logger = logging.getLogger("callforce.actions")


def base_bindings(settings: Settings) -> CallBindings:
    """The call variables there are without a ``[call]`` table: ``CALLFORCE_CALL_HEADERS``'s,
    else the defaults."""
    return CallBindings.from_headers(settings.call_headers)


async def load_action_specs(
    settings: Settings, store: ConnectionStore, path: Path, connection: str | None = None
) -> ActionTools:
    """The tools of the action file at ``path``, checked against the org, with its call
    bindings.

    Raises ActionFileError (what is wrong, and where) or CallforceError (the org could not be
    asked: not connected, unreachable, needs reconnecting).
    """
    action_set = await asyncio.to_thread(load_actions, path, base_bindings(settings))
    async with SalesforceClient(settings, store) as client:
        return await build_action_specs(
            action_set, client, DescribeCache.from_settings(settings), connection
        )


async def check_action_file(
    settings: Settings, store: ConnectionStore, path: Path, connection: str | None = None
) -> tuple[CheckReport, ActionTools]:
    """``callforce actions check``: the org check's report, and the tools when it passed (with
    the file's call bindings either way).

    Raises ActionFileError for problems found without the org (syntax, keys, names) and
    CallforceError when the org could not be asked.
    """
    action_set = await asyncio.to_thread(load_actions, path, base_bindings(settings))
    async with SalesforceClient(settings, store) as client:
        describe = DescribeCache.from_settings(settings)
        report = await check_actions(action_set, client, describe, connection)
    if not report.ok:
        return report, ActionTools((), action_set.call)
    conn = connection or action_set.connection
    specs = (action_spec(checked, conn, action_set.digest) for checked in report.actions)
    return report, ActionTools(specs, action_set.call)


def register_actions(server: MCPServer[Any], specs: Sequence[ToolSpec[Any, Any]]) -> list[str]:
    """Add the action tools to ``server``; their names."""
    for spec in specs:
        register(server, spec)
    return [spec.name for spec in specs]


@dataclass(frozen=True, slots=True)
class ReloadResult:
    """What a reload did: the action tools served now, and why it failed if it did."""

    loaded: bool
    tools: tuple[str, ...]
    problems: tuple[Problem, ...] = ()


async def notify_tools_changed(
    server: MCPServer[Any], ctx: Context[Any, Any] | None = None
) -> None:
    """Tell clients the tool list changed: listeners of ``subscriptions/listen`` (2026-07-28),
    and, when the reload runs inside a request, that request's legacy session."""
    if ctx is not None:
        await ctx.notify_tools_changed()
        await ctx.session.send_tool_list_changed()
        return
    # Outside a request there is no public handle on the server's event bus.
    await Context(mcp_server=server, subscriptions=server._subscriptions).notify_tools_changed()


async def reload_actions(
    server: MCPServer[Any],
    path: Path | str,
    *,
    client: SalesforceClient,
    describe: DescribeCache,
    connection: str | None = None,
    read_only: bool = False,
    expose: Expose = "all",
    ctx: Context[Any, Any] | None = None,
    calls: Calls | None = None,
    base: CallBindings | None = None,
) -> ReloadResult:
    """Swap the action tools for those of ``path``; on any problem keep the old ones.

    ``ctx`` (when the reload runs inside a tool call) also notifies that call's legacy session.
    ``calls`` (the served process's) takes the file's call bindings, its ``[call]`` table over
    ``base`` (the bindings without one), in the same step as the tools.
    """

    async def served() -> tuple[str, ...]:
        return tuple(t.name for t in await server.list_tools() if t.name not in GENERIC_TOOL_NAMES)

    try:
        action_set = await asyncio.to_thread(load_actions, path, base)
        specs = await build_action_specs(action_set, client, describe, connection)
    except ActionFileError as exc:
        return ReloadResult(False, await served(), tuple(exc.problems))
    except CallforceError as exc:
        problem = Problem(str(path), None, None, f"the org could not be reached: {exc.message}")
        return ReloadResult(False, await served(), (problem,))
    chosen = select_tools((), specs, read_only=read_only, expose=expose)
    current = await served()
    # No await between removing and adding: no call sees a half-swapped list. (A concurrent
    # reload may have removed a name already: the last reload wins.)
    if calls is not None:
        calls.bindings = specs.call_bindings
    for name in current:
        unregister(server, name)
    names = register_actions(server, chosen)
    await notify_tools_changed(server, ctx)
    logger.info("reloaded %d actions from %s", len(names), path)
    return ReloadResult(True, tuple(names))


def read_digest(path: Path) -> str | None:
    """The digest of the file's bytes now (None when it cannot be read, e.g. mid-rename)."""
    try:
        return file_digest(path.read_bytes())
    except OSError:
        return None


async def watch_actions(
    server: MCPServer[Any],
    path: Path,
    *,
    client: SalesforceClient,
    describe: DescribeCache,
    served: str | None = None,
    connection: str | None = None,
    read_only: bool = False,
    expose: Expose = "all",
    interval: float = 2.0,
    calls: Calls | None = None,
    base: CallBindings | None = None,
) -> None:
    """Reload whenever the file's content differs from the version last seen; runs until
    cancelled.

    ``served`` is the digest of the file version the served tools were built from — taken when
    the file was loaded, not when watching starts, so an edit made in between is not missed
    (None: the file as it is when the watch starts).
    Content is compared, not size and modification time: two edits within one timestamp tick,
    or of the same size, are still seen. A version that fails to load is reported once and
    left until the file changes again. Nothing that goes wrong in one round stops the watch.
    ``calls`` and ``base``: as for :func:`reload_actions`.
    """
    seen = served if served is not None else await asyncio.to_thread(read_digest, path)
    while True:
        await asyncio.sleep(interval)
        try:
            now = await asyncio.to_thread(read_digest, path)
            if now is None or now == seen:
                continue
            seen = now
            result = await reload_actions(
                server, path, client=client, describe=describe, connection=connection,
                read_only=read_only, expose=expose, calls=calls, base=base,
            )  # fmt: skip
            for problem in result.problems:
                logger.warning("actions not reloaded: %s", problem)
        except Exception:
            # One bad round (an unreadable answer, a bug) must not end the watch for good.
            logger.exception("checking the action file for changes failed; will look again")
