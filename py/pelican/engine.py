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
from .errors import Cancelled, EngineCrashed, EngineError
from .images import Image
from . import shape_table
from .scene import Scene, Shape

#: Awaits a raw engine-client call, its named JS errors raised as their Python kinds.
#: The engine's learning rate (cpp/include/pelican/engine.h, shapeModel().defaults.lr), a
#: constant here because option classes take it at import; tests/py holds the two equal.
DEFAULT_LR = 0.02

_call = _host.call


def __getattr__(name: str) -> Any:
    # BREAKDOWN_KEYS (the breakdown's order) and DEFAULT_WEIGHTS (the original's loss weights,
    # spec §4) are workers/protocol.ts's, handed over by the host when first asked for: the
    # build's snapshot imports this module with no host to ask.
    if name == "BREAKDOWN_KEYS":
        return _host.protocol().breakdown_keys
    if name == "DEFAULT_WEIGHTS":
        return dict(_host.protocol().default_weights)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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


class Engine:
    """One worker. Create with ``await Engine.open(target)``; close with ``engine.close()``."""

    def __init__(
        self,
        client: Any,
        owned: bool,
        release: Callable[[Any], None] | None = None,
        handle: _host.EngineHandle | None = None,
    ) -> None:
        self._handle: _host.EngineHandle | None = handle or _host.EngineHandle(client, owned, release)
        self._owned = owned
        self._size: tuple[int, int] | None = None
        self._model = ORIGINAL
        self._scene: Scene | None = None
        self._weights_changed = False

    @staticmethod
    async def open(target: Image | None = None) -> "Engine":
        """A new worker of its own."""
        handle = await _host.open_engine()
        engine = Engine(handle.client, owned=True, handle=handle)
        if target is not None:
            await engine.set_target(target)
        return engine

    @staticmethod
    async def borrow(target: Image | None = None) -> "Engine":
        """A worker from the shared pool; ``close()`` gives it back."""
        handle = await _host.borrow_engine()
        engine = Engine(handle.client, owned=False, handle=handle)
        if target is not None:
            await engine.set_target(target)
        return engine

    def close(self) -> None:
        if self._handle is None:
            return
        handle, self._handle = self._handle, None
        if self._weights_changed and not self._owned:
            # A shared worker goes back with the original's weights, ahead of its next user's calls.
            handle.reset_weights()
        handle.close()

    async def __aenter__(self) -> "Engine":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.close()

    @property
    def client(self) -> Any:
        """The raw engine client (workers/client.ts), for calls this class does not wrap."""
        return self._engine().client

    def _engine(self) -> _host.EngineHandle:
        if self._handle is None:
            raise EngineError("this engine was closed")
        return self._handle

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
            await self._engine().init(target.width, target.height, model.to_js())
            if self._model != model:
                self._scene = None
            self._size = (target.width, target.height)
            self._model = model
        await self._engine().set_target(target.pixels)

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
        await self._engine().set_scene(
            scene.type_codes(), scene.values(m.channels, m.opacity), scene.background_values(m.channels)
        )
        await self._engine().set_frozen(scene.frozen_mask(freeze))
        self._scene = scene.copy()

    async def set_weights(self, weights: dict[str, float] | None) -> None:
        """Loss weights (perimeter, degeneracy, canvas, edge, ssim); None restores the original's."""
        defaults = _host.protocol().default_weights
        values = dict(defaults)
        for key, value in (weights or {}).items():
            if key not in defaults:
                raise EngineError(f"set_weights: unknown weight {key!r} (known: {', '.join(defaults)})")
            values[key] = float(value)
        await self._engine().set_weights(values)
        self._weights_changed = weights is not None

    async def set_frozen(self, mask: list[int]) -> None:
        await self._engine().set_frozen(mask)

    async def evaluate(self, tau: float | None = None, window: tuple[int, int, int, int] | None = None) -> Evaluation:
        """Loss and gradients at ``tau``; with ``window`` = (x0, y0, x1, y1) in pixels (half-open),
        of that window only: the MSE over its pixels, the priors over every shape (the edge and
        ssim weights must be 0)."""
        scene = self._require_scene("evaluate")
        window_js = None if window is None else _window("evaluate", window)
        breakdown, flat = await self._engine().evaluate(fixed_tau(scene) if tau is None else tau, window_js)
        grads, o = [], 0
        for shape in scene.shapes:
            n = shape.value_count(self._model.channels, self._model.opacity)
            grads.append([float(v) for v in flat[o : o + n]])
            o += n
        return Evaluation(breakdown, grads, [float(v) for v in flat[o:]])

    async def loss(self, tau: float | None = None) -> float:
        return (await self.evaluate(tau)).total

    async def render(self, tau: float | None = None, width: int | None = None, height: int | None = None) -> Image:
        scene = self._require_scene("render")
        width = scene.width if width is None else width
        height = scene.height if height is None else height
        pixels = await self._engine().render(fixed_tau(scene) if tau is None else tau, width, height)
        return Image(width, height, pixels, self._model.channels)

    async def optimize(
        self,
        steps: int,
        lr: float = DEFAULT_LR,
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
        # A page run's relay (_host.RunRelay) goes to the host as it is: its progress then travels
        # from the engine to the page without entering Python.
        relay = (
            on_progress
            if on_progress is None or isinstance(on_progress, _host.RunRelay)
            else (lambda p: on_progress(_progress(p)))
        )
        result = await self._engine().optimize(options, relay)
        m = self._model
        best = scene.with_values(result["values"], result["background"], m.channels, m.opacity)
        self._scene = best
        return OptimizeResult(
            best,
            result["history"],
            result["best_loss"],
            result["steps_completed"],
            result["cancelled"],
            result["elapsed_ms"],
        )

    async def propose(
        self,
        count: int,
        candidates: int = 128,
        mutations: int = 96,
        seed: int = 1,
        types: tuple[str, ...] | None = None,
        tau: float | None = None,
    ) -> list[Shape]:
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
        options: dict[str, Any] = {
            "count": int(count),
            "candidates": int(candidates),
            "mutations": int(mutations),
            "seed": int(seed) & 0x7FFFFFFF,
            "typeMask": mask,
        }
        if tau is not None:
            options["tau"] = float(tau)
        codes, values = await self._engine().propose(options)
        m, names, out, o = self._model, set(scene.names()), [], 0
        for code in codes:
            kind = table.by_code[int(code)].name
            n = m.channels + (1 if m.opacity else 0) + len(table.by_code[int(code)].geometry)
            name, k = f"{kind}_{len(scene) + len(out)}", 1
            while name in names:
                k += 1
                name = f"{kind}_{len(scene) + len(out)}_{k}"
            names.add(name)
            out.append(Shape.from_values(kind, name, values[o : o + n], m.channels, m.opacity))
            o += n
        return out

    def cancel(self) -> None:
        """Stops a running optimize within one chunk of steps; it keeps the best so far."""
        if self._handle is not None:
            self._handle.cancel()

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


def _progress(p: dict[str, Any]) -> dict[str, Any]:
    preview = p.get("preview")
    if preview is not None:
        width, height, pixels = preview
        p["preview"] = Image(width, height, pixels, len(pixels) // (width * height))
    return p
