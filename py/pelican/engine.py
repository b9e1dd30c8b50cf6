"""Python's handle on one compute engine (a worker running the C++ core, workers/client.ts).

An Engine holds a target and a scene; every pixel of maths happens in the worker. Calls are
async because they cross to another thread. Engine errors keep their kind across the hop:
EngineError (rejected input, from the C++ validation), EngineCrashed (the worker died and was
replaced, its last scene restored), and Cancelled (the caller stopped it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from . import _host
from .images import Image
from . import shape_table
from .scene import Scene, Shape

BREAKDOWN_KEYS = ("mse", "edge", "ssim", "perimeter", "degeneracy", "canvas", "total")
#: The original's loss weights (spec §4); workers/protocol.ts DEFAULT_WEIGHTS is the same table.
DEFAULT_WEIGHTS = {"perimeter": 0.001, "degeneracy": 0.1, "canvas": 1.0, "edge": 0.1, "ssim": 0.05}


class EngineError(ValueError):
    """The engine rejected a call; the message names the call and the bad input."""


class EngineCrashed(RuntimeError):
    """The worker crashed; it has been replaced and the last good state re-sent."""


class Cancelled(Exception):
    """The run was stopped on request."""


_KINDS = {"EngineError": EngineError, "EngineCrashed": EngineCrashed, "AbortError": Cancelled}


async def _call(promise: Any) -> Any:
    try:
        return await promise
    except Exception as e:  # a JsException: re-raise it with its JS name as a Python kind
        name = getattr(e, "name", None) or getattr(getattr(e, "js_error", None), "name", None)
        kind = _KINDS.get(str(name))
        if kind is None:
            raise
        message = getattr(getattr(e, "js_error", None), "message", None) or str(e)
        raise kind(str(message)) from None


@dataclass(frozen=True)
class Model:
    """What an engine fits besides geometry (workers/protocol.ts Model): 1 or 3 channels, a
    per-shape opacity, the canvas colour. ``Model()`` is the original's: gray, opaque, white."""

    channels: int = 1
    opacity: bool = False
    fit_background: bool = False

    @staticmethod
    def for_picture(target: Image) -> "Model":
        """Everything fitted, in the target's own channels: the model of vectorize()."""
        return Model(target.channels, True, True)

    @staticmethod
    def for_scene(scene: Scene, target: Image) -> "Model":
        """The original's model for the original's kind of scene (gray, opaque, on white) and
        target (gray); otherwise everything fitted, in the target's channels."""
        if scene.is_original and target.channels == 1:
            return ORIGINAL
        return Model.for_picture(target)

    def to_js(self) -> dict[str, Any]:
        return {"channels": self.channels, "opacity": self.opacity, "fitBackground": self.fit_background}


ORIGINAL = Model()


def fixed_tau(scene_or_side: Scene | int) -> float:
    """τ at which losses are compared (0.5 px, as the original's evaluations)."""
    side = scene_or_side.side if isinstance(scene_or_side, Scene) else int(scene_or_side)
    return 0.5 / side


@dataclass
class Evaluation:
    breakdown: dict[str, float]
    #: Gradients of the total loss w.r.t. the optimiser's parameter behind each value, per shape,
    #: in the engine's value order (paint first); for the original's model, its raw gradients.
    gradients: list[list[float]]
    #: The same for the fitted background's channels ([] when it is fixed).
    background_gradients: list[float] = field(default_factory=list)

    @property
    def total(self) -> float:
        return self.breakdown["total"]


@dataclass
class OptimizeResult:
    scene: Scene
    history: list[dict[str, float]]
    best_loss: float
    steps_completed: int
    cancelled: bool
    elapsed_ms: float


def _breakdown(value: Any) -> dict[str, float]:
    d = _host.to_py(value)
    return {k: float(d[k]) for k in BREAKDOWN_KEYS}


class Engine:
    """One worker. Create with ``await Engine.open(target)``; close with ``engine.close()``."""

    def __init__(self, client: Any, owned: bool, release: Callable[[Any], None] | None = None) -> None:
        self._client = client
        self._owned = owned
        self._release = release
        self._size: tuple[int, int] | None = None
        self._model = ORIGINAL
        self._scene: Scene | None = None
        self._weights_changed = False

    @staticmethod
    async def open(target: Image | None = None) -> "Engine":
        """A new worker of its own."""
        engine = Engine(await _maybe_await(_host.create_engine()), owned=True)
        if target is not None:
            await engine.set_target(target)
        return engine

    @staticmethod
    async def borrow(target: Image | None = None) -> "Engine":
        """A worker from the shared pool; ``close()`` gives it back."""
        pool = _host.engine_pool()
        engine = Engine(await pool.acquire(), owned=False, release=pool.release)
        if target is not None:
            await engine.set_target(target)
        return engine

    def close(self) -> None:
        if self._client is None:
            return
        client, self._client = self._client, None
        if self._weights_changed and not self._owned:
            # A shared worker goes back with the original's weights; the call is queued ahead of
            # whatever its next user asks.
            _host.detach(client.setWeights(_host.to_js_object(dict(DEFAULT_WEIGHTS))))
        if self._owned:
            client.terminate()
        elif self._release is not None:
            self._release(client)

    async def __aenter__(self) -> "Engine":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.close()

    @property
    def client(self) -> Any:
        if self._client is None:
            raise EngineError("this engine was closed")
        return self._client

    @property
    def scene(self) -> Scene | None:
        return self._scene

    @property
    def model(self) -> Model:
        return self._model

    async def set_target(self, target: Image, model: Model | None = None) -> None:
        """The picture to fit, and the model to fit it with (default: the original's, gray)."""
        if model is None:
            model = Model(channels=target.channels)
        if target.channels != model.channels:
            raise EngineError(f"set_target: the target has {target.channels} channel(s) but the model {model.channels}")
        if self._size != (target.width, target.height) or self._model != model:
            await _call(self.client.init(target.width, target.height, _host.to_js_object(model.to_js())))
            if self._model != model:
                self._scene = None
            self._size = (target.width, target.height)
            self._model = model
        await _call(self.client.setTarget(_host.float32(target.pixels)))

    async def set_scene(self, scene: Scene, freeze: list[int] | tuple[int, ...] = ()) -> None:
        """Loads ``scene``; shapes flagged frozen, and those at indices ``freeze``, stay put."""
        if self._size != (scene.width, scene.height):
            raise EngineError(
                f"set_scene: the scene is {scene.width}x{scene.height} but the target is "
                + ("not set" if self._size is None else f"{self._size[0]}x{self._size[1]}")
            )
        m = self._model
        if not m.opacity and any(s.opacity != 1.0 for s in scene.shapes):
            raise EngineError("set_scene: the scene has translucent shapes but this engine's model has no opacity")
        await _call(self.client.setScene(_host.int32(scene.type_codes()), _host.float64(scene.values(m.channels, m.opacity)),
                                         _host.float64(scene.background_values(m.channels))))
        await _call(self.client.setFrozen(_host.uint8(scene.frozen_mask(freeze))))
        self._scene = scene.copy()

    async def set_weights(self, weights: dict[str, float] | None) -> None:
        """Loss weights (perimeter, degeneracy, canvas, edge, ssim); None restores the original's."""
        values = dict(DEFAULT_WEIGHTS)
        for key, value in (weights or {}).items():
            if key not in DEFAULT_WEIGHTS:
                raise EngineError(f"set_weights: unknown weight {key!r} (known: {', '.join(DEFAULT_WEIGHTS)})")
            values[key] = float(value)
        await _call(self.client.setWeights(_host.to_js_object(values)))
        self._weights_changed = weights is not None

    async def set_frozen(self, mask: list[int]) -> None:
        await _call(self.client.setFrozen(_host.uint8(mask)))

    async def evaluate(self, tau: float | None = None, window: tuple[int, int, int, int] | None = None) -> Evaluation:
        """Loss and gradients at ``tau``; with ``window`` = (x0, y0, x1, y1) in pixels (half-open),
        of that window only: the MSE over its pixels, the priors over every shape (the edge and
        ssim weights must be 0)."""
        scene = self._require_scene("evaluate")
        tau = fixed_tau(scene) if tau is None else tau
        if window is None:
            result = await _call(self.client.evaluate(tau))
        else:
            result = await _call(self.client.evaluate(tau, _host.to_js_object(_window("evaluate", window))))
        flat = _host.floats(result.gradients)
        grads, o = [], 0
        for shape in scene.shapes:
            n = shape.value_count(self._model.channels, self._model.opacity)
            grads.append([float(v) for v in flat[o:o + n]])
            o += n
        return Evaluation(_breakdown(result.breakdown), grads, [float(v) for v in flat[o:]])

    async def loss(self, tau: float | None = None) -> float:
        return (await self.evaluate(tau)).total

    async def render(self, tau: float | None = None, width: int | None = None, height: int | None = None) -> Image:
        scene = self._require_scene("render")
        width = scene.width if width is None else width
        height = scene.height if height is None else height
        pixels = await _call(self.client.render(fixed_tau(scene) if tau is None else tau, width, height))
        return Image(width, height, _host.floats(pixels), self._model.channels)

    async def optimize(
        self,
        steps: int,
        lr: float = 0.02,
        tau_start: float | None = None,
        tau_end: float | None = None,
        on_progress: Callable[[dict[str, Any]], Any] | None = None,
        preview_every: int = 0,
        preview_size: int | None = None,
        window: tuple[int, int, int, int] | None = None,
    ) -> OptimizeResult:
        """The original's optimiser (spec §5) run inside the worker; leaves the best scene loaded.

        ``window`` = (x0, y0, x1, y1), pixels [x0, x1) × [y0, y1): the steps render, score and
        differentiate only the tiles meeting it, so their cost follows its area (local settling of
        new shapes; freeze the others). Needs the edge and ssim weights at 0."""
        scene = self._require_scene("optimize")
        options: dict[str, Any] = {"steps": int(steps), "lr": float(lr)}
        if window is not None:
            options["window"] = _window("optimize", window)
        if tau_start is not None:
            options["tauStart"] = float(tau_start)
        if tau_end is not None:
            options["tauEnd"] = float(tau_end)
        if preview_every:
            options["previewEvery"] = int(preview_every)
            if preview_size:
                options["previewSize"] = int(preview_size)
        callback = None
        if on_progress is not None:
            callback = _host.proxy(lambda p: on_progress(_progress(p)))
        try:
            js_options = _host.to_js_object(options)
            result = await _call(self.client.optimize(js_options, callback) if callback else self.client.optimize(js_options))
        finally:
            if callback is not None:
                callback.destroy()
        history_flat = _host.floats(result.history)
        history = [
            {k: float(history_flat[i * 7 + j]) for j, k in enumerate(BREAKDOWN_KEYS)}
            for i in range(len(history_flat) // 7)
        ]
        m = self._model
        best = scene.with_values(_host.doubles(result.values), _host.doubles(result.background), m.channels, m.opacity)
        self._scene = best
        return OptimizeResult(best, history, float(result.bestLoss), int(result.stepsCompleted),
                              bool(result.cancelled), float(result.elapsedMs))

    async def propose(self, count: int, candidates: int = 128, mutations: int = 96, seed: int = 1,
                      types: tuple[str, ...] | None = None, tau: float | None = None) -> list[Shape]:
        """Up to ``count`` new shapes for the loaded scene, placed on the residual of its render
        at ``tau`` with colour and opacity solved in closed form (cpp/src/propose.h); the loaded
        scene is not changed. Names are ``<type>_<n>``, unique in the scene."""
        scene = self._require_scene("propose")
        table = shape_table.table()
        mask = 0
        for name in types or table.types:
            if name not in table.types:
                raise EngineError(f"propose: {name!r} is not a shape type ({', '.join(table.types)})")
            mask |= 1 << table.types[name].code
        options: dict[str, Any] = {"count": int(count), "candidates": int(candidates), "mutations": int(mutations),
                                   "seed": int(seed) & 0x7FFFFFFF, "typeMask": mask}
        if tau is not None:
            options["tau"] = float(tau)
        result = await _call(self.client.propose(_host.to_js_object(options)))
        codes = list(_host.to_py(result.types))
        values = _host.doubles(result.values)
        m, names, out, o = self._model, set(scene.names()), [], 0
        for code in codes:
            kind = table.by_code[int(code)].name
            n = m.channels + (1 if m.opacity else 0) + len(table.by_code[int(code)].geometry)
            name, k = f"{kind}_{len(scene) + len(out)}", 1
            while name in names:
                k += 1
                name = f"{kind}_{len(scene) + len(out)}_{k}"
            names.add(name)
            out.append(Shape.from_values(kind, name, values[o:o + n], m.channels, m.opacity))
            o += n
        return out

    def cancel(self) -> None:
        """Stops a running optimize within one chunk of steps; it keeps the best so far."""
        if self._client is not None:
            self._client.cancel()

    def _require_scene(self, call: str) -> Scene:
        if self._scene is None:
            raise EngineError(f"{call}: set a target and a scene first")
        return self._scene


def _window(call: str, window: Any) -> dict[str, int]:
    """(x0, y0, x1, y1) as the protocol's PixelWindow; the engine checks it against the canvas."""
    try:
        x0, y0, x1, y1 = window
    except (TypeError, ValueError):
        raise EngineError(f"{call}: window must be (x0, y0, x1, y1), got {window!r}") from None
    values = {"x0": x0, "y0": y0, "x1": x1, "y1": y1}
    for key, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int):
            raise EngineError(f"{call}: window.{key} must be an integer pixel, got {value!r}")
    return values


def _progress(p: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"step": int(p.step), "steps": int(p.steps), "breakdown": _breakdown(p.breakdown)}
    preview = getattr(p, "preview", None)
    if preview is not None:
        pixels = _host.floats(preview.pixels)
        width, height = int(preview.width), int(preview.height)
        out["preview"] = Image(width, height, pixels, len(pixels) // (width * height))
    return out


async def _maybe_await(value: Any) -> Any:
    if hasattr(value, "then"):
        return await value
    return value

