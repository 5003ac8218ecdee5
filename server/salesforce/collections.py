"""sObject Collections (``/composite/sobjects``): many records in one request, one result each.

A request holds at most :data:`MAX_RECORDS` records (Salesforce's limit); ``allOrNone`` holds
within one request only. Salesforce answers 200 with one result per record, in request order,
even when some failed: ``{"success": true, "id": …, "created"?: …}`` or
``{"success": false, "errors": [{"statusCode", "message", "fields"}]}``. :func:`results` reads
that answer without trusting it: an answer that does not list every record is
:class:`~server.errors.ServerError` ``INVALID_RESPONSE`` (what was saved is then unknown).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from server.errors import InvalidRequest, ServerError
from server.salesforce.answers import json_or_none

#: Records one sObject Collections request may carry.
MAX_RECORDS = 200


@dataclass(frozen=True, slots=True)
class RecordError:
    """Why Salesforce did not save one record: its statusCode, message and fields."""

    code: str
    message: str
    fields: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RecordOutcome:
    """Salesforce's result for one record of a collection request."""

    success: bool
    id: str | None
    created: bool | None
    errors: tuple[RecordError, ...] = field(default=())

    def raise_for_error(self) -> None:
        """The first error as :class:`~server.errors.InvalidRequest` (when it failed)."""
        if self.success:
            return
        first = self.errors[0] if self.errors else RecordError("UNKNOWN_ERROR", "(no message)")
        raise InvalidRequest(400, first.code, first.message or "(no message)", first.fields)


def payload(
    sobject: str, records: Sequence[Mapping[str, Any]], *, all_or_none: bool
) -> dict[str, Any]:
    """The request body: each record typed as ``sobject``."""
    return {
        "allOrNone": all_or_none,
        "records": [{"attributes": {"type": sobject}, **record} for record in records],
    }


def _error(entry: Mapping[str, Any]) -> RecordError:
    return RecordError(
        code=str(entry.get("statusCode") or entry.get("errorCode") or "UNKNOWN_ERROR"),
        message=str(entry.get("message") or ""),
        fields=tuple(str(name) for name in entry.get("fields") or []),
    )


def _outcome(item: Any) -> RecordOutcome:
    item = item if isinstance(item, Mapping) else {}
    record_id = item.get("id")
    created = item.get("created")
    if item.get("success") is True:
        return RecordOutcome(
            success=True,
            id=record_id if isinstance(record_id, str) else None,
            created=created if isinstance(created, bool) else None,
        )
    return RecordOutcome(
        success=False,
        id=None,
        created=None,
        errors=tuple(
            _error(entry) for entry in item.get("errors") or [{}] if isinstance(entry, Mapping)
        ),
    )


def results(response: httpx.Response, count: int) -> list[RecordOutcome]:
    """One outcome per record sent, in order; ``ServerError`` if the answer does not say."""
    answer = json_or_none(response)
    if not isinstance(answer, list) or len(answer) != count:
        raise ServerError(
            response.status_code,
            "INVALID_RESPONSE",
            "the answer did not list every record; query to see what was saved.",
        )
    return [_outcome(item) for item in answer]
