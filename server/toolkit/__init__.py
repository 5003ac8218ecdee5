"""The shared machinery of callforce's tools: services, safety presets, one error boundary,
registration, and what an agent reads. Its :mod:`~server.toolkit.boundary` is the only place an
error becomes the MCP SDK's ``ToolError``.

- :mod:`~server.toolkit.spec`: ToolSpec, the presets, shared arguments, Services, ToolContext;
- :mod:`~server.toolkit.boundary`: the error boundary;
- :mod:`~server.toolkit.registration`: register/unregister on an ``MCPServer``;
- :mod:`~server.toolkit.agent_text`: result text and portable schemas;
- :mod:`~server.toolkit.idempotency`: writes that survive retries (the registration keeps each
  write of a tool whose ``ToolSpec.keyed`` says so by its idempotency key).

A tool is a :class:`ToolSpec`: a name and title, a description an LLM can follow without the
server's instructions, one of the annotation presets below, a pydantic model of its arguments, a
pydantic model of its result, and an async handler ``(ToolContext, arguments) -> result``.
:func:`register` turns the argument model into a *flat* signature (one top-level parameter per
field, with its description and bounds) whose schema is the one advertised; the SDK is handed
a signature that takes anything, and the call is validated once, by the model, inside the error
boundary — so a bad argument reads like callforce's other errors (one line naming it, no value
echoed, no pydantic link), and the schema and the validation still come from the same model.

**What the agent sees of a tool**: its input schema in the keywords every function-calling
converter accepts (:func:`~.agent_text.portable_schema`: no titles, examples, defaults or
length bounds; closed objects; when nothing in it is free-form, every property required and
the optional ones nullable, as OpenAI's strict mode wants). A field with a default says it in its
description, and then also accepts null for it. The server stays lenient: leaving an optional
argument out still works, and unknown arguments are ignored.

**What the agent reads of a result**: short text, never a dump of the structured content — the
result's own ``agent_text()`` when its model has one (a table of rows, "Created Contact 003…"),
else :func:`~.agent_text.compact_json`; the structured content is the whole result, valid
against the advertised output schema. A handler may return a ready :class:`Answer` (both
forms, e.g. kept with a cached describe) instead of its result model.

**What a handler gets**: a :class:`ToolContext` — the process's :class:`Services` (built once
by the lifespan in :mod:`server.app`) and the call's progress reporter.

**Errors.** Only ``ToolError`` text reaches an MCP client (anything else is sanitised to
"Error executing tool X"). Tools and actions raise :class:`~server.errors.CallforceError`
kinds; every handler runs inside :func:`error_boundary`, which sends:

- a :class:`~server.errors.CallforceError` → its :meth:`~server.errors.CallforceError.for_agent`
  text (safe by construction; for a value coercion: "Nothing was sent …" and one line per
  problem);
- a :class:`pydantic.ValidationError` (the arguments, or one raised by our own code) → one
  line per problem, naming where, no input echo;
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
DESTRUCTIVE        no         yes          no          yes         bulk_write, custom_api_call,
                                                                   log_call
=================  =========  ===========  ==========  ==========  =========================

"Destructive" follows MCP's meaning: the tool may overwrite or delete what is there (an update
replaces field values), as opposed to only adding.
"""

from server.toolkit.boundary import INTERNAL_ERROR, error_boundary, validation_message
from server.toolkit.registration import register, unregister, with_default
from server.toolkit.spec import (
    DESTRUCTIVE,
    IDEMPOTENT_WRITE,
    LOCAL_READ,
    READ,
    WRITE,
    Answer,
    ConnectionArg,
    Derived,
    Expose,
    IdempotencyKeyArg,
    ObjectArg,
    ProgressFn,
    Services,
    ToolContext,
    ToolSpec,
    select_tools,
)

__all__ = [
    "DESTRUCTIVE",
    "IDEMPOTENT_WRITE",
    "INTERNAL_ERROR",
    "LOCAL_READ",
    "READ",
    "WRITE",
    "Answer",
    "ConnectionArg",
    "Derived",
    "Expose",
    "IdempotencyKeyArg",
    "ObjectArg",
    "ProgressFn",
    "Services",
    "ToolContext",
    "ToolSpec",
    "error_boundary",
    "register",
    "select_tools",
    "unregister",
    "validation_message",
    "with_default",
]
