"""The CLI's files: what a run reads (targets, scenes) and leaves behind, named as the original
named them (spec §1.2, §6.5, §8.3). Paths are the user's own spelling; the host reads and writes."""

from __future__ import annotations

import errno
import json
import os
import re
from typing import Any

from . import _host
from .engine import Engine, Model
from .images import Image
from .scene import Scene
from .svg import from_svg, to_svg


class FileError(ValueError):
    """A file that could not be read or written; the message names it as the user typed it."""


def _reason(e: OSError) -> str:
    if e.errno in (errno.ENOTDIR, errno.EEXIST):
        return "part of that path is not a directory"
    return (e.strerror or str(e)).lower()


def ensure_dir(path: str) -> str:
    """``path`` (the user's own spelling, relative to where they ran the command) as a directory."""
    try:
        if _host.has_files():
            _host.make_dirs(path)
        else:
            os.makedirs(path, exist_ok=True)
            if not os.path.isdir(path):
                raise NotADirectoryError(errno.ENOTDIR, "not a directory", path)
    except OSError as e:
        raise FileError(f"cannot create the directory {path!r}: {_reason(e)}") from None
    return path


def write_bytes(path: str, data: bytes) -> str:
    """Writes ``data`` and checks it is on disk: returns only when the file holds exactly ``data``."""
    ensure_dir(os.path.dirname(path) or ".")
    try:
        if _host.has_files():
            _host.write_file(path, data)
        else:
            with open(path, "wb") as f:
                f.write(data)
            if os.path.isfile(path) and os.path.getsize(path) != len(data):
                raise OSError(errno.EIO, f"holds {os.path.getsize(path)} bytes after writing {len(data)}", path)
    except IsADirectoryError:
        raise FileError(f"cannot write {path!r}: it is a directory") from None
    except OSError as e:
        raise FileError(f"cannot write {path!r}: {_reason(e)}") from None
    return path


def read_bytes(path: str, what: str = "file") -> bytes:
    """The file's bytes; a missing, unreadable or empty file is a FileError naming ``what`` and the path."""
    try:
        if _host.has_files():
            data = _host.read_file(path)
        else:
            with open(path, "rb") as f:
                data = f.read()
    except FileNotFoundError:
        raise FileError(f"{what} {path!r} does not exist") from None
    except IsADirectoryError:
        raise FileError(f"{what} {path!r} is a directory") from None
    except OSError as e:
        if e.errno == errno.EISDIR:
            raise FileError(f"{what} {path!r} is a directory") from None
        if e.errno == errno.ENOENT:
            raise FileError(f"{what} {path!r} does not exist") from None
        raise FileError(f"cannot read {what} {path!r}: {_reason(e)}") from None
    if not data:
        raise FileError(f"{what} {path!r} is empty")
    return data


def write_text(path: str, text: str) -> str:
    return write_bytes(path, text.encode("utf-8"))


def write_json(path: str, data: Any) -> str:
    return write_text(path, json.dumps(data, indent=2))


def write_render(directory: str, stem: str, scene: Scene, render: Image) -> None:
    """``stem``.png (the raster) and ``stem``.svg (the vector scene) side by side."""
    write_bytes(os.path.join(directory, stem + ".png"), render.to_png())
    write_text(os.path.join(directory, stem + ".svg"), to_svg(scene))


def write_gif(path: str, frames: list[Image], delays_ms: list[int]) -> str | None:
    """An animated GIF; a failure is only reported, as in the original, never fatal."""
    if len(frames) < 2:
        return None
    try:
        data = _host.encode_gif([(f.width, f.height, f.pixels) for f in frames], delays_ms)
    except Exception as e:  # the run's real results are already on disk
        print(f"warning: could not write {path}: {e}")
        return None
    return write_bytes(path, data)


def pipeline_stages_svg(stages: list[tuple[str, Scene]]) -> str:
    """A strip of stage thumbnails (§8.3) using each scene's real size, not a hard-coded 128."""
    if len(stages) > 8:
        n = len(stages)
        keep = [0] + [((i + 1) * (n - 1)) // 7 for i in range(6)] + [n - 1]
        stages = [stages[i] for i in sorted(set(keep))]
    img, gap, margin = 128, 4, 4
    total_w = 2 * margin + len(stages) * img + (len(stages) - 1) * gap
    total_h = 162
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {total_w} {total_h}" width="{total_w}" height="{total_h}">',
        f'<rect width="{total_w}" height="{total_h}" fill="#ffffff"/>',
    ]
    for i, (label, scene) in enumerate(stages):
        x = margin + i * (img + gap)
        inner = to_svg(scene).split("\n")
        body = "\n".join(line for line in inner[1:] if line and line != "</svg>")
        # Ids must stay unique across the stages: drop shape ids, number the clip paths.
        body = re.sub(r' id="(?!pelican-canvas")[^"]*"', "", body)
        body = body.replace('id="pelican-canvas"', f'id="pelican-canvas-{i}"').replace(
            "url(#pelican-canvas)", f"url(#pelican-canvas-{i})"
        )
        shown = "Final" if i == len(stages) - 1 and len(stages) > 1 else label
        out += [
            f'<rect x="{x - 0.5}" y="{margin - 0.5}" width="{img + 1}" height="{img + 1}" rx="1" fill="none" stroke="#ddd" stroke-width="0.5"/>',
            f'<svg x="{x}" y="{margin}" width="{img}" height="{img}" viewBox="0 0 {scene.width} {scene.height}">',
            body,
            "</svg>",
            f'<text x="{x + img / 2}" y="147" text-anchor="middle" font-family="system-ui, Helvetica, Arial, sans-serif" '
            f'font-size="9" font-weight="500" fill="#444">{shown}</text>',
            f'<text x="{x + img / 2}" y="158" text-anchor="middle" font-family="system-ui, Helvetica, Arial, sans-serif" '
            f'font-size="7.5" fill="#888">{len(scene)} shapes</text>',
        ]
    out.append("</svg>")
    return "\n".join(out)


def load_target(path: str, resolution: int) -> Image:
    """Grayscale, longest side ``resolution``, aspect kept (a square stays the original's res×res).
    The host decodes and shrinks it (a huge photo never reaches Python at full size)."""
    return Image.from_bytes(read_bytes(path, "target"), path, fit=resolution).gray()


def paints_gray(scene: Scene) -> bool:
    """Every shape and the canvas without hue: such a scene is fitted to a picture's luma."""
    bg = scene.background
    return bg[0] == bg[1] == bg[2] and all(
        s.color is None or s.color[0] == s.color[1] == s.color[2] for s in scene.shapes
    )


def load_target_for(scene: Scene, path: str) -> Image:
    """The target as ``scene`` is scored against it, at the scene's size: gray for the original's
    scenes and for gray-painted ones (``load_target``), the picture's own colours otherwise."""
    picture = Image.from_bytes(read_bytes(path, "target"), path, fit=scene.side)
    return picture.gray() if scene.is_original or paints_gray(scene) else picture


async def scene_engine(scene: Scene, target: Image | None = None) -> Engine:
    """A pool engine holding ``scene`` under the scene's own model (``Model.for_scene``): the
    original's gray opaque one for the original's scenes, colour, opacity and canvas otherwise.
    Without a target (only rendering), a blank one in the channels the scene paints in."""
    if target is None:
        channels = 1 if paints_gray(scene) else 3
        target = Image(scene.width, scene.height, [1.0] * (channels * scene.width * scene.height), channels)
    engine = await Engine.borrow()
    try:
        await engine.set_target(target, Model.for_scene(scene, target))
        await engine.set_scene(scene)
    except BaseException:
        engine.close()
        raise
    return engine


def load_scene(path: str) -> Scene:
    """A scene file: our SVG or scene JSON."""
    text = read_bytes(path, "scene").decode("utf-8", errors="replace")
    return from_svg(text) if text.lstrip().startswith("<") else Scene.from_json(text)
