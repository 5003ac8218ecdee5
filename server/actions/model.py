"""Action files: what an operator's file holds, as types.

The format is in docs/actions.md. :class:`ActionConfig` is one ``[[action]]`` table as written;
:class:`Action` is the same with its templates compiled and every use of a variable located
(a call variable, ``{{ call.id }}``, is used as ``call.id``); :class:`ActionSet` is a whole
file, with the call variables its ``[call]`` table binds (:mod:`server.actions.call_table`).
Reading and checking a file is :func:`server.actions.loading.load_actions`; checking it against
the connected org is :func:`server.actions.check.check_actions`. A :class:`Problem` names the
file, the action (its name, or ``#n`` when it has none) and the key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from server.actions.soql_template import Slot, SoqlTemplate
from server.actions.sosl_text import MAX_SEARCH_CHARS
from server.actions.templating import TextTemplate
from server.toolkit.call import CallBindings
from tools import ALL_TOOLS
from tools.run_query import BATCH_SIZE

ActionKind = Literal["query", "create", "update", "upsert", "bulk", "api_call", "search"]
VariableType = Literal["string", "integer", "number", "boolean", "date", "datetime", "email", "id"]
GENERIC_TOOL_NAMES = frozenset(spec.name for spec in ALL_TOOLS)
TOOL_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9_]{0,63}")
COMMON_KEYS = frozenset({"name", "kind", "description", "title", "variables"})
#: Keys each kind needs, then the ones it may have besides the common ones.
KIND_KEYS: Mapping[str, tuple[frozenset[str], frozenset[str]]] = {
    "query": (frozenset({"soql"}), frozenset({"max_records"})),
    "create": (frozenset({"object", "data"}), frozenset()),
    "update": (frozenset({"object", "id", "data"}), frozenset()),
    "upsert": (frozenset({"object", "external_id_field", "data"}), frozenset()),
    "bulk": (
        frozenset({"object", "operation", "records"}),
        frozenset({"external_id_field", "all_or_none"}),
    ),
    "api_call": (frozenset({"method", "endpoint"}), frozenset({"headers", "body"})),
    "search": (frozenset({"search", "returning"}), frozenset({"in", "max_records"})),
}
#: An object's API name, and a field's (``Name``, ``Foo__c``) or a path to one (``Account.Name``).
OBJECT_NAME = r"^[A-Za-z][A-Za-z0-9_]{0,79}$"
FIELD_PATH = r"^[A-Za-z][A-Za-z0-9_]{0,79}(\.[A-Za-z][A-Za-z0-9_]{0,79}){0,4}$"
#: Records a query or search action returns when the file does not say.
DEFAULT_MAX_RECORDS = {"query": 25, "search": 10}
#: Objects one search action may return.
MAX_RETURNING = 10


class VariableConfig(BaseModel):
    """``variables.<name>``: how the agent sees one variable."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str | None = Field(default=None, min_length=1, max_length=1000)
    example: Any = None
    default: Any = None
    type: VariableType | None = None
    #: false: the agent may leave it out; a field it alone fills is then not sent.
    required: bool | None = None

    @model_validator(mode="after")
    def _consistent(self) -> VariableConfig:
        if self.default is not None and self.required is not None:
            raise ValueError("give either default or required, not both")
        return self


class ReturningConfig(BaseModel):
    """One ``returning`` entry of a search action: an object, its fields, and what limits it.

    All of it is the operator's, sent as written: nothing here is a template.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    object: str = Field(pattern=OBJECT_NAME)
    fields: list[Annotated[str, Field(pattern=FIELD_PATH)]] = Field(min_length=1, max_length=100)
    #: A SOQL condition on the object's records (``IsConverted = false``).
    where: str | None = Field(default=None, min_length=1, max_length=4000)
    max_records: int | None = Field(default=None, ge=1, le=BATCH_SIZE)


class ActionConfig(BaseModel):
    """One ``[[action]]`` table as written (see docs/actions.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    kind: ActionKind
    #: What the agent reads; without it one is made from the kind and object (see ``summary``).
    description: str | None = Field(default=None, min_length=1, max_length=2000)
    title: str | None = Field(default=None, min_length=1, max_length=100)
    object: str | None = Field(default=None, pattern=OBJECT_NAME)
    soql: str | None = Field(default=None, min_length=1, max_length=20_000)
    #: query and search: most records returned (see ``record_limit``).
    max_records: int | None = Field(default=None, ge=1, le=BATCH_SIZE)
    data: dict[str, Any] | None = None
    id: str | None = None
    external_id_field: str | None = Field(default=None, pattern=OBJECT_NAME)
    operation: Literal["insert", "update", "upsert"] | None = None
    records: dict[str, Any] | None = None
    all_or_none: bool = False
    method: Literal["GET", "POST", "PATCH", "PUT", "DELETE"] | None = None
    endpoint: str | None = Field(default=None, min_length=1, max_length=4000)
    headers: dict[str, str] | None = None
    body: Any = None
    #: search: the text template searched for; where (``in``); the objects and fields returned.
    search: str | None = Field(default=None, min_length=1, max_length=MAX_SEARCH_CHARS)
    search_in: Literal["ALL", "NAME", "EMAIL", "PHONE"] = Field(default="ALL", alias="in")
    returning: list[ReturningConfig] | None = Field(
        default=None, min_length=1, max_length=MAX_RETURNING
    )
    variables: dict[str, VariableConfig] = Field(default_factory=dict)

    @property
    def summary(self) -> str:
        """The description, or a plain one made from what the action does."""
        if self.description:
            return self.description
        made = {
            "query": "Look up records with a configured query.",
            "create": f"Create a {self.object} record.",
            "update": f"Update a {self.object} record by its id.",
            "upsert": f"Create or update a {self.object} record by {self.external_id_field}.",
            "bulk": f"Write several {self.object} records at once ({self.operation}).",
            "api_call": f"Call {self.method} {self.endpoint} on the org.",
            "search": self._search_summary(),
        }
        return made[self.kind]

    @property
    def record_limit(self) -> int:
        """Most records a query or search returns: ``max_records``, else the kind's default."""
        return self.max_records or DEFAULT_MAX_RECORDS.get(self.kind, DEFAULT_MAX_RECORDS["query"])

    @staticmethod
    def toml_key(name: str) -> str:
        """The key a field is written as in the file (``search_in`` is ``in``)."""
        field = ActionConfig.model_fields.get(name)
        return (field.alias if field is not None else None) or name

    def _search_summary(self) -> str:
        names = [entry.object for entry in self.returning or ()]
        objects = " and ".join(filter(None, [", ".join(names[:-1]), *names[-1:]]))
        by = {"ALL": "text in any field", "NAME": "name", "EMAIL": "email address"}
        return f"Search {objects} records by {by.get(self.search_in, 'phone number')}."


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an action file, and where."""

    file: str
    action: str | None
    where: str | None
    message: str

    def __str__(self) -> str:
        place = [self.file] + [f"action {self.action}"] * bool(self.action)
        return ": ".join([*place, *([self.where] if self.where else []), self.message])


class ActionFileError(Exception):
    """An action file that cannot be used; ``problems`` lists every one found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


@dataclass(frozen=True, slots=True)
class Use:
    """One place a variable is used."""

    #: The variable: an argument's name, or ``call.<name>`` for a call variable.
    variable: str
    #: The key it is in: ``data.Email``, ``soql``, ``id``, ``endpoint``, ``headers.X``, ``body.a``,
    #: ``search``.
    where: str
    #: The field (path) it fills or is compared with.
    field: str | None
    #: True when the value is the variable itself (it keeps its type).
    whole: bool
    #: Where a SOQL variable stands (None outside SOQL).
    slot: Slot | None = None


@dataclass(frozen=True, slots=True)
class Action:
    """One action, its templates compiled and every use of a variable located."""

    config: ActionConfig
    label: str
    #: The compiled JSON template of ``data`` (``records`` for bulk, ``body`` for api_call).
    template: Any
    soql: SoqlTemplate | None
    id: TextTemplate | None
    endpoint: TextTemplate | None
    headers: Mapping[str, TextTemplate]
    uses: tuple[Use, ...]
    #: The tool's arguments in order of first use (for bulk: the fields of each record).
    variables: tuple[str, ...]
    #: The call variables it reads (``id`` for ``{{ call.id }}``), in order of first use.
    call_variables: tuple[str, ...] = ()
    #: A search action's text template (each value made plain words: server.actions.sosl_text).
    search: TextTemplate | None = None

    def setting(self, variable: str) -> VariableConfig:
        """The file's ``variables.<variable>``, or the defaults."""
        return self.config.variables.get(variable) or VariableConfig()


@dataclass(frozen=True, slots=True)
class ActionSet:
    """The actions of one file, valid as far as can be told without the org."""

    path: Path
    actions: tuple[Action, ...]
    #: The connection the file's actions use (``connection = "…"``); None: the default one.
    connection: str | None = None
    #: SHA-256 of the file's bytes as read: which version of the file these actions are.
    digest: str = ""
    #: The call variables: the ``[call]`` table over those there are without one.
    call: CallBindings = field(default_factory=CallBindings)
