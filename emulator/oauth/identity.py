"""Who a token speaks for: ``GET|POST /services/oauth2/userinfo`` and ``GET /id/{org}/{user}``.

Both need ``Authorization: Bearer <access token>`` (or ``OAuth <token>``) and answer JSON without
``Sforce-Limit-Info``; they are not data API calls and do not count against the daily limit.

- userinfo: the OpenID Connect shape of ``fixtures/oauth/nango__userinfo_200.json`` (real, v66):
  ``sub`` (the identity URL), ``user_id``, ``organization_id``, ``preferred_username``,
  ``nickname``, ``name``, ``email``, …, ``urls`` with literal ``{version}`` placeholders, all on
  the emulator's base URL. ``utcOffset`` is the zone's standard offset (the recording, made in May,
  has -28800000 for Los Angeles).
- identity URL: the identity service's own shape (``id``, ``asserted_user``, ``username``,
  ``display_name``, ``nick_name``, ``first_name``, ``addr_*``, ``status``, ``last_modified_date``,
  ``is_app_installed`` …) — jsforce's ``identity()`` and the Mobile SDK read these keys.

Errors are plain text, as Salesforce's identity service sends them: no token → ``403
Missing_OAuth_Token``; an unknown, expired or revoked token → ``403 Bad_OAuth_Token`` (clients
must treat this 403, not a 401, as an expired session); an identity URL of another org → ``403
Wrong_Org``; a malformed or unknown user id → ``404 Bad_Id``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from emulator.ids import normalize
from emulator.oauth.client import active_user, identity_url, instance_url
from emulator.org import Org
from emulator.request_context import org_of
from emulator.responses import json_response

_URL_PATHS = {
    "enterprise": "/services/Soap/c/{version}/{org15}",
    "metadata": "/services/Soap/m/{version}/{org15}",
    "partner": "/services/Soap/u/{version}/{org15}",
    "rest": "/services/data/v{version}/",
    "sobjects": "/services/data/v{version}/sobjects/",
    "search": "/services/data/v{version}/search/",
    "query": "/services/data/v{version}/query/",
    "recent": "/services/data/v{version}/recent/",
    "tooling_soap": "/services/Soap/T/{version}/{org15}",
    "tooling_rest": "/services/data/v{version}/tooling/",
    "profile": "/{user}",
    "feeds": "/services/data/v{version}/chatter/feeds",
    "groups": "/services/data/v{version}/chatter/groups",
    "users": "/services/data/v{version}/chatter/users",
    "feed_items": "/services/data/v{version}/chatter/feed-items",
    "feed_elements": "/services/data/v{version}/chatter/feed-elements",
    "custom_domain": "",
}
_ERROR_HEADERS = {"Cache-Control": "no-cache,must-revalidate,max-age=0,no-store,private"}


def _error(status: int, text: str) -> Response:
    return PlainTextResponse(text, status_code=status, headers=_ERROR_HEADERS)


def _token_user(request: Request, org: Org) -> dict[str, Any] | Response:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() not in ("bearer", "oauth") or not token:
        return _error(403, "Missing_OAuth_Token")
    session = org.tokens.session(token)
    user = active_user(org, session.user_id) if session else None
    if user is None:
        return _error(403, "Bad_OAuth_Token")
    return user


def _urls(base: str, org: Org, user_id: str) -> dict[str, str]:
    org15 = org.org_id[:15]
    return {
        # Keep the literal {version} placeholder Salesforce sends.
        name: base + path.replace("{org15}", org15).replace("{user}", user_id)
        for name, path in _URL_PATHS.items()
    }


def _standard_offset_ms(zone_name: str, org: Org) -> int:
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):  # a user with an odd TimeZoneSidKey
        zone = org.tz
    now = dt.datetime.now(zone)
    standard = (now.utcoffset() or dt.timedelta()) - (now.dst() or dt.timedelta())
    return int(standard.total_seconds() * 1000)


def _when(user: dict[str, Any], org: Org) -> dt.datetime:
    raw = user.get("LastModifiedDate") or user.get("CreatedDate")
    if isinstance(raw, str):
        try:
            return dt.datetime.strptime(raw, "%Y-%m-%dT%H:%M:%S.%f%z")
        except ValueError:
            pass
    return org.now()


def _common(user: dict[str, Any], org: Org) -> dict[str, Any]:
    """Facts both shapes report, under neutral names."""
    username = user.get("Username") or ""
    return {
        "username": username,
        "nickname": user.get("CommunityNickname") or username.split("@")[0],
        "name": user.get("Name")
        or " ".join(part for part in (user.get("FirstName"), user.get("LastName")) if part),
        "email": user.get("Email") or username,
        "zone": user.get("TimeZoneSidKey") or org.config.time_zone,
        "language": user.get("LanguageLocaleKey") or "en_US",
        "locale": user.get("LocaleSidKey") or "en_US",
        "user_type": user.get("UserType") or "STANDARD",
        "active": bool(user.get("IsActive", True)),
    }


def userinfo_body(request: Request, org: Org, user: dict[str, Any]) -> dict[str, Any]:
    """The OpenID Connect userinfo of ``user``."""
    base = instance_url(request)
    user_id = user["Id"]
    facts = _common(user, org)
    address = {
        key: user[field]
        for key, field in (
            ("street_address", "Street"),
            ("locality", "City"),
            ("region", "State"),
            ("postal_code", "PostalCode"),
            ("country", "Country"),
        )
        if user.get(field)
    }
    return {
        "sub": identity_url(request, org, user_id),
        "user_id": user_id,
        "organization_id": org.org_id,
        "preferred_username": facts["username"],
        "nickname": facts["nickname"],
        "name": facts["name"],
        "email": facts["email"],
        "email_verified": True,
        "given_name": user.get("FirstName"),
        "family_name": user.get("LastName"),
        "zoneinfo": facts["zone"],
        "photos": {
            "picture": f"{base}/profilephoto/005/F",
            "thumbnail": f"{base}/profilephoto/005/T",
        },
        "profile": f"{base}/{user_id}",
        "picture": f"{base}/profilephoto/005/F",
        "address": address,
        "is_salesforce_integration_user": False,
        "urls": _urls(base, org, user_id),
        "active": facts["active"],
        "user_type": facts["user_type"],
        "language": facts["language"],
        "locale": facts["locale"],
        "utcOffset": _standard_offset_ms(facts["zone"], org),
        "updated_at": _when(user, org).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def identity_body(request: Request, org: Org, user: dict[str, Any]) -> dict[str, Any]:
    """The identity service's answer for ``user``."""
    base = instance_url(request)
    user_id = user["Id"]
    facts = _common(user, org)
    return {
        "id": identity_url(request, org, user_id),
        "asserted_user": True,
        "user_id": user_id,
        "organization_id": org.org_id,
        "username": facts["username"],
        "nick_name": facts["nickname"],
        "display_name": facts["name"],
        "email": facts["email"],
        "email_verified": True,
        "first_name": user.get("FirstName"),
        "last_name": user.get("LastName"),
        "timezone": facts["zone"],
        "photos": {
            "picture": f"{base}/profilephoto/005/F",
            "thumbnail": f"{base}/profilephoto/005/T",
        },
        "addr_street": user.get("Street"),
        "addr_city": user.get("City"),
        "addr_state": user.get("State"),
        "addr_country": user.get("Country"),
        "addr_zip": user.get("PostalCode"),
        "mobile_phone": user.get("MobilePhone"),
        "mobile_phone_verified": False,
        "is_lightning_login_user": False,
        "status": {"created_date": None, "body": None},
        "urls": _urls(base, org, user_id),
        "active": facts["active"],
        "user_type": facts["user_type"],
        "language": facts["language"],
        "locale": facts["locale"],
        "utcOffset": _standard_offset_ms(facts["zone"], org),
        "last_modified_date": _when(user, org)
        .astimezone(dt.UTC)
        .strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
        "is_app_installed": True,
    }


async def userinfo(request: Request) -> Response:
    """``GET|POST /services/oauth2/userinfo``."""
    org = org_of(request)
    user = _token_user(request, org)
    if isinstance(user, Response):
        return user
    return json_response(request, userinfo_body(request, org, user))


async def identity(request: Request) -> Response:
    """``GET /id/{org_id}/{user_id}``: the identity URL of a user of this org."""
    org = org_of(request)
    caller = _token_user(request, org)
    if isinstance(caller, Response):
        return caller
    org_id: str = request.path_params["org_id"]
    if normalize(org_id) != org.org_id:
        return _error(403, "Wrong_Org")
    user_id = normalize(request.path_params["user_id"])
    user = active_user(org, user_id) if user_id else None
    if user is None:
        return _error(404, "Bad_Id")
    return json_response(request, identity_body(request, org, user))
