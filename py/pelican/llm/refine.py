"""The refinement loop (spec §7.5) with a rollback that works.

Each round: the judge looks at the current render and the target; the architect proposes
edits; the valid ones are applied to a copy; the copy is optimised; its loss is measured at one
fixed τ (0.5 px), the same τ for every round. If that loss exceeds ``tolerance`` times the loss
before the round, the round is rolled back to the exact scene it started from, edits included.
(The original saved its state after the previous round's edits and before this round's steps,
so its rollback kept the bad edits and only undid the gradient steps, §7.5 [obs].)

A round that fails (provider error, hostile reply, no valid edit, engine error) is recorded
with the reason and leaves the scene as it was; after ``max_consecutive_failures`` such rounds,
or a rolled-back one, in a row, the loop stops. The input scene is never modified; the result
holds the best scene seen and a history in the shape of the original's
``refinement_history.json`` (§7.6).
"""

from __future__ import annotations

import inspect
import json
import math
from dataclasses import dataclass, field
from typing import Any, Callable

from .. import checks
from ..engine import DEFAULT_LR, Cancelled, Engine, EngineCrashed, EngineError, Model
from ..images import Image
from ..optimizer import metrics as optimize_metrics
from ..scene import Scene, SceneError
from .client import LlmClient, LlmError
from .edits import Limits, apply_edits, colour_scene
from .prompts import JUDGE_TOOL, architect_prompt, architect_tool, judge_parts, parse_feedback, parse_plan

# What a round's record keeps of the architect's answer (a hostile one may list thousands).
MAX_RECORDED_ACTIONS = 50


@dataclass
class RefineOptions:
    rounds: int = 3
    steps_per_round: int = 200
    lr: float = DEFAULT_LR
    #: Roll back when loss_after > tolerance * loss_before (the original's 1.1).
    tolerance: float = 1.1
    max_edits: int = 8
    max_shapes: int = 60
    max_consecutive_failures: int = 2
    #: Longest side of the PNGs the judge sees (the target is downscaled, never sent as a file).
    image_size: int = 256
    #: Stop when the judge is satisfied and the last accepted round improved the loss by less
    #: than this fraction (the original compared absolute losses with 0.01, far above our scale).
    convergence_threshold: float = 0.01
    #: Optional words for the judge about what the target shows ("a pelican").
    subject: str | None = None
    #: Send the scene's SVG to the judge, as the original did.
    send_svg: bool = True

    def validate(self) -> "RefineOptions":
        checks.whole_numbers(self, ("rounds", "steps_per_round", "max_consecutive_failures", "image_size"), 1)
        if not (math.isfinite(self.tolerance) and self.tolerance >= 1.0):
            raise ValueError(f"tolerance: expected a number >= 1, got {self.tolerance!r}")
        checks.learning_rate(self.lr)
        Limits(self.max_edits, self.max_shapes)
        return self


@dataclass
class RefineResult:
    #: The best scene seen (lowest fixed-τ loss), the input scene if no round helped.
    scene: Scene
    best_loss: float
    initial_loss: float
    #: The scene the loop ended on (after rollbacks; may differ from the best within tolerance).
    final_scene: Scene
    history: list[dict[str, Any]] = field(default_factory=list)
    #: Why the loop ended: "rounds", "converged", "failures" or "cancelled".
    stopped: str = "rounds"

    def summary(self, options: RefineOptions, include_scenes: bool = False) -> dict[str, Any]:
        """refinement_history.json (§7.6). Per-round scenes only on request (they are large)."""
        history = (
            self.history if include_scenes else [{k: v for k, v in r.items() if k != "scene"} for r in self.history]
        )
        return {
            "rounds_completed": len(self.history),
            "max_rounds": options.rounds,
            "initial_loss": self.initial_loss,
            "best_loss": self.best_loss,
            "stopped": self.stopped,
            "history": history,
        }


async def refine(
    scene: Scene,
    target: Image,
    client: LlmClient,
    options: RefineOptions | None = None,
    engine: Engine | None = None,
    on_round: Callable[[dict[str, Any]], Any] | None = None,
    should_stop: Callable[[], bool] | None = None,
    on_progress: Callable[[dict[str, Any]], Any] | None = None,
) -> RefineResult:
    """Runs up to ``options.rounds`` judge → architect → edit → optimise rounds.

    ``on_round(record)`` is called (and awaited if it returns an awaitable) after every round;
    ``should_stop()`` is asked before each one. ``engine`` defaults to one borrowed from the pool.
    """
    options = (options or RefineOptions()).validate()
    if (scene.width, scene.height) != (target.width, target.height):
        raise ValueError(
            f"refine: the scene is {scene.width}x{scene.height}, the target {target.width}x{target.height}"
        )
    if not scene.shapes:
        raise ValueError("refine: the scene has no shapes")
    limits = Limits(options.max_edits, options.max_shapes)
    own = engine is None
    engine = engine or await Engine.borrow()
    try:
        await engine.set_target(target, Model.for_scene(scene, target))
        target_png = _fit(target, options.image_size).to_png()
        current = scene.copy()
        await engine.set_scene(current)
        current_loss = await engine.loss()
        result = RefineResult(current.copy(), current_loss, current_loss, current.copy())
        failures = 0
        last_gain: float | None = None  # relative loss drop of the last accepted round
        last_metrics: dict[str, Any] | None = None

        for number in range(options.rounds):
            if should_stop is not None and should_stop():
                result.stopped = "cancelled"
                break
            before = current.copy()
            record: dict[str, Any] = {"round": number, "loss_before": current_loss, "num_shapes": len(current)}
            try:
                outcome = await _round(
                    engine,
                    client,
                    options,
                    limits,
                    current,
                    target,
                    target_png,
                    current_loss,
                    last_metrics,
                    last_gain,
                    record,
                    on_progress,
                )
            except Cancelled:
                outcome = None
                record["error"] = "cancelled"
                result.stopped = "cancelled"
            except (LlmError, EngineError, EngineCrashed, SceneError) as e:
                outcome = None
                record["error"] = str(e)
            if outcome is not None:
                fitted, loss_after, metrics = outcome
                last_metrics = metrics
                if not math.isfinite(loss_after) or loss_after > current_loss * options.tolerance:
                    record["rolled_back"] = True
                    record["message"] = (
                        f"loss {loss_after:.6g} > {options.tolerance:g} × {current_loss:.6g}; "
                        "rolled back to the scene before the round"
                    )
                else:
                    record["accepted"] = True
                    record["message"] = f"loss {current_loss:.6g} → {loss_after:.6g}"
                    last_gain = (current_loss - loss_after) / current_loss if current_loss > 0 else 0.0
                    current, current_loss = fitted, loss_after
                    if loss_after < result.best_loss:
                        result.scene, result.best_loss = current.copy(), loss_after
            if not record.get("accepted") and not record.get("converged"):
                # Whatever happened (rollback, error, no valid edit), the round leaves no trace
                # in the scene: the engine and the loop go back to the exact scene before it.
                current = before
                if record.get("error") != "cancelled":
                    await _reload(engine, current)
                failures += 1
            else:
                failures = 0
            record["num_shapes"] = len(current)
            record["loss"] = current_loss
            record["scene"] = current.to_dict()
            result.history.append(record)
            if on_round is not None:
                out = on_round(record)
                if inspect.isawaitable(out):
                    await out
            if record.get("converged"):
                result.stopped = "converged"
                break
            if result.stopped == "cancelled":
                break
            if failures >= options.max_consecutive_failures:
                result.stopped = "failures"
                break
        result.final_scene = current.copy()
        return result
    finally:
        if own:
            engine.close()


async def _round(
    engine: Engine,
    client: LlmClient,
    options: RefineOptions,
    limits: Limits,
    current: Scene,
    target: Image,
    target_png: bytes,
    loss_before: float,
    last_metrics: dict[str, Any] | None,
    last_gain: float | None,
    record: dict[str, Any],
    on_progress: Callable[[dict[str, Any]], Any] | None = None,
) -> tuple[Scene, float, dict[str, Any]] | None:
    """One round; fills ``record``. Returns (fitted scene, fixed-τ loss, metrics), or None when
    the round ends without an optimisation (converged, or no valid edit)."""
    feedback = await _judge(engine, client, options, current, target, target_png, last_metrics)
    record["feedback"] = feedback

    # The original's convergence test (§7.5 step 7), with a relative threshold; never in the
    # first round, since nothing has been measured yet.
    if (
        feedback["ready_for_refinement"]
        and feedback["overall_quality"] > 0.7
        and last_gain is not None
        and last_gain < options.convergence_threshold
    ):
        record["converged"] = True
        return None

    prompt = architect_prompt(feedback, current, limits.max_edits, limits.max_shapes)
    actions, rationale = parse_plan(await client.call_tool([prompt], architect_tool()))
    record["architect"] = {
        "actions": _bounded(actions[:MAX_RECORDED_ACTIONS]),
        "rationale": rationale,
        "actions_total": len(actions),
    }
    edited = apply_edits(current, actions, limits)
    record["edits"] = {"applied": edited.applied, "rejected": edited.rejected}
    if not edited.applied:
        record["error"] = "no valid edit" + (
            f" ({'; '.join(r['reason'] for r in edited.rejected)[:300]})" if edited.rejected else ""
        )
        return None

    await engine.set_scene(edited.scene)
    optimized = await engine.optimize(options.steps_per_round, options.lr, on_progress=on_progress)
    if optimized.cancelled:
        raise Cancelled("refine: the optimisation was stopped")
    loss_after = await engine.loss()  # the engine holds the best parameters; fixed τ
    metrics = optimize_metrics(optimized, max(current.width, current.height))
    record["metrics"] = metrics
    record["loss_after"] = loss_after
    return optimized.scene, loss_after, metrics


async def _judge(
    engine: Engine,
    client: LlmClient,
    options: RefineOptions,
    scene: Scene,
    target: Image,
    target_png: bytes,
    metrics: dict[str, Any] | None,
) -> dict[str, Any]:
    """The judge's checked feedback on the scene loaded in ``engine``. The render is made at the
    size of the downscaled target so the two images compare pixel for pixel."""
    size = _fit(target, options.image_size)
    render = await engine.render(None, size.width, size.height)
    svg = None
    if options.send_svg:
        from ..svg import to_svg

        svg = to_svg(scene)
    parts = judge_parts(render.to_png(), target_png, svg, options.subject, metrics, colour_scene(scene))
    answer = await client.call_tool(parts, JUDGE_TOOL)
    return parse_feedback(answer)


async def judge(
    scene: Scene,
    target: Image,
    client: LlmClient,
    options: RefineOptions | None = None,
    metrics: dict[str, Any] | None = None,
    engine: Engine | None = None,
) -> dict[str, Any]:
    """One judge call on its own (the CLI's ``judge`` command): JudgeFeedback for ``scene``.
    ``metrics`` is an optimisation's metrics.json; only its compact summary is sent."""
    options = (options or RefineOptions()).validate()
    own = engine is None
    engine = engine or await Engine.borrow()
    try:
        await engine.set_target(target, Model.for_scene(scene, target))
        await engine.set_scene(scene)
        return await _judge(engine, client, options, scene, target, _fit(target, options.image_size).to_png(), metrics)
    finally:
        if own:
            engine.close()


async def _reload(engine: Engine, scene: Scene) -> None:
    try:
        await engine.set_scene(scene)
    except (EngineError, EngineCrashed):
        pass  # the next round loads it again (or fails and says why)


def _fit(image: Image, longest: int) -> Image:
    """``image`` scaled down so its longer side is at most ``longest`` (never scaled up)."""
    return image.fit(longest) if max(image.width, image.height) > longest else image


def _bounded(value: Any) -> Any:
    """A JSON-safe copy of model output for the history (strings cut, depth bounded)."""
    try:
        text = json.dumps(value, default=str)
    except (ValueError, RecursionError):
        return {"unrecordable": True}
    if len(text) <= 20_000:
        return json.loads(text)
    return {"truncated": text[:20_000]}
