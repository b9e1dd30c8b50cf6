"""What the judge and the architect are asked, and how their answers are checked (spec §7.2-7.3).

The judge sees the render and the target (both as small PNGs, in that order, as the original
sent them) plus the SVG and a compact metrics summary, and returns ``JudgeFeedback``. The
architect sees only text: the feedback and the scene, and returns named edits. Both answer
through a forced tool whose JSON Schema is below, so their replies are data, not prose.

Replies are untrusted input. ``parse_feedback`` and ``parse_plan`` check types, bound lengths
and raise LlmError naming the field; the edits themselves are validated later (edits.py).
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from typing import Any

from .. import shape_table
from .client import ImagePart, LlmError, Tool
from ..scene import hex_color
from .edits import ALIASES, colour_scene, display_names, new_shape

# Bounds on what an answer may carry into the history and into the next prompt.
MAX_TEXT = 2000
MAX_ITEM = 500
MAX_ITEMS = 20

JUDGE_TOOL = Tool(
    name="judge_render",
    description="Report how well the rendered shapes reproduce the target image.",
    schema={
        "type": "object",
        "properties": {
            "overall_quality": {
                "type": "number",
                "minimum": 0,
                "maximum": 1,
                "description": "0 = unusable, 1 = excellent",
            },
            "resembles_pelican": {
                "type": "boolean",
                "description": "whether the render is recognisable as the target's subject",
            },
            "geometric_accuracy": {"type": "string", "description": "proportions and positions, briefly"},
            "missing_features": {"type": "array", "items": {"type": "string"}},
            "topology_issues": {
                "type": "array",
                "items": {"type": "string"},
                "description": "shapes that are wrong in kind, count or z-order",
            },
            "suggestions": {"type": "array", "items": {"type": "string"}},
            "ready_for_refinement": {
                "type": "boolean",
                "description": "true if the structure is right and only fine-tuning is left",
            },
            "similarity_to_target": {"type": "number", "minimum": 0, "maximum": 1},
        },
        "required": [
            "overall_quality",
            "resembles_pelican",
            "geometric_accuracy",
            "missing_features",
            "topology_issues",
            "suggestions",
            "ready_for_refinement",
            "similarity_to_target",
        ],
    },
)

_NUMBER_OR_PERCENT = {"anyOf": [{"type": "number"}, {"type": "string", "pattern": r"^[+-]?\d+(\.\d+)?%$"}]}
_COLOR = {"type": "string", "pattern": "^#[0-9a-fA-F]{6}$"}


@lru_cache(maxsize=1)
def architect_tool() -> Tool:
    """The architect's forced tool; its primitives are the engine's shape types (the table is the
    host's, so this is built on first use, not at import)."""
    return Tool(
        name="edit_scene",
        description="Edit the scene: modify, add or remove named shapes.",
        schema={
            "type": "object",
            "properties": {
                "actions": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "type": {"type": "string", "enum": ["modify", "add", "remove"]},
                            "shape": {
                                "type": "string",
                                "description": "an existing name (modify, remove) or a new one (add)",
                            },
                            "changes": {
                                "type": "object",
                                "description": 'modify: field -> number, percentage or (color) "#rrggbb"',
                                "additionalProperties": {"anyOf": [_NUMBER_OR_PERCENT, _COLOR, {"type": "array"}]},
                            },
                            "primitive": {"type": "string", "enum": list(shape_table.type_names())},
                            "init_params": {"type": "object", "description": "add: the new shape's fields"},
                        },
                        "required": ["type", "shape"],
                    },
                },
                "rationale": {"type": "string"},
            },
            "required": ["actions", "rationale"],
        },
    )


def __getattr__(name: str) -> Any:
    if name == "ARCHITECT_TOOL":  # the name it had as a constant
        return architect_tool()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ---------------------------------------------------------------------------------------------
# Judge


def metrics_summary(metrics: dict[str, Any] | None) -> dict[str, Any] | None:
    """The original's compact summary (§7.2): first and last breakdowns, never the history.

    ``metrics`` is the original's metrics.json: {"loss_history": [breakdown, ...],
    "steps_completed", "resolution", ...} (pelican.optimizer.metrics).
    """
    if not metrics:
        return None
    history = metrics.get("loss_history") or []

    def rounded(b: dict[str, Any]) -> dict[str, float]:
        return {k: round(float(v), 6) for k, v in b.items() if isinstance(v, (int, float)) and math.isfinite(v)}

    out: dict[str, Any] = {}
    for key in ("steps_completed", "resolution"):
        if key in metrics:
            out[key] = metrics[key]
    if history:
        out["final_loss"] = round(float(history[-1].get("total", 0.0)), 6)
        out["initial_loss"] = rounded(history[0])
        out["final_loss_breakdown"] = rounded(history[-1])
    return out


def judge_prompt(subject: str | None = None, metrics: dict[str, Any] | None = None, colour: bool = False) -> str:
    what = f"the target image ({subject})" if subject else "the target image"
    kinds = ", ".join(f"{name}s" for name in shape_table.type_names())
    paint = "coloured, possibly translucent" if colour else "grayscale"
    scale = "" if colour else "; 0 = black, 1 = white"
    text = (
        f"You are evaluating a computer-generated picture made of a few simple {paint} shapes "
        f"({kinds}{scale}) that should reproduce {what}.\n"
        "Compare the rendered output with the target. Focus on the essential structure: the main "
        "masses and their proportions and positions, the silhouette, and the distinctive features "
        "of the subject (for a pelican: the long beak, the throat pouch, the body shape). "
        "Say which features are missing, which shapes are wrong in kind, count or z-order, and "
        "give concrete suggestions. ready_for_refinement means the structure is right and only "
        "fine-tuning is left. Answer with the judge_render tool."
    )
    summary = metrics_summary(metrics)
    if summary:
        text += "\n\nOptimization metrics:\n" + json.dumps(summary, separators=(",", ":"))
    return text


def judge_parts(
    render_png: bytes,
    target_png: bytes,
    svg: str | None = None,
    subject: str | None = None,
    metrics: dict[str, Any] | None = None,
    colour: bool = False,
) -> list[Any]:
    """The judge's prompt blocks in the original's order (§7.2): render, target, SVG + prompt."""
    parts: list[Any] = ["Rendered PNG output:", ImagePart(render_png), "Target image:", ImagePart(target_png)]
    tail = judge_prompt(subject, metrics, colour)
    if svg:
        tail = f"SVG Code:\n```svg\n{svg}\n```\n\n" + tail
    parts.append(tail)
    return parts


def _text(value: Any, where: str, limit: int) -> str:
    if not isinstance(value, str):
        raise LlmError(f"judge answer: {where} must be a string, got {_kind(value)}")
    return value[:limit]


def _strings(value: Any, where: str) -> list[str]:
    if not isinstance(value, list):
        raise LlmError(f"judge answer: {where} must be a list of strings, got {_kind(value)}")
    return [_text(v, f"{where}[{i}]", MAX_ITEM) for i, v in enumerate(value[:MAX_ITEMS])]


def _unit(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise LlmError(f"judge answer: {where} must be a number from 0 to 1, got {_kind(value)}")
    if not 0.0 <= value <= 1.0:
        raise LlmError(f"judge answer: {where} = {value:g} is outside [0, 1]")
    return float(value)


def _flag(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise LlmError(f"judge answer: {where} must be true or false, got {_kind(value)}")
    return value


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def parse_feedback(answer: Any) -> dict[str, Any]:
    """A checked JudgeFeedback (§7.2). The two scores are required; a missing text, list or flag
    gets an empty default (weaker models drop fields), but a present one must have its type."""
    if not isinstance(answer, dict):
        raise LlmError(f"judge answer: expected an object, got {_kind(answer)}")
    for key in ("overall_quality", "similarity_to_target"):
        if key not in answer:
            raise LlmError(f"judge answer: {key} is missing")
    get = answer.get
    return {
        "overall_quality": _unit(get("overall_quality"), "overall_quality"),
        "resembles_pelican": _flag(get("resembles_pelican", False), "resembles_pelican"),
        "geometric_accuracy": _text(get("geometric_accuracy", ""), "geometric_accuracy", MAX_TEXT),
        "missing_features": _strings(get("missing_features", []), "missing_features"),
        "topology_issues": _strings(get("topology_issues", []), "topology_issues"),
        "suggestions": _strings(get("suggestions", []), "suggestions"),
        "ready_for_refinement": _flag(get("ready_for_refinement", False), "ready_for_refinement"),
        "similarity_to_target": _unit(get("similarity_to_target"), "similarity_to_target"),
    }


# ---------------------------------------------------------------------------------------------
# Architect


def _shape_line(s: Any, colour: bool) -> str:
    spec = shape_table.table().type(s.type)
    values = []
    names = iter(display_names(s.type))
    for key in spec.keys:
        value = s.geometry[key]
        if isinstance(value, list):
            values += [f"{next(names)}=[{', '.join(f'{v:.3f}' for v in point)}]" for point in value]
        else:
            values.append(f"{next(names)}={value:.3f}")
    values.append(f"color={hex_color(s.color)}" if s.color is not None else f"intensity={s.intensity:.3f}")
    if colour:
        values.append(f"opacity={s.opacity:.3f}")
    frozen = " (frozen: do not edit)" if s.frozen else ""
    return f'- "{s.name}" ({s.type}): {", ".join(values)}{frozen}'


def _rounded(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return round(value, 3) if isinstance(value, float) else value


def _field_list(kind: str) -> list[str]:
    """A type's geometry as the prompt lists it: the original's names, a point list as v0, v1, …"""
    spec = shape_table.table().type(kind)
    shown = {key: alias for alias, key in ALIASES.items()}
    out = []
    for key in spec.keys:
        dims = spec.shape_of(key)
        if len(dims) == 2:
            out.append(", ".join(f"v{i}" for i in range(dims[0])) + f" (each [{', '.join('xyzw'[: dims[1]])}])")
        else:
            out.append(shown.get(key, key))
    return out


def describe_scene(scene: Any) -> str:
    """One line per shape, values to 3 decimals, as the original's prompt (§7.3); a colour
    scene's shapes also give their color (or intensity) and opacity."""
    colour = colour_scene(scene)
    return "\n".join(_shape_line(s, colour) for s in scene.shapes)


def architect_prompt(feedback: dict[str, Any], scene: Any, max_edits: int, max_shapes: int) -> str:
    w, h = scene.width / scene.side, scene.height / scene.side
    colour = colour_scene(scene)
    table = shape_table.table()
    kinds = shape_table.type_names()
    added = {k: v for k, v in new_shape(kinds[0], "pouch", scene).items() if k not in ("name", "type", "intensity")}
    example = {
        "actions": [
            {
                "type": "modify",
                "shape": scene.shapes[0].name if scene.shapes else "body",
                "changes": (
                    {"cx": 0.45, "color": "#c08040", "opacity": 0.8} if colour else {"cx": 0.45, "intensity": "-10%"}
                ),
            },
            {
                "type": "add",
                "shape": "pouch",
                "primitive": kinds[0],
                "init_params": {**_rounded(added), **({"color": "#704020"} if colour else {"intensity": 0.3})},
            },
        ],
        "rationale": "why these edits",
    }
    sizes = [f for t in table.types.values() for f in t.geometry if f.exclusive_min]
    angles = [f for t in table.types.values() for f in t.geometry if f.transform == "angle"]
    units = "radii in the same units"
    if sizes:
        units += f" (at most {max(f.max for f in sizes):g})"
    if angles:
        units += "; rotation in radians"
    paint = ["intensity", "color", "opacity"] if colour else ["intensity"]
    lines = [f"- {kind}: {', '.join(_field_list(kind) + paint)}" for kind in kinds]
    if colour:
        paint_text = (
            'color as "#rrggbb"; opacity from 0 (invisible) to 1 (opaque); intensity from 0 (black) to 1 '
            "(white) makes a shape gray (a coloured shape is changed through its color)"
        )
        kind_text = "coloured, possibly translucent"
    else:
        paint_text = "intensity from 0 (black) to 1 (white)"
        kind_text = "grayscale"
    return (
        f"You are an AI architect designing the geometric shapes of a picture made of {kind_text} "
        "primitives, so that it looks more like the target image.\n\n"
        f"Judge feedback:\n{json.dumps(feedback, indent=2)}\n\n"
        f"Current scene ({len(scene.shapes)} shapes, back to front):\n{describe_scene(scene)}\n\n"
        f"Coordinates: x from 0 to {w:.3f}, y from 0 to {h:.3f} (y points down); {units}; "
        f"{paint_text}.\n"
        "Editable fields:\n" + "\n".join(lines) + "\n"
        "Edit types:\n"
        '- "modify": an exact existing name and "changes" mapping fields to new values; a value is '
        'an absolute number or a percentage of the current value ("+20%", "-10%")\n'
        '- "add": a new descriptive name (letters, digits, _), "primitive" and "init_params" with '
        "the new shape's fields; it is drawn on top\n"
        '- "remove": an exact existing name\n'
        f"Rules: at most {max_edits} edits; at most {max_shapes} shapes in total; keep at least one "
        "shape; use only existing names for modify/remove and only the listed fields; frozen "
        "shapes cannot be edited. Prefer a few well-placed edits over many small shapes.\n"
        f"Example:\n{json.dumps(example)}\n"
        "Answer with the edit_scene tool."
    )


def parse_plan(answer: Any) -> tuple[list[Any], str]:
    """(actions, rationale) from the architect's answer. Each action is checked by edits.py;
    here only the envelope: an object with a list of actions."""
    if not isinstance(answer, dict):
        raise LlmError(f"architect answer: expected an object, got {_kind(answer)}")
    actions = answer.get("actions")
    if not isinstance(actions, list):
        raise LlmError(f"architect answer: actions must be a list, got {_kind(actions)}")
    rationale = answer.get("rationale", "")
    if not isinstance(rationale, str):
        rationale = ""
    return actions, rationale[:MAX_TEXT]
