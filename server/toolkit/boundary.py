"""The one error boundary: the only place an error becomes the MCP SDK's ``ToolError``.

Only ``ToolError`` text reaches an MCP client (anything else is sanitised to "Error executing
tool X"), so every handler runs inside :func:`error_boundary`; see :mod:`server.toolkit`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import ValidationError

from server.errors import CallforceError

logger = logging.getLogger("callforce.tools")

#: What the agent hears when something callforce did not foresee went wrong.
INTERNAL_ERROR = "callforce hit an internal error; the call did not complete."


def validation_message(error: ValidationError) -> str:
    """One line per pydantic error, naming where; the rejected input is not echoed."""
    lines = []
    for entry in error.errors(include_url=False, include_input=False):
        where = ".".join(str(part) for part in entry["loc"])
        text = str(entry["msg"]).removeprefix("Value error, ")
        lines.append(f"{where}: {text}" if where else text)
    return "\n".join(lines)


@contextmanager
def error_boundary(tool: str) -> Iterator[None]:
    """Turn what a tool raises into a ``ToolError`` an agent may read (see the module doc)."""
    try:
        yield
    except CallforceError as exc:
        raise ToolError(exc.for_agent()) from None
    except ValidationError as exc:
        raise ToolError(validation_message(exc)) from None
    except Exception:
        # The traceback stays in the server's log (stderr); the agent learns only that it failed.
        logger.exception("tool %s failed unexpectedly", tool)
        raise ToolError(INTERNAL_ERROR) from None
