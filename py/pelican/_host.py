"""The one place where Python touches JavaScript.

The host (the web page, or py/host/node.mjs under Node) registers a JS module ``pelican_host``
before ``import pelican``:

    createEngine()  -> EngineClient         a worker of Python's own (workers/client.ts)
    pool            -> EnginePool           shared workers for parallel candidates
    poolSize        -> int
    shapeModel      -> JSON text of the engine's shape table (workers/protocol.ts ShapeModel)
    decodeImage(bytes: Uint8Array, longest: int) -> {width, height, channels, pixels: Float32Array}
                        PNG/JPEG, fitted to ``longest`` (0: full size), planar [channels][h][w]
                        in [0, 1], over white; throws with a one-line reason     (optional)
    encodeGif(frames JSON, pixels Float32Array) -> Uint8Array           (optional)
    readFile(path) -> {data: Uint8Array} | {error: "ENOENT", message}   the user's files (optional:
    writeFile(path, Uint8Array) -> {size} | {error, message}            the CLI's host; without
    makeDirs(path) -> {} | {error, message}                             them, Python's own os)

Everything crosses as flat typed arrays (copied once into a fresh buffer, which the client then
transfers to the worker) or JSON text; see workers/protocol.ts for the engine's side.
"""

from __future__ import annotations

import array
import json
from typing import Any, Callable, Sequence


class HostError(RuntimeError):
    """The host lacks something pelican needs (for instance, not running inside Pyodide)."""


def _module() -> Any:
    try:
        import pelican_host  # type: ignore[import-not-found]
    except ImportError:
        raise HostError(
            "pelican needs its host: run it inside the web app or through py/host/node.mjs "
            "(npm run pelican), which provide the compute engine"
        ) from None
    return pelican_host


def _ffi() -> Any:
    import pyodide.ffi  # type: ignore[import-not-found]

    return pyodide.ffi


def float32(values: Sequence[float] | array.array) -> Any:
    """A new JS Float32Array holding ``values`` (one copy, no per-element calls)."""
    buf = values if isinstance(values, array.array) and values.typecode == "f" else array.array("f", values)
    return _typed("Float32Array", buf)


def _typed(kind: str, buf: array.array) -> Any:
    import js  # type: ignore[import-not-found]

    out = getattr(js, kind).new(len(buf))
    out.assign(buf)
    return out


def int32(values: Sequence[int]) -> Any:
    return _typed("Int32Array", array.array("i", values))


def uint8(values: Sequence[int] | bytes) -> Any:
    return _typed("Uint8Array", array.array("B", values))


def floats(js_typed_array: Any) -> array.array:
    """A JS Float32Array as a Python array('f') (one copy)."""
    return _copied(js_typed_array, "f")


def _copied(js_typed_array: Any, typecode: str) -> array.array:
    out = array.array(typecode)
    out.frombytes(js_typed_array.to_bytes())
    return out


def to_py(value: Any) -> Any:
    """A JS result object (plain data) as Python dicts and lists."""
    return value.to_py() if hasattr(value, "to_py") else value


def proxy(fn: Callable[..., Any]) -> Any:
    """A Python callable JS may call later (progress callbacks); destroy it when done."""
    return _ffi().create_proxy(fn)


def detach(promise: Any) -> None:
    """Lets a call run on without awaiting it; a failure (a worker terminated meanwhile) is dropped."""
    if hasattr(promise, "catch"):
        promise.catch(_ffi().create_once_callable(lambda _error: None))


def create_engine() -> Any:
    return _module().createEngine()


def engine_pool() -> Any:
    return _module().pool


def pool_size() -> int:
    return int(getattr(_module(), "poolSize", 1))


def shape_model() -> dict[str, Any]:
    """The engine's shape table (read by pelican.shape_table)."""
    text = getattr(_module(), "shapeModel", None)
    if text is None:
        raise HostError("this host does not provide the engine's shape table (shapeModel)")
    return json.loads(str(text))


def float64(values: Sequence[float]) -> Any:
    """A new JS Float64Array holding ``values``."""
    return _typed("Float64Array", array.array("d", values))


def doubles(js_typed_array: Any) -> array.array:
    """A JS Float64Array as a Python array('d') (one copy)."""
    return _copied(js_typed_array, "d")


def _optional(name: str) -> Any:
    try:
        return getattr(_module(), name, None)
    except HostError:
        return None


def can_decode_images() -> bool:
    return _optional("decodeImage") is not None


def decode_image(data: bytes, longest: int | None = None) -> Any:
    """A pelican Image decoded by the host, fitted to ``longest`` on the way if given."""
    from .images import Image

    host = _module()
    if not hasattr(host, "decodeImage"):
        raise HostError("this host cannot decode compressed images; give a PGM or PNG file")
    result = host.decodeImage(uint8(data), int(longest or 0))
    return Image(int(result.width), int(result.height), floats(result.pixels), int(result.channels))


def has_files() -> bool:
    """True when the host gives the user's own file system (the CLI)."""
    return _optional("readFile") is not None


def _checked(result: Any, path: str) -> Any:
    import errno
    import os

    error = getattr(result, "error", None)
    if error:
        code = getattr(errno, str(error), errno.EIO)
        reason = str(getattr(result, "message", "")) if error == "EIO" else os.strerror(code)
        raise OSError(code, reason or os.strerror(code), path)
    return result


def read_file(path: str) -> bytes:
    return bytes(_checked(_module().readFile(path), path).data.to_bytes())


def write_file(path: str, data: bytes) -> int:
    """Writes and returns the size the file has on disk afterwards (the host checks it)."""
    return int(_checked(_module().writeFile(path, uint8(data)), path).size)


def make_dirs(path: str) -> None:
    _checked(_module().makeDirs(path), path)


def encode_gif(frames: list[tuple[int, int, array.array]], delays_ms: list[int]) -> bytes:
    """An animated grayscale GIF, looping forever."""
    host = _module()
    if not hasattr(host, "encodeGif"):
        raise HostError("this host cannot encode GIF animations")
    meta = json.dumps([{"width": w, "height": h, "delay": d} for (w, h, _), d in zip(frames, delays_ms)])
    flat = array.array("f")
    for _, _, px in frames:
        flat.extend(px)
    return bytes(host.encodeGif(meta, _typed("Float32Array", flat)).to_bytes())


def to_js_object(data: dict[str, Any]) -> Any:
    """A plain JS object (not a Map) from a dict of plain data."""
    from js import Object  # type: ignore[import-not-found]

    return _ffi().to_js(data, dict_converter=Object.fromEntries)
