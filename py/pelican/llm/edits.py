"""The architect's edits, validated one by one and applied to a copy of the scene (spec §7.4).

The original applied edits in place with a few clamps; a bad edit could empty the scene, add
without limit, or half-apply and lose the rest (§7.4 [obs]). Here each edit is checked before it
touches anything, against rules that do not trust the model:

* only the edit types modify / add / remove, and only the fields the engine's shape table gives
  each type (with the original's names: a circle's radius, a triangle's v0, v1, v2), and the
  paint: intensity, and in a colour scene (not the original's gray opaque kind) color
  ("#rrggbb") and opacity; nothing else in an edit;
* values are finite numbers (not booleans, not "NaN") or percentages of the current value
  ("+20%", "-10%", "80%"), and land inside the table's limits, the canvas and a visible size;
* at most ``max_edits`` edits a round (the rest are rejected unread), at most ``max_shapes``
  shapes, never an empty scene, names unique and valid, frozen shapes left alone.

An edit is all-or-nothing: it is applied to a copy and only kept if the whole result is still a
valid scene (``Scene`` re-checks every field). Rejected edits come back with the reason, so the
user (and the next prompt) can see why. The input scene is never modified.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from .. import shape_table
from ..scene import MAX_SHAPES, Scene, SceneError, Shape, hex_color, parse_color

EDIT_TYPES = ("modify", "add", "remove")
EDIT_KEYS = {"type", "shape", "changes", "primitive", "init_params", "reason", "rationale"}
#: The original's prompt names for table fields (§7.3), where they differ: a circle's "radius".
#: A list of [x, y] points is also editable point by point as v0, v1, … (the original's vertices).
ALIASES = {"radius": "r"}
#: The engine only needs a size above 0; an edit must leave a shape visible, so no size under a
#: quarter of a pixel.
MIN_SIZE_PX = 0.25
# The original clamps intensities to [0.01, 0.99] (§7.4): the logit of 0 or 1 is infinite.
INTENSITY_CLAMP = (0.01, 0.99)
MAX_VALUE_CHARS = 32
MAX_CHANGES = 16
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]{0,63}$")
_PERCENT = re.compile(r"^([+\-\u2212]?)(\d{1,6}(?:\.\d{1,6})?)\s*%$")
_DECIMAL = re.compile(r"^[+\-]?\d{1,6}(?:\.\d{1,12})?$")


def colour_scene(scene: Scene) -> bool:
    """Not the original's kind (gray, opaque, on white): colour and opacity are editable too."""
    return not scene.is_original


def fields(kind: str, scene: Scene) -> dict[str, str]:
    """The names an edit may use for a ``kind`` shape in ``scene``, mapped to the scene's own
    keys (a point alias maps to ``points[i]``): the table's geometry, then the paint."""
    spec = shape_table.table().type(kind)
    out: dict[str, str] = {}
    for key in spec.keys:
        out[key] = key
        dims = spec.shape_of(key)
        if len(dims) == 2 and dims[1] == 2:
            out.update({f"v{i}": f"{key}[{i}]" for i in range(dims[0])})
    out.update({alias: key for alias, key in ALIASES.items() if key in spec.keys})
    out["intensity"] = "intensity"
    if colour_scene(scene):
        out["color"] = "color"
        out["opacity"] = "opacity"
    return out


def display_names(kind: str) -> list[str]:
    """How the prompt names a ``kind`` shape's geometry: the original's names where it had them."""
    spec = shape_table.table().type(kind)
    shown = {key: alias for alias, key in ALIASES.items()}
    out: list[str] = []
    for key in spec.keys:
        dims = spec.shape_of(key)
        if len(dims) == 2 and dims[1] == 2:
            out += [f"v{i}" for i in range(dims[0])]
        else:
            out.append(shown.get(key, key))
    return out


class EditError(ValueError):
    """Why one edit was rejected."""


@dataclass
class EditOutcome:
    """The edited copy, what was applied (short descriptions) and what was rejected (why)."""

    scene: Scene
    applied: list[str] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> str:
        parts = []
        if self.applied:
            parts.append("applied: " + ", ".join(self.applied))
        if self.rejected:
            parts.append("refused: " + "; ".join(f"#{r['index']} {r['reason']}" for r in self.rejected))
        return " — ".join(parts) or "no edits"


@dataclass
class Limits:
    max_edits: int = 8
    max_shapes: int = 60

    def __post_init__(self) -> None:
        if not 1 <= self.max_edits <= 100:
            raise ValueError("max_edits: expected 1 to 100")
        if not 1 <= self.max_shapes <= MAX_SHAPES:
            raise ValueError(f"max_shapes: expected 1 to {MAX_SHAPES}")


def apply_edits(scene: Scene, actions: Any, limits: Limits | None = None) -> EditOutcome:
    """Validates and applies ``actions`` in order on a copy of ``scene``."""
    limits = limits or Limits()
    current = scene.copy()
    out = EditOutcome(current)
    if not isinstance(actions, list):
        out.rejected.append({"index": 0, "edit": _preview(actions), "reason": "actions must be a list"})
        return out
    for i, action in enumerate(actions[: limits.max_edits]):
        try:
            current, description = _apply_one(current, action, limits)
        except EditError as e:
            out.rejected.append({"index": i, "edit": _preview(action), "reason": str(e)})
            continue
        except SceneError as e:  # the scene's own re-check; its message names the field
            out.rejected.append({"index": i, "edit": _preview(action), "reason": str(e)})
            continue
        out.applied.append(description)
    if len(actions) > limits.max_edits:
        n = len(actions) - limits.max_edits
        out.rejected.append(
            {
                "index": limits.max_edits,
                "edit": f"{n} more edit{'s' if n > 1 else ''}",
                "reason": f"more than {limits.max_edits} edits in one round",
            }
        )
    out.scene = current
    return out


def _apply_one(scene: Scene, action: Any, limits: Limits) -> tuple[Scene, str]:
    if not isinstance(action, dict):
        raise EditError("an edit must be an object")
    extra = sorted(k for k in action if k not in EDIT_KEYS)
    if extra:
        raise EditError(f"unknown key {_short(extra[0])} in the edit")
    kind = action.get("type")
    if kind not in EDIT_TYPES:
        raise EditError(f"unknown edit type {_short(kind)} (modify, add or remove)")
    name = action.get("shape")
    if not isinstance(name, str) or not name:
        raise EditError("shape must be a shape name")
    names = scene.names()
    if kind == "add":
        return _add(scene, name, action, limits)
    if name not in names:
        raise EditError(f"no shape named {_short(name)}")
    index = names.index(name)
    if scene.shapes[index].frozen:
        raise EditError(f"{_short(name)} is frozen")
    new = scene.copy()
    if kind == "remove":
        if len(scene.shapes) <= 1:
            raise EditError(f"removing {_short(name)} would leave the scene empty")
        new.shapes.pop(index)
        return new, f"remove {name}"
    shape, described = _modified(scene.shapes[index], action.get("changes"), scene)
    new.shapes[index] = shape
    return new, f"modify {name} ({described})"


def _no_field(kind: str, key: Any, names: dict[str, str], scene: Scene) -> str:
    text = f"a {kind} has no field {_short(key)} ({', '.join(sorted(names))})"
    if key in ("color", "opacity") and not colour_scene(scene):
        text += "; this scene is gray and opaque, as the original's"
    return text


def _modified(shape: Shape, changes: Any, scene: Scene) -> tuple[Shape, str]:
    if not isinstance(changes, dict) or not changes:
        raise EditError("modify needs a non-empty changes object")
    if len(changes) > MAX_CHANGES:
        raise EditError(f"more than {MAX_CHANGES} changes in one edit")
    data = shape.to_dict()
    names = fields(shape.type, scene)
    said = []
    for key, value in changes.items():
        if key not in names:
            raise EditError(_no_field(shape.type, key, names, scene))
        said.append(f"{key} {_set(data, names[key], value, scene)}")
    return Shape.from_dict(data, shape.name), ", ".join(said)


def _add(scene: Scene, name: str, action: dict[str, Any], limits: Limits) -> tuple[Scene, str]:
    if not NAME_RE.match(name):
        raise EditError(
            f"{_short(name)} is not a valid name (a letter, then letters, digits, _ . -; " "at most 64 characters)"
        )
    if name in scene.names():
        raise EditError(f"a shape named {_short(name)} already exists")
    cap = min(limits.max_shapes, MAX_SHAPES)
    if len(scene.shapes) >= cap:
        raise EditError(f"the scene already has {len(scene.shapes)} shapes (at most {cap})")
    kind = action.get("primitive")
    types = shape_table.type_names()
    if kind not in types:
        raise EditError(f"add needs primitive {', '.join(types[:-1])} or {types[-1]}, got {_short(kind)}")
    params = action.get("init_params", {})
    if not isinstance(params, dict):
        raise EditError("init_params must be an object")
    if len(params) > MAX_CHANGES:
        raise EditError(f"more than {MAX_CHANGES} init_params")
    data = new_shape(kind, name, scene)
    names = fields(kind, scene)
    for key, value in params.items():
        if key not in names:
            raise EditError(_no_field(kind, key, names, scene))
        _set(data, names[key], value, scene)
    new = scene.copy()
    new.add(Shape.from_dict(data, name))
    return new, f"add {name} ({kind})"


def new_shape(kind: str, name: str, scene: Scene) -> dict[str, Any]:
    """An added shape before its init_params, from the table alone: centred on the canvas, sizes
    a tenth of its shorter side, no rotation, a list of points as a regular polygon twice that
    size around the centre, mid-gray (the middle of the table's intensity range), opaque."""
    table = shape_table.table()
    spec = table.type(kind)
    extent = (scene.width / scene.side, scene.height / scene.side)
    size = 0.1 * min(extent)
    data: dict[str, Any] = {"name": name, "type": kind}
    for key in spec.keys:
        data[key] = _zeros(spec.shape_of(key))
    for f in spec.geometry:
        axis = _axis(f)
        if f.transform == "positive":
            value = size
        elif f.transform == "unit" and axis is not None:
            value = extent[axis] / 2
            if len(f.indices) == 2:
                count = spec.shape_of(f.key)[0]
                angle = -math.pi / 2 + 2 * math.pi * f.indices[0] / count
                value += 2 * size * (math.cos(angle), math.sin(angle))[axis]
        else:  # an angle (0), or a bounded value of no axis: the middle of its range
            value = 0.0 if f.min <= 0.0 <= f.max and f.transform == "angle" else (f.min + f.max) / 2
        f.put(data, value)
    data["intensity"] = (table.intensity.min + table.intensity.max) / 2
    return data


# ---------------------------------------------------------------------------------------------
# Values


_WORDS = {2: "two", 3: "three", 4: "four"}


def _zeros(dims: tuple[int, ...]) -> Any:
    return [_zeros(dims[1:]) for _ in range(dims[0])] if dims else 0.0


def _axis(f: shape_table.Field) -> int | None:
    """0 for an x coordinate, 1 for a y (``cx``, ``points[i][0]``), None for anything else."""
    if f.transform != "unit":
        return None
    if f.indices:
        return f.indices[-1] if f.indices[-1] < 2 else None
    return {"x": 0, "y": 1}.get(f.key[-1:])


def _range(f: shape_table.Field, scene: Scene) -> tuple[float, float]:
    """The table's limits for ``f``, narrowed to the canvas for a coordinate and to a visible
    size for a radius."""
    lo, hi = f.min, f.max
    axis = _axis(f)
    if axis is not None:
        hi = min(hi, (scene.width, scene.height)[axis] / scene.side)
    if f.exclusive_min:
        lo = max(lo, MIN_SIZE_PX / scene.side)
    return lo, hi


def _checked(x: float, lo: float, hi: float, where: str) -> float:
    if not lo <= x <= hi:
        raise EditError(f"{where}={x:.4g} is outside [{lo:.4g}, {hi:.4g}]")
    return x


def _set(data: dict[str, Any], key: str, value: Any, scene: Scene) -> str:
    """Sets the scene key ``key`` of data from the model's value; returns the new value, briefly."""
    table = shape_table.table()
    if key == "intensity":
        if "color" in data:
            raise EditError(f"{_short(data['name'])} is coloured: set its color (#rrggbb), not its intensity")
        f = table.intensity
        x = _checked(_number(value, float(data["intensity"]), key), f.min, f.max, key)
        data["intensity"] = min(max(x, INTENSITY_CLAMP[0]), INTENSITY_CLAMP[1])
        return f"→ {data['intensity']:.4g}"
    if key == "color":
        if not isinstance(value, str) or len(value) > MAX_VALUE_CHARS:
            raise EditError(f'color: expected "#rrggbb", got {_short(value)}')
        try:
            color = parse_color(value, "color")
        except SceneError as e:
            raise EditError(str(e)) from None
        data.pop("intensity", None)
        data["color"] = hex_color(color)
        return f"→ {data['color']}"
    if key == "opacity":
        f = table.opacity
        data["opacity"] = _checked(_number(value, float(data.get("opacity", 1.0)), key), f.min, f.max, key)
        return f"→ {data['opacity']:.4g}"
    spec = table.type(data["type"])
    by_name = {f.name: f for f in spec.geometry}
    if key in by_name:
        f = by_name[key]
        lo, hi = _range(f, scene)
        data[key] = _checked(_number(value, float(data[key]), key), lo, hi, key)
        return f"→ {data[key]:.4g}"
    base, _, index = key.partition("[")
    where = next((alias for alias, k in fields(data["type"], scene).items() if k == key), key)
    if index:  # one point of a list, as v0, v1, …
        i = int(index.rstrip("]"))
        data[base][i] = _point(value, data[base][i], where, [by_name[f"{key}[{j}]"] for j in range(2)], scene)
        return "→ [" + ", ".join(f"{v:.3f}" for v in data[base][i]) + "]"
    count = spec.shape_of(key)[0]
    if not isinstance(value, list) or len(value) != count:
        raise EditError(f"{key} must be {_WORDS.get(count, count)} [x, y] pairs")
    data[key] = [
        _point(v, data[key][i], f"{key}[{i}]", [by_name[f"{key}[{i}][{j}]"] for j in range(2)], scene)
        for i, v in enumerate(value)
    ]
    return "→ " + ", ".join(f"[{p[0]:.3f}, {p[1]:.3f}]" for p in data[key])


def _point(value: Any, current: list[float], where: str, coords: list[shape_table.Field], scene: Scene) -> list[float]:
    if not isinstance(value, list) or len(value) != len(coords):
        raise EditError(f"{where} must be [x, y]")
    out = []
    for axis, v, c, f in zip("xy", value, current, coords):
        lo, hi = _range(f, scene)
        out.append(_checked(_number(v, float(c), f"{where}.{axis}"), lo, hi, f"{where}.{axis}"))
    return out


def _number(value: Any, current: float, where: str) -> float:
    """An absolute number, a decimal string, or a percentage of ``current`` (the original's
    grammar, §7.4: "+20%" -> current*1.2, "-10%" -> current*0.9, "80%" -> current*0.8)."""
    if isinstance(value, bool):
        raise EditError(f"{where}: a boolean is not a number")
    if isinstance(value, (int, float)):
        x = float(value)
    elif isinstance(value, str):
        text = value.strip()
        if len(text) > MAX_VALUE_CHARS:
            raise EditError(f"{where}: value too long")
        m = _PERCENT.match(text)
        if m:
            p = float(m.group(2)) / 100.0
            sign = m.group(1)
            x = current * (1 + p) if sign == "+" else current * (1 - p) if sign else current * p
        elif _DECIMAL.match(text):
            x = float(text)
        else:
            raise EditError(f"{where}: {_short(value)} is neither a number nor a percentage")
    else:
        raise EditError(f"{where}: expected a number or a percentage, got {type(value).__name__}")
    if not math.isfinite(x):
        raise EditError(f"{where}: {x} is not a finite number")
    return x


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _preview(action: Any, limit: int = 160) -> str:
    try:
        text = json.dumps(action, separators=(",", ":"), default=str)
    except (ValueError, TypeError, RecursionError):
        text = type(action).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"
