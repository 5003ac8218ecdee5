"""Salesforce's error answers.

- :class:`SalesforceError` — a REST error: HTTP status + a JSON **array** of
  ``{"message", "errorCode", "fields"?}`` (CONTRACT.md §0, §9).
- :class:`OAuthError` — an OAuth error: HTTP 400 (by default) + a JSON **object**
  ``{"error", "error_description"}`` (CONTRACT.md §1.3).

Route code raises them; the app turns them into responses in one place.
"""

from __future__ import annotations

from typing import Any


class SalesforceError(Exception):
    """A REST API error answer."""

    def __init__(
        self,
        status: int,
        error_code: str,
        message: str,
        fields: list[str] | None = None,
        *,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message
        self.fields = fields
        self.extra = extra or {}

    def body(self) -> list[dict[str, Any]]:
        """The JSON body Salesforce sends for this error."""
        entry: dict[str, Any] = {**self.extra, "message": self.message}
        entry["errorCode"] = self.error_code
        if self.fields is not None:
            entry["fields"] = self.fields
        return [entry]

    def save_result_error(self) -> dict[str, Any]:
        """This error as an entry of a SaveResult's ``errors`` (key ``statusCode``)."""
        return {"statusCode": self.error_code, "message": self.message, "fields": self.fields or []}


class OAuthError(Exception):
    """An OAuth token/revoke endpoint error."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status

    def body(self) -> dict[str, str]:
        """The JSON body Salesforce sends for this error."""
        return {"error": self.error, "error_description": self.description}


def not_found(message: str = "The requested resource does not exist") -> SalesforceError:
    """404 NOT_FOUND with Salesforce's message."""
    return SalesforceError(404, "NOT_FOUND", message)


def invalid_session() -> SalesforceError:
    """401 INVALID_SESSION_ID: no, a bad, an expired or a revoked access token."""
    return SalesforceError(401, "INVALID_SESSION_ID", "Session expired or invalid")


def json_parser_error(message: str) -> SalesforceError:
    """400 JSON_PARSER_ERROR."""
    return SalesforceError(400, "JSON_PARSER_ERROR", message)
