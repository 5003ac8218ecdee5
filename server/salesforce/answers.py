"""Reading a Salesforce answer's JSON without trusting it.

Salesforce answers JSON, but a proxy, a maintenance page or a cut connection can hand back
anything with a 200. :func:`json_or_none` is for answers whose body is optional (204, a 300
list, an error body); :func:`json_object` is for answers that must be an object and turns
anything else into :class:`~server.errors.ServerError` ``INVALID_RESPONSE``, which a tool
reports plainly.
"""

from __future__ import annotations

from typing import Any

import httpx

from server.errors import ServerError


def json_or_none(response: httpx.Response) -> Any:
    """The answer's JSON, or ``None`` when it has no body or the body is not JSON."""
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:  # also UnicodeDecodeError
        return None


def json_object(response: httpx.Response, what: str = "the answer") -> dict[str, Any]:
    """The answer's JSON object; ``ServerError INVALID_RESPONSE`` naming ``what`` otherwise."""
    data = json_or_none(response)
    if not isinstance(data, dict):
        raise ServerError(response.status_code, "INVALID_RESPONSE", f"{what} is not JSON")
    return data
