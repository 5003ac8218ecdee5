"""Checking an action file against the org: what
:func:`~server.actions.loading.load_actions` cannot tell.

:func:`check_actions` checks each action of an :class:`~server.actions.model.ActionSet` against the
connected org: objects and fields exist (with "did you mean"; a search's ``returning`` too),
external id fields are external ids, fields can be created or updated as the kind needs,
constants and examples fit their fields, and each SOQL variable is quoted as its field's type
needs. Every problem names the
file, the action (its name, or ``#n`` when it has none) and the key. :func:`typing_use` says
which use of a variable, and which field, gives the variable its type.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from server.actions.model import Action, ActionSet, Problem, Use
from server.actions.soql_template import Slot, SoqlTemplate
from server.actions.templating import TextTemplate
from server.errors import UnknownObject
from server.salesforce.client import SalesforceClient
from server.salesforce.describe_cache import DescribeCache
from server.salesforce.fields import FieldInfo, ObjectInfo
from server.values import ValueCoercionError, coerce_value, parse_id

#: Field types whose SOQL literal is quoted, and those written bare.
QUOTED_TYPES = frozenset(
    {"string", "textarea", "email", "phone", "url", "picklist", "multipicklist", "combobox",
     "id", "reference", "encryptedstring"}
)  # fmt: skip
BARE_TYPES = frozenset(
    {"int", "long", "double", "currency", "percent", "boolean", "date", "datetime"}
)
_LIKE_TYPES = QUOTED_TYPES - {"id", "reference", "multipicklist"}


@dataclass(frozen=True, slots=True)
class CheckedAction:
    """An action as the org sees it: its object and the field each use feeds (or None)."""

    action: Action
    object: ObjectInfo | None
    fields: tuple[FieldInfo | None, ...]


@dataclass(frozen=True, slots=True)
class CheckReport:
    """The outcome of :func:`check_actions`: problems (none when ok) and the checked actions."""

    path: Path
    problems: tuple[Problem, ...]
    actions: tuple[CheckedAction, ...]

    @property
    def ok(self) -> bool:
        """True when the file can be served."""
        return not self.problems

    def __str__(self) -> str:
        if self.ok:
            return f"{self.path}: {len(self.actions)} actions, no problems"
        return "\n".join(str(problem) for problem in self.problems)


async def check_actions(
    action_set: ActionSet,
    client: SalesforceClient,
    describe: DescribeCache,
    connection: str | None = None,
) -> CheckReport:
    """Check every action against the org of ``connection`` (else the file's, else default).

    Network and authentication failures are raised (``CallforceError``): nothing was checked.
    """
    conn = connection or action_set.connection
    problems: list[Problem] = []
    checked: list[CheckedAction] = []
    for action in action_set.actions:
        checker = _Checker(action, client, describe, conn)
        result = await checker.run()
        problems += [Problem(str(action_set.path), action.label, w, m) for w, m in checker.found]
        checked.append(result)
    return CheckReport(action_set.path, tuple(problems), tuple(checked))


class _Checker:
    """Checks one action, collecting ``(where, message)`` problems."""

    def __init__(
        self, action: Action, client: SalesforceClient, describe: DescribeCache, conn: str | None
    ) -> None:
        self.action, self.client, self.describe, self.conn = action, client, describe, conn
        self.found: list[tuple[str | None, str]] = []

    async def obj(self, name: str | None, where: str) -> ObjectInfo | None:
        if name is None:
            self.found.append((where, "no FROM object found"))
            return None
        try:
            return await self.describe.get(self.client, name, connection=self.conn)
        except UnknownObject as exc:
            self.found.append((where, exc.message))
            return None

    async def field(self, info: ObjectInfo, path: str, where: str) -> FieldInfo | None:
        """The field at the end of ``path`` (``Account.Name`` follows AccountId)."""
        *hops, last = path.split(".")
        for hop in hops:
            link = next(
                (f for f in info.fields if (f.relationship_name or "").lower() == hop.lower()), None
            )
            target = (
                await self.obj(link.reference_to[0], where) if link and link.reference_to else None
            )
            if target is None:
                self.found.append((where, f"{info.name} has no relationship {hop}"))
                return None
            info = target
        found = info.field(last)
        if found is None:
            hint = " or ".join(info.suggest(last))
            advice = f" — did you mean {hint}?" if hint else ""
            self.found.append((where, f"{info.name} has no field '{last}'{advice}"))
        return found

    async def run(self) -> CheckedAction:
        action, config = self.action, self.action.config
        info = None
        fields: list[FieldInfo | None] = [None] * len(action.uses)
        if config.kind == "search":
            await self._returning()
        elif config.kind == "query" and action.soql is not None:
            info = await self._query(action.soql, fields)
        elif config.kind != "api_call":
            info = await self.obj(config.object, "object")
            if info is not None:
                await self._record(info)
                for index, use in enumerate(action.uses):
                    if use.field is not None:
                        fields[index] = info.field(use.field)
        checked = CheckedAction(action, info, tuple(fields))
        self._examples(checked)
        return checked

    async def _query(self, soql: SoqlTemplate, fields: list[FieldInfo | None]) -> ObjectInfo | None:
        info = await self.obj(soql.sobject, "soql")
        if info is None:
            return None
        if not info.queryable:
            self.found.append(("soql", f"{info.name} records cannot be queried"))
        for path in soql.selected:
            await self.field(info, path, "soql")
        for index, use in enumerate(self.action.uses):
            slot = use.slot
            if slot is None or slot.field is None:
                continue
            scope = info if slot.sobject == soql.sobject else await self.obj(slot.sobject, "soql")
            field = await self.field(scope, slot.field, "soql") if scope else None
            if field is not None:
                fields[index] = field
                self._slot(slot, field)
        return info

    async def _returning(self) -> None:
        """A search's objects and the fields it returns of each."""
        for index, entry in enumerate(self.action.config.returning or ()):
            where = f"returning[{index}]"
            info = await self.obj(entry.object, f"{where}.object")
            if info is None:
                continue
            for path in entry.fields:
                await self.field(info, path, f"{where}.fields")

    def _slot(self, slot: Slot, field: FieldInfo) -> None:
        var, kind = f"{{{{ {slot.variable} }}}}", field.type
        where = "soql"
        if slot.operator == "LIKE":
            if kind not in _LIKE_TYPES:
                self.found.append((where, f"LIKE does not work on the {kind} field {field.name}"))
        elif slot.operator in ("INCLUDES", "EXCLUDES") and kind != "multipicklist":
            self.found.append((where, f"{slot.operator} needs a multi-select picklist field"))
        elif kind in BARE_TYPES and slot.quoted:
            self.found.append((where, f"{field.name} is {kind}: remove the quotes around {var}"))
        elif kind in QUOTED_TYPES and not slot.quoted:
            self.found.append((where, f"{field.name} is {kind}: put {var} in quotes, '{var}'"))
        elif kind not in BARE_TYPES | QUOTED_TYPES:
            self.found.append(
                (where, f"{var} cannot be compared with the {kind} field {field.name}")
            )

    async def _record(self, info: ObjectInfo) -> None:
        config = self.action.config
        operation = {"insert": "create"}.get(
            config.operation or "", config.operation
        ) or config.kind
        key = "records" if config.kind == "bulk" else "data"
        if operation in ("create", "upsert") and not info.createable:
            self.found.append(("object", f"{info.name} records cannot be created"))
        if operation in ("update", "upsert") and not info.updateable:
            self.found.append(("object", f"{info.name} records cannot be updated"))
        template = self.action.template or {}
        named: set[str] = set()
        for name, leaf in template.items():
            if "." in name:
                self.found.append((f"{key}.{name}", "give a field of the object, not a path"))
                continue
            field = await self.field(info, name, f"{key}.{name}")
            if field is None:
                continue
            named.add(field.name)
            allowed = {"create": field.createable, "update": field.updateable}.get(
                operation, field.createable or field.updateable
            )
            if field.type == "id":  # the record's own id: an update's key, or an upsert's
                key_field = (config.external_id_field or "").lower() == "id"
                allowed = (operation == "update" and config.kind == "bulk") or key_field
            if not allowed:
                verb = {"create": "creating", "update": "updating"}.get(operation, "upserting")
                message = f"{field.name} cannot be set when {verb} {info.name} records"
                self.found.append((f"{key}.{name}", message))
            elif not isinstance(leaf, TextTemplate) or leaf.static:
                self._value(
                    field, leaf.source if isinstance(leaf, TextTemplate) else leaf, f"{key}.{name}"
                )
        if operation == "create":
            missing = [f.name for f in info.required_fields() if f.name not in named]
            if missing:
                self.found.append((key, f"{info.name} needs {', '.join(missing)}: add them"))
        ext = config.external_id_field
        if ext is not None:
            field = await self.field(info, ext, "external_id_field")
            if field is not None and not (field.external_id or field.id_lookup):
                usable = ", ".join(f.name for f in info.fields if f.external_id or f.id_lookup)
                message = f"{field.name} is not an external id field; use one of: {usable}"
                self.found.append(("external_id_field", message))
        if self.action.id is not None and self.action.id.static:
            self._id(self.action.id.source)

    def _id(self, text: str) -> None:
        try:
            parse_id(text)
        except ValueCoercionError as exc:
            self.found.append(("id", exc.message))

    def _value(self, field: FieldInfo, value: Any, where: str) -> None:
        try:
            coerce_value(field, value, tz=ZoneInfo("UTC"))
        except ValueCoercionError as exc:
            self.found.append((where, exc.message))

    def _examples(self, checked: CheckedAction) -> None:
        for name, setting in self.action.config.variables.items():
            _, field = typing_use(checked, name)
            for label in ("example", "default"):
                value = getattr(setting, label)
                if value is not None and field is not None:
                    self._value(field, value, f"variables.{name}.{label}")


def typing_use(checked: CheckedAction, variable: str) -> tuple[Use, FieldInfo | None]:
    """The use that types ``variable``, and its field: the first use where the variable is the
    whole value of a field (not a LIKE pattern), else its first use (with no field)."""
    pairs = [
        (use, field)
        for use, field in zip(checked.action.uses, checked.fields, strict=True)
        if use.variable == variable
    ]
    for use, field in pairs:
        if use.whole and field is not None and getattr(use.slot, "operator", None) != "LIKE":
            return use, field
    return pairs[0][0], None
