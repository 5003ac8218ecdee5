"""JSON answers in Salesforce's format.

Salesforce sends ``application/json;charset=UTF-8``, compact by default; with the request header
``X-PrettyPrint: 1`` it pretty-prints the way Jackson does (2-space indent, ``"key" : value``,
empty arrays as ``[ ]``). simple-salesforce always sends that header.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

JSON_MEDIA_TYPE = "application/json;charset=UTF-8"
_EMPTY_ARRAY = re.compile(r"\[\]")


def dumps(content: Any, *, pretty: bool = False) -> bytes:
    """Serialise as Salesforce does (compact, or Jackson-style pretty)."""
    if not pretty:
        return json.dumps(content, separators=(",", ":"), ensure_ascii=False).encode()
    text = json.dumps(content, indent=2, separators=(",", " : "), ensure_ascii=False)
    return _EMPTY_ARRAY.sub("[ ]", text).encode()


def json_response(
    request: Request,
    content: Any,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A JSON response, pretty when the request asked for it."""
    pretty = request.headers.get("x-prettyprint", "") not in ("", "0", "false")
    return Response(
        dumps(content, pretty=pretty),
        status_code=status_code,
        headers=dict(headers or {}),
        media_type=JSON_MEDIA_TYPE,
    )


def empty_response(status_code: int = 204, headers: Mapping[str, str] | None = None) -> Response:
    """A response with no body (204 update/delete, 201 bulk upload)."""
    return Response(status_code=status_code, headers=dict(headers or {}))
