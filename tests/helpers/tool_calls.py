"""Calling callforce's tools as an MCP client does: an in-process client of a server, and the
``Tools`` helper that checks what a call gives back (and that a failure leaks nothing)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from mcp import Client
from mcp.server.mcpserver import MCPServer
from mcp.types import CallToolResult, TextContent

from server.settings import Settings
from server.store.sqlite import SQLiteConnectionStore

#: The repository: no path under it may reach a caller.
_ROOT = Path(__file__).parents[2]
_SOURCE_FILE = re.compile(r"\w\.py\b|line \d+, in ")


class Tools:
    """Calls callforce's tools through the MCP client and checks what comes back."""

    def __init__(self, client: Client, store: SQLiteConnectionStore, settings: Settings) -> None:
        self.client = client
        self.store = store
        self.settings = settings

    async def call(self, name: str, arguments: dict[str, Any], **kwargs: Any) -> CallToolResult:
        """The raw result of one tool call."""
        return await self.client.call_tool(name, arguments, **kwargs)

    async def ok(self, name: str, arguments: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """The structured result of a call that must succeed."""
        result = await self.call(name, arguments, **kwargs)
        assert not result.is_error, text_of(result)
        assert isinstance(result.structured_content, dict)
        return result.structured_content

    async def error(self, name: str, arguments: dict[str, Any]) -> str:
        """The text of a call that must fail; it must leak nothing."""
        result = await self.call(name, arguments)
        assert result.is_error, result.structured_content
        text = text_of(result)
        self.assert_safe(text)
        return text

    def assert_safe(self, text: str) -> None:
        """No traceback, token, token name or filesystem path in ``text``."""
        forbidden = ["Traceback", "access_token", "refresh_token", str(self.settings.home)]
        forbidden += [str(_ROOT), "site-packages", "/tmp/", "/usr/"]  # noqa: S108 - looked for, not used
        for conn in self.store.list():
            forbidden += [
                token.get_secret_value()
                for token in (conn.access_token, conn.refresh_token)
                if token is not None
            ]
        for word in forbidden:
            assert word not in text, f"{word!r} leaked into: {text}"
        assert not _SOURCE_FILE.search(text), f"a file name leaked into: {text}"


def text_of(result: CallToolResult) -> str:
    """The text content of a tool result."""
    return "\n".join(block.text for block in result.content if isinstance(block, TextContent))


@asynccontextmanager
async def serving(server: MCPServer[Any]) -> AsyncIterator[Client]:
    """An in-process client of ``server``, entered and left in one task of its own.

    pytest-asyncio runs a fixture's setup and teardown in different tasks, and the client's
    cancel scopes must be left in the task that entered them.
    """
    ready: asyncio.Future[Client] = asyncio.get_running_loop().create_future()
    stop = asyncio.Event()

    async def hold() -> None:
        try:
            async with Client(server) as client:
                ready.set_result(client)
                await stop.wait()
        except BaseException as exc:
            if not ready.done():
                ready.set_exception(exc)
            raise

    task = asyncio.create_task(hold())
    try:
        yield await ready
    finally:
        stop.set()
        await task
