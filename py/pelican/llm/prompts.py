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
from typing import Any

from .client import ImagePart, LlmError, Tool

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

ARCHITECT_TOOL = Tool(
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
                            "description": "modify: field -> number or percentage",
                            "additionalProperties": {"anyOf": [_NUMBER_OR_PERCENT, {"type": "array"}]},
                        },
                        "primitive": {"type": "string", "enum": ["circle", "ellipse", "triangle"]},
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


def judge_prompt(subject: str | None = None, metrics: dict[str, Any] | None = None) -> str:
    what = f"the target image ({subject})" if subject else "the target image"
    text = (
        f"You are evaluating a computer-generated picture made of a few simple grayscale shapes "
        f"(circles, ellipses, triangles; 0 = black, 1 = white) that should reproduce {what}.\n"
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
) -> list[Any]:
    """The judge's prompt blocks in the original's order (§7.2): render, target, SVG + prompt."""
    parts: list[Any] = ["Rendered PNG output:", ImagePart(render_png), "Target image:", ImagePart(target_png)]
    tail = judge_prompt(subject, metrics)
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


def describe_scene(scene: Any) -> str:
    """One line per shape, values to 3 decimals, as the original's prompt (§7.3)."""
    lines = []
    for s in scene.shapes:
        if s.type == "circle":
            g = f"cx={s.cx:.3f}, cy={s.cy:.3f}, radius={s.r:.3f}"
        elif s.type == "ellipse":
            g = f"cx={s.cx:.3f}, cy={s.cy:.3f}, rx={s.rx:.3f}, ry={s.ry:.3f}, rotation={s.rotation:.3f}"
        else:
            g = ", ".join(f"v{i}=[{p[0]:.3f}, {p[1]:.3f}]" for i, p in enumerate(s.points))
        frozen = " (frozen: do not edit)" if s.frozen else ""
        lines.append(f'- "{s.name}" ({s.type}): {g}, intensity={s.intensity:.3f}{frozen}')
    return "\n".join(lines)


def architect_prompt(feedback: dict[str, Any], scene: Any, max_edits: int, max_shapes: int) -> str:
    w, h = scene.width / scene.side, scene.height / scene.side
    example = {
        "actions": [
            {
                "type": "modify",
                "shape": scene.shapes[0].name if scene.shapes else "body",
                "changes": {"cx": 0.45, "intensity": "-10%"},
            },
            {
                "type": "add",
                "shape": "pouch",
                "primitive": "ellipse",
                "init_params": {"cx": 0.7, "cy": 0.3, "rx": 0.1, "ry": 0.04, "rotation": 0.2, "intensity": 0.3},
            },
        ],
        "rationale": "why these edits",
    }
    return (
        "You are an AI architect designing the geometric shapes of a picture made of grayscale "
        "primitives, so that it looks more like the target image.\n\n"
        f"Judge feedback:\n{json.dumps(feedback, indent=2)}\n\n"
        f"Current scene ({len(scene.shapes)} shapes, back to front):\n{describe_scene(scene)}\n\n"
        f"Coordinates: x from 0 to {w:.3f}, y from 0 to {h:.3f} (y points down); radii in the same "
        "units; rotation in radians; intensity from 0 (black) to 1 (white).\n"
        "Editable fields:\n"
        "- circle: cx, cy, radius, intensity\n"
        "- ellipse: cx, cy, rx, ry, rotation, intensity\n"
        "- triangle: v0, v1, v2 (each [x, y]), intensity\n"
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
