"""The phone call a tool call belongs to, as the voice platform tells it — never as the model
says it.

Voice platforms know things the model must not be trusted with: the call's id and the caller's
number. They send them with each MCP request: Vapi as ``X-Call-Id`` (and any header the operator
fills from call variables, e.g. ``{{customer.number}}``), ElevenLabs and Retell as headers filled
from their dynamic variables, LiveKit and Pipecat agents as fixed headers. A stdio client puts
them in the request's ``_meta`` under ``"callforce/call"`` (an object of the same names).

**Call variables** name them: ``id`` ← ``X-Call-Id`` and ``caller_number`` ← ``X-Caller-Number``
(a phone) unless configured otherwise — by the action file's ``[call]`` table or
``CALLFORCE_CALL_HEADERS`` (a JSON object, name → header). :class:`Call` reads them from one
request: the header first, then ``_meta``. They never appear in a tool's input schema and no
argument can override them; a phone is typed like any phone value (E.164 when it carries a
country code). A tool that needs one the request lacks fails with :class:`CallVariableMissing`,
which names the header to configure; nothing is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from server.errors import InvalidArguments
from server.salesforce.fields import FieldInfo
from server.values import ValueCoercionError, coerce_value

#: Where a client without headers (stdio) puts the call variables in a request's ``_meta``.
META_KEY = "callforce/call"
#: Longest value a call variable may carry.
MAX_VALUE_CHARS = 512

CallType = Literal["text", "phone"]
_UTC = ZoneInfo("UTC")


@dataclass(frozen=True, slots=True)
class CallVariable:
    """One call variable: its name in templates (``call.<name>``), the header the platform
    sends it in, its type, and whether a tool that uses it may run without it."""

    name: str
    header: str | None = None
    type: CallType = "text"
    required: bool = True


#: Call variables there are when nothing is configured.
DEFAULTS: tuple[CallVariable, ...] = (
    CallVariable("id", "X-Call-Id"),
    CallVariable("caller_number", "X-Caller-Number", "phone"),
)


class CallVariableMissing(InvalidArguments):
    """A tool needs a call variable this request did not carry."""

    def __init__(self, variable: CallVariable) -> None:
        self.variable = variable
        where = f"the {variable.header} header" if variable.header else "no header"
        super().__init__(
            f"This tool needs the call's {variable.name}, which the voice platform sends in "
            f'{where} (or in the request\'s _meta "{META_KEY}".{variable.name}); this request '
            "did not carry it. Nothing was sent. The operator must configure the platform to "
            "send it; meanwhile do not ask the caller for it."
        )


class CallVariableInvalid(InvalidArguments):
    """A call variable the platform sent cannot be used as its type says."""

    def __init__(self, variable: CallVariable, problem: str) -> None:
        self.variable = variable
        super().__init__(
            f"The call's {variable.name} the voice platform sent cannot be used ({problem}). "
            "Nothing was sent."
        )


@dataclass(frozen=True, slots=True)
class CallBindings:
    """Which call variables exist and where each comes from."""

    variables: Mapping[str, CallVariable] = field(
        default_factory=lambda: MappingProxyType({v.name: v for v in DEFAULTS})
    )

    @classmethod
    def of(cls, configured: Mapping[str, CallVariable]) -> CallBindings:
        """The defaults, with ``configured`` replacing or adding variables by name."""
        merged = {variable.name: variable for variable in DEFAULTS} | dict(configured)
        return cls(MappingProxyType(merged))

    def extended(self, configured: Mapping[str, CallVariable]) -> CallBindings:
        """These bindings, with ``configured`` replacing or adding variables by name."""
        return CallBindings(MappingProxyType(dict(self.variables) | dict(configured)))

    @classmethod
    def from_headers(cls, mapping: Mapping[str, str]) -> CallBindings:
        """The bindings of ``CALLFORCE_CALL_HEADERS`` (``{"id": "X-Vapi-Call-Id", …}``):
        ``caller_number`` is a phone, the others text."""
        configured = {
            name: CallVariable(
                name, header, "phone" if name == "caller_number" else "text", required=True
            )
            for name, header in mapping.items()
        }
        return cls.of(configured)


@runtime_checkable
class CarriesCallBindings(Protocol):
    """Tools that come with the call variables they read: an action file's tools, whose
    ``[call]`` table :func:`server.app.build_server` serves as the process's bindings."""

    @property
    def call_bindings(self) -> CallBindings:
        """The call variables the tools read."""
        ...


@dataclass(frozen=True, slots=True)
class Call:
    """What the platform said about the call of one request (see the module docstring)."""

    bindings: CallBindings
    #: The request's headers, names lower-cased (empty over stdio).
    headers: Mapping[str, str] = field(default_factory=dict)
    #: The request's ``_meta["callforce/call"]``.
    meta: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of_request(
        cls, bindings: CallBindings, headers: Mapping[str, str] | None, meta: Any
    ) -> Call:
        """The call of a request with these headers and ``_meta``."""
        given = meta.get(META_KEY) if isinstance(meta, Mapping) else None
        return cls(
            bindings,
            {name.lower(): value for name, value in (headers or {}).items()},
            given if isinstance(given, Mapping) else {},
        )

    def variable(self, name: str) -> CallVariable:
        """The binding of ``name`` (an unconfigured name: a text variable with no header)."""
        return self.bindings.variables.get(name) or CallVariable(name)

    def get(self, name: str) -> str | None:
        """The typed value of call variable ``name``, or None when the request lacks it."""
        variable = self.variable(name)
        raw: Any = self.headers.get(variable.header.lower()) if variable.header else None
        if raw is None:
            raw = self.meta.get(name)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        if not isinstance(raw, str | int):
            raise CallVariableInvalid(variable, "it is not text")
        text = str(raw).strip()
        if len(text) > MAX_VALUE_CHARS:
            raise CallVariableInvalid(variable, f"longer than {MAX_VALUE_CHARS} characters")
        if variable.type == "phone":
            return _phone(variable, text)
        return text

    def require(self, name: str) -> str:
        """The value of ``name``; CallVariableMissing (naming the header) when absent."""
        value = self.get(name)
        if value is None:
            raise CallVariableMissing(self.variable(name))
        return value

    @property
    def id(self) -> str | None:
        """The call's id, when the platform sent one."""
        return self.get("id")


def _phone(variable: CallVariable, text: str) -> str:
    field_info = FieldInfo(name=variable.name, label=variable.name, type="phone", length=40)
    try:
        value = coerce_value(field_info, text, tz=_UTC)  # a phone has no time zone
    except ValueCoercionError as exc:
        raise CallVariableInvalid(variable, "not a phone number") from exc
    return str(value)


class Calls:
    """The process's call variable bindings (replaced when the action file's ``[call]`` table
    changes) and the reading of one request's :class:`Call`."""

    def __init__(self, bindings: CallBindings | None = None) -> None:
        self.bindings = bindings or CallBindings()

    def of_request(self, headers: Mapping[str, str] | None, meta: Any) -> Call:
        """The call of a request with these headers and ``_meta``."""
        return Call.of_request(self.bindings, headers, meta)
