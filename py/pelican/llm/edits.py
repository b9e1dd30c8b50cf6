"""The architect's edits, validated one by one and applied to a copy of the scene (spec §7.4).

The original applied edits in place with a few clamps; a bad edit could empty the scene, add
without limit, or half-apply and lose the rest (§7.4 [obs]). Here each edit is checked before it
touches anything, against rules that do not trust the model:

* only the edit types modify / add / remove, and only the fields each primitive has
  (circle cx, cy, radius|r; ellipse cx, cy, rx, ry, rotation; triangle v0, v1, v2|points; all
  intensity); nothing else in an edit;
* values are finite numbers (not booleans, not "NaN") or percentages of the current value
  ("+20%", "-10%", "80%"), and land inside the canvas and sane size bounds;
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

from ..scene import MAX_SHAPES, Scene, SceneError, Shape

EDIT_TYPES = ("modify", "add", "remove")
EDIT_KEYS = {"type", "shape", "changes", "primitive", "init_params", "reason", "rationale"}
# Field names the model may use, per primitive, mapped to the scene's own names.
FIELDS = {
    "circle": {"cx": "cx", "cy": "cy", "radius": "r", "r": "r", "intensity": "intensity"},
    "ellipse": {"cx": "cx", "cy": "cy", "rx": "rx", "ry": "ry", "rotation": "rotation", "intensity": "intensity"},
    "triangle": {"v0": "v0", "v1": "v1", "v2": "v2", "points": "points", "intensity": "intensity"},
}
# An added shape's defaults (the original's, §7.4, except intensity: its 0.0 made new shapes black).
ADD_DEFAULTS = {
    "circle": {"cx": 0.5, "cy": 0.5, "r": 0.1, "intensity": 0.5},
    "ellipse": {"cx": 0.5, "cy": 0.5, "rx": 0.15, "ry": 0.1, "rotation": 0.0, "intensity": 0.5},
    "triangle": {"points": [[0.3, 0.3], [0.7, 0.3], [0.5, 0.7]], "intensity": 0.5},
}
MIN_RADIUS = 0.002  # below a fraction of a pixel at any size we support, a shape is invisible
MAX_RADIUS = 1.5  # a radius beyond the canvas covers it all; the optimiser cannot recover
MAX_ROTATION = 4 * math.pi
# The original clamps intensities to [0.01, 0.99] (§7.4): the logit of 0 or 1 is infinite.
INTENSITY_CLAMP = (0.01, 0.99)
MAX_VALUE_CHARS = 32
MAX_CHANGES = 16
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]{0,63}$")
_PERCENT = re.compile(r"^([+\-\u2212]?)(\d{1,6}(?:\.\d{1,6})?)\s*%$")
_DECIMAL = re.compile(r"^[+\-]?\d{1,6}(?:\.\d{1,12})?$")


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


def _modified(shape: Shape, changes: Any, scene: Scene) -> tuple[Shape, str]:
    if not isinstance(changes, dict) or not changes:
        raise EditError("modify needs a non-empty changes object")
    if len(changes) > MAX_CHANGES:
        raise EditError(f"more than {MAX_CHANGES} changes in one edit")
    data = shape.to_dict()
    fields = FIELDS[shape.type]
    said = []
    for key, value in changes.items():
        if key not in fields:
            raise EditError(f"a {shape.type} has no field {_short(key)} ({', '.join(sorted(fields))})")
        said.append(f"{key} {_set(data, fields[key], value, scene, shape.type)}")
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
    if kind not in FIELDS:
        raise EditError(f"add needs primitive circle, ellipse or triangle, got {_short(kind)}")
    params = action.get("init_params", {})
    if not isinstance(params, dict):
        raise EditError("init_params must be an object")
    if len(params) > MAX_CHANGES:
        raise EditError(f"more than {MAX_CHANGES} init_params")
    data: dict[str, Any] = {"name": name, "type": kind, **json.loads(json.dumps(ADD_DEFAULTS[kind]))}
    fields = FIELDS[kind]
    for key, value in params.items():
        if key not in fields:
            raise EditError(f"a {kind} has no field {_short(key)} ({', '.join(sorted(fields))})")
        _set(data, fields[key], value, scene, kind)
    new = scene.copy()
    new.add(Shape.from_dict(data, name))
    return new, f"add {name} ({kind})"


# ---------------------------------------------------------------------------------------------
# Values


def _bounds(key: str, scene: Scene) -> tuple[float, float]:
    if key in ("cx", "x"):
        return 0.0, scene.width / scene.side
    if key in ("cy", "y"):
        return 0.0, scene.height / scene.side
    if key in ("r", "rx", "ry"):
        return MIN_RADIUS, MAX_RADIUS
    if key == "rotation":
        return -MAX_ROTATION, MAX_ROTATION
    return 0.0, 1.0  # intensity


def _set(data: dict[str, Any], key: str, value: Any, scene: Scene, kind: str) -> str:
    """Sets data[key] from the model's value; returns the new value, briefly, for the report."""
    if key in ("v0", "v1", "v2", "points"):
        points = [list(p) for p in data["points"]]
        if key == "points":
            if not isinstance(value, list) or len(value) != 3:
                raise EditError("points must be three [x, y] pairs")
            data["points"] = [_point(v, points[i], f"points[{i}]", scene) for i, v in enumerate(value)]
            return "→ " + ", ".join(f"[{p[0]:.3f}, {p[1]:.3f}]" for p in data["points"])
        k = int(key[1])
        points[k] = _point(value, points[k], key, scene)
        data["points"] = points
        return f"→ [{points[k][0]:.3f}, {points[k][1]:.3f}]"
    x = _number(value, float(data[key]), key)
    lo, hi = _bounds(key, scene)
    if key == "intensity" and lo <= x <= hi:
        x = min(max(x, INTENSITY_CLAMP[0]), INTENSITY_CLAMP[1])
    if not lo <= x <= hi:
        raise EditError(f"{key}={x:.4g} is outside [{lo:.4g}, {hi:.4g}]")
    data[key] = x
    return f"→ {x:.4g}"


def _point(value: Any, current: list[float], where: str, scene: Scene) -> list[float]:
    if not isinstance(value, list) or len(value) != 2:
        raise EditError(f"{where} must be [x, y]")
    out = []
    for axis, (v, c) in zip(("x", "y"), zip(value, current)):
        x = _number(v, float(c), f"{where}.{axis}")
        lo, hi = _bounds(axis, scene)
        if not lo <= x <= hi:
            raise EditError(f"{where}.{axis}={x:.4g} is outside [{lo:.4g}, {hi:.4g}]")
        out.append(x)
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
