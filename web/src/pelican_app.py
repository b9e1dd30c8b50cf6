"""The page, seen from Python: ``app`` does what the buttons do, and the page shows the result.

Loaded by the page's Python worker (web/src/python.worker.ts) next to the ``pelican`` package. It
is the only Python module that talks to the page, through the ``pelican_page`` JS module the
worker registers (the page bridge of web/src/page-protocol.ts); ``pelican`` itself never knows
about the page. In the console, ``app`` and ``pelican`` are already imported.

    app.scene                   # the current scene as a pelican-scene dict
    app.scene = doc             # replace it (dict, JSON text, or a pelican Scene) -> page redraws
    await app.optimize(steps=300)
    await app.greedy(max_shapes=20, proposal="residual", candidates=4)
    app.target                  # {"width", "height", "channels", "pixels": list[float]} (planes)
    app.set_target(pixels, width, height, channels=1)   # or 3 planes (RGB)
    app.log("text")             # a line in the run log
"""

from __future__ import annotations

import json
from typing import Any

import pelican
import pelican_page  # type: ignore[import-not-found]  # registered by web/src/python.worker.ts


def _as_dict(scene: Any) -> dict[str, Any]:
    """Accepts the forms a script naturally has at hand and returns a pelican-scene dict."""
    if isinstance(scene, dict):
        return scene
    if isinstance(scene, str):
        return json.loads(scene)
    if isinstance(scene, pelican.Scene):
        return scene.to_dict()
    raise TypeError(f"app.scene wants a pelican-scene dict, JSON text or a pelican Scene, not {type(scene).__name__}")


def _page(method: str, *args: Any) -> Any:
    """A page bridge call; the page's named errors (page-protocol.ts PELICAN_ERRORS) are raised
    as pelican's own classes, any other as RuntimeError."""
    try:
        return getattr(pelican_page, method)(*args)
    except Exception as e:
        raise _from_page(e) from None


async def _page_async(method: str, *args: Any) -> Any:
    try:
        return await getattr(pelican_page, method)(*args)
    except Exception as e:
        raise _from_page(e) from None


def _from_page(e: Exception) -> Exception:
    name = str(getattr(e, "name", "") or "")
    message = str(getattr(getattr(e, "js_error", None), "message", None) or e)
    kind = getattr(pelican, name, None) if name in list(pelican_page.errorNames) else None
    if isinstance(kind, type) and issubclass(kind, Exception):
        return kind(message)
    return RuntimeError(message)


class App:
    """Handle on the page's session. Every setter updates the page at once."""

    @property
    def scene(self) -> dict[str, Any]:
        return json.loads(_page("getScene"))

    @scene.setter
    def scene(self, value: Any) -> None:
        _page("setScene", json.dumps(_as_dict(value)), "python")

    def show(self, scene: Any, label: str = "python") -> None:
        """Puts a scene on the page (and in the timeline under ``label``)."""
        _page("setScene", json.dumps(_as_dict(scene)), label)

    @property
    def target(self) -> dict[str, Any]:
        t = _page("getTarget").to_py()
        return {"width": t["width"], "height": t["height"], "channels": t["channels"], "pixels": list(t["pixels"])}

    def set_target(self, pixels: Any, width: int, height: int, label: str = "python", channels: int = 1) -> None:
        """Sets the target: ``channels`` (1 gray, 3 RGB) planes, row-major, 0 = black, 1 = white."""
        if channels not in (1, 3):
            raise ValueError(f"set_target: channels must be 1 or 3, got {channels!r}")
        flat = [float(v) for v in pixels]
        if len(flat) != channels * width * height:
            raise ValueError(f"set_target: {len(flat)} values for a {width}x{height} target of {channels} channel(s)")
        _page("setTarget", json.dumps(flat), int(width), int(height), label, int(channels))

    async def optimize(self, steps: int = 500, lr: float = pelican.engine.DEFAULT_LR) -> dict[str, Any]:
        """Runs the page's optimiser on the current scene (live in the page); returns the metrics."""
        out = await _page_async("run", "optimize", json.dumps({"steps": steps, "lr": lr}))
        return json.loads(out)

    async def greedy(self, max_shapes: int = 35, proposal: str = "residual", candidates: int = 4) -> dict[str, Any]:
        """Runs greedy refinement from the current scene, as the page's button does."""
        args = {"maxShapes": max_shapes, "proposal": proposal, "candidates": candidates}
        out = await _page_async("run", "greedy", json.dumps(args))
        return json.loads(out)

    def stop(self) -> None:
        _page("stop")

    def log(self, text: str) -> None:
        _page("log", str(text))

    def __repr__(self) -> str:
        s = self.scene
        return f"<pelican app: {s['width']}x{s['height']}, {len(s['shapes'])} shapes>"


app = App()

# The console's namespace (set by web/src/python.worker.ts), so console_run sees what the user defined.
CONSOLE_NS: dict[str, Any] = {}


class Interrupted(Exception):
    """KeyboardInterrupt as an ordinary exception. Raised out of a task, a BaseException is re-raised
    by asyncio into Pyodide's event loop, where it becomes an uncaught page error; this one just ends
    the console entry that was interrupted (Ctrl+C or Stop)."""


# The task running console code, so Ctrl+C can cancel code that awaits. (Pyodide's interrupt
# buffer would be read by whatever Python runs next, often the event loop's own machinery, between
# two of the user's awaits; the page writes it only when this worker does not answer a Ctrl+C,
# that is for code that never yields: web/src/python.ts.)
_RUNNING: list[Any] = []
# Ctrl+Cs seen so far: an entry the worker received before one but had not started yet (its task
# waits for the event loop) stops at its start instead of running on.
_INTERRUPTS = [0]


def interrupts_seen() -> int:
    return _INTERRUPTS[0]


async def console_eval(src: str, interrupts_before: int | None = None, started: Any = None) -> Any:
    """Runs console (or devtools) code in the console's namespace; returns its final expression's value.
    ``started()`` is called once the entry is past its Ctrl+C check: from then on it may hold the
    thread, and only then may the page set the interrupt buffer for it."""
    import asyncio

    from pyodide.code import eval_code_async  # type: ignore[import-not-found]

    if interrupts_before is not None and _INTERRUPTS[0] != interrupts_before:
        raise Interrupted("KeyboardInterrupt")
    task = asyncio.current_task()
    _RUNNING.append(task)
    try:
        if started is not None:
            started()
        return await eval_code_async(src, CONSOLE_NS, filename="<console>")
    except KeyboardInterrupt as e:
        raise Interrupted("KeyboardInterrupt").with_traceback(e.__traceback__) from None
    except asyncio.CancelledError as e:
        if task is None or not getattr(task, "_pelican_interrupt", False):
            raise
        task.uncancel()
        raise Interrupted("KeyboardInterrupt").with_traceback(e.__traceback__) from None
    finally:
        _RUNNING.remove(task)


def interrupt_console() -> bool:
    """Ctrl+C for console code that awaits: cancels it at its current await. False if none runs."""
    _INTERRUPTS[0] += 1
    for task in _RUNNING:
        if task is not None and not task.done():
            task._pelican_interrupt = True
            task.cancel()
    return bool(_RUNNING)


async def console_run(src: str, interrupts_before: int | None = None, started: Any = None) -> str | None:
    """One console entry: runs it like the standard REPL and returns the repr of a final expression."""
    result = await console_eval(src, interrupts_before, started)
    return None if result is None else repr(result)


async def run_page_action(kind: str, args_json: str, run: Any) -> str:
    """The page's Greedy, LLM and (on a picture) Run buttons.

    ``run`` (web/src/python.worker.ts): the run's ``token``, the page's ``target`` and ``apiKey``
    as they were when the run started, ``round(json)`` for each round record, ``stopped`` and
    ``onStop(fn)`` for the page's Stop. Progress goes from the engines to the page under the
    token (pelican._host.RunRelay), never through here.
    Returns JSON ``{"scene", "loss", "cancelled"}``; an LLM run adds ``"rewound"`` (its best scene
    is not its last) and ``"error"`` when it ended on failures.
    """
    args = json.loads(args_json)
    actions = {"greedy": _greedy, "llm": _llm, "vectorize": _vectorize}
    if kind not in actions:
        raise ValueError(f"unknown page action {kind!r} (known: {', '.join(actions)})")
    return json.dumps(await actions[kind](args, run))


def _on_stop(run: Any, stop: Any) -> None:
    """Calls ``stop`` when the page stops the run (at once if it already has). The worker keeps
    the proxy until the run has ended: a Stop may arrive while this coroutine is finishing."""
    from pyodide.ffi import create_proxy  # type: ignore[import-not-found]

    run.onStop(create_proxy(stop))


# ---------------------------------------------------------------------------------------------
# Greedy refinement for the page: pelican.greedy_refine on the page's scene and target, with the
# page's Stop button and live loss wired in.


def _page_target(run: Any) -> Any:
    from pelican import _host

    t = run.target
    return pelican.Image(int(t.width), int(t.height), _host.floats(t.pixels), int(t.channels))


async def _greedy(args: dict[str, Any], run: Any) -> dict[str, Any]:
    from pelican import _host

    target = _page_target(run)
    scene = pelican.Scene.from_dict(dict(args["scene"], width=target.width, height=target.height))
    stop = pelican.StopToken()
    # The page has already optimised the scene; the search runs the app's tuned preset.
    options = pelican.GreedyOptions.pipeline(
        max_shapes=int(args.get("max_shapes", 35)),
        initial_steps=int(args.get("initial_steps", 0)),
        max_failures=int(args.get("max_failures", 5)),
        proposal=str(args.get("proposal", "residual")),
        candidates=max(0, int(args.get("candidates", 0))),
        seed=int(args.get("seed", 42)),
    )

    def on_round(record: dict[str, Any], current: Any) -> None:
        out = dict(record, scene=current.to_dict()) if record["accepted"] else record
        run.round(json.dumps(out))

    _on_stop(run, stop.stop)
    result = await pelican.greedy_refine(
        scene, target, options, on_round=on_round, stop=stop, on_progress=_host.RunRelay(run.token)
    )
    # The page says why the search ended: a run that hit its failure limit is not "done".
    why = "cancelled" if result.cancelled else ("budget" if len(result.scene) >= options.max_shapes else "failures")
    return {"scene": result.scene.to_dict(), "loss": result.final_loss, "cancelled": result.cancelled, "stopped": why}


# ---------------------------------------------------------------------------------------------
# The one-click pipeline on a user's picture: pelican.vectorize, from the background alone, in the
# target's own channels (the page has already made a gray target luma).


def has_vectorize() -> bool:
    return hasattr(pelican, "vectorize")


async def _vectorize(args: dict[str, Any], run: Any) -> dict[str, Any]:
    from pelican import _host

    target = _page_target(run)
    stop = pelican.StopToken()

    def on_round(record: dict[str, Any], current: Any) -> None:
        run.round(json.dumps(dict(record, accepted=True, scene=current.to_dict())))

    _on_stop(run, stop.stop)
    result = await pelican.vectorize(
        target,
        shapes=int(args.get("shapes", 35)),
        gray=target.channels == 1,
        on_round=on_round,
        stop=stop,
        on_progress=_host.RunRelay(run.token),
    )
    mse = result.mse if result.mse == result.mse else None  # NaN when stopped mid-fit
    return {"scene": result.scene.to_dict(), "loss": mse, "cancelled": result.cancelled, "seconds": result.seconds}


# ---------------------------------------------------------------------------------------------
# LLM refinement for the page: pelican.llm.refine (judge, architect, validated edits, rollback)
# on the page's scene and target, with the page's Stop button, log and timeline wired in.


async def _llm(args: dict[str, Any], run: Any) -> dict[str, Any]:
    from pelican import _host
    from pelican.llm import LlmClient, ProviderConfig, RefineOptions, refine

    target = _page_target(run)
    scene = pelican.Scene.from_dict(dict(args["scene"], width=target.width, height=target.height))
    # The key is asked for now, for this run only: it lives in this client, which ends with it.
    client = LlmClient(
        ProviderConfig(
            str(args.get("provider", "anthropic")),
            model=args.get("model") or None,
            base_url=args.get("base_url") or None,
            api_key=str(run.apiKey or ""),
        )
    )
    options = RefineOptions(rounds=int(args.get("rounds", 3)), steps_per_round=int(args.get("steps_per_round", 200)))
    engine = await pelican.Engine.borrow()
    _on_stop(run, engine.cancel)
    try:
        result = await refine(
            scene,
            target,
            client,
            options,
            engine=engine,
            on_round=lambda r: run.round(json.dumps(_page_round(r))),
            should_stop=lambda: bool(run.stopped),
            on_progress=_host.RunRelay(run.token),
        )
    finally:
        engine.close()
    best = result.scene.to_dict()
    out: dict[str, Any] = {
        "scene": best,
        "loss": result.best_loss,
        "cancelled": result.stopped == "cancelled",
        "rewound": best != result.final_scene.to_dict(),
    }
    # Rounds that fail are recorded and the loop goes on; the page reports an error when the run
    # ended on failures, or no round got past one (an unreachable provider, a wrong key).
    errors = [r["error"] for r in result.history if r.get("error") not in (None, "cancelled")]
    last = result.history[-1] if result.history else {}
    if errors and ((result.stopped == "failures" and last.get("error")) or len(errors) == len(result.history)):
        out["error"] = errors[-1]
    return out


def _page_round(r: dict[str, Any]) -> dict[str, Any]:
    """A pelican.llm round record in the page's form: {round (from 1), accepted, rolled_back,
    error, loss_before, loss_after, num_shapes, message, scene (accepted rounds)}."""
    edits = r.get("edits") or {}
    refused = "; ".join(f"#{x['index']} {x['reason']}" for x in edits.get("rejected") or [])
    if r.get("error"):
        message = f"error: {r['error']}"
    elif r.get("converged"):
        message = "the judge is satisfied and the loss no longer falls; done"
    else:
        message = ", ".join(edits.get("applied") or []) + (f"; refused: {refused}" if refused else "")
        if r.get("rolled_back"):
            message += f"; {r['message']}"
    out = {
        "round": r["round"] + 1,
        "accepted": bool(r.get("accepted")),
        "rolled_back": bool(r.get("rolled_back")),
        "error": bool(r.get("error")),
        "loss_before": r["loss_before"],
        "num_shapes": r["num_shapes"],
        "message": message,
    }
    if "loss_after" in r:
        out["loss_after"] = r["loss_after"]
    if r.get("accepted"):
        out["scene"] = r["scene"]
    return out


# ---------------------------------------------------------------------------------------------
# SVG files for the page: pelican.svg writes and reads them; the page never parses SVG itself.
# A refused file raises SceneError, which reaches the page as an Error named SceneError.


def export_svg(scene_json: str, width: int | None = None, height: int | None = None) -> str:
    """pelican.to_svg's file; ``width``/``height`` (the original picture's size) replace the root's
    display size, so the file opens as large as the picture it was fitted to. The viewBox, which
    is the canvas every coordinate refers to, stays."""
    import re

    svg = pelican.to_svg(pelican.Scene.from_json(scene_json))
    if width and height:
        svg = re.sub(
            r'^(<svg [^>]*?)\bwidth="[^"]*" height="[^"]*"',
            rf'\g<1>width="{int(width)}" height="{int(height)}"',
            svg,
            count=1,
            flags=re.M,
        )
    return svg


def import_svg(text: str) -> str:
    """The scene of one of our SVGs, as pelican-scene JSON."""
    return json.dumps(pelican.from_svg(text).to_dict())
