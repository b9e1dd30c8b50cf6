"""Scenes: named shapes in z-order (back to front) with constrained values and freeze flags.

A scene is what users, files, the page and LLM edits see. The engine sees only its raw layout
(``to_raw``), so this module also owns the mapping between the two. The JSON form is the
``pelican-scene`` document described in README.md.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Iterable

from . import untrusted
from .geometry import (
    PARAM_COUNTS,
    TYPE_CODES,
    intensity_raw,
    inv_softplus,
    logit_param,
    sigmoid,
    softplus,
)

FORMAT = "pelican-scene"
VERSION = 1
MAX_SIDE = 4096
MAX_SHAPES = 1000
MAX_NAME = 64
# Radii beyond a few canvases cover everything and only slow the optimiser down.
MAX_RADIUS = 4.0

GEOMETRY_FIELDS = {
    "circle": ("cx", "cy", "r"),
    "ellipse": ("cx", "cy", "rx", "ry", "rotation"),
    "triangle": ("points",),
}


class SceneError(ValueError):
    """Rejected scene input; the message starts with the path of the offending field."""


def _number(value: Any, where: str, lo: float | None = None, hi: float | None = None) -> float:
    # bool is an int in Python, but `true` for a radius is a mistake, not 1.0.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SceneError(f"{where}: expected a number, got {type(value).__name__} {value!r:.40}")
    x = float(value)
    if not math.isfinite(x):
        raise SceneError(f"{where}: {x} is not a finite number")
    if (lo is not None and x < lo) or (hi is not None and x > hi):
        raise SceneError(f"{where}: {x:g} is outside [{lo:g}, {hi:g}]")
    return x


def _name(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SceneError(f"{where}: a shape name must be a non-empty string")
    if len(value) > MAX_NAME:
        raise SceneError(f"{where}: a shape name has at most {MAX_NAME} characters")
    if any(ord(c) < 32 or c in "<>&\"'" for c in value):
        raise SceneError(f"{where}: {value!r} contains control or markup characters")
    return value


@dataclass
class Shape:
    """One primitive. Coordinates are normalised by S = max(width, height), y pointing down."""

    type: str
    name: str
    intensity: float = 0.5
    cx: float | None = None
    cy: float | None = None
    r: float | None = None
    rx: float | None = None
    ry: float | None = None
    rotation: float | None = None
    points: list[list[float]] | None = None
    frozen: bool = False

    def __post_init__(self) -> None:
        self.validate(self.name if isinstance(self.name, str) else "shape")

    def validate(self, where: str) -> "Shape":
        if self.type not in TYPE_CODES:
            raise SceneError(f"{where}.type: {self.type!r} is not one of circle, ellipse, triangle")
        self.name = _name(self.name, f"{where}.name")
        self.intensity = _number(self.intensity, f"{where}.intensity", 0.0, 1.0)
        if not isinstance(self.frozen, bool):
            raise SceneError(f"{where}.frozen: expected true or false")
        wanted = GEOMETRY_FIELDS[self.type]
        for key in ("cx", "cy", "r", "rx", "ry", "rotation", "points"):
            value = getattr(self, key)
            if key not in wanted:
                if value is not None:
                    raise SceneError(f"{where}.{key}: a {self.type} has no {key}")
                continue
            if value is None:
                raise SceneError(f"{where}.{key}: missing (a {self.type} needs {', '.join(wanted)})")
            if key in ("cx", "cy"):
                setattr(self, key, _number(value, f"{where}.{key}", 0.0, 1.0))
            elif key in ("r", "rx", "ry"):
                x = _number(value, f"{where}.{key}", 0.0, MAX_RADIUS)
                if x <= 0.0:
                    raise SceneError(f"{where}.{key}: a radius must be positive")
                setattr(self, key, x)
            elif key == "rotation":
                setattr(self, key, _number(value, f"{where}.{key}", -1e4, 1e4))
            else:
                self.points = _points(value, f"{where}.points")
        return self

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.type}
        for key in GEOMETRY_FIELDS[self.type]:
            value = getattr(self, key)
            out[key] = [list(p) for p in value] if key == "points" else value
        out["intensity"] = self.intensity
        if self.frozen:
            out["frozen"] = True
        return out

    def raw(self) -> list[float]:
        values = [intensity_raw(self.intensity)]
        if self.type == "triangle":
            for x, y in self.points or ():
                values += [logit_param(x), logit_param(y)]
        else:
            values += [logit_param(self.cx), logit_param(self.cy)]  # type: ignore[arg-type]
            if self.type == "circle":
                values.append(inv_softplus(self.r))  # type: ignore[arg-type]
            else:
                values += [inv_softplus(self.rx), inv_softplus(self.ry), self.rotation]  # type: ignore[arg-type, list-item]
        return values

    def with_raw(self, raw: list[float]) -> "Shape":
        """The same shape (name, type, freeze flag) at the constrained values of ``raw``."""
        kw: dict[str, Any] = {"intensity": sigmoid(raw[0])}
        if self.type == "triangle":
            kw["points"] = [[sigmoid(raw[1 + 2 * v]), sigmoid(raw[2 + 2 * v])] for v in range(3)]
        else:
            kw["cx"], kw["cy"] = sigmoid(raw[1]), sigmoid(raw[2])
            if self.type == "circle":
                kw["r"] = softplus(raw[3])
            else:
                kw["rx"], kw["ry"], kw["rotation"] = softplus(raw[3]), softplus(raw[4]), float(raw[5])
        return Shape(self.type, self.name, frozen=self.frozen, **kw)

    def copy(self) -> "Shape":
        return Shape.from_dict(self.to_dict(), self.name)

    @staticmethod
    def from_dict(data: Any, where: str = "shape") -> "Shape":
        if not isinstance(data, dict):
            raise SceneError(f"{where}: a shape must be an object")
        kind = data.get("type")
        if kind not in TYPE_CODES:
            raise SceneError(f"{where}.type: {kind!r} is not one of circle, ellipse, triangle")
        allowed = {"name", "type", "intensity", "frozen", *GEOMETRY_FIELDS[kind]}
        for key in data:
            if key not in allowed:
                raise SceneError(f"{where}.{key}: unknown field for a {kind}")
        if "intensity" not in data:
            raise SceneError(f"{where}.intensity: missing")
        shape = Shape.__new__(Shape)
        shape.type, shape.name = kind, data.get("name")
        shape.intensity, shape.frozen = data["intensity"], data.get("frozen", False)
        for key in ("cx", "cy", "r", "rx", "ry", "rotation", "points"):
            setattr(shape, key, data.get(key))
        return shape.validate(where)


def _points(value: Any, where: str) -> list[list[float]]:
    if not isinstance(value, (list, tuple)) or len(value) != 3:
        raise SceneError(f"{where}: a triangle needs exactly three [x, y] points")
    out = []
    for i, p in enumerate(value):
        if not isinstance(p, (list, tuple)) or len(p) != 2:
            raise SceneError(f"{where}[{i}]: expected [x, y]")
        out.append([_number(p[0], f"{where}[{i}][0]", 0.0, 1.0), _number(p[1], f"{where}[{i}][1]", 0.0, 1.0)])
    return out


# The original's nine-shape starting pelican (spec §2.2), back to front, in a unit square.
INITIAL_PELICAN = (
    {"name": "body", "type": "ellipse", "cx": 0.42, "cy": 0.55, "rx": 0.22, "ry": 0.28, "rotation": -0.3, "intensity": 0.35},
    {"name": "neck", "type": "ellipse", "cx": 0.52, "cy": 0.35, "rx": 0.06, "ry": 0.15, "rotation": -0.2, "intensity": 0.40},
    {"name": "head", "type": "circle", "cx": 0.58, "cy": 0.18, "r": 0.08, "intensity": 0.35},
    {"name": "beak_upper", "type": "triangle", "points": [[0.62, 0.15], [0.62, 0.22], [0.88, 0.20]], "intensity": 0.25},
    {"name": "beak_lower", "type": "triangle", "points": [[0.62, 0.22], [0.88, 0.20], [0.65, 0.28]], "intensity": 0.30},
    {"name": "wing", "type": "ellipse", "cx": 0.38, "cy": 0.50, "rx": 0.18, "ry": 0.15, "rotation": -0.4, "intensity": 0.30},
    {"name": "tail", "type": "triangle", "points": [[0.18, 0.52], [0.25, 0.48], [0.12, 0.60]], "intensity": 0.20},
    {"name": "eye", "type": "circle", "cx": 0.60, "cy": 0.16, "r": 0.015, "intensity": 0.05},
    {"name": "feet", "type": "ellipse", "cx": 0.45, "cy": 0.88, "rx": 0.06, "ry": 0.04, "rotation": 0.0, "intensity": 0.15},
)


@dataclass
class Scene:
    width: int
    height: int
    shapes: list[Shape] = field(default_factory=list)

    def __post_init__(self) -> None:
        for key in ("width", "height"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_SIDE:
                raise SceneError(f"{key}: expected an integer from 1 to {MAX_SIDE}, got {value!r:.40}")
        self.shapes = list(self.shapes)
        self._check_names()

    @property
    def side(self) -> int:
        """S: the side normalised coordinates are divided by."""
        return max(self.width, self.height)

    # -- construction and formats -------------------------------------------------------------

    @staticmethod
    def initial(width: int = 128, height: int | None = None) -> "Scene":
        """The original's starting pelican, fitted into a width x height canvas."""
        height = width if height is None else height
        s = max(width, height)
        ax, ay = width / s, height / s
        k = min(ax, ay)
        shapes = []
        for d in INITIAL_PELICAN:
            d = json.loads(json.dumps(d))
            if "points" in d:
                d["points"] = [[x * ax, y * ay] for x, y in d["points"]]
            else:
                d["cx"], d["cy"] = d["cx"] * ax, d["cy"] * ay
                for key in ("r", "rx", "ry"):
                    if key in d:
                        d[key] *= k
            shapes.append(Shape.from_dict(d))
        return Scene(width, height, shapes)

    @staticmethod
    def from_dict(data: Any) -> "Scene":
        if not isinstance(data, dict):
            raise SceneError("scene: expected a JSON object")
        if data.get("format") != FORMAT:
            raise SceneError(f"format: expected {FORMAT!r}, got {data.get('format')!r:.40}")
        if data.get("version") != VERSION:
            raise SceneError(f"version: this program reads version {VERSION}, got {data.get('version')!r:.20}")
        for key in data:
            if key not in ("format", "version", "width", "height", "shapes"):
                raise SceneError(f"{key}: unknown top-level field")
        shapes = data.get("shapes")
        if not isinstance(shapes, list):
            raise SceneError("shapes: expected a list")
        if len(shapes) > MAX_SHAPES:
            raise SceneError(f"shapes: at most {MAX_SHAPES} shapes, got {len(shapes)}")
        return Scene(data.get("width"), data.get("height"),  # type: ignore[arg-type]
                     [Shape.from_dict(s, f"shapes[{i}]") for i, s in enumerate(shapes)])

    @staticmethod
    def from_json(text: str) -> "Scene":
        try:
            data = untrusted.loads(text)
        except ValueError as e:
            raise SceneError(f"scene: not valid JSON ({e})") from None
        return Scene.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "version": VERSION, "width": self.width, "height": self.height,
                "shapes": [s.to_dict() for s in self.shapes]}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def copy(self) -> "Scene":
        return Scene(self.width, self.height, [s.copy() for s in self.shapes])

    # -- editing ------------------------------------------------------------------------------

    def names(self) -> list[str]:
        return [s.name for s in self.shapes]

    def index(self, name: str) -> int:
        for i, s in enumerate(self.shapes):
            if s.name == name:
                return i
        raise SceneError(f"name: no shape named {name!r}")

    def __getitem__(self, name: str) -> Shape:
        return self.shapes[self.index(name)]

    def __len__(self) -> int:
        return len(self.shapes)

    def add(self, shape: Shape | dict[str, Any], index: int | None = None) -> Shape:
        """Adds on top (or at ``index`` in z-order). Names must stay unique."""
        if isinstance(shape, dict):
            shape = Shape.from_dict(shape)
        shape.validate(shape.name)
        if shape.name in self.names():
            raise SceneError(f"name: a shape named {shape.name!r} already exists")
        if len(self.shapes) >= MAX_SHAPES:
            raise SceneError(f"shapes: at most {MAX_SHAPES} shapes")
        self.shapes.insert(len(self.shapes) if index is None else index, shape)
        return shape

    def remove(self, name: str) -> Shape:
        return self.shapes.pop(self.index(name))

    def reorder(self, name: str, index: int) -> None:
        """Moves a shape to z-position ``index`` (0 = back)."""
        if not -len(self.shapes) <= index < len(self.shapes):
            raise SceneError(f"index: {index} is outside 0..{len(self.shapes) - 1}")
        self.shapes.insert(index % len(self.shapes), self.shapes.pop(self.index(name)))

    def modify(self, name: str, **changes: Any) -> Shape:
        """Changes constrained fields; all or nothing (a bad value leaves the shape untouched)."""
        i = self.index(name)
        data = self.shapes[i].to_dict()
        data.update(changes)
        new = Shape.from_dict(data, name)
        if new.name != name and new.name in self.names():
            raise SceneError(f"name: a shape named {new.name!r} already exists")
        self.shapes[i] = new
        return new

    def freeze(self, name: str, frozen: bool = True) -> None:
        self.shapes[self.index(name)].frozen = bool(frozen)

    def _check_names(self) -> None:
        seen: set[str] = set()
        for i, s in enumerate(self.shapes):
            if not isinstance(s, Shape):
                raise SceneError(f"shapes[{i}]: expected a Shape, got {type(s).__name__}")
            if s.name in seen:
                raise SceneError(f"shapes[{i}].name: {s.name!r} is used twice")
            seen.add(s.name)

    def unique_name(self, stem: str) -> str:
        names, name, n = set(self.names()), stem, 1
        while name in names:
            n += 1
            name = f"{stem}_{n}"
        return name

    # -- the engine's view --------------------------------------------------------------------

    def type_codes(self) -> list[int]:
        return [TYPE_CODES[s.type] for s in self.shapes]

    def to_raw(self) -> list[float]:
        out: list[float] = []
        for s in self.shapes:
            out += s.raw()
        return out

    def frozen_mask(self, extra: Iterable[int] = ()) -> list[int]:
        frozen = set(extra)
        return [1 if s.frozen or i in frozen else 0 for i, s in enumerate(self.shapes)]

    def with_raw(self, raw: Any) -> "Scene":
        """A copy of this scene at the constrained values of the engine's raw parameters."""
        values = [float(v) for v in raw]
        expected = sum(PARAM_COUNTS[s.type] for s in self.shapes)
        if len(values) != expected:
            raise SceneError(f"raw: {len(values)} values for a scene that needs {expected}")
        shapes, o = [], 0
        for s in self.shapes:
            n = PARAM_COUNTS[s.type]
            shapes.append(s.with_raw(values[o:o + n]))
            o += n
        return Scene(self.width, self.height, shapes)
