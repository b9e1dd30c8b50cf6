"""pelican: fit soft-edged primitives to an image by differentiable rendering, in the browser.

    from pelican import Scene, Image, optimize, greedy_refine
    target = Image.from_bytes(open("bird.png", "rb").read(), fit=128).gray()
    scene = Scene.initial(target.width, target.height)
    result = await optimize(scene, target, steps=500)
    grown = await greedy_refine(result.scene, target, GreedyOptions(max_shapes=35))
    open("bird.svg", "w").write(to_svg(grown.scene))

The maths runs in the compute workers (workers/); this package orchestrates. See README.md.
"""

from .engine import Cancelled, Engine, EngineCrashed, EngineError, Evaluation, Model, OptimizeResult, fixed_tau
from .greedy import GreedyOptions, GreedyResult, StopToken, greedy_refine
from .images import Image, ImageError
from .optimizer import metrics, optimize
from .scene import Scene, SceneError, Shape
from .svg import from_svg, to_svg
from .vectorize import VectorizeOptions, VectorizeResult, vectorize

__version__ = "0.1.0"

__all__ = [
    "Cancelled",
    "Engine",
    "EngineCrashed",
    "EngineError",
    "Evaluation",
    "GreedyOptions",
    "GreedyResult",
    "Image",
    "ImageError",
    "Model",
    "OptimizeResult",
    "VectorizeOptions",
    "VectorizeResult",
    "Scene",
    "SceneError",
    "Shape",
    "StopToken",
    "fixed_tau",
    "from_svg",
    "greedy_refine",
    "metrics",
    "optimize",
    "to_svg",
    "vectorize",
]
