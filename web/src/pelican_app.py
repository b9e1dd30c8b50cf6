"""The page, seen from Python: ``app`` does what the buttons do, and the page shows the result.

Loaded by web/src/python.ts next to the ``pelican`` package. It is the only Python module that
talks to the page (through the ``pelican_page`` JS module); ``pelican`` itself never knows about
the page. In the console, ``app`` and ``pelican`` are already imported.

    app.scene                   # the current scene as a pelican-scene dict
    app.scene = doc             # replace it (dict, JSON text, or a pelican Scene) -> page redraws
    await app.optimize(steps=300)
    await app.greedy(max_shapes=20, proposal="residual", candidates=4)
    app.target                  # {"width", "height", "pixels": list[float]}
    app.set_target(pixels, width, height)
    app.log("text")             # a line in the run log
"""

from __future__ import annotations

import json
import math
from typing import Any

import pelican_page  # type: ignore[import-not-found]  # registered by web/src/python.ts

IMPORT_ERROR: str | None = None


def _as_dict(scene: Any) -> dict[str, Any]:
    """Accepts the forms a script naturally has at hand and returns a pelican-scene dict."""
    if isinstance(scene, dict):
        return scene
    if isinstance(scene, str):
        return json.loads(scene)
    for attr in ("to_dict", "to_json_dict", "as_dict"):
        fn = getattr(scene, attr, None)
        if callable(fn):
            return fn()
    fn = getattr(scene, "to_json", None)
    if callable(fn):
        out = fn()
        return json.loads(out) if isinstance(out, str) else out
    raise TypeError(
        f"app.scene wants a pelican-scene dict, JSON text or a pelican Scene, not {type(scene).__name__}"
    )


class App:
    """Handle on the page's session. Every setter updates the page at once."""

    @property
    def scene(self) -> dict[str, Any]:
        return json.loads(pelican_page.getScene())

    @scene.setter
    def scene(self, value: Any) -> None:
        pelican_page.setScene(json.dumps(_as_dict(value)), "python")

    def show(self, scene: Any, label: str = "python") -> None:
        """Puts a scene on the page (and in the timeline under ``label``)."""
        pelican_page.setScene(json.dumps(_as_dict(scene)), label)

    @property
    def target(self) -> dict[str, Any]:
        t = pelican_page.getTarget().to_py()
        return {"width": t["width"], "height": t["height"], "pixels": list(t["pixels"])}

    def set_target(self, pixels: Any, width: int, height: int, label: str = "python") -> None:
        """Sets a grayscale target (row-major, 0 = black, 1 = white)."""
        flat = [float(v) for v in pixels]
        if len(flat) != width * height:
            raise ValueError(f"set_target: {len(flat)} pixels for a {width}x{height} target")
        pelican_page.setTarget(json.dumps(flat), int(width), int(height), label)

    async def optimize(self, steps: int = 500, lr: float = 0.02) -> dict[str, Any]:
        """Runs the page's optimiser on the current scene (live in the page); returns the metrics."""
        out = await pelican_page.run("optimize", json.dumps({"steps": steps, "lr": lr}))
        return json.loads(out)

    async def greedy(self, max_shapes: int = 35, proposal: str = "residual", candidates: int = 4) -> dict[str, Any]:
        """Runs greedy refinement from the current scene, as the page's button does."""
        args = {"maxShapes": max_shapes, "proposal": proposal, "candidates": candidates}
        out = await pelican_page.run("greedy", json.dumps(args))
        return json.loads(out)

    def stop(self) -> None:
        pelican_page.stop()

    def log(self, text: str) -> None:
        pelican_page.log(str(text))

    def __repr__(self) -> str:
        s = self.scene
        return f"<pelican app: {s['width']}x{s['height']}, {len(s['shapes'])} shapes>"


app = App()

# The console's namespace (set by web/src/python.ts), so console_run sees what the user defined.
CONSOLE_NS: dict[str, Any] = {}


async def console_run(src: str) -> str | None:
    """One console entry: runs it like the standard REPL and returns the repr of a final expression."""
    from pyodide.code import eval_code_async  # type: ignore[import-not-found]

    result = await eval_code_async(src, CONSOLE_NS, filename="<console>")
    return None if result is None else repr(result)


async def run_page_action(kind: str, args_json: str, hooks: Any) -> str:
    """The page's Greedy and LLM buttons.

    ``hooks`` (from the page): round(json) per round, progress(json), shouldStop(), apiKey().
    Returns JSON ``{"scene", "loss", "cancelled"}``.
    """
    args = json.loads(args_json)
    if kind == "greedy":
        return json.dumps(await _greedy(args, hooks))
    if kind == "llm":
        return json.dumps(await _llm(args, hooks))
    raise NotImplementedError(
        f"{kind}: the pelican package does not provide this yet" + (f" ({IMPORT_ERROR})" if IMPORT_ERROR else "")
    )


# ---------------------------------------------------------------------------------------------
# Greedy refinement for the page. Each round proposes `candidates` shapes where the residual is
# largest (or at random, as the original), fits each one on its own pool engine (settle with the
# rest frozen, then all together), and keeps the best candidate if the loss at one fixed tau drops.

_TYPES = ("circle", "ellipse", "triangle")


class _Stopped(Exception):
    pass


def _floats(js_array: Any) -> list[float]:
    return js_array.to_memoryview().tolist()


def _fixed_tau(width: int, height: int) -> float:
    return 0.5 / max(width, height)


def _proposals(scene: dict[str, Any], target: list[float], render: list[float], n: int, mode: str,
               round_no: int, rng: Any) -> list[dict[str, Any]]:
    w, h = scene["width"], scene["height"]
    S = max(w, h)
    out: list[dict[str, Any]] = []
    if mode == "random":
        for i in range(n):
            t = _TYPES[(round_no + i) % 3]
            cx, cy = rng.uniform(0.15, 0.85) * w / S, rng.uniform(0.15, 0.85) * h / S
            inten = rng.uniform(0.05, 0.55)
            out.append(_shape(t, cx, cy, 0.08 * rng.uniform(0.5, 1.5), inten, rng, f"{t}_{round_no}"))
        return out
    # Residual-guided: sum |render - target| over a grid of cells and seed in the worst cells.
    cells = 12
    cw, ch = max(1, w // cells), max(1, h // cells)
    nx, ny = (w + cw - 1) // cw, (h + ch - 1) // ch
    err = [0.0] * (nx * ny)
    tsum = [0.0] * (nx * ny)
    cnt = [0] * (nx * ny)
    signed = [0.0] * (nx * ny)
    for y in range(h):
        row = y * w
        cy_ = (y // ch) * nx
        for x in range(w):
            d = render[row + x] - target[row + x]
            k = cy_ + x // cw
            err[k] += d * d
            signed[k] += d
            tsum[k] += target[row + x]
            cnt[k] += 1
    # Sample among the worst cells in proportion to their error, so a round that failed in one
    # place tries somewhere else next time.
    pool_ = sorted(range(len(err)), key=lambda k: -err[k])[: max(4 * n, n)]
    chosen: list[int] = []
    while pool_ and len(chosen) < n:
        total = sum(err[k] for k in pool_) or 1.0
        r, acc = rng.random() * total, 0.0
        for k in pool_:
            acc += err[k]
            if acc >= r:
                break
        chosen.append(k)
        pool_.remove(k)
    for i, k in enumerate(chosen):
        t = _TYPES[(round_no + i) % 3]
        gx, gy = k % nx, k // nx
        cx = (gx + 0.5) * cw / S
        cy = (gy + 0.5) * ch / S
        inten = min(0.98, max(0.02, tsum[k] / max(1, cnt[k])))
        size = 0.7 * max(cw, ch) / S
        out.append(_shape(t, cx, cy, size, inten, rng, f"{t}_{round_no}"))
    return out


def _shape(t: str, cx: float, cy: float, size: float, inten: float, rng: Any, name: str) -> dict[str, Any]:
    cx = min(0.97, max(0.03, cx))
    cy = min(0.97, max(0.03, cy))
    if t == "circle":
        return {"name": name, "type": t, "cx": cx, "cy": cy, "r": size, "intensity": inten}
    if t == "ellipse":
        return {"name": name, "type": t, "cx": cx, "cy": cy, "rx": size * 1.3, "ry": size * 0.7,
                "rotation": rng.uniform(-1.5, 1.5), "intensity": inten}
    a0 = rng.uniform(0.0, 2.0 * math.pi)
    pts = [
        [min(0.99, max(0.01, cx + 1.4 * size * math.cos(a0 + j * 2.0944))),
         min(0.99, max(0.01, cy + 1.4 * size * math.sin(a0 + j * 2.0944)))]
        for j in range(3)
    ]
    return {"name": name, "type": t, "points": pts, "intensity": inten}


async def _greedy(args: dict[str, Any], hooks: Any) -> dict[str, Any]:
    import random

    import pelican_host  # type: ignore[import-not-found]

    pool = pelican_host.pool
    scene: dict[str, Any] = args["scene"]
    w, h = scene["width"], scene["height"]
    tau = _fixed_tau(w, h)
    target_js = pelican_page.getTarget().pixels
    target = _floats(target_js)
    max_shapes = int(args.get("max_shapes", 35))
    n_cand = max(1, int(args.get("candidates", 4)))
    max_failures = int(args.get("max_failures", 5))
    mode = str(args.get("proposal", "residual"))
    settle, reopt = int(args.get("settle_steps", 100)), int(args.get("reoptimize_steps", 200))
    rng = random.Random(int(args.get("seed", 42)))

    async def prepared(engine: Any, sc: dict[str, Any], frozen_existing: bool) -> None:
        await engine.init(w, h)
        await engine.setTarget(target_js.slice())
        packed = pelican_page.sceneToRaw(json.dumps(sc))
        await engine.setScene(packed.types, packed.raw)
        n = len(sc["shapes"])
        mask = [1 if (frozen_existing and i < n - 1) or s.get("frozen") else 0 for i, s in enumerate(sc["shapes"])]
        await engine.setFrozen(pelican_page.mask(json.dumps(mask)))

    async def fit(candidate: dict[str, Any], base: dict[str, Any]) -> tuple[float, dict[str, Any]] | None:
        engine = await pool.acquire()
        try:
            sc = dict(base, shapes=base["shapes"] + [candidate])
            await prepared(engine, sc, True)
            # A JS callback (made by the page) cancels this engine's run as soon as Stop is pressed.
            cb = pelican_page.stopWatcher(engine)
            r1 = await engine.optimize(pelican_page.options(settle), cb)
            if r1.cancelled:
                raise _Stopped()
            settled = float((await engine.evaluate(tau)).breakdown.total)
            await engine.setFrozen(pelican_page.mask(json.dumps([1 if s.get("frozen") else 0 for s in sc["shapes"]])))
            # The joint phase starts a fresh Adam; a gentler rate keeps it from shaking the shapes
            # that were already fitted, and the settled state is kept if the joint phase is worse.
            r2 = await engine.optimize(pelican_page.options(reopt, 0.01), cb)
            if r2.cancelled:
                raise _Stopped()
            joint = float((await engine.evaluate(tau)).breakdown.total)
            raw = r2.raw if joint <= settled else r1.raw
            fitted = json.loads(pelican_page.rawToScene(json.dumps(sc), raw))
            return min(joint, settled), fitted
        finally:
            pool.release(engine)

    async def evaluate(sc: dict[str, Any]) -> tuple[float, list[float]]:
        engine = await pool.acquire()
        try:
            await prepared(engine, sc, False)
            ev = await engine.evaluate(tau)
            px = _floats(await engine.render(tau, w, h))
            return float(ev.breakdown.total), px
        finally:
            pool.release(engine)

    import asyncio

    loss, render = await evaluate(scene)
    failures = 0
    round_no = 0
    cancelled = False
    while len(scene["shapes"]) < max_shapes and failures < max_failures:
        if hooks.shouldStop():
            cancelled = True
            break
        round_no += 1
        cands = _proposals(scene, target, render, n_cand, mode, round_no, rng)
        names = {s["name"] for s in scene["shapes"]}
        for c in cands:
            while c["name"] in names:
                c["name"] += "_"
        try:
            results = await asyncio.gather(*(fit(c, scene) for c in cands))
        except _Stopped:
            cancelled = True
            break
        best = min((r for r in results if r is not None), key=lambda r: r[0], default=None)
        rec: dict[str, Any] = {"round": round_no, "loss_before": loss, "candidates": len(cands)}
        if best is not None and best[0] < loss:
            new_loss, fitted = best
            added = fitted["shapes"][-1]
            rec.update(accepted=True, action="add", shape_type=added["type"], shape_name=added["name"],
                       loss_after=new_loss, num_shapes=len(fitted["shapes"]), scene=fitted)
            scene, loss, failures = fitted, new_loss, 0
            _, render = await evaluate(scene)
        else:
            failures += 1
            rec.update(accepted=False, action="reject", loss_after=best[0] if best else None,
                       shape_type=cands[0]["type"], num_shapes=len(scene["shapes"]))
        hooks.round(json.dumps(rec))
    return {"scene": scene, "loss": loss, "cancelled": cancelled}


# ---------------------------------------------------------------------------------------------
# LLM refinement for the page: per round a judge looks at the render and the target, an
# architect proposes named edits, the edits are validated and applied, the scene is optimised,
# and a round that makes the loss worse is rolled back to the exact scene before it.

class LlmError(Exception):
    """A provider call failed for good (after retries); the message says what to fix."""


_FIELDS = {
    "circle": {"cx", "cy", "r", "radius", "intensity"},
    "ellipse": {"cx", "cy", "rx", "ry", "rotation", "intensity"},
    "triangle": {"v0", "v1", "v2", "points", "intensity"},
}
_BOUNDS = {"cx": (0.0, 1.0), "cy": (0.0, 1.0), "r": (0.002, 0.8), "rx": (0.002, 0.8), "ry": (0.002, 0.8),
           "rotation": (-7.0, 7.0), "intensity": (0.01, 0.99)}

JUDGE_TOOL = {
    "name": "judge_render",
    "description": "Critique how well the rendered shapes reproduce the target image.",
    "schema": {
        "type": "object",
        "properties": {
            "overall_quality": {"type": "number"},
            "similarity_to_target": {"type": "number"},
            "missing_features": {"type": "array", "items": {"type": "string"}},
            "suggestions": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["overall_quality", "suggestions"],
    },
}
ARCHITECT_TOOL = {
    "name": "edit_scene",
    "description": "Edit the scene: modify, add or remove named shapes.",
    "schema": {
        "type": "object",
        "properties": {
            "actions": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "type": {"type": "string", "enum": ["modify", "add", "remove"]},
                        "shape": {"type": "string"},
                        "changes": {"type": "object"},
                        "primitive": {"type": "string", "enum": ["circle", "ellipse", "triangle"]},
                        "init_params": {"type": "object"},
                    },
                    "required": ["type", "shape"],
                },
            },
            "rationale": {"type": "string"},
        },
        "required": ["actions"],
    },
}


async def _post_json(url: str, headers: dict[str, str], body: dict[str, Any], attempts: int = 3) -> Any:
    import asyncio

    from js import AbortSignal, Object, fetch  # type: ignore[import-not-found]
    from pyodide.ffi import to_js  # type: ignore[import-not-found]

    last = ""
    for attempt in range(attempts):
        try:
            opts = to_js({"method": "POST", "headers": headers, "body": json.dumps(body),
                          "signal": AbortSignal.timeout(90_000)}, dict_converter=Object.fromEntries)
            resp = await fetch(url, opts)
            text = await resp.text()
            if resp.ok:
                try:
                    return json.loads(text)
                except ValueError:
                    raise LlmError(f"{url} answered with something that is not JSON") from None
            last = f"HTTP {resp.status}: {text[:200]}"
            if resp.status not in (408, 409, 429) and resp.status < 500:
                raise LlmError(f"the provider refused the request ({last})")
        except LlmError:
            raise
        except Exception as e:  # network error, timeout, CORS
            last = f"{type(e).__name__}: {e}"
        await asyncio.sleep(0.5 * 2**attempt)
    raise LlmError(f"the provider could not be reached after {attempts} attempts ({last})")


async def _ask(cfg: dict[str, Any], key: str, text: str, images: list[str], tool: dict[str, Any]) -> dict[str, Any]:
    """One forced-tool call; returns the tool's arguments as a dict."""
    base = cfg["base_url"].rstrip("/")
    if cfg["provider"] == "anthropic":
        content: list[dict[str, Any]] = [
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": b64}} for b64 in images
        ]
        content.append({"type": "text", "text": text})
        url = base + ("/messages" if base.endswith("/v1") else "/v1/messages")
        reply = await _post_json(url, {
            "content-type": "application/json",
            "x-api-key": key,
            "anthropic-version": "2023-06-01",
            "anthropic-dangerous-direct-browser-access": "true",
        }, {
            "model": cfg["model"], "max_tokens": 2048,
            "tools": [{"name": tool["name"], "description": tool["description"], "input_schema": tool["schema"]}],
            "tool_choice": {"type": "tool", "name": tool["name"]},
            "messages": [{"role": "user", "content": content}],
        })
        for block in reply.get("content", []) if isinstance(reply, dict) else []:
            if isinstance(block, dict) and block.get("type") == "tool_use" and isinstance(block.get("input"), dict):
                return block["input"]
        raise LlmError("the reply had no tool_use block")
    content = [{"type": "text", "text": text}] + [
        {"type": "image_url", "image_url": {"url": "data:image/png;base64," + b64}} for b64 in images
    ]
    headers = {"content-type": "application/json"}
    if key:
        headers["authorization"] = "Bearer " + key
    reply = await _post_json(base + "/chat/completions", headers, {
        "model": cfg["model"],
        "messages": [{"role": "user", "content": content}],
        "tools": [{"type": "function", "function": {"name": tool["name"], "description": tool["description"],
                                                      "parameters": tool["schema"]}}],
        "tool_choice": {"type": "function", "function": {"name": tool["name"]}},
    })
    try:
        msg = reply["choices"][0]["message"]
        calls = msg.get("tool_calls") or []
        raw = calls[0]["function"]["arguments"] if calls else msg.get("content") or ""
        out = json.loads(raw) if isinstance(raw, str) else raw
    except (KeyError, IndexError, TypeError, ValueError):
        raise LlmError("the reply was not a tool call with JSON arguments") from None
    if not isinstance(out, dict):
        raise LlmError("the tool arguments were not a JSON object")
    return out


def _describe(scene: dict[str, Any]) -> str:
    lines = []
    for s in scene["shapes"]:
        if s["type"] == "circle":
            g = f"cx={s['cx']:.3f}, cy={s['cy']:.3f}, r={s['r']:.3f}"
        elif s["type"] == "ellipse":
            g = f"cx={s['cx']:.3f}, cy={s['cy']:.3f}, rx={s['rx']:.3f}, ry={s['ry']:.3f}, rotation={s['rotation']:.3f}"
        else:
            g = ", ".join(f"v{i}=[{p[0]:.3f}, {p[1]:.3f}]" for i, p in enumerate(s["points"]))
        lines.append(f'- "{s["name"]}" ({s["type"]}): {g}, intensity={s["intensity"]:.3f}')
    return "\n".join(lines)


def _value(current: float, v: Any, field: str) -> float:
    if isinstance(v, bool):
        raise ValueError(f"{field}: a boolean is not a number")
    if isinstance(v, (int, float)):
        x = float(v)
    elif isinstance(v, str) and v.strip().endswith("%"):
        p = float(v.strip()[:-1].lstrip("+")) / 100.0
        x = current * (1 + p) if v.strip()[0] in "+-" else current * p
    else:
        raise ValueError(f"{field}: {v!r} is neither a number nor a percentage")
    if not math.isfinite(x):
        raise ValueError(f"{field}: not finite")
    lo, hi = _BOUNDS.get(field, (-1e9, 1e9))
    if not lo <= x <= hi:
        raise ValueError(f"{field}={x:.4g} is outside [{lo}, {hi}]")
    return x


def _point(v: Any, field: str) -> list[float]:
    if not (isinstance(v, list) and len(v) == 2):
        raise ValueError(f"{field} must be [x, y]")
    return [_value(0.0, v[0], "cx"), _value(0.0, v[1], "cy")]


def _apply_edits(scene: dict[str, Any], actions: Any, max_edits: int, max_shapes: int) -> tuple[dict[str, Any], list[str], list[str]]:
    """Validated edits on a copy of the scene; returns (scene, applied, rejected-with-reason)."""
    out = json.loads(json.dumps(scene))
    applied: list[str] = []
    rejected: list[str] = []
    if not isinstance(actions, list):
        return out, applied, ["actions must be a list"]
    for i, a in enumerate(actions):
        if len(applied) >= max_edits:
            rejected.append(f"#{i}: more than {max_edits} edits in one round")
            continue
        try:
            if not isinstance(a, dict):
                raise ValueError("an edit must be an object")
            kind, name = a.get("type"), a.get("shape")
            if not isinstance(name, str) or not name or len(name) > 64:
                raise ValueError("shape must be a name")
            names = [s["name"] for s in out["shapes"]]
            if kind == "remove":
                if name not in names:
                    raise ValueError(f"no shape named {name!r}")
                if len(out["shapes"]) <= 1:
                    raise ValueError("the scene would be empty")
                out["shapes"].pop(names.index(name))
            elif kind == "modify":
                if name not in names:
                    raise ValueError(f"no shape named {name!r}")
                sh = out["shapes"][names.index(name)]
                changes = a.get("changes")
                if not isinstance(changes, dict) or not changes:
                    raise ValueError("modify needs changes")
                new = dict(sh)
                for f, v in changes.items():
                    if f not in _FIELDS[sh["type"]]:
                        raise ValueError(f"{sh['type']} has no field {f!r}")
                    if f in ("v0", "v1", "v2"):
                        pts = [list(p) for p in new["points"]]
                        pts[int(f[1])] = _point(v, f)
                        new["points"] = pts
                    elif f == "points":
                        if not (isinstance(v, list) and len(v) == 3):
                            raise ValueError("points must be three [x, y]")
                        new["points"] = [_point(p, "points") for p in v]
                    else:
                        key = "r" if f == "radius" else f
                        new[key] = _value(float(sh[key]), v, key)
                out["shapes"][names.index(name)] = new
            elif kind == "add":
                if name in names:
                    raise ValueError(f"a shape named {name!r} exists")
                if len(out["shapes"]) >= max_shapes:
                    raise ValueError(f"the scene already has {max_shapes} shapes")
                prim = a.get("primitive")
                p = a.get("init_params") or {}
                if prim not in _FIELDS or not isinstance(p, dict):
                    raise ValueError("add needs primitive circle|ellipse|triangle and init_params")
                sh: dict[str, Any] = {"name": name, "type": prim, "intensity": _value(0.5, p.get("intensity", 0.3), "intensity")}
                if prim == "triangle":
                    sh["points"] = [_point(p.get(k, d), k) for k, d in
                                    (("v0", [0.3, 0.3]), ("v1", [0.7, 0.3]), ("v2", [0.5, 0.7]))]
                else:
                    sh["cx"] = _value(0.5, p.get("cx", 0.5), "cx")
                    sh["cy"] = _value(0.5, p.get("cy", 0.5), "cy")
                    if prim == "circle":
                        sh["r"] = _value(0.1, p.get("r", p.get("radius", 0.1)), "r")
                    else:
                        sh["rx"] = _value(0.15, p.get("rx", 0.15), "rx")
                        sh["ry"] = _value(0.1, p.get("ry", 0.1), "ry")
                        sh["rotation"] = _value(0.0, p.get("rotation", 0.0), "rotation")
                out["shapes"].append(sh)
            else:
                raise ValueError(f"unknown edit type {kind!r}")
            applied.append(f"{kind} {name}")
        except (ValueError, TypeError, KeyError, IndexError) as e:
            rejected.append(f"#{i}: {e}")
    return out, applied, rejected


async def _llm(args: dict[str, Any], hooks: Any) -> dict[str, Any]:
    import pelican_host  # type: ignore[import-not-found]

    pool = pelican_host.pool
    cfg = {"provider": args.get("provider", "anthropic"), "base_url": str(args["base_url"]), "model": str(args["model"])}
    key = str(hooks.apiKey() or "")
    scene: dict[str, Any] = args["scene"]
    w, h = scene["width"], scene["height"]
    tau = _fixed_tau(w, h)
    target_js = pelican_page.getTarget().pixels
    rounds = int(args.get("rounds", 3))
    steps = int(args.get("steps_per_round", 100))
    tolerance = float(args.get("tolerance", 1.02))
    max_edits = int(args.get("max_edits", 8))
    max_shapes = int(args.get("max_shapes", 60))
    target_png = await pelican_page.pngBase64(target_js, w, h, 256)

    async def measure(sc: dict[str, Any], optimise: int) -> tuple[float, dict[str, Any], Any]:
        engine = await pool.acquire()
        try:
            await engine.init(w, h)
            await engine.setTarget(target_js.slice())
            packed = pelican_page.sceneToRaw(json.dumps(sc))
            await engine.setScene(packed.types, packed.raw)
            await engine.setFrozen(pelican_page.mask(json.dumps([1 if s.get("frozen") else 0 for s in sc["shapes"]])))
            if optimise:
                r = await engine.optimize(pelican_page.options(optimise), pelican_page.stopWatcher(engine))
                sc = json.loads(pelican_page.rawToScene(json.dumps(sc), r.raw))
            loss = float((await engine.evaluate(tau)).breakdown.total)
            px = await engine.render(tau, w, h)
            return loss, sc, px
        finally:
            pool.release(engine)

    loss, _, px = await measure(scene, 0)
    cancelled = False
    for rnd in range(1, rounds + 1):
        if hooks.shouldStop():
            cancelled = True
            break
        rec: dict[str, Any] = {"round": rnd, "loss_before": loss, "accepted": False}
        before = json.loads(json.dumps(scene))
        try:
            render_png = await pelican_page.pngBase64(px, w, h, 256)
            feedback = await _ask(cfg, key, "The first image is the render made of simple shapes, the second the "
                                  "target. Judge how well the render reproduces the target.", [render_png, target_png],
                                  JUDGE_TOOL)
            plan = await _ask(cfg, key, "You edit a scene of grayscale shapes (intensity 0 = black, 1 = white; "
                              "coordinates in [0, 1], y down) to look more like the target.\n"
                              f"Judge feedback:\n{json.dumps(feedback, indent=1)[:4000]}\n\n"
                              f"Current scene ({len(scene['shapes'])} shapes):\n{_describe(scene)}\n\n"
                              "Use only existing names for modify/remove. Values are numbers or percentages "
                              '("+20%").', [], ARCHITECT_TOOL)
            edited, applied, rejected = _apply_edits(scene, plan.get("actions"), max_edits, max_shapes)
            rec["applied"] = applied
            rec["rejected"] = rejected
            if not applied:
                rec["message"] = "no valid edits" + (f" ({'; '.join(rejected)[:300]})" if rejected else "")
                hooks.round(json.dumps(rec))
                continue
            new_loss, fitted, new_px = await measure(edited, steps)
            rec["loss_after"] = new_loss
            if new_loss > loss * tolerance:
                rec.update(rolled_back=True, scene=before,
                           message=f"{', '.join(applied)} made the loss worse; rolled back")
            else:
                scene, loss, px = fitted, new_loss, new_px
                rec.update(accepted=True, scene=scene, num_shapes=len(scene["shapes"]),
                           message=", ".join(applied) + (f"; refused: {'; '.join(rejected)[:200]}" if rejected else ""))
        except LlmError as e:
            rec["message"] = f"error: {e}"
            hooks.round(json.dumps(rec))
            raise
        hooks.round(json.dumps(rec))
    return {"scene": scene, "loss": loss, "cancelled": cancelled}
