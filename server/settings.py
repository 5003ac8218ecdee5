"""callforce's settings, read once from the environment (prefix ``CALLFORCE_``) at the edge.

The CLI builds one :class:`Settings` and passes it down; nothing below the CLI reads
``os.environ``. Secrets are ``SecretStr``: they never show in a repr, a log line or an error.
Lists (``CALLFORCE_API_TOKENS``, ``CALLFORCE_ALLOWED_HOSTS``) are comma-separated or JSON.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

#: Length of the token encryption key (AES-256).
KEY_BYTES = 32
#: What find_caller searches by default, best first: object → its phone fields.
CALLER_SEARCH: dict[str, tuple[str, ...]] = {
    "Contact": ("Phone", "MobilePhone", "HomePhone", "OtherPhone"),
    "Lead": ("Phone", "MobilePhone"),
    "Account": ("Phone",),
}
#: Names whose values the activity record never keeps (any case, anywhere in the name).
SENSITIVE_NAMES = (
    "password",
    "secret",
    "token",
    "authorization",
    "ssn",
    "social_security",
    "card",
    "cvv",
    "iban",
    "birth",
)
_API_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,79}")


def _default_home() -> Path:
    return Path(platformdirs.user_data_dir("callforce", appauthor=False))


def _split_list(value: Any) -> Any:
    """``a,b`` or ``["a", "b"]`` from the environment; lists pass through."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        return json.loads(text)
    return [item.strip() for item in text.split(",") if item.strip()]


class Settings(BaseSettings):
    """Every setting of callforce. Secrets are never logged or shown."""

    # hide_input_in_errors: a rejected secret must not be echoed in the validation error.
    model_config = SettingsConfigDict(
        env_prefix="CALLFORCE_", extra="ignore", hide_input_in_errors=True
    )

    home: Path = Field(
        default_factory=_default_home,
        description="Where callforce keeps its state: the connection store and the key file.",
    )
    production_login_url: str = Field(
        default="https://login.salesforce.com",
        description="Login host for production and Developer Edition orgs.",
    )
    sandbox_login_url: str = Field(
        default="https://test.salesforce.com", description="Login host for sandbox orgs."
    )
    client_id: str | None = Field(
        default=None, description="Consumer key of the connected app callforce signs in with."
    )
    client_secret: SecretStr | None = Field(
        default=None,
        description="Consumer secret of the connected app (when the app requires one).",
    )
    ca_bundle: Path | None = Field(
        default=None,
        description="Extra CA certificates (PEM) to trust besides the system's, e.g. the "
        "emulator's local CA.",
    )
    database_url: SecretStr | None = Field(
        default=None,
        description="A PostgreSQL URL (`postgresql://user:password@host:5432/db`): keep the "
        "connections, write keys and activity there, shared by every replica, instead of the "
        "SQLite file in the home. Unset: SQLite.",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Token encryption key: 32 random bytes, base64. Without it a key file "
        "`<home>/secret.key` (mode 0600) is generated and used.",
    )
    api_version: str = Field(
        default="62.0",
        pattern=r"^[1-9][0-9]\.0$",
        description="Salesforce REST API version, e.g. 62.0.",
    )
    call_deadline_seconds: float = Field(
        default=4.5,
        gt=0,
        le=120,
        description="The whole of one tool call: describe, session renewal, retries and every "
        "request to Salesforce. Choose it under the voice platform's own tool timeout.",
    )
    bulk_deadline_seconds: float = Field(
        default=60.0,
        gt=0,
        le=3600,
        description="The whole of one bulk_write call (or bulk action); progress is reported "
        "while it runs.",
    )
    idempotency_hours: float = Field(
        default=24,
        gt=0,
        le=24 * 30,
        description="How long a write's idempotency key is kept: a repeat of the write within "
        "it returns the first result instead of writing again.",
    )
    renewal_backoff_seconds: float = Field(
        default=2.0,
        gt=0,
        le=300,
        description="After a failed session renewal, how long before the token endpoint is "
        "asked again (doubling with each failure, at most 5 minutes).",
    )
    connect_timeout_seconds: float = Field(
        default=3.0,
        gt=0,
        le=60,
        description="Timeout for opening a TCP/TLS connection to Salesforce.",
    )
    describe_ttl_seconds: float = Field(
        default=900,
        ge=0,
        description="How long an object's describe is reused before it is re-read.",
    )
    default_connection: str | None = Field(
        default=None,
        description="Connection used when a tool call names none (else the store's default).",
    )
    time_zone: str = Field(
        default="UTC",
        description="The org's IANA time zone: datetimes given without an offset are read in "
        "it, and it says what day today is (log_call's ActivityDate).",
    )
    date_order: Literal["MDY", "DMY"] = Field(
        default="MDY", description="How an ambiguous spoken date such as 03/04 is read."
    )
    http_host: str = Field(
        default="127.0.0.1", description="Bind address of the Streamable HTTP transport."
    )
    http_port: int = Field(default=8000, ge=1, le=65535, description="Port of the HTTP transport.")
    http_stateless: bool = Field(
        default=False,
        description="Serve HTTP without per-client sessions and answer with JSON, so any "
        "replica can answer any request (platforms that connect once per call).",
    )
    api_tokens: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list,
        description="Bearer tokens MCP clients must present over HTTP (required on a public "
        "bind). Never forwarded to Salesforce.",
    )
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Host names the HTTP transport answers to (DNS-rebinding protection).",
    )
    call_headers: dict[str, str] = Field(
        default_factory=dict,
        description="Call variables without an action file's [call] table: a JSON object of "
        'name → request header, e.g. {"id": "X-Call-Id", "caller_number": "X-Caller-Number"} '
        "(those two are the defaults); an action file's [call] table adds to them.",
    )
    caller_search: dict[str, list[str]] = Field(
        default_factory=lambda: {key: list(value) for key, value in CALLER_SEARCH.items()},
        description="What find_caller searches, best first: a JSON object of object → its phone "
        'fields, e.g. {"Contact": ["Phone", "MobilePhone"], "Lead": ["Phone"]}.',
    )
    phone_region: str = Field(
        default="US",
        pattern=r"^[A-Z]{2}$",
        description="The country (ISO 3166 code) a number written without its country code is "
        "read in when find_caller looks a caller up.",
    )
    activity_record: bool = Field(
        default=True,
        description="Record each tool call in the activity record (the /activity page and "
        "`callforce activity`).",
    )
    activity_days: float = Field(
        default=7,
        gt=0,
        le=3650,
        description="How long the activity record (one row per tool call) is kept.",
    )
    activity_values: bool = Field(
        default=False,
        description="Keep each tool call's arguments in the activity record (off: no values, "
        "no SOQL, no caller data), with the fields CALLFORCE_ACTIVITY_REDACT names redacted.",
    )
    activity_redact: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(SENSITIVE_NAMES),
        description="Argument and field names whose values are never kept, even with "
        "CALLFORCE_ACTIVITY_VALUES: a name containing any of these (any case) is redacted.",
    )
    read_only: bool = Field(default=False, description="Expose only tools that do not write.")
    actions: Path | None = Field(
        default=None,
        description="Action file (TOML) whose configured actions are served as tools; it is "
        "reloaded when it changes.",
    )
    expose: Literal["all", "reads", "actions"] = Field(
        default="all",
        description="Which tools are served: `all` (generic tools and actions), `actions` (only "
        "the configured actions) or `reads` (only tools that cannot write).",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="WARNING",
        description="What goes to stderr (`--log-level`). Even DEBUG shows methods, hosts, "
        "paths, statuses and timings, never query strings, bodies, tokens or header values.",
    )
    actions_reload_seconds: float = Field(
        default=2.0,
        ge=0,
        description="How often the action file is checked for changes (0: never reloaded).",
    )

    @field_validator("api_tokens", "allowed_hosts", "activity_redact", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return _split_list(value)

    @field_validator("log_level", mode="before")
    @classmethod
    def _level(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("production_login_url", "sandbox_login_url")
    @classmethod
    def _login_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("a login URL starts with https://")
        return value.rstrip("/")

    @field_validator("caller_search")
    @classmethod
    def _caller_search(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        if not value:
            raise ValueError("name at least one object to search")
        for name, fields in value.items():
            if not _API_NAME.fullmatch(name) or not fields:
                raise ValueError(f"{name!r}: give an object API name and its phone fields")
            if bad := [field for field in fields if not _API_NAME.fullmatch(field)]:
                raise ValueError(f"{name}: {bad[0]!r} is not a field API name")
        return value

    @field_validator("time_zone")
    @classmethod
    def _time_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("database_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: SecretStr | None) -> SecretStr | None:
        # The message never repeats the value: it may hold a password.
        if value is not None and not value.get_secret_value().startswith(
            ("postgresql://", "postgres://")
        ):
            raise ValueError("a database URL starts with postgresql://")
        return value

    @field_validator("secret_key")
    @classmethod
    def _secret_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            decode_key(value.get_secret_value())
        return value


def derived_key(settings: Settings, purpose: str) -> bytes | None:
    """A 32-byte key for ``purpose`` derived from ``CALLFORCE_SECRET_KEY`` (HMAC-SHA256), so
    every process sharing that secret derives the same one; None when the secret is not set."""
    if settings.secret_key is None:
        return None
    secret = decode_key(settings.secret_key.get_secret_value())
    return hmac.new(secret, f"callforce {purpose}".encode(), hashlib.sha256).digest()


def decode_key(text: str) -> bytes:
    """The 32 key bytes of a base64 key (standard or URL-safe alphabet); ValueError if not."""
    raw = text.strip()
    try:
        key = base64.b64decode(raw.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the secret key is not base64") from None
    if len(key) != KEY_BYTES:
        raise ValueError(f"the secret key must be {KEY_BYTES} bytes, base64-encoded")
    return key
