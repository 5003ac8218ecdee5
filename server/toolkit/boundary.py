"""The one error boundary: the only place an error becomes the MCP SDK's ``ToolError``.

Only ``ToolError`` text reaches an MCP client (anything else is sanitised to "Error executing
tool X"), so every handler runs inside :func:`error_boundary`; see :mod:`server.toolkit`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import ValidationError

from server.errors import CallforceError

logger = logging.getLogger("callforce.tools")

#: What the agent hears when something callforce did not foresee went wrong.
INTERNAL_ERROR = "callforce hit an internal error; the call did not complete."


#: How pydantic names the arms of a union in an error's location (``dict[str,any]``, ``str``,
#: ``literal['a']``, ``function-after[…]``, ``json-or-python``): not a place an agent can
#: fix, so left out — after the first part, which is always the argument's name.
_UNION_ARM = re.compile(
    r"\[|^(str|int|float|bool|bytes|none|list|dict|date|datetime|time|decimal|uuid)$"
    r"|^[a-z]+(-[a-z]+)+$"
)
_SHOULD_BE = "Input should be "


def validation_message(error: ValidationError) -> str:
    """One line per place with a problem, naming it (``records.0.LastName``), the rejected
    input not echoed; a value no arm of a union takes is one line saying what each wants."""
    problems: dict[str, list[str]] = {}
    for entry in error.errors(include_url=False, include_input=False):
        first, *rest = entry["loc"] or ("",)
        kept = [part for part in rest if isinstance(part, int) or not _UNION_ARM.search(part)]
        where = ".".join(str(part) for part in (first, *kept) if part != "")
        text = str(entry["msg"]).removeprefix("Value error, ")
        said = problems.setdefault(where, [])
        if text not in said:
            said.append(text)
    lines = []
    for where, texts in problems.items():
        if len(texts) > 1 and all(text.startswith(_SHOULD_BE) for text in texts):
            text = _SHOULD_BE + " or ".join(text.removeprefix(_SHOULD_BE) for text in texts)
        else:
            text = "; ".join(texts)
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
