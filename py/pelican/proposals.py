"""Where to try the next shape: the original's random draws (§6.2) or the residual.

The residual proposal scores every square window by how much squared error painting it with its
own mean target value would remove: Σ(render − target)² − Σ(target − mean)², read off integral
images in O(1) per window. The best windows, kept apart from each other, become candidates whose
intensity is the target's mean there.
"""

from __future__ import annotations

import heapq
import math
import random
from itertools import accumulate
from typing import Any, Sequence
from .images import Image
from .scene import Scene, Shape

TYPE_CYCLE = ("circle", "ellipse", "triangle")


def random_candidate(scene: Scene, round_no: int, rng: random.Random, scale: float = 1.0) -> Shape:
    """The original's proposal, draw for draw (spec §6.2), in the scene's coordinates."""
    kind = TYPE_CYCLE[round_no % 3]
    cx, cy = rng.uniform(0.15, 0.85), rng.uniform(0.15, 0.85)
    intensity = rng.uniform(0.05, 0.55)
    base = 0.08 * scale
    ax, ay = scene.width / scene.side, scene.height / scene.side
    name = scene.unique_name(f"{kind}_{round_no}")
    if kind == "circle":
        return Shape("circle", name, intensity, cx=cx * ax, cy=cy * ay, r=base * rng.uniform(0.5, 1.5))
    if kind == "ellipse":
        return Shape(
            "ellipse",
            name,
            intensity,
            cx=cx * ax,
            cy=cy * ay,
            rx=base * rng.uniform(0.5, 2.0),
            ry=base * rng.uniform(0.3, 1.5),
            rotation=rng.uniform(-1.5, 1.5),
        )
    spread = 2 * base
    points = []
    for _ in range(3):
        x = min(0.95, max(0.05, cx + rng.uniform(-spread, spread)))
        y = min(0.95, max(0.05, cy + rng.uniform(-spread, spread)))
        points.append([x * ax, y * ay])
    return Shape("triangle", name, intensity, points=points)


def _integral_rows(values: Any, w: int, h: int) -> list[list[float]]:
    """Summed-area table as h+1 rows of w+1 sums (row lists keep the inner loops in C)."""
    table = [[0.0] * (w + 1)]
    for y in range(h):
        row = list(accumulate(values[y * w : (y + 1) * w], initial=0.0))
        table.append([a + b for a, b in zip(table[-1], row)])
    return table


def residual_windows(
    target: Image,
    render: Image,
    count: int,
    sizes: tuple[int, ...] | None = None,
    avoid: Sequence[tuple[float, float]] = (),
) -> list[dict[str, float]]:
    """The ``count`` best windows to repaint, as {x, y, size (pixels), mean, gain}, skipping
    windows that contain a point of ``avoid`` (places that were tried and failed)."""
    w, h = target.width, target.height
    t, r = target.pixels, render.pixels
    i_err = _integral_rows([(a - b) ** 2 for a, b in zip(r, t)], w, h)
    i_t = _integral_rows(t, w, h)
    i_sq = _integral_rows([v * v for v in t], w, h)
    side = max(w, h)
    if sizes is None:
        sizes = tuple(sorted({max(2, round(side * f)) for f in (0.03, 0.05, 0.08, 0.12, 0.18, 0.26)}))
    scored: list[tuple[float, int, int, int, float]] = []
    for size in sizes:
        if size > min(w, h):
            continue
        # A third of the window is fine enough: the optimiser moves the shape the rest of the way.
        stride = max(1, size // 3)
        n = size * size
        xs = range(0, w - size + 1, stride)
        for y0 in range(0, h - size + 1, stride):
            e0, e1, t0, t1, q0, q1 = i_err[y0], i_err[y0 + size], i_t[y0], i_t[y0 + size], i_sq[y0], i_sq[y0 + size]
            for x0 in xs:
                x1 = x0 + size
                st = t1[x1] - t0[x1] - t1[x0] + t0[x0]
                gain = (e1[x1] - e0[x1] - e1[x0] + e0[x0]) - (q1[x1] - q0[x1] - q1[x0] + q0[x0] - st * st / n)
                if gain > 0:
                    scored.append((gain, x0, y0, size, st / n))
    chosen: list[dict[str, float]] = []
    # Far more than needed, so that windows skipped below still leave enough.
    for gain, x0, y0, size, mean in heapq.nlargest(max(500, 50 * count), scored):
        cx, cy = x0 + size / 2, y0 + size / 2
        if any(x0 <= ax < x0 + size and y0 <= ay < y0 + size for ax, ay in avoid):
            continue
        # Keep candidates apart so one round explores several places, not one place twice.
        if any(abs(cx - c["x"]) < (size + c["size"]) / 2 and abs(cy - c["y"]) < (size + c["size"]) / 2 for c in chosen):
            continue
        chosen.append({"x": cx, "y": cy, "size": float(size), "mean": mean, "gain": gain})
        if len(chosen) == count:
            break
    return chosen


def residual_candidate(scene: Scene, window: dict[str, float], kind: str, rng: random.Random) -> Shape:
    """A shape of ``kind`` covering ``window`` (pixels), with the target's mean intensity there."""
    s = scene.side
    cx, cy = window["x"] / s, window["y"] / s
    half = window["size"] / (2 * s)
    intensity = min(0.99, max(0.01, window["mean"]))
    name = scene.unique_name(f"{kind}_{len(scene)}")
    if kind == "circle":
        return Shape("circle", name, intensity, cx=cx, cy=cy, r=half)
    if kind == "ellipse":
        return Shape(
            "ellipse",
            name,
            intensity,
            cx=cx,
            cy=cy,
            rx=half * 1.2,
            ry=half * 0.8,
            rotation=rng.uniform(-math.pi / 2, math.pi / 2),
        )
    a = rng.uniform(0, 2 * math.pi)
    points = [
        [
            min(1.0, max(0.0, cx + 1.3 * half * math.cos(a + k * 2 * math.pi / 3))),
            min(1.0, max(0.0, cy + 1.3 * half * math.sin(a + k * 2 * math.pi / 3))),
        ]
        for k in range(3)
    ]
    return Shape("triangle", name, intensity, points=points)


def propose(
    scene: Scene,
    target: Image,
    render: Image | None,
    count: int,
    mode: str,
    round_no: int,
    rng: random.Random,
    scale: float = 1.0,
    avoid: Sequence[tuple[float, float]] = (),
) -> list[Shape]:
    if mode == "random":
        return [random_candidate(scene, round_no + i, rng, scale) for i in range(count)]
    if mode != "residual":
        raise ValueError(f"proposal: {mode!r} is not 'residual' or 'random'")
    if render is None:
        raise ValueError("proposal: the residual mode needs the current render")
    windows = residual_windows(target, render, count, avoid=avoid)
    out: list[Shape] = []
    for i, window in enumerate(windows):
        kind = TYPE_CYCLE[(round_no + i) % 3]
        shape = residual_candidate(scene, window, kind, rng)
        out.append(shape)
        scene = Scene(scene.width, scene.height, scene.shapes + [shape], scene.background)  # keeps names unique
    return out
