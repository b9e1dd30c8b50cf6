"""optimize(): the original's gradient descent (spec §5) on one scene, run inside a worker."""

from __future__ import annotations

from typing import Any, Callable

from .engine import DEFAULT_LR, Engine, Model, OptimizeResult
from .images import Image
from .scene import Scene

DEFAULT_STEPS = 500


async def optimize(
    scene: Scene,
    target: Image,
    steps: int = DEFAULT_STEPS,
    lr: float = DEFAULT_LR,
    tau_start: float | None = None,
    tau_end: float | None = None,
    engine: Engine | None = None,
    on_progress: Callable[[dict[str, Any]], Any] | None = None,
    preview_every: int = 0,
    freeze: tuple[int, ...] = (),
) -> OptimizeResult:
    """Fits ``scene`` to ``target``: Adam, cosine lr to lr/20, τ from 1/S to 0.2/S, clipping at 1,
    best parameters restored. Shapes flagged frozen (or listed in ``freeze``) are not moved.
    The input scene is not changed; the result holds the fitted copy.
    """
    if (scene.width, scene.height) != (target.width, target.height):
        raise ValueError(
            f"optimize: the scene is {scene.width}x{scene.height}, the target {target.width}x{target.height}"
        )
    own = engine is None
    engine = engine or await Engine.borrow()
    try:
        await engine.set_target(target, Model.for_scene(scene, target))
        await engine.set_scene(scene, freeze)
        return await engine.optimize(steps, lr, tau_start, tau_end, on_progress, preview_every)
    finally:
        if own:
            engine.close()


def metrics(result: OptimizeResult, resolution: int) -> dict[str, Any]:
    """The original's metrics.json (§1.2)."""
    return {
        "loss_history": result.history,
        "final_loss": result.best_loss,
        "steps_completed": result.steps_completed,
        "resolution": resolution,
    }
