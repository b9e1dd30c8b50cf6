"""The one place where Python touches JavaScript; its typed face is ``_host.pyi``.

The host (the page's Python worker, or py/host/node.mjs under Node) registers the JS module
``pelican_host`` before ``import pelican``; both build it with the same ``createHost()``
(py/host/host.mjs), which documents each member. Everything else in ``pelican`` calls the
functions and the ``EngineHandle`` below, never a JS proxy.

Typed arrays cross as one copy into a fresh JS buffer, which the engine client then transfers
to its worker; small records cross as plain objects. The protocol's constants (breakdown order,
default loss weights, error names) are the host's, from workers/protocol.ts: never copied here.
Nothing is read from the host at import time: the build's memory snapshot imports ``pelican``
without one.
"""

from __future__ import annotations

import array
import errno
import json
import os
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from .errors import Cancelled, EngineCrashed, EngineError, HostError


def _module() -> Any:
    try:
        import pelican_host  # type: ignore[import-not-found]
    except ImportError:
        raise HostError(
            "pelican needs its host: run it inside the web app or through py/host/node.mjs "
            "(npm run pelican), which provide the compute engine"
        ) from None
    return pelican_host


def _optional(name: str) -> Any:
    try:
        return getattr(_module(), name, None)
    except HostError:
        return None


def _ffi() -> Any:
    import pyodide.ffi  # type: ignore[import-not-found]

    return pyodide.ffi


# ---------------------------------------------------------------------------------------------
# The protocol's constants, as the host hands them over.


@dataclass(frozen=True)
class Protocol:
    breakdown_keys: tuple[str, ...]
    default_weights: dict[str, float]
    #: JS error name -> the Python kind it becomes.
    errors: dict[str, type[Exception]]


_PROTOCOL: list[Protocol] = []


def protocol() -> Protocol:
    if not _PROTOCOL:
        text = getattr(_module(), "protocol", None)
        if text is None:
            raise HostError("this host does not hand over the engine protocol's constants (protocol)")
        p = json.loads(str(text))
        names = p["errorNames"]
        _PROTOCOL.append(
            Protocol(
                tuple(p["breakdownKeys"]),
                {k: float(v) for k, v in p["defaultWeights"].items()},
                {names["engine"]: EngineError, names["crashed"]: EngineCrashed, names["aborted"]: Cancelled},
            )
        )
    return _PROTOCOL[0]


def shape_model() -> dict[str, Any]:
    """The engine's shape table (read by pelican.shape_table)."""
    text = getattr(_module(), "shapeModel", None)
    if text is None:
        raise HostError("this host does not provide the engine's shape table (shapeModel)")
    return json.loads(str(text))


def pool_size() -> int:
    return int(getattr(_module(), "poolSize", 1))


# ---------------------------------------------------------------------------------------------
# Typed arrays and plain records.


def _typed(kind: str, buf: array.array) -> Any:
    import js  # type: ignore[import-not-found]

    out = getattr(js, kind).new(len(buf))
    out.assign(buf)
    return out


def float32(values: Sequence[float] | array.array) -> Any:
    """A new JS Float32Array holding ``values`` (one copy, no per-element calls)."""
    buf = values if isinstance(values, array.array) and values.typecode == "f" else array.array("f", values)
    return _typed("Float32Array", buf)


def float64(values: Sequence[float]) -> Any:
    return _typed("Float64Array", array.array("d", values))


def int32(values: Sequence[int]) -> Any:
    return _typed("Int32Array", array.array("i", values))


def uint8(values: Sequence[int] | bytes) -> Any:
    return _typed("Uint8Array", array.array("B", values))


def _copied(js_typed_array: Any, typecode: str) -> array.array:
    out = array.array(typecode)
    out.frombytes(js_typed_array.to_bytes())
    return out


def floats(js_typed_array: Any) -> array.array:
    """A JS Float32Array as a Python array('f') (one copy)."""
    return _copied(js_typed_array, "f")


def doubles(js_typed_array: Any) -> array.array:
    """A JS Float64Array as a Python array('d') (one copy)."""
    return _copied(js_typed_array, "d")


def to_py(value: Any) -> Any:
    """A JS result object (plain data) as Python dicts and lists."""
    return value.to_py() if hasattr(value, "to_py") else value


def to_js_object(data: dict[str, Any]) -> Any:
    """A plain JS object (not a Map) from a dict of plain data."""
    from js import Object  # type: ignore[import-not-found]

    return _ffi().to_js(data, dict_converter=Object.fromEntries)


def _detach(promise: Any) -> None:
    """Lets a call run on without awaiting it; a failure (a worker terminated meanwhile) is dropped."""
    if hasattr(promise, "catch"):
        promise.catch(_ffi().create_once_callable(lambda _error: None))


# ---------------------------------------------------------------------------------------------
# Engines.


def _js_name(e: BaseException) -> str | None:
    name = getattr(e, "name", None) or getattr(getattr(e, "js_error", None), "name", None)
    return None if name is None else str(name)


async def call(promise: Any) -> Any:
    """Awaits an engine call; a named JS error (workers/protocol.ts) comes back as its Python kind."""
    try:
        return await promise
    except Exception as e:  # a JsException
        kind = protocol().errors.get(_js_name(e) or "")
        if kind is None:
            raise
        message = getattr(getattr(e, "js_error", None), "message", None) or str(e)
        raise kind(str(message)) from None


class RunRelay:
    """Progress of a page run: handed to ``Engine.optimize`` as ``on_progress``, it makes the host
    send each progress record from the engine straight to the page under the run's token, so the
    records never pass through Python. Called from Python, it forwards what it is given."""

    def __init__(self, token: int) -> None:
        self.token = int(token)

    def __call__(self, progress: dict[str, Any]) -> None:
        record = {"step": progress["step"], "steps": progress["steps"], "breakdown": progress["breakdown"]}
        _module().relayProgress(self.token, to_js_object(record))


def _progress(p: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"step": int(p.step), "steps": int(p.steps), "breakdown": breakdown(p.breakdown)}
    preview = getattr(p, "preview", None)
    if preview is not None:
        out["preview"] = (int(preview.width), int(preview.height), floats(preview.pixels))
    return out


def breakdown(value: Any) -> dict[str, float]:
    d = to_py(value)
    return {k: float(d[k]) for k in protocol().breakdown_keys}


class EngineHandle:
    """One engine client (workers/client.ts): a worker of Python's own, or one from the pool."""

    def __init__(self, client: Any, owned: bool, release: Callable[[Any], None] | None = None) -> None:
        self.client = client
        self._owned = owned
        self._release = release

    async def init(self, width: int, height: int, model: dict[str, Any]) -> None:
        await call(self.client.init(int(width), int(height), to_js_object(model)))

    async def set_target(self, pixels: Sequence[float] | array.array) -> None:
        await call(self.client.setTarget(float32(pixels)))

    async def set_scene(self, codes: Sequence[int], values: Sequence[float], background: Sequence[float]) -> None:
        await call(self.client.setScene(int32(codes), float64(values), float64(background)))

    async def set_frozen(self, mask: Sequence[int]) -> None:
        await call(self.client.setFrozen(uint8(mask)))

    async def set_weights(self, weights: dict[str, float]) -> None:
        await call(self.client.setWeights(to_js_object(weights)))

    def reset_weights(self) -> None:
        """Queues the original's weights without waiting: the call runs ahead of the next user's."""
        _detach(self.client.setWeights(to_js_object(dict(protocol().default_weights))))

    async def evaluate(self, tau: float, window: dict[str, int] | None = None) -> tuple[dict[str, float], array.array]:
        if window is None:
            result = await call(self.client.evaluate(float(tau)))
        else:
            result = await call(self.client.evaluate(float(tau), to_js_object(window)))
        return breakdown(result.breakdown), floats(result.gradients)

    async def render(self, tau: float, width: int, height: int) -> array.array:
        return floats(await call(self.client.render(float(tau), int(width), int(height))))

    async def optimize(
        self, options: dict[str, Any], on_progress: Callable[[dict[str, Any]], Any] | None = None
    ) -> dict[str, Any]:
        """Runs the optimiser; returns values, background (array 'd'), history (list of breakdowns),
        best_loss, steps_completed, cancelled, elapsed_ms."""
        js_options = to_js_object(options)
        callback = None
        if isinstance(on_progress, RunRelay):
            promise = _module().optimize(self.client, js_options, None, on_progress.token)
        elif on_progress is not None:
            callback = _ffi().create_proxy(lambda p: on_progress(_progress(p)))
            promise = _module().optimize(self.client, js_options, callback, None)
        else:
            promise = _module().optimize(self.client, js_options, None, None)
        try:
            result = await call(promise)
        finally:
            if callback is not None:
                callback.destroy()
        keys = protocol().breakdown_keys
        flat, n = floats(result.history), len(keys)
        history = [{k: float(flat[i * n + j]) for j, k in enumerate(keys)} for i in range(len(flat) // n)]
        return {
            "values": doubles(result.values),
            "background": doubles(result.background),
            "history": history,
            "best_loss": float(result.bestLoss),
            "steps_completed": int(result.stepsCompleted),
            "cancelled": bool(result.cancelled),
            "elapsed_ms": float(result.elapsedMs),
        }

    async def propose(self, options: dict[str, Any]) -> tuple[list[int], array.array]:
        result = await call(self.client.propose(to_js_object(options)))
        return [int(c) for c in to_py(result.types)], doubles(result.values)

    def cancel(self) -> None:
        self.client.cancel()

    def close(self) -> None:
        if self._owned:
            self.client.terminate()
        elif self._release is not None:
            self._release(self.client)


async def open_engine() -> EngineHandle:
    """A new worker of Python's own, terminated on close."""
    client = _module().createEngine()
    if hasattr(client, "then"):
        client = await client
    return EngineHandle(client, owned=True)


async def borrow_engine() -> EngineHandle:
    """A worker from the shared pool, given back on close."""
    host = _module()
    return EngineHandle(await host.acquire(), owned=False, release=host.release)


# ---------------------------------------------------------------------------------------------
# HTTP for the LLM providers: the host's fetch.


class HttpTimeout(Exception):
    """No answer within the time allowed."""


class HttpUnreachable(Exception):
    """The request did not get an answer (network, CORS, refused)."""


@dataclass
class HttpAnswer:
    status: int
    text: str
    retry_after: str | None


def has_http() -> bool:
    return _optional("post") is not None


async def http_post(url: str, headers: dict[str, str], body: str, timeout_s: float) -> HttpAnswer:
    """POSTs ``body``; redirects are not followed (the host refuses them: a redirect must not carry
    the key's header to another address)."""
    try:
        reply = await _module().post(url, to_js_object(headers), body, int(timeout_s * 1000))
    except Exception as e:  # a JsException: TimeoutError/AbortError, or TypeError (network, CORS)
        name = _js_name(e) or type(e).__name__
        lines = [ln for ln in str(e).strip().splitlines() if ln.strip()]
        message = (lines[-1] if lines else name)[:200]
        if "Timeout" in name or "Abort" in name or "aborted" in message:
            raise HttpTimeout(message) from None
        raise HttpUnreachable(message) from None
    retry = reply.retryAfter
    return HttpAnswer(int(reply.status), str(reply.text), None if retry is None else str(retry))


# ---------------------------------------------------------------------------------------------
# Images, animations and the user's files (the CLI's host has them; the page's has images only).


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


def encode_gif(frames: list[tuple[int, int, array.array]], delays_ms: list[int]) -> bytes:
    """An animated grayscale GIF, looping forever."""
    host = _module()
    if not hasattr(host, "encodeGif"):
        raise HostError("this host cannot encode GIF animations")
    meta = json.dumps([{"width": w, "height": h, "delay": d} for (w, h, _), d in zip(frames, delays_ms)])
    flat = array.array("f")
    for _, _, px in frames:
        flat.extend(px)
    return bytes(host.encodeGif(meta, float32(flat)).to_bytes())


def has_files() -> bool:
    """True when the host gives the user's own file system (the CLI)."""
    return _optional("readFile") is not None


def _checked(result: Any, path: str) -> Any:
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
