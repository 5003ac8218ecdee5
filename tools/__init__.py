"""callforce's generic tools: one module per tool, each exposing its ``SPEC``.

A module holds the tool's argument model, result model, handler and description; it imports
the shared machinery from :mod:`server.toolkit` (and the writing tools :mod:`tools.writing`),
never the app. :data:`ALL_TOOLS` is the registry ``server.app`` registers from, in the order
``tools/list`` shows them.
"""

from __future__ import annotations

from typing import Any

from server.toolkit import ToolSpec
from tools import (
    bulk_write,
    connection_status,
    create_record,
    custom_api_call,
    describe_object,
    find_caller,
    log_call,
    run_query,
    update_record,
    upsert_record,
)

ALL_TOOLS: tuple[ToolSpec[Any, Any], ...] = (
    run_query.SPEC,
    describe_object.SPEC,
    find_caller.SPEC,
    create_record.SPEC,
    update_record.SPEC,
    upsert_record.SPEC,
    bulk_write.SPEC,
    custom_api_call.SPEC,
    connection_status.SPEC,
    log_call.SPEC,
)

__all__ = ["ALL_TOOLS"]
