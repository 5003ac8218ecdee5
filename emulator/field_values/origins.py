"""Where a request's values come from, which decides how they are read (see
:mod:`emulator.field_values`): a JSON body, whose parser errors say where the value sits, or
text (Bulk API CSV cells, external ids in a URL).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emulator.field_values.json_location import Locator, json_location
from emulator.field_values.reading import from_json, from_text
from emulator.schema import FieldSchema


@dataclass(frozen=True, slots=True)
class JsonOrigin:
    """Values parsed from a JSON body; ``raw`` and ``path`` place parser errors in the text."""

    raw: bytes | str = b""
    path: tuple[str | int, ...] = ()

    def locator(self, *keys: str) -> Locator:
        """Where the value under ``keys`` sits, computed only if an error needs it."""
        return lambda: json_location(self.raw, (*self.path, *keys))


@dataclass(frozen=True, slots=True)
class TextOrigin:
    """Values given as text: Bulk API CSV cells and external ids in a URL."""


TEXT = TextOrigin()
Origin = JsonOrigin | TextOrigin


def read_value(field: FieldSchema, raw: Any, origin: Origin, *keys: str) -> Any:
    """``raw`` (found under ``keys`` in the body) read as ``field``'s type; ``None`` stays null."""
    if raw is None:
        return None
    if isinstance(origin, TextOrigin):
        if not isinstance(raw, str):  # pragma: no cover - text origins only carry strings
            raise TypeError("text values must be strings")
        return from_text(field, raw)
    return from_json(field, raw, origin.locator(*keys))
