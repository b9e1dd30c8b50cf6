"""Images: reading targets (PGM, PNG; decoded by the host when it can, JPEG only there),
resizing as the original did, and writing PNG renders. Gray (one plane) or colour (R, G, B planes).
Pure standard library (zlib, struct).
"""

from __future__ import annotations

import array
import math
import struct
import zlib
from operator import add, mul
from typing import Any


# 601 luma in integer arithmetic, as PIL: (299 R + 587 G + 114 B + 500) // 1000.
_R = [299 * v for v in range(256)]
_G = [587 * v for v in range(256)]
_B = [114 * v for v in range(256)]
_LUMA = [((w + 500) // 1000) / 255.0 for w in range(255 * 1000 + 1)]


class ImageError(ValueError):
    """An image that cannot be read; the message says what is wrong with it."""


class Image:
    """Row-major pixels in [0, 1] (0 = black, 1 = white), as float32: ``channels`` planes one after
    the other (1: gray; 3: red, green, blue)."""

    def __init__(self, width: int, height: int, pixels: Any, channels: int = 1) -> None:
        if width < 1 or height < 1:
            raise ImageError(f"image: {width}x{height} has no pixels")
        if channels not in (1, 3):
            raise ImageError(f"image: {channels} channels (1 or 3 expected)")
        self.width, self.height, self.channels = int(width), int(height), int(channels)
        self.pixels = pixels if isinstance(pixels, array.array) and pixels.typecode == "f" else array.array("f", pixels)
        if len(self.pixels) != self.channels * self.width * self.height:
            raise ImageError(f"image: {len(self.pixels)} values for {width}x{height}x{channels}")

    @property
    def side(self) -> int:
        return max(self.width, self.height)

    def __repr__(self) -> str:
        return f"<Image {self.width}x{self.height}{'' if self.channels == 1 else ' colour'}>"

    def plane(self, c: int) -> array.array:
        n = self.width * self.height
        return self.pixels[c * n : (c + 1) * n]

    def gray(self) -> "Image":
        """ITU-R 601 luma (0.299 R + 0.587 G + 0.114 B), one plane; a gray image as it is."""
        if self.channels == 1:
            return self
        r, g, b = self.plane(0), self.plane(1), self.plane(2)
        luma = map(
            add, map(add, map(mul, r, [0.299] * len(r)), map(mul, g, [0.587] * len(g))), map(mul, b, [0.114] * len(b))
        )
        return Image(self.width, self.height, array.array("f", luma))

    @staticmethod
    def from_rgba(width: int, height: int, rgba: bytes) -> "Image":
        """Over white where the image is transparent; colour planes unless every pixel is gray."""
        if len(rgba) != 4 * width * height:
            raise ImageError(f"image: {len(rgba)} RGBA bytes for {width}x{height}")
        r, g, b, alpha = rgba[0::4], rgba[1::4], rgba[2::4], rgba[3::4]
        if r == g == b:
            return Image.luma_from_rgba(width, height, rgba)
        opaque = alpha.count(255) == len(alpha)
        planes = array.array("f")
        for channel in (r, g, b):
            if opaque:
                planes.extend(v / 255.0 for v in channel)
            else:
                planes.extend((v * a + 255 * (255 - a)) / 65025.0 for v, a in zip(channel, alpha))
        return Image(width, height, planes, 3)

    @staticmethod
    def luma_from_rgba(width: int, height: int, rgba: bytes) -> "Image":
        """ITU-R 601 luma, as PIL's convert("L"), over white where the image is transparent."""
        # Table lookups chained with map() keep the per-pixel work in C: a photo has millions.
        weighted = map(
            add,
            map(add, map(_R.__getitem__, rgba[0::4]), map(_G.__getitem__, rgba[1::4])),
            map(_B.__getitem__, rgba[2::4]),
        )
        alpha = rgba[3::4]
        if alpha.count(255) == len(alpha):
            return Image(width, height, array.array("f", map(_LUMA.__getitem__, weighted)))
        lumas = [(w + 500) // 1000 for w in weighted]
        blended = ((v * a + 255 * (255 - a) + 127) // 255 for v, a in zip(lumas, alpha))
        return Image(width, height, array.array("f", (v / 255.0 for v in blended)))

    @staticmethod
    def from_bytes(data: bytes, name: str = "image", fit: int | None = None) -> "Image":
        """PGM (P2/P5) here; PNG, JPEG and the rest by the host's decoder when it has one (fast,
        and it refuses absurd sizes before inflating anything), else PNG here. Colour is kept
        unless the picture is gray. ``fit``: the longer side wanted, as ``.fit(fit)``, which the
        host then does while decoding (a huge photo never reaches Python at full size)."""
        if len(data) < 8:
            raise ImageError(f"{name}: too short to be an image ({len(data)} bytes)")
        from . import _host

        try:
            if data[:2] in (b"P5", b"P2"):
                image = _read_pgm(data)
            elif _host.can_decode_images():
                try:
                    return _host.decode_image(data, fit)
                except _host.HostError:
                    raise
                except Exception as e:  # the host's decoder says why in its own words
                    raise ImageError(f"{name}: {_message(e)}") from None
            elif data[:8] == b"\x89PNG\r\n\x1a\n":
                image = _read_png(data)
            else:
                raise ImageError("not an image this program can read (PNG, JPEG or PGM expected)")
        except ImageError as e:
            raise ImageError(e.args[0] if str(e).startswith(f"{name}: ") else f"{name}: {e}") from None
        except (zlib.error, struct.error, IndexError, ValueError) as e:
            raise ImageError(f"{name}: corrupt image data ({e})") from None
        return image.fit(fit) if fit else image

    def resized(self, width: int, height: int) -> "Image":
        """Bicubic with antialiasing (Pillow's default resize filter, which the original used),
        clamped to [0, 1] as Pillow's 8-bit output is: the cubic's negative lobes overshoot at
        hard edges, and the engine scores against the clamped values."""
        if (width, height) == (self.width, self.height):
            return Image(width, height, array.array("f", self.pixels), self.channels)
        if self.channels > 1:
            planes = array.array("f")
            for c in range(self.channels):
                planes.extend(Image(self.width, self.height, self.plane(c)).resized(width, height).pixels)
            return Image(width, height, planes, self.channels)
        rows = [self.pixels[y * self.width : (y + 1) * self.width] for y in range(self.height)]
        horizontal = _resample_lines(rows, self.width, width)
        columns = [[horizontal[y][x] for y in range(self.height)] for x in range(width)]
        vertical = _resample_lines(columns, self.height, height)
        out = array.array("f", bytes(4 * width * height))
        for x in range(width):
            col = vertical[x]
            for y in range(height):
                v = col[y]
                out[y * width + x] = 0.0 if v < 0.0 else (1.0 if v > 1.0 else v)
        return Image(width, height, out)

    def fit(self, longest_side: int) -> "Image":
        """Resized so the longer side is ``longest_side``, keeping the aspect ratio."""
        s = max(self.width, self.height)
        w = max(1, round(self.width * longest_side / s))
        h = max(1, round(self.height * longest_side / s))
        return self.resized(w, h)

    def to_8bit(self) -> bytes:
        """The samples ``to_png`` writes, plane by plane: trunc(255 * value), as the original
        saved its renders."""
        return bytes(int(255.0 * min(1.0, max(0.0, v))) for v in self.pixels)

    def quantized(self) -> "Image":
        """This image as its PNG holds it (``to_8bit`` / 255): what a reader of the file sees."""
        return Image(self.width, self.height, array.array("f", (v / 255.0 for v in self.to_8bit())), self.channels)

    def to_png(self) -> bytes:
        """8-bit gray or RGB PNG of ``to_8bit``."""
        w, n = self.width, self.width * self.height
        eight = self.to_8bit()
        raw = bytearray()
        if self.channels == 1:
            for y in range(self.height):
                raw.append(0)
                raw += eight[y * w : (y + 1) * w]
            return encode_png(self.width, self.height, 0, bytes(raw))
        rgb = bytearray(3 * n)
        for c in range(3):
            rgb[c::3] = eight[c * n : (c + 1) * n]
        for y in range(self.height):
            raw.append(0)
            raw += rgb[3 * y * w : 3 * (y + 1) * w]
        return encode_png(self.width, self.height, 2, bytes(raw))

    def to_pgm(self) -> bytes:
        head = f"P5\n{self.width} {self.height}\n255\n".encode()
        return head + bytes(int(255.0 * min(1.0, max(0.0, v)) + 0.5) for v in self.gray().pixels)

    def mse(self, other: "Image") -> float:
        if (self.width, self.height, self.channels) != (other.width, other.height, other.channels):
            raise ImageError(
                f"mse: {self.width}x{self.height}x{self.channels} against "
                f"{other.width}x{other.height}x{other.channels}"
            )
        return math.fsum((a - b) ** 2 for a, b in zip(self.pixels, other.pixels)) / len(self.pixels)


def _message(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    line = text[-1] if text else type(e).__name__
    # A JS exception reads "Error: <message>": the message is what the user needs.
    return line[len("Error: ") :] if line.startswith("Error: ") else line


# ---------------------------------------------------------------------------------------------
# PGM


def _read_pgm(data: bytes) -> Image:
    tokens: list[bytes] = []
    i = 0
    while len(tokens) < 4:
        while i < len(data) and data[i : i + 1].isspace():
            i += 1
        if i < len(data) and data[i : i + 1] == b"#":
            while i < len(data) and data[i : i + 1] not in (b"\n", b"\r"):
                i += 1
            continue
        start = i
        while i < len(data) and not data[i : i + 1].isspace():
            i += 1
        if start == i:
            raise ImageError("truncated PGM header")
        tokens.append(data[start:i])
    magic, width, height, maxval = tokens[0], int(tokens[1]), int(tokens[2]), int(tokens[3])
    if not 0 < maxval < 65536 or width < 1 or height < 1:
        raise ImageError(f"bad PGM header ({width}x{height}, maxval {maxval})")
    n = width * height
    if magic == b"P2":
        values = [int(t) for t in data[i:].split()[:n]]
    else:
        body = data[i + 1 :]
        if maxval < 256:
            values = list(body[:n])
        else:
            values = list(struct.unpack(f">{n}H", body[: 2 * n]))
    if len(values) < n:
        raise ImageError(f"PGM holds {len(values)} of {n} pixels")
    return Image(width, height, array.array("f", (v / maxval for v in values)))


# ---------------------------------------------------------------------------------------------
# PNG


def encode_png(width: int, height: int, color_type: int, filtered_rows: bytes) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(filtered_rows, 6))
        + chunk(b"IEND", b"")
    )


_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def _read_png(data: bytes) -> Image:
    pos, idat, palette, trns = 8, bytearray(), b"", b""
    header = None
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"PLTE":
            palette = body
        elif kind == b"tRNS":
            trns = body
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    if header is None:
        raise ImageError("PNG without IHDR")
    width, height, depth, color, _, _, interlace = header
    if interlace or depth not in (8, 16) or color not in _CHANNELS or (color == 3 and depth != 8):
        # Rare layouts go to the host's full decoder.
        from . import _host

        raise ImageError(
            f"PNG layout (bit depth {depth}, colour type {color}, interlace {interlace}) " "needs the host's decoder"
        )
    channels = _CHANNELS[color]
    bpp = channels * depth // 8
    stride = width * bpp
    raw = zlib.decompress(bytes(idat))
    if len(raw) < height * (stride + 1):
        raise ImageError("PNG image data is truncated")
    rgba = bytearray(4 * width * height)
    prev = bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        _unfilter(f, line, prev, bpp)
        prev = line
        px = line if depth == 8 else line[0::2]
        o = 4 * width * y
        for x in range(width):
            s = px[x * channels : (x + 1) * channels]
            if color == 0:
                r = g = b = s[0]
                a = 255
            elif color == 2:
                r, g, b = s
                a = 255
            elif color == 3:
                k = s[0]
                r, g, b = palette[3 * k : 3 * k + 3]
                a = trns[k] if k < len(trns) else 255
            elif color == 4:
                r = g = b = s[0]
                a = s[1]
            else:
                r, g, b, a = s
            rgba[o + 4 * x : o + 4 * x + 4] = bytes((r, g, b, a))
    return Image.from_rgba(width, height, bytes(rgba))


def _unfilter(kind: int, line: bytearray, prev: bytearray, bpp: int) -> None:
    n = len(line)
    if kind == 0:
        return
    if kind == 1:
        for i in range(bpp, n):
            line[i] = (line[i] + line[i - bpp]) & 255
    elif kind == 2:
        for i in range(n):
            line[i] = (line[i] + prev[i]) & 255
    elif kind == 3:
        for i in range(n):
            left = line[i - bpp] if i >= bpp else 0
            line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
    elif kind == 4:
        for i in range(n):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    else:
        raise ImageError(f"unknown PNG filter {kind}")


# ---------------------------------------------------------------------------------------------
# Pillow's resampling: separable, the kernel stretched by the scale factor when shrinking.


def _bicubic(x: float) -> float:
    a = -0.5
    x = abs(x)
    if x < 1.0:
        return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0
    if x < 2.0:
        return (((x - 5.0) * x + 8.0) * x - 4.0) * a
    return 0.0


def _resample_lines(lines: list[Any], size_in: int, size_out: int) -> list[list[float]]:
    scale = size_in / size_out
    filterscale = max(1.0, scale)
    support = 2.0 * filterscale
    weights = []
    for j in range(size_out):
        center = (j + 0.5) * scale
        lo = max(0, int(center - support + 0.5))
        hi = min(size_in, int(center + support + 0.5))
        w = [_bicubic((i - center + 0.5) / filterscale) for i in range(lo, hi)]
        total = sum(w) or 1.0
        weights.append((lo, [v / total for v in w]))
    out = []
    for line in lines:
        out.append([sum(map(mul, line[lo : lo + len(w)], w)) for lo, w in weights])
    return out
