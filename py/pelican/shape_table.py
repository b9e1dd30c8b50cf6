"""The engine's shape table, read from the host: type names and codes, each type's geometry fields
(their JSON paths inside a shape object, order, limits), the paint, opacity and background fields.

The engine owns it (cpp/include/pelican/shape_model.h); this module only reads it, so a new field
or shape type needs no change here. Field names are JSON paths: ``cx`` or ``points[1][0]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from . import _host

_PATH = re.compile(r"^([A-Za-z_]\w*)((?:\[\d+\])*)$")


@dataclass(frozen=True)
class Field:
    name: str
    transform: str
    min: float
    max: float
    exclusive_min: bool
    #: The top-level key of the shape object and the list indices below it.
    key: str
    indices: tuple[int, ...]

    def check(self, value: float) -> str | None:
        """Why ``value`` is out of range, or None."""
        if self.exclusive_min and value <= self.min:
            return "must be positive" if self.min == 0 else f"must be above {self.min:g}"
        if value < self.min or value > self.max:
            return f"{value:g} is outside [{self.min:g}, {self.max:g}]"
        return None

    def put(self, shape: dict[str, Any], value: float) -> None:
        """Writes ``value`` at this field's place in a shape object (its key, then its indices)."""
        if not self.indices:
            shape[self.key] = value
            return
        target = shape[self.key]
        for i in self.indices[:-1]:
            target = target[i]
        target[self.indices[-1]] = value


@dataclass(frozen=True)
class TypeSpec:
    name: str
    code: int
    geometry: tuple[Field, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        """The top-level keys of a shape object of this type, in table order."""
        seen: list[str] = []
        for f in self.geometry:
            if f.key not in seen:
                seen.append(f.key)
        return tuple(seen)

    def shape_of(self, key: str) -> tuple[int, ...]:
        """Nested list lengths under ``key`` (() for a plain number)."""
        dims: list[int] = []
        for f in self.geometry:
            if f.key == key:
                for level, i in enumerate(f.indices):
                    if level == len(dims):
                        dims.append(0)
                    dims[level] = max(dims[level], i + 1)
        return tuple(dims)


def _field(data: Any) -> Field:
    name = str(data["name"])
    match = _PATH.match(name)
    if not match:
        raise ValueError(f"shape table: {name!r} is not a field path")
    indices = tuple(int(i) for i in re.findall(r"\[(\d+)\]", match.group(2)))
    return Field(
        name,
        str(data["transform"]),
        float(data["min"]),
        float(data["max"]),
        bool(data["exclusiveMin"]),
        match.group(1),
        indices,
    )


@dataclass(frozen=True)
class Table:
    types: dict[str, TypeSpec]
    by_code: dict[int, TypeSpec]
    intensity: Field
    color: Field
    opacity: Field
    background: Field
    #: The original's starting pelican, in a unit square: (name, type, values under the gray model).
    initial_pelican: tuple[tuple[str, str, tuple[float, ...]], ...]

    def type(self, name: str) -> TypeSpec:
        return self.types[name]


@lru_cache(maxsize=1)
def table() -> Table:
    data = _host.shape_model()
    types = {}
    for t in data["types"]:
        spec = TypeSpec(str(t["name"]), int(t["code"]), tuple(_field(f) for f in t["geometry"]))
        types[spec.name] = spec
    by_code = {t.code: t for t in types.values()}
    pelican = tuple(
        (str(p["name"]), by_code[int(p["type"])].name, tuple(float(v) for v in p["values"]))
        for p in data["initialPelican"]
    )
    return Table(
        types,
        by_code,
        _field(data["intensity"]),
        _field(data["color"]),
        _field(data["opacity"]),
        _field(data["background"]),
        pelican,
    )


def type_names() -> tuple[str, ...]:
    return tuple(table().types)


def get(data: dict[str, Any], f: Field) -> Any:
    value = data.get(f.key)
    for i in f.indices:
        value = value[i]
    return value
