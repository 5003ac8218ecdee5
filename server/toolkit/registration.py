"""Registering a :class:`~server.toolkit.spec.ToolSpec` on an ``MCPServer``: a flat signature
from the argument model, a portable input schema, the result model as output schema, and short
text for the agent (see :mod:`server.toolkit`); a write whose spec is keyed runs once per
idempotency key (:mod:`server.toolkit.idempotency`), and its output schema has ``replayed``.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import operator
import types
from typing import Annotated, Any, Union, get_args, get_origin

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.utilities.func_metadata import func_metadata
from mcp.types import CallToolResult
from pydantic import BaseModel, Field, PlainValidator, create_model

from server.toolkit.activity import recording
from server.toolkit.agent_text import is_closed, portable_schema, said_with
from server.toolkit.boundary import error_boundary
from server.toolkit.deadline import within_deadline
from server.toolkit.idempotency import write_key
from server.toolkit.spec import Answer, ToolContext, ToolSpec


def _admits_none(annotation: Any) -> bool:
    origin = get_origin(annotation)
    if origin is Annotated:
        return _admits_none(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return any(_admits_none(arm) for arm in get_args(annotation))
    return annotation is None or annotation is type(None)


def with_default(description: str | None, default: Any) -> str:
    """The description, saying the default unless it already does."""
    if description and "default" in description.lower():
        return description
    return said_with(description, f"Default: {json.dumps(default, ensure_ascii=False)}.")


def _parameters(
    model: type[BaseModel], *, nullable_defaults: bool
) -> tuple[list[inspect.Parameter], dict[str, Any]]:
    """One keyword-only parameter per model field, carrying its schema metadata; and the
    fields whose null stands for their default (``nullable_defaults``: strict-mode schemas
    list every property as required, so "use the default" must be sayable)."""
    params = []
    null_means: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        # Annotated[T, *metadata] built at run time; mypy cannot check a computed type.
        annotation: Any = info.annotation
        if info.metadata:
            annotation = operator.getitem(Annotated, (annotation, *info.metadata))
        description = info.description
        default = inspect.Parameter.empty if info.is_required() else info.default
        if default is not inspect.Parameter.empty and default is not None:
            description = with_default(description, default)
            if nullable_defaults and not _admits_none(info.annotation):
                annotation = annotation | None
                null_means[name] = default
        described = Field(description=description, json_schema_extra=info.json_schema_extra)
        params.append(
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=operator.getitem(Annotated, (annotation, described)),
                default=default,
            )
        )
    return params, null_means


class _Absent:
    """An argument the call left out (the SDK hands every parameter over, given or not)."""


_ABSENT = _Absent()


def _absent() -> _Absent:
    return _ABSENT


def _as_given(value: Any) -> Any:
    return value


def _accepting(params: list[inspect.Parameter]) -> list[inspect.Parameter]:
    """``params`` as the SDK is to validate them: anything, left out or not.

    The SDK validates a call against the signature before our code runs and answers a failure
    with pydantic's own dump (the value echoed, a link). So the signature it sees admits any
    value and its absence, and ``call`` validates with the tool's argument model, inside the
    error boundary. Each keeps its type as the annotation: the SDK decides by it whether a
    JSON-encoded string is parsed first (never for a plain ``str``), as before.
    """
    accepting = []
    for param in params:
        annotation = param.annotation
        if get_origin(annotation) is Annotated:
            annotation = get_args(annotation)[0]
        # Annotated[T, ...] built at run time; mypy cannot check a computed type.
        loose = operator.getitem(
            Annotated, (annotation, PlainValidator(_as_given), Field(default_factory=_absent))
        )
        accepting.append(param.replace(annotation=loose, default=inspect.Parameter.empty))
    return accepting


def _input_schema(name: str, params: list[inspect.Parameter]) -> dict[str, Any]:
    """The JSON schema the SDK makes of a function with the signature ``params``."""

    def stand_in() -> None:
        """Only its signature is read."""

    stand_in.__name__ = name
    stand_in.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    metadata = func_metadata(stand_in, structured_output=False)
    return metadata.arg_model.model_json_schema(by_alias=True)


async def _answered(spec: ToolSpec[Any, Any], ctx: ToolContext, args: BaseModel) -> Answer:
    """The handler's answer; for a keyed write, once per idempotency key
    (:mod:`server.toolkit.idempotency`): a repeat gets the first answer, marked replayed."""

    async def run() -> Answer:
        result = await spec.handler(ctx, args)
        return result if isinstance(result, Answer) else Answer.of(result)

    if not spec.keyed_call(args):
        return await run()
    explicit: str | None = getattr(args, "idempotency_key", None)
    arguments = args.model_dump(mode="json", exclude={"idempotency_key"})
    keys = write_key(spec.name, ctx.call.id, arguments, explicit)
    if keys is None:
        return await run()
    services = ctx.services
    return await services.write_keys.once(
        services.store,
        *keys,
        run,
        window_seconds=services.settings.idempotency_hours * 3600,
        keep=lambda answer: {"structured": answer.structured, "text": answer.text},
        replay=_replayed,
    )


def _replayed(kept: dict[str, Any]) -> Answer:
    """A kept answer, said again: ``"replayed": true``, and the text says so."""
    first, newline, rest = str(kept.get("text", "")).partition("\n")
    text = f"{first} (already done: a repeated request; nothing was written again){newline}{rest}"
    return Answer({**kept.get("structured", {}), "replayed": True}, text)


def _replayable(model: type[BaseModel]) -> type[BaseModel]:
    """``model`` with the ``replayed`` flag a repeated write's result carries."""
    flag = Field(
        default=False,
        description="True: this repeats an earlier identical write's result; nothing was "
        "written again.",
    )
    return create_model(
        model.__name__, __base__=model, __module__=model.__module__, replayed=(bool, flag)
    )


def register(server: MCPServer[Any], spec: ToolSpec[Any, Any]) -> None:
    """Add ``spec`` to ``server`` as a tool with flat, described top-level arguments, a portable
    input schema, its result model as output schema, and short text for the agent.

    The input schema is that of the flat signature (one described parameter per field); the
    SDK is given a signature that admits anything (:func:`_accepting`), and the arguments are
    validated by the model inside the error boundary, so a bad one reads like callforce's other
    errors (:func:`~server.toolkit.boundary.validation_message`): one line per problem, naming
    the argument, without its value.
    """
    closed = is_closed(portable_schema(spec.arguments.model_json_schema()))
    params, null_means = _parameters(spec.arguments, nullable_defaults=closed)
    schema = portable_schema(_input_schema(spec.name, params))
    params = _accepting(params)

    async def call(ctx: Context[Any, Any], **given: Any) -> CallToolResult:
        services = ctx.request_context.lifespan_context
        arguments = {name: value for name, value in given.items() if value is not _ABSENT}
        with recording(spec, services, arguments) as notes, error_boundary(spec.name):
            for name, default in null_means.items():
                if name in arguments and arguments[name] is None:
                    arguments[name] = default
            request = ctx.request_context.request  # the HTTP request; None over stdio
            call = services.calls.of_request(
                getattr(request, "headers", None), ctx.request_context.meta
            )
            notes.call_id = call.id
            tool_ctx = ToolContext(services, ctx.report_progress, call)
            args = spec.arguments.model_validate(arguments)
            settings = tool_ctx.services.settings
            answer = await within_deadline(spec, settings, _answered(spec, tool_ctx, args))
            notes.answer = answer
            return answer.result()

    params.append(inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context))
    # The SDK's own way to return our text with a validated structured result: it advertises
    # the Annotated model as outputSchema and checks structured_content against it.
    result = _replayable(spec.result) if spec.may_be_keyed else spec.result
    returns = Annotated[CallToolResult, result]
    call.__name__ = spec.name
    call.__qualname__ = spec.name
    call.__doc__ = spec.description
    call.__signature__ = inspect.Signature(params, return_annotation=returns)  # type: ignore[attr-defined]
    # The SDK finds the Context parameter through the annotations, not the signature.
    call.__annotations__ = {p.name: p.annotation for p in params} | {"return": returns}
    server.add_tool(
        call,
        name=spec.name,
        title=spec.title,
        description=spec.description,
        annotations=spec.annotations,
        structured_output=True,
    )
    # MCPServer 2.3 builds the input schema from the signature, with pydantic's titles and
    # examples, and has no public way to shape it; the registered Tool's ``parameters`` are what
    # tools/list sends (the flat signature's schema, not the accepting one the SDK was given).
    # tests/tools/test_surface.py snapshots the result, so an SDK change that breaks this is
    # seen at once.
    tool = server._tool_manager.get_tool(spec.name)  # private: no public API, see above
    if tool is not None:
        tool.parameters = schema


def unregister(server: MCPServer[Any], name: str) -> None:
    """Remove the tool ``name`` from ``server``; nothing happens when it is not there."""
    with contextlib.suppress(ToolError):  # the SDK's way of saying "no such tool"
        server.remove_tool(name)
