"""Shared test fixtures: real targets from ../shared, small synthetic targets, one engine."""

from __future__ import annotations

import array
import json
import os

from pelican import Image


def shared_target(n: int) -> Image:
    path = os.path.join(os.environ.get("PELICAN_TARGETS", "/targets"), f"pelican-engraving-{n}.pgm")
    with open(path, "rb") as f:
        return Image.from_bytes(f.read(), path)


def golden(name: str) -> dict:
    with open(os.path.join(os.environ.get("PELICAN_GOLDEN", "/golden"), name)) as f:
        return json.load(f)


def disc_target(
    width: int = 32, height: int = 32, cx: float = 0.5, cy: float = 0.5, r: float = 0.25, value: float = 0.2
) -> Image:
    """White with one dark disc, in the scene's normalised coordinates."""
    s = max(width, height)
    px = array.array("f", [1.0] * (width * height))
    for y in range(height):
        for x in range(width):
            if ((x + 0.5) / s - cx) ** 2 + ((y + 0.5) / s - cy) ** 2 < r * r:
                px[y * width + x] = value
    return Image(width, height, px)


def two_blob_target(n: int = 32) -> Image:
    """Two dark blobs far apart: one shape cannot explain both."""
    a = disc_target(n, n, 0.28, 0.3, 0.14, 0.1)
    b = disc_target(n, n, 0.72, 0.7, 0.16, 0.4)
    return Image(n, n, array.array("f", (min(u, v) for u, v in zip(a.pixels, b.pixels))))


def colour_target(width: int = 40, height: int = 30) -> Image:
    """A dark blue canvas with a red disc, a yellow band and a green triangle: flat colours, edges."""
    n = width * height
    planes = [array.array("f", [0.1] * n), array.array("f", [0.15] * n), array.array("f", [0.45] * n)]
    for y in range(height):
        for x in range(width):
            i = y * width + x
            paint = None
            if (x - 12) ** 2 + (y - 10) ** 2 < 49:
                paint = (0.9, 0.15, 0.1)
            elif 20 <= y < 25:
                paint = (0.95, 0.85, 0.2)
            elif x > 26 and y < x - 20:
                paint = (0.2, 0.7, 0.3)
            if paint:
                for c in range(3):
                    planes[c][i] = paint[c]
    return Image(width, height, planes[0] + planes[1] + planes[2], 3)
