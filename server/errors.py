# ruff: noqa: N818 - the names say what happened (NotFound, Timeout); "Error" would only add noise
"""callforce's exceptions: one tree, each with a ``message`` that is safe to show an agent.

Every room raises these (values, store, salesforce, tools, actions, connect); only the
toolkit's boundary (:func:`server.toolkit.error_boundary`) turns one into the MCP SDK's
``ToolError``, carrying :meth:`CallforceError.for_agent`. A message never holds a token, a file
path or a traceback; it says what happened and, where it can, what to do next.
``str(error) == error.message``.

::

    CallforceError
    ├── InvalidArguments          the tool's arguments cannot be used as given; nothing was sent
    │   └── ValueCoercionError    values that do not fit their fields (server.values.problems)
    ├── ConnectionNotFound        no connection by that name (names the known ones)
    ├── NeedsReconnect            the org must be connected again (refresh refused, 401 after it)
    ├── OAuthFailure              the token endpoint said no: ``error`` + ``error_description``
    ├── InvalidInstanceUrl        a token response pointed at a host we do not send tokens to
    ├── StoredTokenUnreadable     a stored token does not decrypt (key changed, row tampered)
    ├── StoreUnavailable          the connection store (PostgreSQL) cannot be reached just now
    ├── RequestRefused            callforce will not send this request (path off the instance …)
    ├── SeveralMatches            an upsert's key matched several records; nothing was written
    ├── RenderError               an action's template could not be filled (server.actions)
    ├── ConnectFailed             a sign-in attempt failed (server.connect.errors)
    ├── Timeout                   the call's deadline passed (and whether a write may have happened)
    ├── RenewalFailed             the session could not be renewed now; the connection is kept
    ├── TransportError            Salesforce could not be reached
    ├── OutcomeUnknown            a write was sent, then the connection dropped
    └── SalesforceAPIError        Salesforce answered an error: status, error_code, fields
        ├── InvalidRequest        400 and the other 4xx: MALFORMED_QUERY, INVALID_FIELD, …
        │   └── StaleDescribe     a field we believed in is gone; the describe was dropped
        ├── SessionInvalid        401 INVALID_SESSION_ID (surfaces only when refresh is impossible)
        ├── Forbidden             403
        │   └── RequestLimitExceeded   403 REQUEST_LIMIT_EXCEEDED
        ├── NotFound              404
        │   └── UnknownObject     describe of an object the org does not have
        └── ServerError           5xx, SERVER_UNAVAILABLE

Mapping of Salesforce answers (:func:`error_from_response`; CONTRACT.md §9):

=============================  ==============================
HTTP status / errorCode        class
=============================  ==============================
errorCode SERVER_UNAVAILABLE   ServerError (whatever the status)
400, 405, 409, 410, 412, 415   InvalidRequest (errorCode kept)
401                            SessionInvalid
403 REQUEST_LIMIT_EXCEEDED     RequestLimitExceeded
403 (other codes)              Forbidden
404                            NotFound
500–599                        ServerError
any other status >= 400        SalesforceAPIError
=============================  ==============================
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Self

#: Longest Salesforce message carried into an error (SOQL errors echo the whole query).
_MAX_MESSAGE = 1500


class CallforceError(Exception):
    """Root of every callforce error; ``message`` is plain text safe for the agent."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def for_agent(self) -> str:
        """What the agent reads when this ends a tool call (the message, unless a kind adds)."""
        return self.message

    def with_message(self, message: str) -> Self:
        """The same error (kind, codes, fields) said differently, e.g. in a tool's own words."""
        # Not copy.copy: that re-runs __init__ with ``args``, which most kinds do not take.
        clone = type(self).__new__(type(self), message)
        clone.__dict__.update(self.__dict__)
        clone.message = message
        return clone


class InvalidArguments(CallforceError):
    """The tool's arguments cannot be used as given; nothing was sent. Says what to fix."""


class ConnectionNotFound(CallforceError):
    """No connection by that name, or no default connection; names the known ones."""

    def __init__(self, name: str | None, known: Sequence[str]) -> None:
        self.name = name
        self.known = list(known)
        if not self.known:
            message = "No Salesforce org is connected yet: run `callforce connect`."
        elif name is None:
            message = (
                f"No default Salesforce connection is set; name one of: {', '.join(self.known)}."
            )
        else:
            message = (
                f"There is no Salesforce connection named '{name}'; "
                f"known connections: {', '.join(self.known)}."
            )
        super().__init__(message)


class NeedsReconnect(CallforceError):
    """The connection's tokens no longer work; a person must connect the org again."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(
            f"The Salesforce connection '{name}' needs to be reconnected: run "
            f"`callforce connect --name {name}` or use the connect page."
        )


class OAuthFailure(CallforceError):
    """The OAuth token (or revoke) endpoint refused: Salesforce's ``error`` and description."""

    def __init__(self, error: str, description: str = "") -> None:
        self.error = error
        self.description = description
        detail = f"{error}: {description}" if description else error
        super().__init__(f"Salesforce refused the sign-in ({_clip(detail, 300)}).")

    @property
    def needs_reconnect(self) -> bool:
        """``invalid_grant``: the grant itself is dead; only a new sign-in helps."""
        return self.error == "invalid_grant"


class InvalidInstanceUrl(CallforceError):
    """A token response named an instance that is not https on a Salesforce domain."""

    def __init__(self, instance_url: str) -> None:
        self.instance_url = instance_url
        super().__init__(
            f"Salesforce's sign-in answer named an unexpected instance "
            f"'{_clip(instance_url, 200)}'; it must be https on a Salesforce domain."
        )


class StoredTokenUnreadable(CallforceError):
    """A stored token does not decrypt: the secret key changed, or the row was tampered with."""

    def __init__(self, connection: str) -> None:
        self.connection = connection
        super().__init__(
            f"The stored tokens of connection '{connection}' cannot be decrypted; connect it again."
        )


class StoreUnavailable(CallforceError):
    """The connection store's database (PostgreSQL) could not be reached or did not answer.

    The message never names the database (its URL may hold a password); ``detail`` is libpq's
    reason when the store was being opened (for the command line, not for an agent).
    """

    def __init__(self, detail: str = "") -> None:
        self.detail = detail
        super().__init__(
            "callforce cannot reach its connection database just now. Tell the caller the "
            "system is busy and try again shortly."
        )


class RequestRefused(CallforceError):
    """callforce will not send this request (it would leave the instance or the API).

    ``reason`` says what is wrong with it, e.g. "the endpoint cannot contain '#'".
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"callforce refused the request, nothing was sent: {reason}")


class SeveralMatches(CallforceError):
    """An upsert's external id matched several records (Salesforce's 300); nothing was written."""


class Timeout(CallforceError):
    """The call's deadline passed before Salesforce answered.

    ``operation`` names a write that was sent and may have happened; ``nothing_written`` says
    that no write was sent, so calling again is safe.
    """

    def __init__(
        self, seconds: float, *, operation: str | None = None, nothing_written: bool = False
    ) -> None:
        self.seconds = seconds
        self.operation = operation
        message = f"Salesforce did not answer within {seconds:g} s."
        if operation:
            message += f" The {operation} may or may not have happened; check before retrying."
        elif nothing_written:
            message += " Nothing was written; it is safe to call again."
        super().__init__(message)


class RenewalFailed(CallforceError):
    """The connection's session could not be renewed just now; the connection is kept.

    ``retry_in`` is how long callforce waits before it asks the token endpoint again (a failing
    token endpoint is not asked on every call).
    """

    def __init__(self, name: str, reason: str, *, retry_in: float | None = None) -> None:
        self.name = name
        self.reason = reason
        self.retry_in = retry_in
        when = f" callforce tries again in {retry_in:.0f} s." if retry_in else ""
        super().__init__(
            f"Salesforce did not renew the session of connection '{name}' ({_clip(reason, 200)})."
            f"{when} Tell the caller the system is busy and try again shortly."
        )


class TransportError(CallforceError):
    """Salesforce could not be reached; ``request_sent`` says whether the request went out."""

    def __init__(self, detail: str = "", *, request_sent: bool = False) -> None:
        self.request_sent = request_sent
        message = "Could not reach Salesforce"
        super().__init__(f"{message} ({detail})." if detail else f"{message}.")


class OutcomeUnknown(CallforceError):
    """A non-idempotent write was sent, then the connection dropped before the answer."""

    def __init__(self, operation: str = "write") -> None:
        self.operation = operation
        super().__init__(
            f"The connection to Salesforce dropped after the {operation} was sent. "
            f"The {operation} may or may not have happened; check before retrying, "
            "or use upsert with an external id."
        )


class SalesforceAPIError(CallforceError):
    """Salesforce answered an error status; its first error entry, and all of them."""

    def __init__(
        self,
        status: int,
        error_code: str,
        message: str,
        fields: Sequence[str] = (),
        errors: Sequence[dict[str, Any]] = (),
    ) -> None:
        self.status = status
        self.error_code = error_code
        self.salesforce_message = message
        self.fields = list(fields)
        self.errors = list(errors)
        text = f"Salesforce answered {status} {error_code}: {_clip(message, _MAX_MESSAGE)}"
        if self.fields:
            text += f" (fields: {', '.join(self.fields)})"
        super().__init__(text)


class InvalidRequest(SalesforceAPIError):
    """400 family: the request is wrong (query, field, value); ``error_code`` says how."""

    @property
    def unknown_field(self) -> bool:
        """Salesforce says a field does not exist (a cached describe may be stale)."""
        return self.error_code == "INVALID_FIELD" or "No such column" in self.salesforce_message


class StaleDescribe(InvalidRequest):
    """Salesforce rejected a field our cached describe listed; the describe has been dropped."""

    @classmethod
    def after(cls, error: InvalidRequest, sobject: str) -> StaleDescribe:
        """The stale-describe error for ``error`` (INVALID_FIELD or "No such column")."""
        stale = cls(error.status, error.error_code, error.salesforce_message, error.fields)
        return stale.with_message(
            f"{error.message} callforce's list of {sobject} fields was out of date and has been "
            f"refreshed: check the field names with describe_object and call again."
        )


class SessionInvalid(SalesforceAPIError):
    """401 INVALID_SESSION_ID that a refresh could not cure."""


class Forbidden(SalesforceAPIError):
    """403: the user or org may not do this."""


class RequestLimitExceeded(Forbidden):
    """403 REQUEST_LIMIT_EXCEEDED: an org limit is reached. The daily allowance (``daily``) is
    not retried and is said plainly — used up, nothing done, what to tell the caller —
    with the numbers once :meth:`with_usage` knows them; the concurrent long-request limit
    (``ConcurrentPerOrgLongTxn``) clears in seconds and keeps Salesforce's words."""

    def __init__(
        self,
        status: int,
        error_code: str,
        message: str,
        fields: Sequence[str] = (),
        errors: Sequence[dict[str, Any]] = (),
    ) -> None:
        super().__init__(status, error_code, message, fields, errors)
        if self.daily:
            self.message = _allowance_used_up(None)
            self.args = (self.message,)

    @property
    def daily(self) -> bool:
        """The org's daily API allowance (``TotalRequests``), not the concurrent limit."""
        return "Concurrent" not in self.salesforce_message

    def with_usage(self, used: int, limit: int) -> Self:
        """The same error naming the usage, e.g. "15,000 of 15,000" (the daily one only)."""
        return self.with_message(_allowance_used_up((used, limit))) if self.daily else self


class NotFound(SalesforceAPIError):
    """404: no such record, object or resource."""


class UnknownObject(NotFound):
    """The org has no object by that name; suggests the closest names."""

    def __init__(self, sobject: str, suggestions: Sequence[str] = ()) -> None:
        self.sobject = sobject
        self.suggestions = list(suggestions)
        super().__init__(404, "NOT_FOUND", "The requested resource does not exist")
        hint = f" (did you mean {' or '.join(self.suggestions)}?)" if self.suggestions else ""
        self.message = f"Salesforce has no object named '{_clip(sobject, 80)}'{hint}."
        self.args = (self.message,)


class ServerError(SalesforceAPIError):
    """5xx or SERVER_UNAVAILABLE: Salesforce failed; idempotent calls are retried once."""


def _allowance_used_up(usage: tuple[int, int] | None) -> str:
    numbers = f" ({usage[0]:,} of {usage[1]:,} requests)" if usage else ""
    return (
        f"The Salesforce org's daily API allowance is used up{numbers}, so Salesforce refused "
        "the request (REQUEST_LIMIT_EXCEEDED); nothing was done. Do not retry: tell the caller "
        "the system is unavailable for now and offer a follow-up."
    )


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _entries(body: bytes) -> list[dict[str, Any]]:
    """Salesforce's error array (or a single error object) as a list of dicts."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return []
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        return []
    return [entry for entry in data if isinstance(entry, dict)]


def error_from_response(status: int, body: bytes) -> SalesforceAPIError:
    """The typed error for an answer with status >= 400 (see the table in the module doc)."""
    errors = _entries(body)
    first = errors[0] if errors else {}
    code = first.get("errorCode") or first.get("statusCode") or first.get("error")
    message = first.get("message") or first.get("error_description")
    fields = first.get("fields")
    error_code = str(code) if code else f"HTTP_{status}"
    text = str(message) if message else "(no message)"
    field_names = [str(name) for name in fields] if isinstance(fields, list) else []
    cls: type[SalesforceAPIError]
    if error_code == "SERVER_UNAVAILABLE" or 500 <= status <= 599:
        cls = ServerError
    elif status == 401:
        cls = SessionInvalid
    elif status == 403:
        cls = RequestLimitExceeded if error_code == "REQUEST_LIMIT_EXCEEDED" else Forbidden
    elif status == 404:
        cls = NotFound
    elif 400 <= status <= 499:
        cls = InvalidRequest
    else:
        cls = SalesforceAPIError
    return cls(status, error_code, text, field_names, errors)
