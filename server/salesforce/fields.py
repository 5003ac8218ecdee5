"""A typed, immutable view of a Salesforce sObject describe.

`ObjectInfo.from_describe` takes the JSON of ``GET /sobjects/{Object}/describe`` and keeps what
callforce needs to check and coerce values: each field's type, size, permissions, picklist
values and references. Missing keys (trimmed describes) fall back to the most restrictive or
emptiest value, never to an exception.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

__all__ = ["FieldInfo", "ObjectInfo"]

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_NO_PICKLIST: Mapping[str, str] = MappingProxyType({})
#: How alike a name must be (difflib ratio) to be offered as "did you mean …?".
_SUGGEST_CUTOFF = 0.6
_SUGGEST_MAX_CHARS = 100


def _squash(text: str) -> str:
    """Lower-case letters and digits only: "E-mail" and "Email" both become "email"."""
    return _NOT_ALNUM.sub("", text.lower())


def _picklist_key(text: str) -> str:
    """How picklist values are compared: case-folded, whitespace runs collapsed, trimmed."""
    return " ".join(text.split()).casefold()


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _str_tuple(values: Any) -> tuple[str, ...]:
    if not isinstance(values, list | tuple):
        return ()
    return tuple(v for v in values if isinstance(v, str))


@dataclasses.dataclass(frozen=True, slots=True)
class FieldInfo:
    """One field of a describe; ``type`` is Salesforce's describe type ("string", "picklist"…)."""

    name: str
    label: str
    type: str
    length: int = 0
    precision: int = 0
    scale: int = 0
    digits: int = 0
    nillable: bool = True
    createable: bool = False
    updateable: bool = False
    defaulted_on_create: bool = False
    external_id: bool = False
    unique: bool = False
    id_lookup: bool = False
    #: Active picklist API values, in describe order.
    picklist_values: tuple[str, ...] = ()
    #: Labels of ``picklist_values``, index for index.
    picklist_labels: tuple[str, ...] = ()
    restricted_picklist: bool = False
    reference_to: tuple[str, ...] = ()
    relationship_name: str | None = None
    calculated: bool = False
    #: The compound field this one is part of ("BillingAddress" for BillingCity, "Name" for
    #: FirstName); ``None`` for ordinary fields.
    compound_field_name: str | None = None
    _picklist_index: Mapping[str, str] = dataclasses.field(
        init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        index: Mapping[str, str] = _NO_PICKLIST
        if self.picklist_values:
            # Labels first, so that an API value wins over another entry's identical label.
            pairs = zip(self.picklist_labels, self.picklist_values, strict=False)
            built = {_picklist_key(label): value for label, value in pairs}
            built.update((_picklist_key(value), value) for value in self.picklist_values)
            index = MappingProxyType(built)
        object.__setattr__(self, "_picklist_index", index)

    def picklist_value(self, text: str) -> str | None:
        """The active API value that ``text`` names (by value or label, any case), else None."""
        return self._picklist_index.get(_picklist_key(text))

    @property
    def required_on_create(self) -> bool:
        """Salesforce refuses a create without it: not nillable, createable, no default.

        Booleans are never required: they are not nillable but default to false.
        """
        return (
            not self.nillable
            and self.createable
            and not self.defaulted_on_create
            and self.type != "boolean"
        )

    @classmethod
    def from_describe(cls, raw: Mapping[str, Any]) -> FieldInfo:
        """Build from one entry of a describe's ``fields`` list."""
        active = [
            entry
            for entry in raw.get("picklistValues") or ()
            if isinstance(entry, Mapping)
            and entry.get("active", True)
            and isinstance(entry.get("value"), str)
        ]
        name = str(raw["name"])
        compound = raw.get("compoundFieldName")
        relationship = raw.get("relationshipName")
        return cls(
            name=name,
            label=str(raw.get("label") or name),
            type=str(raw.get("type") or "string"),
            length=_int(raw.get("length")),
            precision=_int(raw.get("precision")),
            scale=_int(raw.get("scale")),
            digits=_int(raw.get("digits")),
            nillable=bool(raw.get("nillable", False)),
            createable=bool(raw.get("createable", False)),
            updateable=bool(raw.get("updateable", False)),
            defaulted_on_create=bool(raw.get("defaultedOnCreate", False)),
            external_id=bool(raw.get("externalId", False)),
            unique=bool(raw.get("unique", False)),
            id_lookup=bool(raw.get("idLookup", False)),
            picklist_values=tuple(str(entry["value"]) for entry in active),
            picklist_labels=tuple(str(entry.get("label") or entry["value"]) for entry in active),
            restricted_picklist=bool(raw.get("restrictedPicklist", False)),
            reference_to=_str_tuple(raw.get("referenceTo")),
            relationship_name=relationship if isinstance(relationship, str) else None,
            calculated=bool(raw.get("calculated", False)),
            compound_field_name=compound if isinstance(compound, str) else None,
        )


@dataclasses.dataclass(frozen=True, slots=True)
class ObjectInfo:
    """One sObject's describe: its permissions and its fields in describe order."""

    name: str
    label: str
    fields: tuple[FieldInfo, ...]
    key_prefix: str | None = None
    createable: bool = False
    updateable: bool = False
    deletable: bool = False
    queryable: bool = False
    _index: Mapping[str, FieldInfo] = dataclasses.field(
        init=False, repr=False, compare=False, hash=False
    )
    _required: tuple[FieldInfo, ...] = dataclasses.field(
        init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        index = {f.name.lower(): f for f in self.fields}
        object.__setattr__(self, "_index", MappingProxyType(index))
        object.__setattr__(self, "_required", tuple(f for f in self.fields if f.required_on_create))

    @classmethod
    def from_describe(cls, raw: Mapping[str, Any]) -> ObjectInfo:
        """Build from the JSON body of ``GET /sobjects/{Object}/describe``."""
        name = str(raw["name"])
        prefix = raw.get("keyPrefix")
        return cls(
            name=name,
            label=str(raw.get("label") or name),
            fields=tuple(FieldInfo.from_describe(f) for f in raw.get("fields") or ()),
            key_prefix=prefix if isinstance(prefix, str) else None,
            createable=bool(raw.get("createable", False)),
            updateable=bool(raw.get("updateable", False)),
            deletable=bool(raw.get("deletable", False)),
            queryable=bool(raw.get("queryable", False)),
        )

    def field(self, name: str) -> FieldInfo | None:
        """The field called ``name`` (any case), or ``None`` when the object has none."""
        return self._index.get(name.lower())

    def required_fields(self) -> tuple[FieldInfo, ...]:
        """Fields a create must set (`FieldInfo.required_on_create`), in describe order."""
        return self._required

    def external_id_fields(self) -> tuple[FieldInfo, ...]:
        """Fields marked External ID, in describe order."""
        return tuple(f for f in self.fields if f.external_id)

    def components(self, compound_name: str) -> tuple[FieldInfo, ...]:
        """The fields that make up a compound field (BillingStreet… for BillingAddress)."""
        return tuple(
            f
            for f in self.fields
            if f.compound_field_name == compound_name and f.name != compound_name
        )

    def suggest(self, name: str, *, limit: int = 3) -> list[str]:
        """Field names close to ``name``, best first, for a "did you mean …?".

        Compares case-insensitively against API names and labels, as written and with
        punctuation and spaces removed ("company name" → Company, "E-mail" → Email).
        """
        if len(name) > _SUGGEST_MAX_CHARS:
            return []  # no field name is that long; and difflib's cost grows with the length
        word = _squash(name)
        # A whole word of the label counts too: "zip" → PostalCode ("Zip/Postal Code").
        scores = {
            f.name: _SUGGEST_CUTOFF
            for f in self.fields
            if word and word in _NOT_ALNUM.split(f.label.lower())
        }
        matcher = difflib.SequenceMatcher(autojunk=False)
        for query in _forms((name,)):
            matcher.set_seq2(query)  # difflib caches details about the second sequence
            for f in self.fields:
                for candidate in _forms((f.name, f.label)):
                    matcher.set_seq1(candidate)
                    floor = max(scores.get(f.name, 0.0), _SUGGEST_CUTOFF)
                    # The cheap upper bounds first, as difflib.get_close_matches does.
                    if (
                        matcher.real_quick_ratio() >= floor
                        and matcher.quick_ratio() >= floor
                        and (ratio := matcher.ratio()) >= floor
                    ):
                        scores[f.name] = ratio
        # sorted() is stable: equal scores keep describe order.
        ranked = sorted(scores.items(), key=lambda item: -item[1])
        return [field_name for field_name, _ in ranked[:limit]]


def _forms(texts: Iterable[str]) -> set[str]:
    forms = set()
    for text in texts:
        forms.add(text.strip().lower())
        forms.add(_squash(text))
    forms.discard("")
    return forms
