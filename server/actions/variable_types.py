"""How an action's variables are typed: the argument model of one action's tool.

Each variable is typed from the Salesforce field it fills, or is compared with in SOQL: email,
date, datetime (formats), numbers with the field's bounds, boolean, picklist (an enum of its
active values; a value is matched as the generic tools match it: any case, or its label),
reference (an id pattern), text (max length, enforced but not advertised: see
:func:`~server.toolkit.agent_text.portable_schema`). A ``type`` in the file wins. A variable's
example, or a combobox's usual values, and its default are said in its description (the
``examples`` and ``default`` keywords are not portable); null stands for the default, or for
"leave it out".

:func:`argument_fields` gives the fields of one action's variables, :func:`arguments_model` the
pydantic model made of them (extra arguments refused).
"""

from __future__ import annotations

import json
import operator
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, create_model

from server.actions.check import CheckedAction, typing_use
from server.actions.model import Use
from server.actions.soql_template import Slot
from server.actions.templating import MAX_VALUE_CHARS
from server.salesforce.fields import FieldInfo
from server.toolkit import with_default
from server.toolkit.agent_text import said_with

ID_PATTERN = r"^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$"
#: Longest value of a search action's variable (what a caller can say to search for).
MAX_SEARCH_VALUE_CHARS = 1000
_EXPLICIT: dict[str, tuple[Any, dict[str, Any]]] = {
    "string": (str, {"max_length": MAX_VALUE_CHARS}),
    "integer": (int, {}),
    "number": (float, {}),
    "boolean": (bool, {}),
    "date": (str, {"max_length": 64, "json_schema_extra": {"format": "date"}}),
    "datetime": (str, {"max_length": 64, "json_schema_extra": {"format": "date-time"}}),
    "email": (str, {"max_length": 254, "json_schema_extra": {"format": "email"}}),
    "id": (str, {"pattern": ID_PATTERN}),
}


def _enum(values: Sequence[str]) -> Any:
    # Literal[...] of run-time values; mypy cannot check a computed type.
    return operator.getitem(Literal, tuple(values))


def _picklist(field: FieldInfo) -> Any:
    """An enum of the field's active values that also takes a value's label, in any case and
    with extra spaces, as the generic tools do (:mod:`server.values.picklists`): "warm" is
    Warm, a label its API value. The schema still lists the values."""

    def named(value: Any) -> Any:
        return (field.picklist_value(value) or value) if isinstance(value, str) else value

    return Annotated[_enum(field.picklist_values), BeforeValidator(named)]


def _split_values(value: Any) -> Any:
    """A multipicklist's values given as one text, "a;b", as a list (what create_record takes)."""
    if isinstance(value, str):
        return [item for item in value.split(";") if item.strip()]
    return value


def _field_type(field: FieldInfo) -> tuple[Any, dict[str, Any]]:
    """The annotation and Field settings of a value that fills ``field``."""
    kind, text = field.type, {"max_length": field.length or MAX_VALUE_CHARS}
    if kind in ("int", "long"):
        bound = 10 ** (field.digits or (9 if kind == "int" else 18)) - 1
        low, high = (
            (max(-bound, -(2**31)), min(bound, 2**31 - 1)) if kind == "int" else (-bound, bound)
        )
        return int, {"ge": low, "le": high}
    if kind in ("double", "currency", "percent"):
        # Inclusive bounds: Gemini's schema has no exclusive ones; a value of exactly the bound
        # is refused by the value coercion, which says the field's digits.
        bound = 10 ** (field.precision - field.scale) if field.precision else None
        return float, {"ge": -bound, "le": bound} if bound else {}
    if kind == "boolean":
        return bool, {}
    if kind in ("picklist", "multipicklist") and field.picklist_values:
        enum = _picklist(field)
        if kind == "multipicklist":
            return Annotated[list[enum], BeforeValidator(_split_values)], {"min_length": 1}  # type: ignore[valid-type]
        return enum, {}
    formats = {"email": "email", "date": "date", "datetime": "date-time", "time": "time"}
    if kind in formats:
        limit = field.length if kind == "email" and field.length else 64
        return str, {"max_length": limit, "json_schema_extra": {"format": formats[kind]}}
    if kind in ("reference", "id"):
        return str, {"pattern": ID_PATTERN}
    if kind == "combobox":
        return str, {**text, "suggested": list(field.picklist_values[:5]) or None}
    return str, text


def _derived(
    use: Use, field: FieldInfo | None, within: FieldInfo | None, sobject: str | None
) -> tuple[Any, dict[str, Any], str]:
    """Type, Field settings and description of a variable from the use that types it.

    ``field`` types the value (the variable is the field's whole value); ``within`` is the field
    the use touches at all (a LIKE pattern, text mixed into a field), for its label and length.
    """
    slot: Slot | None = use.slot
    if slot is not None and slot.operator in ("LIMIT", "OFFSET"):
        bounds = {"ge": 1, "le": 200} if slot.operator == "LIMIT" else {"ge": 0, "le": 2000}
        said = "Most records to return." if slot.operator == "LIMIT" else "Records to skip."
        return int, bounds, said
    if slot is not None and slot.digits is not None:
        said = f"The phone number as heard, in any format, with at least {slot.digits} digits."
        return str, {"min_length": 1, "max_length": 64}, said
    if use.where == "search":
        return str, {"min_length": 1, "max_length": MAX_SEARCH_VALUE_CHARS}, "Words to search for."
    if within is None:
        limit = 1000 if use.where.startswith(("headers", "endpoint")) else MAX_VALUE_CHARS
        return str, {"max_length": limit}, f"Text for {use.where}."
    where = f"{within.label} ({sobject}.{within.name})"
    if field is None:
        text = {"max_length": within.length or MAX_VALUE_CHARS}
        if slot is not None:  # a LIKE pattern
            return str, {"min_length": 1, **text}, f"Text to look for in {where}."
        return str, text, f"Text used in {where}."
    annotation, settings = _field_type(field)
    said = f"The {where} to look for." if slot is not None else f"{where}."
    if field.type == "id" and use.where == "id":
        said = f"The id of the {sobject} record, from a query result."
    elif field.type == "reference":
        said += f" The id of a {' or '.join(field.reference_to[:3])} record, from a query result."
    elif field.type == "date":
        said += " A date, e.g. 2026-03-05."
    elif field.type == "datetime":
        said += " A date and time, e.g. 2026-03-05T14:30:00Z."
    return annotation, settings, said


def argument_fields(checked: CheckedAction) -> dict[str, Any]:
    """``name → (annotation, FieldInfo)`` for create_model, one per variable."""
    action = checked.action
    sobject = action.soql.sobject if action.soql is not None else action.config.object
    out: dict[str, Any] = {}
    for name in action.variables:
        setting = action.setting(name)
        use, field = typing_use(checked, name)
        within = checked.fields[action.uses.index(use)]
        annotation, settings, said = _derived(use, field, within, sobject)
        if setting.type is not None:
            annotation, settings = _EXPLICIT[setting.type]
        settings = {k: v for k, v in settings.items() if v is not None}
        suggested = settings.pop("suggested", None)
        description = _described(setting.description or said, setting.example, suggested)
        typed: Any = Annotated[annotation, Field(**settings)]
        default: Any = ...
        if setting.default is not None:
            # Null stands for the default: strict-mode clients must send every argument.
            typed, default = typed | None, setting.default
            description = with_default(description, setting.default)
        elif setting.required is False:
            typed, default = typed | None, None
        out[name] = (typed, Field(default, description=description))
    return out


def _described(description: str, example: Any, suggested: Sequence[str] | None) -> str:
    """The variable's description with its example (or a combobox's usual values) in it: the
    ``examples`` keyword is not one every LLM converter accepts."""
    if example is not None:
        said = json.dumps(example, ensure_ascii=False)
        if str(example) not in description and said not in description:
            return said_with(description, f"E.g. {said}.")
        return description
    if suggested:
        return said_with(description, f"Usual values: {', '.join(suggested)}.")
    return description


def arguments_model(name: str, fields: dict[str, Any]) -> type[BaseModel]:
    """The arguments model made of ``fields`` (as :func:`argument_fields` gives them); extra
    arguments are refused."""
    config = ConfigDict(extra="forbid")
    model: type[BaseModel] = create_model(name, __config__=config, **fields)
    return model
