"""Why a connect attempt failed, in words a person can act on.

:class:`ConnectFailed` carries a ``reason`` (one of :data:`REASONS`), a message saying what
happened and a hint saying what to do; nothing is stored when it is raised. The connect page
shows a failure from its ``reason`` alone (:func:`failure_text`), so a forged link can only make
it show one of these fixed texts.

Reasons:

=================  ===================================================================
``input``          what was entered is not usable (the message says what to change)
``denied``         the person chose Deny on Salesforce's consent page
``state_unknown``  the callback's ``state`` was never issued here
``wrong_browser``  the callback came without the cookie of the browser that started it (a
                   link scanner, another browser): refused, and the attempt keeps waiting
``state_used``     the callback's ``state`` was already used
``state_expired``  the attempt is older than 10 minutes
``client``         Salesforce does not know the consumer key, or the secret is wrong
``callback``       the app does not list this callback URL
``exchange``       Salesforce refused the code, or sent an error of its own
``unreachable``    the login host did not answer
``instance``       the answer's ``instance_url`` is not a Salesforce host
``other_org``      a reconnect signed in to a different org than the connection's
=================  ===================================================================
"""

from __future__ import annotations

import logging
import re
from typing import Literal, get_args

from server.errors import CallforceError

_ERROR_CODE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
logger = logging.getLogger("callforce.connect")

Reason = Literal[
    "input",
    "denied",
    "state_unknown",
    "wrong_browser",
    "state_used",
    "state_expired",
    "client",
    "callback",
    "exchange",
    "unreachable",
    "instance",
    "other_org",
]
REASONS: frozenset[str] = frozenset(get_args(Reason))
_FAILURES: dict[str, tuple[str, str]] = {
    "input": ("What was entered cannot be used.", ""),
    "denied": (
        "Access was not granted: Deny was chosen on Salesforce's consent page.",
        "Nothing was saved. To connect, start again and choose Allow.",
    ),
    "state_unknown": (
        "This sign-in did not start on this page (its state is unknown here), so it was refused.",
        "Nothing was saved. Start again with the Connect button, in this browser.",
    ),
    "wrong_browser": (
        "This sign-in link works only in the browser that started the sign-in, and this is "
        "another browser or app (a link scanner or preview, perhaps).",
        "Nothing was used up: open the link in the browser that started the sign-in to finish "
        "connecting, or start again with the Connect button in this one.",
    ),
    "state_used": (
        "This sign-in was already used: each one works once.",
        "Nothing was saved by it. Start again with the Connect button.",
    ),
    "state_expired": (
        "This sign-in took longer than 10 minutes and expired.",
        "Nothing was saved. Start again with the Connect button.",
    ),
    "client": (
        "Salesforce does not accept callforce's app: the consumer key or secret is wrong.",
        "Check CALLFORCE_CLIENT_ID and CALLFORCE_CLIENT_SECRET against the app's consumer key "
        "and secret in Salesforce Setup, restart callforce, and connect again.",
    ),
    "callback": (
        "Salesforce refused the callback URL: the app does not list it.",
        "Add the callback URL shown below to the External Client App's OAuth settings, then "
        "connect again.",
    ),
    "exchange": (
        "Salesforce did not complete the sign-in.",
        "Nothing was saved. Connect again; if it keeps failing, check the app's OAuth settings "
        "(scopes api and refresh_token, PKCE).",
    ),
    "unreachable": (
        "The Salesforce login host did not answer.",
        "Nothing was saved. Check the network (and the My Domain URL), then connect again.",
    ),
    "instance": (
        "Salesforce's answer pointed at a server that is not a Salesforce host, so its tokens "
        "were not used.",
        "Nothing was saved. Check the login URL or My Domain URL you chose, then connect again.",
    ),
    "other_org": (
        "You signed in to a different org than the one this connection belongs to.",
        "Nothing was changed. Reconnect signed in as a user of the connection's own org, or add "
        "the other org as a new connection with its own name.",
    ),
}


def failure_text(reason: str, salesforce_error: str | None = None) -> tuple[str, str]:
    """(what happened, what to do) for a failure ``reason`` and Salesforce's ``error`` code."""
    message, hint = _FAILURES.get(reason, _FAILURES["exchange"])
    if salesforce_error and reason in ("client", "callback", "exchange"):
        message = f"{message} (Salesforce said: {salesforce_error})"
    return message, hint


class ConnectFailed(CallforceError):  # noqa: N818 - names what happened, as the errors tree
    """A connect attempt failed and nothing was stored; ``hint`` says what to do next."""

    def __init__(
        self,
        reason: Reason,
        message: str | None = None,
        hint: str | None = None,
        *,
        salesforce_error: str | None = None,
    ) -> None:
        default_message, default_hint = failure_text(reason, salesforce_error)
        self.reason = reason
        self.hint = hint if hint is not None else default_hint
        self.salesforce_error = salesforce_error
        super().__init__(message or default_message)


def salesforce_code(value: str | None) -> str | None:
    """Salesforce's error code when it looks like one (it is shown on a page)."""
    return value if value and _ERROR_CODE.fullmatch(value) else None


def callback_error(error: str, description: str | None) -> ConnectFailed:
    """The failure for Salesforce's ``error`` code (on the callback or from the token endpoint)."""
    code = salesforce_code(error) or "unknown_error"
    logger.info("connect: Salesforce answered %s", code)
    if code == "access_denied":
        return ConnectFailed("denied")
    if code in ("invalid_client_id", "invalid_client"):
        return ConnectFailed("client", salesforce_error=code)
    if code == "redirect_uri_mismatch":
        return ConnectFailed("callback", salesforce_error=code)
    del description  # Salesforce's free text is not shown: a forged callback could carry any
    return ConnectFailed("exchange", salesforce_error=code)
