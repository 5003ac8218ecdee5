"""The shared machinery of callforce's tools: services, safety presets, one error boundary,
registration. The only module that turns an error into the MCP SDK's ``ToolError``.

A tool is a :class:`ToolSpec`: a name and title, a description an LLM can follow, one of the
annotation presets below, a pydantic model of its arguments, a pydantic model of its result,
and an async handler ``(ToolContext, arguments) -> result``. :func:`register` turns the
argument model into a *flat* signature (one top-level parameter per field, with its
description, bounds and examples), so the JSON schema an agent sees and the validation the SDK
runs come from the same model; the model is validated again inside, so model-level rules run.

**What a handler gets**: a :class:`ToolContext` — the process's :class:`Services` (built once
by the lifespan in :mod:`server.app`) and the call's progress reporter.

**Errors.** Only ``ToolError`` text reaches an MCP client (anything else is sanitised to
"Error executing tool X"). Tools and actions raise :class:`~server.errors.CallforceError`
kinds; every handler runs inside :func:`error_boundary`, which sends:

- a :class:`~server.errors.CallforceError` → its :meth:`~server.errors.CallforceError.for_agent`
  text (safe by construction; for a value coercion: "Nothing was sent …" and one line per
  problem);
- a :class:`pydantic.ValidationError` raised by our own code → one line per error, no input
  echo;
- anything else → logged server-side with its traceback, and the agent gets only
  :data:`INTERNAL_ERROR`.

**Annotations** (MCP hints; each preset sets all four, and each is true of the tools using it):

=================  =========  ===========  ==========  ==========  =========================
preset             read-only  destructive  idempotent  open world  used by
=================  =========  ===========  ==========  ==========  =========================
READ               yes        no           yes         yes         run_query, describe_object
LOCAL_READ         yes        no           yes         no          connection_status
WRITE              no         no           no          yes         create_record
IDEMPOTENT_WRITE   no         yes          yes         yes         update_record, upsert_record
DESTRUCTIVE        no         yes          no          yes         bulk_write, custom_api_call
=================  =========  ===========  ==========  ==========  =========================

"Destructive" follows MCP's meaning: the tool may overwrite or delete what is there (an update
replaces field values), as opposed to only adding.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import operator
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any, Generic, Literal, TypeVar
from zoneinfo import ZoneInfo

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import BaseModel, Field, ValidationError

from server.errors import CallforceError
from server.salesforce.client import SalesforceClient
from server.salesforce.describe_cache import DescribeCache
from server.salesforce.fields import ObjectInfo
from server.settings import Settings
from server.store.interface import ConnectionStore
from server.values import Operation, coerce_record

logger = logging.getLogger("callforce.tools")

#: What the agent hears when something callforce did not foresee went wrong.
INTERNAL_ERROR = "callforce hit an internal error; the call did not complete."


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
    Field(
        description="Name of the connected Salesforce org to use; omit it for the default "
        "connection (connection_status lists them).",
        examples=["production"],
        max_length=64,
    ),
]
ObjectArg = Annotated[
    str,
    Field(
        description="API name of the Salesforce object (sObject), e.g. Contact, Lead, Case or "
        "a custom object such as Invoice__c.",
        examples=["Contact"],
        min_length=1,
        max_length=80,
    ),
]


# -- what a handler gets ---------------------------------------------------------------------


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
class ToolContext:
    """One call: the process's services and the call's progress reporter.

    ``report_progress`` is a no-op when the client did not ask for progress.
    """

    services: Services
    report_progress: ProgressFn


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
    handler: Callable[[ToolContext, ArgsT], Awaitable[ResultT]]
    #: A configured action's tool: the digest of the action file version it was built from
    #: (what the reload watcher compares the file against); None for the generic tools.
    origin: str | None = None

    @property
    def writes(self) -> bool:
        """Whether the tool can change data (left out in read-only mode)."""
        return not self.annotations.read_only_hint


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


# -- the error boundary ----------------------------------------------------------------------


def validation_message(error: ValidationError) -> str:
    """One line per pydantic error, naming where; the rejected input is not echoed."""
    lines = []
    for entry in error.errors(include_url=False, include_input=False):
        where = ".".join(str(part) for part in entry["loc"])
        text = str(entry["msg"]).removeprefix("Value error, ")
        lines.append(f"{where}: {text}" if where else text)
    return "\n".join(lines)


@contextmanager
def error_boundary(tool: str) -> Iterator[None]:
    """Turn what a tool raises into a ``ToolError`` an agent may read (see the module doc)."""
    try:
        yield
    except CallforceError as exc:
        raise ToolError(exc.for_agent()) from None
    except ValidationError as exc:
        raise ToolError(validation_message(exc)) from None
    except Exception:
        # The traceback stays in the server's log (stderr); the agent learns only that it failed.
        logger.exception("tool %s failed unexpectedly", tool)
        raise ToolError(INTERNAL_ERROR) from None


# -- registration ----------------------------------------------------------------------------


def _parameters(model: type[BaseModel]) -> list[inspect.Parameter]:
    """One keyword-only parameter per model field, carrying its schema metadata."""
    params = []
    for name, field in model.model_fields.items():
        described = Field(
            description=field.description,
            examples=field.examples,
            json_schema_extra=field.json_schema_extra,
        )
        # Annotated[T, *metadata] built at run time; mypy cannot check a computed type.
        annotation: Any = operator.getitem(
            Annotated, (field.annotation, *field.metadata, described)
        )
        default = inspect.Parameter.empty if field.is_required() else field.default
        params.append(
            inspect.Parameter(
                name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default
            )
        )
    return params


def register(server: MCPServer[Any], spec: ToolSpec[Any, Any]) -> None:
    """Add ``spec`` to ``server`` as a tool with flat, described top-level arguments."""

    async def call(ctx: Context[Any, Any], **arguments: Any) -> BaseModel:
        with error_boundary(spec.name):
            tool_ctx = ToolContext(ctx.request_context.lifespan_context, ctx.report_progress)
            args = spec.arguments.model_validate(arguments)
            result: BaseModel = await spec.handler(tool_ctx, args)
            return result

    params = _parameters(spec.arguments)
    params.append(inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context))
    call.__name__ = spec.name
    call.__qualname__ = spec.name
    call.__doc__ = spec.description
    call.__signature__ = inspect.Signature(params, return_annotation=spec.result)  # type: ignore[attr-defined]
    # The SDK finds the Context parameter through the annotations, not the signature.
    call.__annotations__ = {p.name: p.annotation for p in params} | {"return": spec.result}
    server.add_tool(
        call,
        name=spec.name,
        title=spec.title,
        description=spec.description,
        annotations=spec.annotations,
        structured_output=True,
    )


def unregister(server: MCPServer[Any], name: str) -> None:
    """Remove the tool ``name`` from ``server``; nothing happens when it is not there."""
    with contextlib.suppress(ToolError):  # the SDK's way of saying "no such tool"
        server.remove_tool(name)
