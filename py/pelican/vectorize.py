"""vectorize(): any picture, in colour or gray, as N shapes; the app's and the CLI's pipeline.

It starts from the background alone (the target's mean colour) and grows the scene in rounds.
Each round the engine proposes new shapes where the residual is largest, their colour and
opacity solved in closed form (Engine.propose), and settles them locally: each new shape is
optimised on the window of tiles it can touch with every other shape frozen (pelican.settle),
so a round costs what its new shapes cover, not the whole canvas times the whole scene. Every
few rounds, or sooner when the local gains fade, every shape and the background are optimised
jointly by gradient descent: the hill-climbing tools freeze a shape once placed, this keeps
improving all of them. Rounds add more shapes at a time as the scene grows (a shape changes
less of a busy picture), and the joint passes come at a fixed number of rounds, so their cost
per added shape stays about flat.

Small budgets then regrow: the weakest shape is swapped for a new proposal while that lowers
the error, revisiting the first places a greedy growth committed to.

The search reaches its budget: a round only stops adding when no shape would lower the error
anywhere (the picture is already matched), and shapes the optimiser made invisible are dropped
and replaced. What is optimised is what the user sees: the image error, with the structural and
geometric priors off (see ``VectorizeOptions.weights``).
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable

from . import _host, checks
from .engine import DEFAULT_LR, Cancelled, Engine, Model
from .greedy import StopToken, _maybe
from .images import Image
from .scene import Scene
from .settle import settle


@dataclass
class VectorizeOptions:
    shapes: int = 100
    #: Fit the luma of the picture instead of its colours.
    gray: bool = False
    #: New shapes per round as a fraction of the shapes so far (at least one, at most max_batch).
    #: Rounds that keep growing with the scene keep the joint passes (every joint_every rounds)
    #: at a flat cost per added shape; a cap makes them come every max_batch·joint_every shapes.
    growth: float = 0.2
    max_batch: int = 64
    #: Steps of each joint optimisation (every shape and the background), and of the final polish.
    round_steps: int = 80
    polish_steps: int = 300
    lr: float = DEFAULT_LR
    #: Softness (pixels) at the start and end of each round's τ schedule, and of the polish. A
    #: browser draws the SVG's hard edges with box-filter coverage (a 1 px linear ramp); the
    #: logistic matches its slope at τ = 0.25 px and its spread at 0.16. Polished softer, the fit
    #: uses tails the SVG does not have: at 0.3 px a 200-shape fit of a flat logo scored 47 dB in
    #: the engine and 37 dB as drawn; at 0.2 px the SVG gains 0.9–2 dB at 100–200 shapes (128 px,
    #: eight pictures) and stays level at 20–35, where growth at 0.3 px finds places more easily.
    tau_start_px: float = 1.0
    tau_end_px: float = 0.3
    polish_tau_px: float = 0.2
    #: Shapes are placed and grown on the picture shrunk to this longer side (shapes are in
    #: normalised units, so they carry over), then polished at the full size: most of the work
    #: runs on a quarter of the pixels of a 256 px picture.
    coarse_side: int = 128
    #: Seeds grown side by side on the engine pool, the best kept (0: two up to 50 shapes, else one).
    tries: int = 0
    #: Settle new shapes locally (window, the rest frozen) and optimise jointly only on schedule;
    #: False runs a joint optimisation after every round (the pipeline before local settling).
    local: bool = True
    #: Steps of each local settling, per window.
    settle_steps: int = 10
    #: A joint pass after this many rounds since the last (0: only when the gains fade).
    joint_every: int = 4
    #: ...or sooner, once a round's error decrease per new shape falls below this fraction of
    #: the first round's after the last joint pass (0: never sooner).
    fade: float = 0.5
    #: Pixels (of the growing picture) a settling window reaches beyond a new shape's box, on
    #: top of 3 τ_start where its soft edge fades.
    settle_margin_px: float = 1.0
    #: The proposal search per new shape.
    candidates: int = 128
    mutations: int = 96
    #: After the polish, rounds of regrowth: the shape whose removal costs least is taken out, a
    #: new one proposed on the residual and the scene optimised briefly; kept only if the error
    #: at the polish τ falls. A greedy growth never revisits its early places, this does (+0.2 to
    #: +0.3 dB on photographs at 20–35 shapes for about a second). Each round weighs every shape
    #: (one evaluation each), so budgets above regrow_max_shapes skip it.
    regrow: int = 10
    regrow_max_shapes: int = 50
    regrow_steps: int = 100
    #: A shape whose opacity falls below this is dropped (and the place offered again).
    min_opacity: float = 0.02
    seed: int = 1
    #: The image error alone: priors keep the original's scenes tidy but block shapes a picture
    #: needs (the canvas prior keeps every shape off the border).
    weights: dict[str, float] = field(
        default_factory=lambda: {"perimeter": 0.0, "degeneracy": 0.0, "canvas": 0.0, "edge": 0.0, "ssim": 0.0}
    )

    def validate(self) -> "VectorizeOptions":
        checks.whole_numbers(
            self,
            (
                "shapes",
                "max_batch",
                "round_steps",
                "polish_steps",
                "candidates",
                "mutations",
                "coarse_side",
                "tries",
                "settle_steps",
                "joint_every",
                "regrow",
                "regrow_max_shapes",
                "regrow_steps",
            ),
            0,
        )
        if self.shapes > 1000:
            raise ValueError(f"shapes: at most 1000, got {self.shapes}")
        if self.max_batch < 1 or self.candidates < 1:
            raise ValueError("max_batch and candidates must be at least 1")
        checks.learning_rate(self.lr)
        if not isinstance(self.local, bool):
            raise ValueError(f"local: expected true or false, got {self.local!r}")
        if self.local and self.settle_steps == 0 and self.round_steps == 0:
            raise ValueError("settle_steps and round_steps are both 0: local rounds would never optimise a shape")
        if self.local and self.settle_steps > 0 and any(self.weights.get(k, 0.0) > 0 for k in ("edge", "ssim")):
            raise ValueError(
                "weights: local settling scores a window by its MSE alone, so edge and ssim must be 0 "
                "(or set local=False)"
            )
        checks.numbers(self, ("fade",), 0, 1)
        checks.numbers(
            self, ("growth", "tau_start_px", "tau_end_px", "polish_tau_px", "min_opacity", "settle_margin_px"), 0, 100
        )
        return self


@dataclass
class VectorizeResult:
    scene: Scene
    #: Wall time of the whole pipeline.
    seconds: float
    #: MSE over every channel value of the engine's render at the polish τ (what the SVG shows,
    #: up to the browser's antialiasing).
    mse: float
    rounds: list[dict[str, Any]] = field(default_factory=list)
    cancelled: bool = False
    #: Why the growth ended: "budget" (every shape placed), "matched" (no new shape lowers the
    #: error anywhere: the picture is matched, e.g. a flat one), "stalled" (STALL_ROUNDS rounds in a
    #: row whose new shapes were all dropped) or "stopped" (a stop was asked for).
    ended: str = "budget"
    #: The regrowth rounds (see VectorizeOptions.regrow): {"round", "loss" (at the polish τ, of
    #: the scene with the swap), "kept"}, after {"round": 0, "loss"} for the polished scene.
    regrowth: list[dict[str, Any]] = field(default_factory=list)

    @property
    def regrown(self) -> int:
        """Regrowth rounds whose swap was kept."""
        return sum(1 for r in self.regrowth if r.get("kept"))

    @property
    def psnr(self) -> float:
        return -10.0 * math.log10(self.mse) if self.mse > 0 else float("inf")


#: Rounds in a row whose new shapes were all dropped (below min_opacity) after which the growth
#: gives up short of its budget: the places left can only take shapes too faint to keep.
STALL_ROUNDS = 3


def mean_color(target: Image) -> tuple[float, float, float]:
    n = target.width * target.height
    means = [math.fsum(target.plane(c)) / n for c in range(target.channels)]
    return (means[0],) * 3 if target.channels == 1 else (means[0], means[1], means[2])  # type: ignore[return-value]


async def vectorize(
    target: Image,
    shapes: int = 100,
    gray: bool = False,
    options: VectorizeOptions | None = None,
    on_round: Callable[[dict[str, Any], Scene], Any] | None = None,
    stop: StopToken | None = None,
    on_progress: Callable[[dict[str, Any]], Any] | None = None,
) -> VectorizeResult:
    """``target`` as ``shapes`` shapes. ``on_round(record, scene)`` sees every round's scene;
    ``stop.stop()`` ends the run early with the best scene so far."""
    base = options or VectorizeOptions()
    opts = replace(base, shapes=int(shapes), gray=bool(gray or base.gray)).validate()
    stop = stop or StopToken()
    started = time.perf_counter()
    picture = target.gray() if opts.gray else target
    model = Model.for_picture(picture)
    coarse = picture.fit(opts.coarse_side) if 8 <= opts.coarse_side < picture.side else picture
    tries = opts.tries or (2 if opts.shapes <= 50 else 1)
    engines = [await Engine.borrow() for _ in range(max(1, min(tries, _host.pool_size())))]
    stop._engines = engines
    growths = [_Growth(Scene.blank(coarse.width, coarse.height, mean_color(coarse))) for _ in engines]
    try:
        # Few shapes are cheap and their first places decide much (a ring needs its two discs
        # in the right order), so small budgets grow from several seeds side by side on the
        # pool and keep the best; the first one's rounds are the ones reported.
        await asyncio.gather(
            *(
                _grow(
                    engine,
                    coarse,
                    model,
                    opts,
                    opts.seed + 1000 * i,
                    growth,
                    stop,
                    started,
                    on_round if i == 0 else None,
                    on_progress if i == 0 else None,
                )
                for i, (engine, growth) in enumerate(zip(engines, growths))
            )
        )
        best = min(range(len(growths)), key=lambda i: growths[i].loss)
        engine, scene = engines[best], growths[best].scene
        if coarse is not picture:
            scene = Scene(picture.width, picture.height, scene.shapes, scene.background)
        await engine.set_target(picture, model)
        side = picture.side
        if opts.polish_steps > 0 and not stop.stopped:
            sharp = opts.polish_tau_px / side
            await engine.set_scene(scene)
            polished = await engine.optimize(opts.polish_steps, opts.lr / 2, sharp, sharp, on_progress=on_progress)
            scene = polished.scene
        regrowth: list[dict[str, Any]] = []
        if opts.regrow and 2 <= len(scene) <= opts.regrow_max_shapes and not stop.stopped:
            scene = await _regrow(engine, scene, opts, side, opts.seed * 7919 + 104729, stop, regrowth)
        await engine.set_scene(scene)
        render = await engine.render(opts.polish_tau_px / side)
        mse = render.mse(picture)
        ended = "stopped" if stop.stopped else growths[best].ended
        return VectorizeResult(
            scene, time.perf_counter() - started, mse, growths[0].rounds, stop.stopped, ended, regrowth
        )
    except Cancelled:
        scene = min(growths, key=lambda g: g.loss).scene
        return VectorizeResult(scene, time.perf_counter() - started, float("nan"), growths[0].rounds, True, "stopped")
    finally:
        for engine in engines:
            engine.close()


async def _regrow(
    engine: Engine,
    scene: Scene,
    opts: VectorizeOptions,
    side: int,
    seed: int,
    stop: StopToken,
    record: list[dict[str, Any]],
) -> Scene:
    """``opts.regrow`` rounds on the loaded picture: the shape whose removal raises the error at
    the polish τ least is replaced by a proposal on the residual, the scene optimised from the
    rounds' τ down to the polish τ, and the result kept only if its error is lower."""
    sharp, soft = opts.polish_tau_px / side, opts.tau_end_px / side
    await engine.set_scene(scene)
    best = await engine.loss(sharp)
    record.append({"round": 0, "loss": best})
    for k in range(1, opts.regrow + 1):
        if stop.stopped:
            break
        without = []
        for shape in scene.shapes:
            trial = scene.copy()
            trial.remove(shape.name)
            await engine.set_scene(trial)
            without.append(await engine.loss(sharp))
        trial = scene.copy()
        trial.remove(scene.shapes[min(range(len(without)), key=without.__getitem__)].name)
        await engine.set_scene(trial)
        new = await engine.propose(1, 2 * opts.candidates, 2 * opts.mutations, seed=seed + k, tau=soft)
        if not new:
            break  # nothing lowers the error anywhere
        trial.add(new[0])
        await engine.set_scene(trial)
        result = await engine.optimize(opts.regrow_steps, opts.lr / 2, soft, sharp)
        await engine.set_scene(result.scene)
        loss = await engine.loss(sharp)
        record.append({"round": k, "loss": loss, "kept": loss < best})
        if loss < best:
            scene, best = result.scene, loss
    await engine.set_scene(scene)
    return scene


@dataclass
class _Growth:
    """One seed's growth on the coarse picture: the scene so far, its loss, its rounds."""

    scene: Scene
    loss: float = float("inf")
    rounds: list[dict[str, Any]] = field(default_factory=list)
    ended: str = "budget"


async def _grow(
    engine: Engine,
    coarse: Image,
    model: Model,
    opts: VectorizeOptions,
    seed: int,
    growth: _Growth,
    stop: StopToken,
    started: float,
    on_round: Callable[[dict[str, Any], Scene], Any] | None,
    on_progress: Callable[[dict[str, Any]], Any] | None,
) -> None:
    side = coarse.side
    tau_start, tau_end = opts.tau_start_px / side, opts.tau_end_px / side
    # Local settling keeps the canvas colour fixed (a window would pull it towards its own
    # pixels); the joint passes fit it. Switching models reloads the target and the scene.
    fixed = Model(model.channels, model.opacity, False)
    await engine.set_target(coarse, model)
    await engine.set_weights(opts.weights)
    await engine.set_scene(growth.scene)
    fitted = await engine.optimize(30, opts.lr, tau_end, tau_end)  # the background
    growth.scene = fitted.scene
    loss = await engine.loss(tau_end)
    schedule = _Schedule(opts)
    round_no, stalls = 0, 0
    while len(growth.scene) < opts.shapes and not stop.stopped and stalls < STALL_ROUNDS:
        round_no += 1
        round_started = time.perf_counter() - started
        scene = growth.scene.copy()
        want = min(opts.shapes - len(scene), opts.max_batch, max(1, int(len(scene) * opts.growth)))
        new = await engine.propose(want, opts.candidates, opts.mutations, seed=seed * 7919 + round_no, tau=tau_end)
        if not new:
            growth.ended = "matched"  # no shape lowers the error anywhere
            break
        first_new = len(scene)
        for shape in new:
            scene.add(shape)
        record: dict[str, Any] = {"round": round_no, "added": len(new), "started": round_started}
        cancelled = False
        if opts.local and opts.settle_steps > 0:
            if engine.model != fixed:
                await engine.set_target(coarse, fixed)
            await engine.set_scene(scene)
            settled = await settle(
                engine,
                scene,
                list(range(first_new, len(scene))),
                opts.settle_steps,
                opts.lr,
                tau_start,
                tau_end,
                opts.settle_margin_px + 3 * opts.tau_start_px,
                on_progress,
            )
            scene = settled.scene
            record.update(windows=settled.windows, window_pixels=settled.pixels)
            cancelled = stop.stopped
        joint = (not opts.local or schedule.joint_due()) and opts.round_steps > 0 and not cancelled
        if joint:
            if engine.model != model:
                await engine.set_target(coarse, model)
            await engine.set_scene(scene)
            result = await engine.optimize(opts.round_steps, opts.lr, tau_start, tau_end, on_progress=on_progress)
            scene, cancelled = result.scene, result.cancelled
        dropped = [s.name for s in scene.shapes if s.opacity < opts.min_opacity]
        for name in dropped:
            scene.remove(name)
        stalls = stalls + 1 if len(dropped) >= len(new) else 0
        await engine.set_scene(scene)
        before, loss = loss, await engine.loss(tau_end)
        schedule.after_round(joint, (before - loss) / len(new))
        growth.scene = scene
        record.update(
            {
                "dropped": len(dropped),
                "num_shapes": len(scene),
                "loss": loss,
                "joint": joint,
                "seconds": time.perf_counter() - started,
            }
        )
        growth.rounds.append(record)
        if on_round:
            await _maybe(on_round(record, scene))
        if cancelled:
            break
    if stalls >= STALL_ROUNDS:
        growth.ended = "stalled"
    if engine.model != model:
        await engine.set_target(coarse, model)
    await engine.set_scene(growth.scene)
    growth.loss = await engine.loss(tau_end)


class _Schedule:
    """When the joint passes come: after ``joint_every`` rounds since the last, or sooner once a
    round's error decrease per new shape has fallen below ``fade`` of the first round's since the
    last joint pass (the local moves are running out; re-fitting everything opens new ones)."""

    def __init__(self, opts: VectorizeOptions) -> None:
        self.every, self.fade = opts.joint_every, opts.fade
        self.rounds = 0  # local rounds since the last joint pass
        self.first_gain: float | None = None
        self.last_gain: float | None = None

    def joint_due(self) -> bool:
        if self.every and self.rounds + 1 >= self.every:
            return True
        faded = self.first_gain is not None and self.last_gain is not None and self.first_gain > 0
        return bool(self.fade and faded and self.last_gain < self.fade * self.first_gain)  # type: ignore[operator]

    def after_round(self, joint: bool, gain_per_shape: float) -> None:
        if joint:
            self.rounds, self.first_gain, self.last_gain = 0, None, None
            return
        self.rounds += 1
        if self.first_gain is None:
            self.first_gain = gain_per_shape
        self.last_gain = gain_per_shape
