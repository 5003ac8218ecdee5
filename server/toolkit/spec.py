"""What a tool is: :class:`ToolSpec` (name, description, hints, argument and result models,
handler), the annotation presets, the arguments every tool shares, and what a handler gets: a
:class:`ToolContext` holding the process's :class:`Services` and the call's progress reporter.

Nothing here imports the MCP SDK's server side: this is what tools/ build on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Generic, Literal, TypeVar
from zoneinfo import ZoneInfo

from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field

from server.activity.recorder import ActivityRecorder
from server.salesforce.client import SalesforceClient
from server.salesforce.describe_cache import DescribeCache
from server.salesforce.fields import ObjectInfo
from server.settings import Settings
from server.store.interface import ConnectionStore
from server.toolkit.agent_text import compact_json
from server.toolkit.call import Call, CallBindings, Calls
from server.toolkit.idempotency import WriteKeys
from server.values import Operation, coerce_record


def _hints(
    *, read_only: bool, destructive: bool, idempotent: bool, open_world: bool
) -> ToolAnnotations:
    return ToolAnnotations(
        read_only_hint=read_only,
        destructive_hint=destructive,
        idempotent_hint=idempotent,
        open_world_hint=open_world,
    )


READ = _hints(read_only=True, destructive=False, idempotent=True, open_world=True)
LOCAL_READ = _hints(read_only=True, destructive=False, idempotent=True, open_world=False)
WRITE = _hints(read_only=False, destructive=False, idempotent=False, open_world=True)
IDEMPOTENT_WRITE = _hints(read_only=False, destructive=True, idempotent=True, open_world=True)
DESTRUCTIVE = _hints(read_only=False, destructive=True, idempotent=False, open_world=True)

# -- arguments every tool shares -------------------------------------------------------------

ConnectionArg = Annotated[
    str | None,
    Field(description="Connection name, else the default.", max_length=64),
]
ObjectArg = Annotated[
    str,
    Field(description="Object API name, e.g. Lead.", min_length=1, max_length=80),
]
#: A write's own idempotency key (server.toolkit.idempotency); it wins over the derived one.
IdempotencyKeyArg = Annotated[
    str | None,
    Field(
        description="Retry key: a repeat with it returns the first result.",
        min_length=1,
        max_length=200,
    ),
]


# -- what a handler gets ---------------------------------------------------------------------


_T = TypeVar("_T")


class Derived:
    """Values derived from cached objects, each kept while its source is the one cached.

    ``get(key, source, make)`` gives the value made for ``key`` from this very ``source`` object,
    making it again when the cache behind ``source`` has replaced it (a describe read again).
    """

    def __init__(self) -> None:
        self._entries: dict[Hashable, tuple[object, Any]] = {}

    def get(self, key: Hashable, source: object, make: Callable[[], _T]) -> _T:
        """The value of ``make()`` for ``source``, made once per source object."""
        entry = self._entries.get(key)
        if entry is not None and entry[0] is source:
            value: _T = entry[1]
            return value
        value = make()
        self._entries[key] = (source, value)
        return value


@dataclass(frozen=True, slots=True)
class Services:
    """What the server's lifespan builds once per process and every tool call shares.

    ``cursor_key`` signs run_query's cursors (a cursor is valid only on the server that issued
    it).
    """

    settings: Settings
    store: ConnectionStore
    client: SalesforceClient
    describe: DescribeCache
    cursor_key: bytes
    #: What tools derive from cached objects (a describe's rendering), kept with them.
    derived: Derived = field(default_factory=Derived)
    #: Which call variables there are and where each request carries them.
    calls: Calls = field(default_factory=Calls)
    #: The writes in flight in this process, by idempotency key.
    write_keys: WriteKeys = field(default_factory=WriteKeys)
    #: Where each tool call's activity record goes (None: not recorded).
    activity: ActivityRecorder | None = None

    def coerce(
        self,
        info: ObjectInfo,
        data: Mapping[str, Any],
        operation: Operation,
        *,
        external_id_field: str | None = None,
    ) -> dict[str, Any]:
        """``data`` as Salesforce's JSON body for ``operation``, read in the settings' time
        zone and date order (:func:`server.values.coerce_record`)."""
        return coerce_record(
            info,
            data,
            operation=operation,
            tz=ZoneInfo(self.settings.time_zone),
            date_order=self.settings.date_order,
            external_id_field=external_id_field,
        )


ProgressFn = Callable[[float, float | None, str | None], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Answer:
    """A result in both forms: the structured content (the whole result model, dumped) and
    the text the agent reads."""

    structured: dict[str, Any]
    text: str

    @classmethod
    def of(cls, result: BaseModel) -> Answer:
        """``result`` dumped, and said by its ``agent_text()`` (else as compact JSON)."""
        structured = result.model_dump(mode="json", by_alias=True)
        say: Callable[[], str] | None = getattr(result, "agent_text", None)
        return cls(structured, say() if say is not None else compact_json(structured))

    def result(self) -> CallToolResult:
        """The MCP result: the text as the one content block, and the structured content."""
        text = TextContent(type="text", text=self.text)
        return CallToolResult(content=[text], structured_content=self.structured)


@dataclass(frozen=True, slots=True)
class ToolContext:
    """One tool call: the process's services, the call's progress reporter and the phone call
    it belongs to.

    ``report_progress`` is a no-op when the client did not ask for progress.
    """

    services: Services
    report_progress: ProgressFn
    #: What the voice platform said about the phone call (its id, the caller's number …).
    call: Call = field(default_factory=lambda: Call(CallBindings()))


ArgsT = TypeVar("ArgsT", bound=BaseModel)
ResultT = TypeVar("ResultT", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class ToolSpec(Generic[ArgsT, ResultT]):
    """One tool: what the agent sees (name, title, description, hints, schemas) and its handler."""

    name: str
    title: str
    description: str
    annotations: ToolAnnotations
    arguments: type[ArgsT]
    result: type[ResultT]
    handler: Callable[[ToolContext, ArgsT], Awaitable[ResultT | Answer]]
    #: A configured action's tool: the digest of the action file version it was built from
    #: (what the reload watcher compares the file against); None for the generic tools.
    origin: str | None = None
    #: Which deadline a call has: the call's (``CALLFORCE_CALL_DEADLINE_SECONDS``) or, for
    #: writes of many records, the bulk one (``CALLFORCE_BULK_DEADLINE_SECONDS``).
    budget: Literal["call", "bulk"] = "call"
    #: Whether a call of a tool that can write gets an idempotency key
    #: (server.toolkit.idempotency): always, never, or as its arguments decide.
    keyed: bool | Callable[[ArgsT], bool] = True

    @property
    def writes(self) -> bool:
        """Whether the tool can change data (left out in read-only mode)."""
        return not self.annotations.read_only_hint

    @property
    def may_be_keyed(self) -> bool:
        """Whether some call of the tool gets an idempotency key."""
        return self.writes and self.keyed is not False

    def keyed_call(self, args: ArgsT) -> bool:
        """Whether the call with ``args`` gets an idempotency key."""
        if isinstance(self.keyed, bool):
            return self.writes and self.keyed
        return self.writes and self.keyed(args)


#: Which tools a server offers (``CALLFORCE_EXPOSE``): everything, only the configured actions,
#: or only the tools that cannot write.
Expose = Literal["all", "reads", "actions"]


def select_tools(
    generic: Sequence[ToolSpec[Any, Any]],
    actions: Sequence[ToolSpec[Any, Any]],
    *,
    read_only: bool = False,
    expose: Expose = "all",
) -> list[ToolSpec[Any, Any]]:
    """The tools to serve, in order: the generic ones (unless ``actions``), then the actions.

    Read-only mode and ``reads`` keep only the tools whose annotations say they cannot write.
    """
    chosen = [*(() if expose == "actions" else generic), *actions]
    if read_only or expose == "reads":
        chosen = [spec for spec in chosen if not spec.writes]
    return chosen
