"""Scenes: named shapes in z-order (back to front) over a background, with constrained values
and freeze flags.

A scene is what users, files, the page and LLM edits see. Shape types, their fields and limits
come from the engine's table (``shape_table``); the engine takes the same constrained values in
that table's order (``values``). The JSON form is the ``pelican-scene`` document in README.md.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Iterable

from . import untrusted
from . import shape_table

FORMAT = "pelican-scene"
#: Version 2 adds colour, opacity and the background; a scene without them is written as version 1.
VERSION = 2
READS = (1, 2)
MAX_SIDE = 4096
MAX_SHAPES = 1000
MAX_NAME = 64
WHITE = (1.0, 1.0, 1.0)
#: ITU-R 601 luma: what a colour looks like to a gray engine (and what images.gray() computes).
LUMA = (0.299, 0.587, 0.114)

Color = tuple[float, float, float]


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


def luma(color: Color) -> float:
    return LUMA[0] * color[0] + LUMA[1] * color[1] + LUMA[2] * color[2]


def parse_color(value: Any, where: str) -> Color:
    """``"#rrggbb"`` (what files hold) or ``[r, g, b]`` in [0, 1]."""
    if isinstance(value, str):
        text = value.strip().lower()
        if len(text) == 7 and text[0] == "#" and all(c in "0123456789abcdef" for c in text[1:]):
            return (int(text[1:3], 16) / 255.0, int(text[3:5], 16) / 255.0, int(text[5:7], 16) / 255.0)
        raise SceneError(f"{where}: {value!r:.40} is not a colour (#rrggbb)")
    if isinstance(value, (list, tuple)) and len(value) == 3:
        return tuple(_number(v, f"{where}[{i}]", 0.0, 1.0) for i, v in enumerate(value))  # type: ignore[return-value]
    raise SceneError(f'{where}: expected a colour "#rrggbb", got {type(value).__name__} {value!r:.40}')


def hex_color(color: Color) -> str:
    return "#" + "".join(f"{min(255, max(0, round(255 * c))):02x}" for c in color)


def _check_geometry(kind: str, data: dict[str, Any], where: str) -> dict[str, Any]:
    """The geometry fields of a ``kind`` shape from ``data``, checked against the engine's table."""
    spec = shape_table.table().type(kind)
    out: dict[str, Any] = {}
    for key in spec.keys:
        if data.get(key) is None:
            raise SceneError(f"{where}.{key}: missing (a {kind} needs {', '.join(spec.keys)})")
        dims = spec.shape_of(key)
        out[key] = _nested(data[key], dims, f"{where}.{key}", kind)
    for f in spec.geometry:
        value = _number(shape_table.get(out, f), f"{where}.{f.name}")
        problem = f.check(value)
        if problem:
            noun = "a radius" if f.transform == "positive" else "it"
            raise SceneError(f"{where}.{f.name}: " + (f"{noun} {problem}" if problem.startswith("must") else problem))
    return out


_WORDS = {2: "two", 3: "three", 4: "four"}


def _nested(value: Any, dims: tuple[int, ...], where: str, kind: str) -> Any:
    """``value`` checked to be nested lists of lengths ``dims`` (a number when dims is empty)."""
    if not dims:
        return value
    if not isinstance(value, (list, tuple)) or len(value) != dims[0]:
        if len(dims) == 2:
            coords = ", ".join("xyzw"[: dims[1]])
            raise SceneError(f"{where}: a {kind} needs exactly {_WORDS.get(dims[0], dims[0])} [{coords}] points")
        raise SceneError(f"{where}: expected a list of {dims[0]}")
    if len(dims) == 2:
        for i, item in enumerate(value):
            if not isinstance(item, (list, tuple)) or len(item) != dims[1]:
                raise SceneError(f"{where}[{i}]: expected [{', '.join('xyzw'[: dims[1]])}]")
    return [_nested(v, dims[1:], f"{where}[{i}]", kind) for i, v in enumerate(value)]


class Shape:
    """One primitive: its type, name, paint (gray intensity or an RGB colour), opacity and
    geometry. Coordinates are normalised by S = max(width, height), y pointing down. Geometry
    fields are those of the engine's table (``shape.cx``, ``shape.points``)."""

    def __init__(
        self,
        type: str,
        name: str,
        intensity: float = 0.5,
        *,
        color: Color | None = None,
        opacity: float = 1.0,
        frozen: bool = False,
        **geometry: Any,
    ) -> None:
        object.__setattr__(self, "geometry", {})
        self.type, self.name, self.frozen = type, name, frozen
        self.intensity, self.color, self.opacity = intensity, color, opacity
        self.geometry.update(geometry)
        self.validate(name if isinstance(name, str) else "shape")

    def __getattr__(self, key: str) -> Any:
        geometry = self.__dict__.get("geometry")
        if geometry is not None and key in geometry:
            return geometry[key]
        # Another type's geometry field reads as None (a circle has no rx), as it always did.
        if not key.startswith("_") and any(key in t.keys for t in shape_table.table().types.values()):
            return None
        raise AttributeError(key)

    def __setattr__(self, key: str, value: Any) -> None:
        if key in self.__dict__.get("geometry", {}):
            self.geometry[key] = value
        else:
            object.__setattr__(self, key, value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Shape) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"Shape({self.to_dict()!r})"

    def validate(self, where: str) -> "Shape":
        if self.type not in shape_table.type_names():
            raise SceneError(f"{where}.type: {self.type!r} is not one of {', '.join(shape_table.type_names())}")
        self.name = _name(self.name, f"{where}.name")
        if self.color is not None:
            self.color = parse_color(self.color, f"{where}.color")
            self.intensity = luma(self.color)
        self.intensity = _number(self.intensity, f"{where}.intensity", 0.0, 1.0)
        self.opacity = _number(self.opacity, f"{where}.opacity", 0.0, 1.0)
        if not isinstance(self.frozen, bool):
            raise SceneError(f"{where}.frozen: expected true or false")
        spec = shape_table.table().type(self.type)
        for key in self.geometry:
            if key not in spec.keys:
                raise SceneError(f"{where}.{key}: a {self.type} has no {key}")
        checked = _check_geometry(self.type, self.geometry, where)
        object.__setattr__(self, "geometry", {k: _floats(v) for k, v in checked.items()})
        return self

    @property
    def paint(self) -> Color:
        """The shape's colour (a gray shape's three equal channels)."""
        return self.color if self.color is not None else (self.intensity,) * 3

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.type}
        for key, value in self.geometry.items():
            out[key] = _copy(value)
        if self.color is None:
            out["intensity"] = self.intensity
        else:
            out["color"] = hex_color(self.color)
        if self.opacity != 1.0:
            out["opacity"] = self.opacity
        if self.frozen:
            out["frozen"] = True
        return out

    def copy(self) -> "Shape":
        shape = Shape.__new__(Shape)
        object.__setattr__(shape, "geometry", {k: _copy(v) for k, v in self.geometry.items()})
        for key in ("type", "name", "intensity", "color", "opacity", "frozen"):
            object.__setattr__(shape, key, getattr(self, key))
        return shape

    # -- the engine's view: constrained values in the table's order ---------------------------

    def values(self, channels: int, opacity: bool) -> list[float]:
        out = [self.intensity] if channels == 1 else list(self.paint)
        if opacity:
            out.append(self.opacity)
        for f in shape_table.table().type(self.type).geometry:
            out.append(float(shape_table.get(self.geometry, f)))
        return out

    def value_count(self, channels: int, opacity: bool) -> int:
        return channels + (1 if opacity else 0) + len(shape_table.table().type(self.type).geometry)

    def with_values(self, values: Any, channels: int, opacity: bool) -> "Shape":
        """The same shape (name, type, freeze flag) at the engine's constrained ``values``."""
        shape = self.copy()
        if channels == 1:
            shape.intensity = float(values[0])
            shape.color = None  # a colour shape fitted in gray becomes gray
        else:
            shape.color = (float(values[0]), float(values[1]), float(values[2]))
            shape.intensity = luma(shape.color)
        o = channels
        if opacity:
            shape.opacity = float(values[o])
            o += 1
        for i, f in enumerate(shape_table.table().type(self.type).geometry):
            f.put(shape.geometry, float(values[o + i]))
        return shape

    @staticmethod
    def from_values(kind: str, name: str, values: Any, channels: int, opacity: bool) -> "Shape":
        """A new ``kind`` shape at the engine's constrained ``values`` (paint, opacity, geometry)."""
        spec = shape_table.table().type(kind)
        shape = Shape.__new__(Shape)
        object.__setattr__(shape, "geometry", {key: _zeros(spec.shape_of(key)) for key in spec.keys})
        for key, value in (
            ("type", kind),
            ("name", name),
            ("intensity", 0.5),
            ("color", None),
            ("opacity", 1.0),
            ("frozen", False),
        ):
            object.__setattr__(shape, key, value)
        return shape.with_values(values, channels, opacity).validate(name)

    @staticmethod
    def from_dict(data: Any, where: str = "shape", version: int = VERSION) -> "Shape":
        if not isinstance(data, dict):
            raise SceneError(f"{where}: a shape must be an object")
        kind = data.get("type")
        names = shape_table.type_names()
        if kind not in names:
            raise SceneError(f"{where}.type: {kind!r} is not one of {', '.join(names)}")
        paint = {"intensity", "color", "opacity"} if version >= 2 else {"intensity"}
        keys = shape_table.table().type(kind).keys
        allowed = {"name", "type", "frozen", *paint, *keys}
        for key in data:
            if key not in allowed:
                raise SceneError(
                    f"{where}.{key}: unknown field for a {kind}"
                    + (" in a version 1 scene" if key in ("color", "opacity") else "")
                )
        if "intensity" in data and "color" in data:
            raise SceneError(f"{where}.color: give a colour or an intensity, not both")
        if "intensity" not in data and "color" not in data:
            raise SceneError(f"{where}.intensity: missing" + (" (or a color)" if version >= 2 else ""))
        shape = Shape.__new__(Shape)
        object.__setattr__(shape, "geometry", {k: data[k] for k in keys if k in data})
        shape.type, shape.name = kind, data.get("name")
        shape.intensity = data.get("intensity", 0.5)
        shape.color = data.get("color")
        shape.opacity = data.get("opacity", 1.0)
        shape.frozen = data.get("frozen", False)
        return shape.validate(where)


def _zeros(dims: tuple[int, ...]) -> Any:
    return [_zeros(dims[1:]) for _ in range(dims[0])] if dims else 0.0


def _floats(value: Any) -> Any:
    return [_floats(v) for v in value] if isinstance(value, (list, tuple)) else float(value)


def _copy(value: Any) -> Any:
    return [_copy(v) for v in value] if isinstance(value, list) else value


@dataclass
class Scene:
    width: int
    height: int
    shapes: list[Shape] = field(default_factory=list)
    #: The canvas colour under every shape (the original's is white).
    background: Color = WHITE

    def __post_init__(self) -> None:
        for key in ("width", "height"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_SIDE:
                raise SceneError(f"{key}: expected an integer from 1 to {MAX_SIDE}, got {value!r:.40}")
        self.shapes = list(self.shapes)
        self.background = parse_color(
            list(self.background) if isinstance(self.background, tuple) else self.background, "background"
        )
        self._check_names()

    @staticmethod
    def blank(width: int, height: int, background: Color = WHITE) -> "Scene":
        """No shapes, only a canvas of ``background``: where a picture's fit starts."""
        return Scene(width, height, [], tuple(background))  # type: ignore[arg-type]

    @property
    def is_original(self) -> bool:
        """Gray opaque shapes on white: what version 1 files and the original's model hold."""
        return self.background == WHITE and all(s.color is None and s.opacity == 1.0 for s in self.shapes)

    @property
    def side(self) -> int:
        """S: the side normalised coordinates are divided by."""
        return max(self.width, self.height)

    # -- construction and formats -------------------------------------------------------------

    @staticmethod
    def initial(width: int = 128, height: int | None = None) -> "Scene":
        """The original's starting pelican (the engine's table holds it), fitted into a
        width x height canvas."""
        height = width if height is None else height
        s = max(width, height)
        ax, ay = width / s, height / s
        k = min(ax, ay)
        shapes = []
        for name, kind, values in shape_table.table().initial_pelican:
            shape = Shape.from_values(kind, name, values, 1, False)
            if shape.points is not None:
                shape.points = [[x * ax, y * ay] for x, y in shape.points]
            else:
                shape.cx, shape.cy = shape.cx * ax, shape.cy * ay
                for key in ("r", "rx", "ry"):
                    if shape.geometry.get(key) is not None:
                        shape.geometry[key] *= k
            shapes.append(shape.validate(name))
        return Scene(width, height, shapes)

    @staticmethod
    def from_dict(data: Any) -> "Scene":
        if not isinstance(data, dict):
            raise SceneError("scene: expected a JSON object")
        if data.get("format") != FORMAT:
            raise SceneError(f"format: expected {FORMAT!r}, got {data.get('format')!r:.40}")
        version = data.get("version")
        if isinstance(version, bool) or version not in READS:
            raise SceneError(f"version: this program reads versions {', '.join(map(str, READS))}, got {version!r:.20}")
        for key in data:
            if key not in ("format", "version", "width", "height", "shapes") and not (
                version >= 2 and key == "background"
            ):
                raise SceneError(
                    f"{key}: unknown top-level field" + (" in a version 1 scene" if key == "background" else "")
                )
        shapes = data.get("shapes")
        if not isinstance(shapes, list):
            raise SceneError("shapes: expected a list")
        if len(shapes) > MAX_SHAPES:
            raise SceneError(f"shapes: at most {MAX_SHAPES} shapes, got {len(shapes)}")
        background = parse_color(data["background"], "background") if "background" in data else WHITE
        return Scene(
            data.get("width"),
            data.get("height"),  # type: ignore[arg-type]
            [Shape.from_dict(s, f"shapes[{i}]", version) for i, s in enumerate(shapes)],
            background,
        )

    @staticmethod
    def from_json(text: str) -> "Scene":
        try:
            data = untrusted.loads(text)
        except ValueError as e:
            raise SceneError(f"scene: not valid JSON ({e})") from None
        return Scene.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        if self.is_original:  # what the original and version 1 readers understand
            return {
                "format": FORMAT,
                "version": 1,
                "width": self.width,
                "height": self.height,
                "shapes": [s.to_dict() for s in self.shapes],
            }
        return {
            "format": FORMAT,
            "version": VERSION,
            "width": self.width,
            "height": self.height,
            "background": hex_color(self.background),
            "shapes": [s.to_dict() for s in self.shapes],
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def copy(self) -> "Scene":
        return Scene(self.width, self.height, [s.copy() for s in self.shapes], self.background)

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
        types = shape_table.table().types
        return [types[s.type].code for s in self.shapes]

    def values(self, channels: int, opacity: bool) -> list[float]:
        """Every shape's constrained values in the engine's layout (workers/protocol.ts)."""
        out: list[float] = []
        for s in self.shapes:
            out += s.values(channels, opacity)
        return out

    def background_values(self, channels: int) -> list[float]:
        return [luma(self.background)] if channels == 1 else list(self.background)

    def frozen_mask(self, extra: Iterable[int] = ()) -> list[int]:
        frozen = set(extra)
        return [1 if s.frozen or i in frozen else 0 for i, s in enumerate(self.shapes)]

    def with_values(self, values: Any, background: Any, channels: int, opacity: bool) -> "Scene":
        """A copy of this scene at the engine's constrained values and background."""
        values = [float(v) for v in values]
        expected = sum(s.value_count(channels, opacity) for s in self.shapes)
        if len(values) != expected:
            raise SceneError(f"values: {len(values)} values for a scene that needs {expected}")
        shapes, o = [], 0
        for s in self.shapes:
            n = s.value_count(channels, opacity)
            shapes.append(s.with_values(values[o : o + n], channels, opacity))
            o += n
        bg = [min(1.0, max(0.0, float(v))) for v in background]
        if channels == 1:
            # A gray engine paints the canvas's luma; an unchanged canvas keeps its own colour.
            color = self.background if abs(luma(self.background) - bg[0]) < 1e-7 else (bg[0],) * 3
        else:
            color = (bg[0], bg[1], bg[2])
        return Scene(self.width, self.height, shapes, color)  # type: ignore[arg-type]
