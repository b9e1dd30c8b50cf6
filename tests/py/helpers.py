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


def disc_target(width: int = 32, height: int = 32, cx: float = 0.5, cy: float = 0.5, r: float = 0.25,
                value: float = 0.2) -> Image:
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
