"""Action files: what an operator's file holds, as types.

The format is in docs/actions.md. :class:`ActionConfig` is one ``[[action]]`` table as written;
:class:`Action` is the same with its templates compiled and every use of a variable located;
:class:`ActionSet` is a whole file. Reading and checking a file is
:func:`server.actions.loading.load_actions`; checking it against the connected org is
:func:`server.actions.check.check_actions`. A :class:`Problem` names the file, the action (its
name, or ``#n`` when it has none) and the key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from server.actions.soql_template import Slot, SoqlTemplate
from server.actions.templating import TextTemplate
from tools import ALL_TOOLS
from tools.run_query import BATCH_SIZE

ActionKind = Literal["query", "create", "update", "upsert", "bulk", "api_call"]
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
}


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


class ActionConfig(BaseModel):
    """One ``[[action]]`` table as written (see docs/actions.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    kind: ActionKind
    #: What the agent reads; without it one is made from the kind and object (see ``summary``).
    description: str | None = Field(default=None, min_length=1, max_length=2000)
    title: str | None = Field(default=None, min_length=1, max_length=100)
    object: str | None = Field(default=None, pattern=r"^[A-Za-z][A-Za-z0-9_]{0,79}$")
    soql: str | None = Field(default=None, min_length=1, max_length=20_000)
    max_records: int = Field(default=25, ge=1, le=BATCH_SIZE)
    data: dict[str, Any] | None = None
    id: str | None = None
    external_id_field: str | None = Field(default=None, pattern=r"^[A-Za-z][A-Za-z0-9_]{0,79}$")
    operation: Literal["insert", "update", "upsert"] | None = None
    records: dict[str, Any] | None = None
    all_or_none: bool = False
    method: Literal["GET", "POST", "PATCH", "PUT", "DELETE"] | None = None
    endpoint: str | None = Field(default=None, min_length=1, max_length=4000)
    headers: dict[str, str] | None = None
    body: Any = None
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
        }
        return made[self.kind]


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

    variable: str
    #: The key it is in: ``data.Email``, ``soql``, ``id``, ``endpoint``, ``headers.X``, ``body.a``.
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
