"""The one policy for what callforce sends to an org: endpoint paths, and headers a caller sets.

Every request carries the connection's bearer token, so :func:`check_endpoint` decides, before a
socket opens, whether a path may be sent at all. The client applies it to every request;
custom_api_call and the action file check apply it to what agents and operators write. It
judges what a path *means*, not how it is spelled:

1. Raw, the endpoint is a path — not a URL, not ``//host`` — with no backslash, control
   character, whitespace in the path part, or ``#``.
2. The path is **normalised**: percent-decoded until it stops changing (a path still encoded
   after 10 rounds is refused), each form again free of backslashes and control characters;
   then empty segments are collapsed and ``.``/``..`` segments resolved.
3. The normalised path must be under ``/services/`` and outside ``/services/oauth2/`` (any
   case): ``/services//oauth2/token``, ``/services/%2foauth2/userinfo`` and
   ``/services/data/../oauth2/token`` mean ``/services/oauth2/…`` and are refused as such.
4. A path that normalising changed — a ``.`` or ``..`` segment, or an empty one inside it, raw or
   encoded — is refused even when it lands somewhere allowed: servers differ in whether they
   resolve encoded dot segments, so what is sent must mean one thing only.

Percent-encoded data inside a segment is otherwise fine: an external id such as ``#1/2`` travels
as the one segment ``%231%2F2``. The query string (after ``?``) is data for Salesforce.

:func:`check_headers` keeps what the transport owns (Authorization, Host, Cookie, lengths,
encodings, Content-Type: bodies are JSON) out of a caller's hands, and refuses line breaks and
values HTTP/1.1 cannot carry as text (anything but ASCII). :func:`check_json_body` refuses what
JSON cannot carry (infinity, NaN) before a body is written.

All three raise :class:`~server.errors.RequestRefused` whose ``reason`` names what to fix.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from server.errors import RequestRefused

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_PATH_FORBIDDEN = re.compile(r"[\x00-\x20\x7f\\#]")
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}")
_MAX_DECODINGS = 10
_REFUSED_HEADERS = frozenset(
    {
        "authorization", "proxy-authorization", "host", "cookie", "content-length",
        "transfer-encoding", "content-encoding", "content-type", "connection", "upgrade",
        "te", "expect", "x-sfdc-session",
    }
)  # fmt: skip
MAX_HEADER_VALUE_CHARS = 4000
#: Deepest nesting of objects and lists a caller's JSON body may have.
MAX_BODY_DEPTH = 64
#: Longest integer a caller's JSON body may hold: ~300 digits, far beyond any Salesforce number.
_MAX_INT_BITS = 1000


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A path that may be sent (as given: its encoding kept) and its query parameters."""

    path: str
    query: tuple[tuple[str, str], ...]


def _decoded(path: str) -> str:
    """``path`` percent-decoded until it stops changing; each form checked on the way."""
    form = path
    for _ in range(_MAX_DECODINGS):
        if _CONTROL.search(form) or "\\" in form:
            raise RequestRefused(
                "the endpoint cannot contain control characters or a backslash, even encoded."
            )
        decoded = unquote(form)
        if decoded == form:
            return form
        form = decoded
    raise RequestRefused("the endpoint is percent-encoded too many times over.")


def normalise(path: str) -> tuple[str, bool]:
    """What ``path`` means — decoded, empty segments collapsed, dot segments resolved — and
    whether normalising changed its segments (a trailing ``/`` does not count)."""
    segments = _decoded(path).split("/")[1:]
    trailing = len(segments) > 1 and segments[-1] == ""
    inner = segments[:-1] if trailing else segments
    resolved: list[str] = []
    for segment in inner:
        if segment == "..":
            if resolved:
                resolved.pop()
        elif segment not in ("", "."):
            resolved.append(segment)
    changed = len(resolved) != len(inner)
    return "/" + "/".join(resolved) + ("/" if trailing else ""), changed


def check_endpoint(endpoint: str) -> Endpoint:
    """The endpoint split into path and query, if callforce may send it (see the module doc)."""
    path, _, query = endpoint.partition("?")
    if _CONTROL.search(endpoint) or "\\" in endpoint:
        raise RequestRefused("the endpoint contains control characters or a backslash.")
    if not path.startswith("/") or path.startswith("//") or urlsplit(endpoint).netloc:
        raise RequestRefused(
            "the endpoint must be a path such as /services/data/v62.0/limits, not a URL."
        )
    if "#" in endpoint:
        raise RequestRefused("the endpoint cannot contain '#'.")
    if _PATH_FORBIDDEN.search(path):
        raise RequestRefused("the endpoint's path cannot contain spaces; percent-encode them.")
    meaning, changed = normalise(path)
    parts = meaning.lower().split("/")
    if len(parts) < 3 or parts[1] != "services" or meaning == "/services/":
        raise RequestRefused("the endpoint must start with /services/ on the org's instance.")
    if parts[2] == "oauth2":
        raise RequestRefused("the OAuth endpoints under /services/oauth2/ are not available.")
    if changed:
        raise RequestRefused(
            "the endpoint cannot contain empty, '.' or '..' segments, even encoded."
        )
    return Endpoint(path, tuple(parse_qsl(query, keep_blank_values=True)))


def check_headers(headers: dict[str, str] | None) -> dict[str, str]:
    """The headers a caller may set, values without surrounding spaces (HTTP does not count
    them as part of a value); RequestRefused naming the first that may not be sent."""
    checked: dict[str, str] = {}
    for name, value in (headers or {}).items():
        if not _HEADER_NAME.fullmatch(name):
            raise RequestRefused(f"'{name[:40]}' is not a valid header name.")
        if name.lower() in _REFUSED_HEADERS:
            raise RequestRefused(f"the {name} header is set by callforce and cannot be given.")
        if len(value) > MAX_HEADER_VALUE_CHARS:
            raise RequestRefused(
                f"the value of {name} is longer than {MAX_HEADER_VALUE_CHARS} characters."
            )
        if _CONTROL.search(value.replace("\t", " ")):
            raise RequestRefused(f"the value of {name} contains line breaks or control characters.")
        if not value.isascii():
            # HTTP/1.1 carries a header value as bytes; anything but ASCII means a different
            # thing to each server (Latin-1, UTF-8, or refused), so it is not sent at all.
            raise RequestRefused(
                f"the value of {name} has characters a header cannot carry (only ASCII): "
                "spell it without accents or symbols, or put the text in the body."
            )
        checked[name] = value.strip(" \t")
    return checked


def check_json_body(body: Any, where: str = "body") -> None:
    """RequestRefused naming the first place in ``body`` that JSON cannot carry: a number that
    is not finite (``1e309`` parses as infinity), one too long to write, or nesting deeper
    than :data:`MAX_BODY_DEPTH`."""
    pending: list[tuple[Any, str, int]] = [(body, where, 0)]
    while pending:
        value, at, depth = pending.pop()
        if depth > MAX_BODY_DEPTH:
            raise RequestRefused(f"{at} is nested more than {MAX_BODY_DEPTH} levels deep.")
        if isinstance(value, float) and not math.isfinite(value):
            raise RequestRefused(
                f"{at} is not a finite number (JSON has no infinity or NaN): give a number "
                "Salesforce can store."
            )
        if isinstance(value, int) and value.bit_length() > _MAX_INT_BITS:
            raise RequestRefused(f"{at} is a number too long to send: give a shorter one.")
        if isinstance(value, dict):
            items: list[tuple[Any, Any]] = list(value.items())
        elif isinstance(value, list | tuple):
            items = list(enumerate(value))
        else:
            continue
        pending.extend((item, f"{at}.{str(key)[:40]}", depth + 1) for key, item in reversed(items))
