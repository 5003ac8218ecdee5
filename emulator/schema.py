"""The org's object metadata: typed views over the describes in ``emulator/metadata``.

Every lookup by object, field or relationship name is case-insensitive, as in Salesforce.
The raw describe dicts are kept so that the describe endpoints answer with Salesforce's exact
keys; the typed attributes are what validation and SOQL use.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

#: Field types whose values are text in JSON.
TEXT_TYPES = frozenset(
    {
        "string",
        "textarea",
        "email",
        "phone",
        "url",
        "picklist",
        "multipicklist",
        "combobox",
        "encryptedstring",
    }
)
NUMBER_TYPES = frozenset({"int", "double", "currency", "percent"})


@dataclass(frozen=True, slots=True)
class FieldSchema:
    """One field of an object, with the describe attributes the emulator acts on."""

    name: str
    label: str
    type: str
    length: int
    precision: int
    scale: int
    digits: int
    nillable: bool
    createable: bool
    updateable: bool
    defaulted_on_create: bool
    default_value: Any
    external_id: bool
    unique: bool
    case_sensitive: bool
    id_lookup: bool
    name_field: bool
    calculated: bool
    filterable: bool
    sortable: bool
    groupable: bool
    reference_to: tuple[str, ...]
    relationship_name: str | None
    restricted_picklist: bool
    picklist_values: tuple[str, ...]
    default_picklist_value: str | None
    compound_field_name: str | None
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_describe(cls, raw: Mapping[str, Any]) -> FieldSchema:
        """Build from one entry of a describe's ``fields``."""
        picklist = [p for p in raw.get("picklistValues") or [] if p.get("active", True)]
        default = next((p["value"] for p in picklist if p.get("defaultValue")), None)
        return cls(
            name=raw["name"],
            label=raw.get("label") or raw["name"],
            type=raw["type"],
            length=int(raw.get("length") or 0),
            precision=int(raw.get("precision") or 0),
            scale=int(raw.get("scale") or 0),
            digits=int(raw.get("digits") or 0),
            nillable=bool(raw.get("nillable", True)),
            createable=bool(raw.get("createable", False)),
            updateable=bool(raw.get("updateable", False)),
            defaulted_on_create=bool(raw.get("defaultedOnCreate", False)),
            default_value=raw.get("defaultValue"),
            external_id=bool(raw.get("externalId", False)),
            unique=bool(raw.get("unique", False)),
            case_sensitive=bool(raw.get("caseSensitive", False)),
            id_lookup=bool(raw.get("idLookup", False)),
            name_field=bool(raw.get("nameField", False)),
            calculated=bool(raw.get("calculated", False)),
            filterable=bool(raw.get("filterable", True)),
            sortable=bool(raw.get("sortable", True)),
            groupable=bool(raw.get("groupable", True)),
            reference_to=tuple(raw.get("referenceTo") or ()),
            relationship_name=raw.get("relationshipName"),
            restricted_picklist=bool(raw.get("restrictedPicklist", False)),
            picklist_values=tuple(p["value"] for p in picklist),
            default_picklist_value=default,
            compound_field_name=raw.get("compoundFieldName"),
            raw=raw,
        )

    @property
    def required_on_create(self) -> bool:
        """Salesforce's "required": not nillable, createable, and not defaulted on create."""
        return (
            not self.nillable
            and self.createable
            and not self.defaulted_on_create
            and self.type != "boolean"
        )


@dataclass(frozen=True, slots=True)
class ChildRelationship:
    """A parent-to-child relationship usable in a SOQL subquery (``SELECT … FROM Contacts``)."""

    name: str
    child_sobject: str
    field: str
    cascade_delete: bool


@dataclass(frozen=True, slots=True)
class ObjectSchema:
    """One sObject type: its fields in describe order and its relationships."""

    name: str
    label: str
    label_plural: str
    key_prefix: str
    createable: bool
    updateable: bool
    deletable: bool
    queryable: bool
    fields: Mapping[str, FieldSchema]
    child_relationships: tuple[ChildRelationship, ...]
    raw: Mapping[str, Any] = field(repr=False, compare=False)
    _by_lower: Mapping[str, FieldSchema] = field(repr=False, compare=False, default_factory=dict)
    _by_relationship: Mapping[str, FieldSchema] = field(
        repr=False, compare=False, default_factory=dict
    )
    _children: Mapping[str, ChildRelationship] = field(
        repr=False, compare=False, default_factory=dict
    )

    @classmethod
    def from_describe(cls, raw: Mapping[str, Any]) -> ObjectSchema:
        """Build from a full ``/sobjects/{Obj}/describe`` body."""
        fields = {f["name"]: FieldSchema.from_describe(f) for f in raw["fields"]}
        children = tuple(
            ChildRelationship(
                name=rel["relationshipName"],
                child_sobject=rel["childSObject"],
                field=rel["field"],
                cascade_delete=bool(rel.get("cascadeDelete")),
            )
            for rel in raw.get("childRelationships", [])
            if rel.get("relationshipName")
        )
        return cls(
            name=raw["name"],
            label=raw["label"],
            label_plural=raw.get("labelPlural", raw["label"]),
            key_prefix=raw["keyPrefix"],
            createable=bool(raw.get("createable", True)),
            updateable=bool(raw.get("updateable", True)),
            deletable=bool(raw.get("deletable", True)),
            queryable=bool(raw.get("queryable", True)),
            fields=fields,
            child_relationships=children,
            raw=raw,
            _by_lower={name.lower(): f for name, f in fields.items()},
            _by_relationship={
                f.relationship_name.lower(): f for f in fields.values() if f.relationship_name
            },
            _children={rel.name.lower(): rel for rel in children},
        )

    def field(self, name: str) -> FieldSchema | None:
        """The field called ``name`` (any case), or ``None``."""
        return self._by_lower.get(name.lower())

    def relationship(self, name: str) -> FieldSchema | None:
        """The reference field whose relationship is ``name`` (``Account`` → ``AccountId``)."""
        return self._by_relationship.get(name.lower())

    def child_relationship(self, name: str) -> ChildRelationship | None:
        """The child relationship called ``name`` (``Contacts`` on Account)."""
        return self._children.get(name.lower())


class Schema(Mapping[str, ObjectSchema]):
    """All objects of the org, by name (case-insensitive) and by key prefix."""

    def __init__(self, objects: Mapping[str, ObjectSchema]) -> None:
        self._objects = dict(objects)
        self._by_lower = {name.lower(): obj for name, obj in objects.items()}
        self._by_prefix = {obj.key_prefix: obj for obj in objects.values()}

    def __getitem__(self, name: str) -> ObjectSchema:
        return self._by_lower[name.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._objects)

    def __len__(self) -> int:
        return len(self._objects)

    def get_object(self, name: str) -> ObjectSchema | None:
        """The object called ``name`` (any case), or ``None``."""
        return self._by_lower.get(name.lower())

    def by_key_prefix(self, prefix: str) -> ObjectSchema | None:
        """The object whose ids start with ``prefix``, or ``None``."""
        return self._by_prefix.get(prefix)


def load_schema() -> Schema:
    """The demo org's schema, read from the packaged metadata."""
    folder = resources.files("emulator") / "metadata"
    objects = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            obj = ObjectSchema.from_describe(json.loads(entry.read_text(encoding="utf-8")))
            objects[obj.name] = obj
    return Schema(objects)


class SchemaKey:
    """Hashes a schema by identity, so that a parse cache (SOQL's, SOSL's) can be keyed by it."""

    __slots__ = ("schema",)

    def __init__(self, schema: Schema) -> None:
        self.schema = schema

    def __hash__(self) -> int:
        return id(self.schema)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SchemaKey) and other.schema is self.schema
