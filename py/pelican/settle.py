"""Local settling: new shapes optimised on the window of tiles they can touch, the rest frozen.

A shape just placed changes the picture only near itself, so fitting it needs only those pixels
and only its own parameters: the engine's window (``Engine.optimize(window=...)``) renders, scores and
differentiates just the tiles of the window. Each new shape settles in its own window, back to
front, so a round costs the sum of its new shapes' areas, not the canvas times their number;
one whose window overlaps an earlier one's sees that one already settled. (Merging overlapping
windows instead made one window of nearly the whole canvas once rounds add dozens of shapes.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from .engine import Engine
from .scene import Scene, Shape

#: The engine's tile side in pixels (cpp/src/raster.h kTileSide): windows are whole tiles.
TILE = 8


@dataclass(frozen=True)
class Window:
    """Pixels [x0, x1) × [y0, y1) of the canvas, on tile boundaries (clipped at the canvas)."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def area(self) -> int:
        return (self.x1 - self.x0) * (self.y1 - self.y0)

    def overlaps(self, other: "Window") -> bool:
        return self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1


def extent(shape: Shape) -> tuple[float, float, float, float]:
    """The shape's bounding box in normalised units (x0, y0, x1, y1)."""
    if shape.type == "triangle":
        xs = [p[0] for p in shape.points]
        ys = [p[1] for p in shape.points]
        return min(xs), min(ys), max(xs), max(ys)
    r = shape.r if shape.type == "circle" else max(shape.rx, shape.ry)
    return shape.cx - r, shape.cy - r, shape.cx + r, shape.cy + r


def reach(shape: Shape, width: int, height: int, margin_px: float, room: float = 0.25) -> Window:
    """The tiles a settling shape can touch: its box grown by ``margin_px`` (where its soft edge
    fades) and by ``room`` of its own size (where it may move to), snapped out to whole tiles."""
    side = max(width, height)
    x0, y0, x1, y1 = (v * side for v in extent(shape))
    grow_x = margin_px + room * (x1 - x0)
    grow_y = margin_px + room * (y1 - y0)

    def snap_down(v: float, limit: int) -> int:
        return max(0, min(limit, int(v // TILE) * TILE))

    def snap_up(v: float, limit: int) -> int:
        return max(0, min(limit, -int(-v // TILE) * TILE))

    w = Window(
        snap_down(x0 - grow_x, width),
        snap_down(y0 - grow_y, height),
        snap_up(x1 + grow_x, width),
        snap_up(y1 + grow_y, height),
    )
    if w.area == 0:  # a shape off the canvas: the nearest tile still holds its fade
        cx, cy = min(width - 1, max(0, int((x0 + x1) / 2))), min(height - 1, max(0, int((y0 + y1) / 2)))
        w = Window(snap_down(cx, width), snap_down(cy, height), snap_up(cx + 1, width), snap_up(cy + 1, height))
    return w


@dataclass
class Settled:
    scene: Scene
    windows: int
    #: Pixels the windows cover, summed (what the settling cost, against the canvas's).
    pixels: int
    steps: int


async def settle(
    engine: Engine,
    scene: Scene,
    moving: list[int],
    steps: int,
    lr: float,
    tau_start: float,
    tau_end: float,
    margin_px: float,
    on_progress: Callable[[dict[str, Any]], Any] | None = None,
) -> Settled:
    """Optimises each shape at indices ``moving`` of ``scene`` (loaded in ``engine``) in its own
    window, every other shape frozen; leaves nothing frozen beyond the scene's own flags. The
    engine's model should not fit the background (a window would pull the canvas colour towards
    its own pixels)."""
    pixels, done, windows = 0, 0, 0
    try:
        for index in moving:
            if steps <= 0:
                break
            window = reach(scene.shapes[index], scene.width, scene.height, margin_px)
            await engine.set_frozen(scene.frozen_mask(i for i in range(len(scene)) if i != index))
            result = await engine.optimize(
                steps,
                lr,
                tau_start,
                tau_end,
                on_progress=on_progress,
                window=(window.x0, window.y0, window.x1, window.y1),
            )
            scene = result.scene
            pixels += window.area
            windows += 1
            done += result.steps_completed
            if result.cancelled:
                break
    finally:
        await engine.set_frozen(scene.frozen_mask())
    return Settled(scene, windows, pixels, done)
