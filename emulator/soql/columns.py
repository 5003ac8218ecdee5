"""Field paths resolved against the schema, and how to read them from a stored record.

A path is zero or more parent hops (``Account.Owner.``) and a final column. Rules, as in
Salesforce:

- names are case-insensitive; output keys use the schema's spelling;
- a first part equal to the FROM object's name is a qualifier (``Account.Name`` on Account);
- a polymorphic relationship (``Who``, ``What``, ``Owner`` on Case/Lead/Task/Event) leads to the
  ``Name`` entity, which has a fixed set of fields (``Name``, ``Type``, ``Email`` …); its nested
  records have ``attributes.type`` ``"Name"`` and the concrete object in their url;
- a relationship to an object this org has no metadata for (``RecordType``, ``Profile`` …) is
  accepted with any field names, and its values are null (the emulator holds no such records).

Compound fields are read from their components when a record lacks them: an address becomes
Salesforce's ``{"city", "country", "geocodeAccuracy", "latitude", "longitude", "postalCode",
"state", "street"}`` object (null when every component is null), and a person's ``Name`` is
``FirstName LastName``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from emulator.schema import NUMBER_TYPES, TEXT_TYPES, FieldSchema, ObjectSchema, Schema
from emulator.soql.context import Env, Row
from emulator.soql.errors import INVALID_FIELD, LocatedError, no_such_column, unknown_relationship
from emulator.soql.syntax import Path, Pos

Getter = Callable[[Row], Any]

_ADDRESS_KEYS = (
    ("city", "City"),
    ("country", "Country"),
    ("geocodeAccuracy", "GeocodeAccuracy"),
    ("latitude", "Latitude"),
    ("longitude", "Longitude"),
    ("postalCode", "PostalCode"),
    ("state", "State"),
    ("street", "Street"),
)

#: The fields of the polymorphic ``Name`` entity, with their types.
NAME_ENTITY_FIELDS: Mapping[str, str] = MappingProxyType(
    {
        "Id": "id",
        "Name": "string",
        "FirstName": "string",
        "LastName": "string",
        "Alias": "string",
        "Email": "email",
        "Phone": "phone",
        "Title": "string",
        "Type": "picklist",
        "Username": "string",
        "IsActive": "boolean",
        "UserRoleId": "reference",
        "ProfileId": "reference",
        "RecordTypeId": "reference",
        "CommunityNickname": "string",
        "LastReferencedDate": "datetime",
        "LastViewedDate": "datetime",
        "NameOrAlias": "string",
        "SmallPhotoUrl": "url",
        "MediumPhotoUrl": "url",
        "FullPhotoUrl": "url",
    }
)
NAME_ENTITY = "Name"


@dataclass(frozen=True, slots=True)
class Column:
    """The final field of a path: its API name and the describe attributes SOQL checks."""

    name: str
    type: str
    filterable: bool = True
    sortable: bool = True
    groupable: bool = True
    case_sensitive: bool = False
    #: For a compound address: (output key, component field) pairs.
    components: tuple[tuple[str, str], ...] = ()
    #: True for ``Name`` on persons: built from FirstName/LastName when not stored.
    person_name: bool = False
    #: True for ``Type`` on the Name entity: the concrete object's name.
    entity_type: bool = False

    @property
    def category(self) -> str:
        """``string``, ``id``, ``number``, ``boolean``, ``date``, ``datetime`` or ``other``."""
        if self.type in TEXT_TYPES:
            return "string"
        if self.type in ("id", "reference"):
            return "id"
        if self.type in NUMBER_TYPES:
            return "number"
        if self.type in ("boolean", "date", "datetime"):
            return self.type
        return "other"

    @property
    def plain(self) -> bool:
        """True when the value is read as ``record.get(name)``."""
        return not (self.components or self.person_name or self.entity_type)

    def read(self, sobject: str, record: Row) -> Any:
        """This column's value in ``record`` of ``sobject``."""
        if self.entity_type:
            return sobject
        value = record.get(self.name)
        if value is not None or self.name in record:
            return value
        if self.components:
            parts = {key: record.get(field) for key, field in self.components}
            return parts if any(v is not None for v in parts.values()) else None
        if self.person_name:
            words = [record.get("FirstName"), record.get("LastName")]
            return " ".join(w for w in words if w) or None
        return None


def column_of(field: FieldSchema, obj: ObjectSchema) -> Column:
    """The :class:`Column` for a described field of ``obj``."""
    components: list[tuple[str, str]] = []
    if field.type == "address":
        prefix = field.name[: -len("Address")]
        for key, suffix in _ADDRESS_KEYS:
            component = obj.field(prefix + suffix)
            if component is not None:
                components.append((key, component.name))
    return Column(
        name=field.name,
        type=field.type,
        filterable=field.filterable and field.type != "address",
        sortable=field.sortable,
        groupable=field.groupable,
        case_sensitive=field.case_sensitive,
        components=tuple(components),
        person_name=field.name == "Name" and obj.field("LastName") is not None,
    )


@dataclass(frozen=True, slots=True)
class Hop:
    """One parent lookup: read ``field`` (an id), find the record in ``target`` (None: any)."""

    relationship: str
    field: str
    target: str | None
    polymorphic: bool

    @property
    def entity(self) -> str:
        """The ``attributes.type`` of the nested record."""
        return NAME_ENTITY if self.polymorphic else self.target or NAME_ENTITY


@dataclass(frozen=True, slots=True)
class FieldPath:
    """A resolved path: hops from the FROM object, then the column on the last object."""

    hops: tuple[Hop, ...]
    column: Column
    pos: Pos

    @property
    def key(self) -> str:
        """The path with canonical names, for matching equal paths written differently."""
        return ".".join([*(hop.relationship for hop in self.hops), self.column.name]).lower()

    def bind(self, env: Env, sobject: str) -> Getter:
        """A function reading this path's value from a record of ``sobject``."""
        column = self.column
        if not self.hops:
            if column.plain:
                name = column.name
                return lambda record: record.get(name)
            return lambda record: column.read(sobject, record)
        hops = self.hops

        def read(record: Row) -> Any:
            current_type, current = sobject, record
            for hop in hops:
                found = env.parent(hop.target, current.get(hop.field))
                if found is None:
                    return None
                current_type, current = found
            return column.read(current_type, current)

        return read


def resolve(schema: Schema, obj: ObjectSchema, path: Path) -> FieldPath:
    """Resolve ``path`` on ``obj``; INVALID_FIELD (at the path) when a name is unknown."""
    parts = list(path.parts)
    if len(parts) > 1 and parts[0].lower() == obj.name.lower() and not obj.relationship(parts[0]):
        parts.pop(0)
    hops: list[Hop] = []
    current: ObjectSchema | None = obj
    for index, part in enumerate(parts[:-1]):
        if current is None:  # beyond an object without metadata: accept any name
            hops.append(Hop(part, part + "Id", part, False))
            continue
        ref = current.relationship(part)
        if ref is None or ref.relationship_name is None:
            raise LocatedError(path.pos, INVALID_FIELD, unknown_relationship(part))
        polymorphic = len(ref.reference_to) > 1
        if polymorphic and index < len(parts) - 2:
            # The Name entity has no relationships of its own.
            raise LocatedError(path.pos, INVALID_FIELD, unknown_relationship(parts[index + 1]))
        target = None if polymorphic else ref.reference_to[0]
        hops.append(Hop(ref.relationship_name, ref.name, target, polymorphic))
        current = schema.get_object(target) if target else None
    last = parts[-1]
    if current is not None:
        field = current.field(last)
        if field is None:
            raise LocatedError(path.pos, INVALID_FIELD, no_such_column(last, current.name))
        return FieldPath(tuple(hops), column_of(field, current), path.pos)
    if hops[-1].polymorphic:
        canonical = next((n for n in NAME_ENTITY_FIELDS if n.lower() == last.lower()), None)
        if canonical is None:
            raise LocatedError(path.pos, INVALID_FIELD, no_such_column(last, NAME_ENTITY))
        column = Column(
            canonical,
            NAME_ENTITY_FIELDS[canonical],
            person_name=canonical == "Name",
            entity_type=canonical == "Type",
        )
        return FieldPath(tuple(hops), column, path.pos)
    return FieldPath(tuple(hops), Column(last, "string"), path.pos)
