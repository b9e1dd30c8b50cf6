"""SVG export (spec §8, corrected) and import of our own exports.

Export: the viewBox is the real canvas, shapes are clipped to it, numbers are compact, and each
shape keeps its name (id) so a file can come back as the same scene. Import reads only the
elements and attributes export writes, with a plain XML parser and no entities, so nothing in a
hostile file is ever executed or fetched.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from typing import Any

from .scene import WHITE, Scene, SceneError, Shape, hex_color

SVG_NS = "http://www.w3.org/2000/svg"
#: Decimals of pixel coordinates in exported files (what a round trip preserves).
DECIMALS = 3


def _num(x: float) -> str:
    text = f"{x:.{DECIMALS}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _opacity(x: float) -> str:
    return f"{x:.4f}".rstrip("0").rstrip(".")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def to_svg(scene: Scene) -> str:
    """Hard-edged SVG of ``scene`` at its own pixel size, painted back to front over its background."""
    s = scene.side
    w, h = scene.width, scene.height
    lines = [
        f'<svg xmlns="{SVG_NS}" viewBox="0 0 {w} {h}" width="{w}" height="{h}">',
        f'<clipPath id="pelican-canvas"><rect width="{w}" height="{h}"/></clipPath>',
        f'<rect width="{w}" height="{h}" fill="{hex_color(scene.background)}"/>',
        '<g clip-path="url(#pelican-canvas)">',
    ]
    for shape in scene.shapes:
        attrs = f'id="{_escape(shape.name)}" fill="{hex_color(shape.paint)}"'
        if shape.opacity != 1.0:
            attrs += f' fill-opacity="{_opacity(shape.opacity)}"'
        if shape.frozen:
            attrs += ' data-frozen="true"'
        if shape.type == "circle":
            lines.append(
                f'<circle {attrs} cx="{_num(shape.cx * s)}" cy="{_num(shape.cy * s)}" r="{_num(shape.r * s)}"/>'
            )
        elif shape.type == "ellipse":
            cx, cy = _num(shape.cx * s), _num(shape.cy * s)
            deg = _num(math.degrees(shape.rotation))
            lines.append(
                f'<ellipse {attrs} cx="{cx}" cy="{cy}" rx="{_num(shape.rx * s)}" ry="{_num(shape.ry * s)}" '
                f'transform="rotate({deg} {cx} {cy})"/>'
            )
        else:
            points = " ".join(f"{_num(x * s)},{_num(y * s)}" for x, y in shape.points)
            lines.append(f'<polygon {attrs} points="{points}"/>')
    lines += ["</g>", "</svg>", ""]
    return "\n".join(lines)


_ALLOWED = {"svg", "clipPath", "rect", "g", "circle", "ellipse", "polygon", "title", "desc"}
_ROTATE = re.compile(r"^\s*rotate\(\s*([-+0-9.eE]+)(?:[\s,]+([-+0-9.eE]+)[\s,]+([-+0-9.eE]+))?\s*\)\s*$")
MAX_SVG_BYTES = 2_000_000


def _float(el: ET.Element, key: str, where: str) -> float:
    value = el.get(key)
    if value is None:
        raise SceneError(f"{where}: missing attribute {key}")
    try:
        x = float(value)
    except ValueError:
        raise SceneError(f"{where}: {key}={value[:40]!r} is not a number") from None
    if not math.isfinite(x):
        raise SceneError(f"{where}: {key} is not finite")
    return x


def _fill(el: ET.Element, where: str) -> tuple[float, float, float]:
    fill = (el.get("fill") or "").strip().lower()
    m = re.fullmatch(r"#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})", fill) or re.fullmatch(
        r"rgb\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*\)", fill
    )
    if not m:
        raise SceneError(f"{where}: fill {fill[:40]!r} is not a colour this program writes (#rrggbb)")
    base = 16 if fill.startswith("#") else 10
    channels = [int(v, base) for v in m.groups()]
    if any(v > 255 for v in channels):
        raise SceneError(f"{where}: fill {fill!r} has a channel above 255")
    return (channels[0] / 255.0, channels[1] / 255.0, channels[2] / 255.0)


def _fill_opacity(el: ET.Element, where: str) -> float:
    value = el.get("fill-opacity")
    if value is None:
        return 1.0
    x = _float(el, "fill-opacity", where)
    if not 0.0 <= x <= 1.0:
        raise SceneError(f"{where}: fill-opacity {x:g} is outside [0, 1]")
    return x


def from_svg(text: str) -> Scene:
    """Reads an SVG written by ``to_svg`` (or by the original, §8.1) back into a scene."""
    if len(text) > MAX_SVG_BYTES:
        raise SceneError(f"svg: larger than {MAX_SVG_BYTES} bytes")
    if re.search(r"<!(DOCTYPE|ENTITY)", text, re.IGNORECASE):
        raise SceneError("svg: DOCTYPE and ENTITY declarations are not accepted")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as e:
        raise SceneError(f"svg: not well-formed XML ({e})") from None
    if root.tag != f"{{{SVG_NS}}}svg":
        raise SceneError("svg: the root element is not <svg> in the SVG namespace")
    box = (root.get("viewBox") or "").replace(",", " ").split()
    try:
        x0, y0, vw, vh = (float(v) for v in box)
    except ValueError:
        raise SceneError("svg: a viewBox of four numbers is required") from None
    if not all(math.isfinite(v) for v in (x0, y0, vw, vh)) or x0 != 0 or y0 != 0 or vw != int(vw) or vh != int(vh):
        raise SceneError(f"svg: viewBox {' '.join(box)} is not 0 0 W H with whole W and H")
    width, height = int(vw), int(vh)
    scene = Scene(width, height)
    s = scene.side
    elements = list(root.iter())
    for el in elements:
        tag = el.tag.split("}")[-1]
        if tag not in _ALLOWED:
            raise SceneError(f"svg: element <{tag[:40]}> is not one this program writes")
    # The canvas: a full-size rect outside the clip path (ours always writes one; the original's too).
    clip_rects = {id(r) for c in elements if c.tag.split("}")[-1] == "clipPath" for r in c}
    for el in elements:
        if el.tag.split("}")[-1] == "rect" and id(el) not in clip_rects and el.get("fill"):
            scene.background = _fill(el, "svg <rect> (the background)")
            break
    fills = [
        _fill(el, f"svg <{el.tag.split('}')[-1]}> #{i}")
        for i, el in enumerate(elements)
        if el.tag.split("}")[-1] in ("circle", "ellipse", "polygon")
    ]
    # A file in colour (or with a canvas other than white) gives colour shapes; a gray one, the
    # original's intensities.
    in_color = (
        scene.background != WHITE
        or any(not (r == g == b) for r, g, b in fills)
        or any(el.get("fill-opacity") is not None for el in elements)
    )
    for i, el in enumerate(elements):
        tag = el.tag.split("}")[-1]
        if tag not in ("circle", "ellipse", "polygon"):
            continue
        where = f"svg <{tag}> #{i}"
        name = el.get("id") or scene.unique_name(f"{tag if tag != 'polygon' else 'triangle'}_{len(scene)}")
        fill = _fill(el, where)
        data: dict[str, Any] = {"name": name}
        if in_color:
            data["color"] = list(fill)
            opacity = _fill_opacity(el, where)
            if opacity != 1.0:
                data["opacity"] = opacity
        else:
            data["intensity"] = fill[0]
        if el.get("data-frozen") == "true":
            data["frozen"] = True
        if tag == "circle":
            data.update(
                type="circle",
                cx=_float(el, "cx", where) / s,
                cy=_float(el, "cy", where) / s,
                r=_float(el, "r", where) / s,
            )
        elif tag == "ellipse":
            rotation = 0.0
            transform = el.get("transform")
            if transform:
                m = _ROTATE.match(transform)
                if not m:
                    raise SceneError(f"{where}: transform {transform[:40]!r} is not rotate(deg cx cy)")
                rotation = math.radians(float(m.group(1)))
            data.update(
                type="ellipse",
                cx=_float(el, "cx", where) / s,
                cy=_float(el, "cy", where) / s,
                rx=_float(el, "rx", where) / s,
                ry=_float(el, "ry", where) / s,
                rotation=rotation,
            )
        else:
            try:
                coords = [float(v) for v in (el.get("points") or "").replace(",", " ").split()]
            except ValueError:
                raise SceneError(f"{where}: points are not numbers") from None
            if len(coords) != 6:
                raise SceneError(f"{where}: a triangle needs exactly three points")
            data.update(type="triangle", points=[[coords[k] / s, coords[k + 1] / s] for k in (0, 2, 4)])
        scene.add(Shape.from_dict(data, where, version=2))
    if not scene.shapes:
        raise SceneError("svg: no circle, ellipse or polygon in it")
    return scene
