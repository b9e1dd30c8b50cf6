"""``npm run pelican -- <command>``: the original's commands (spec §1.1) plus ``eval``, ``render``
and ``vectorize``.

Runs inside Pyodide under Node (py/host/cli.mjs); files are read and written by the host itself
(pelican._host read_file/write_file), so a path means what it means in the user's shell, and a
file is reported written only once it is on disk.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
from typing import Any

from . import artifacts
from . import engine as _engine
from .engine import DEFAULT_LR, Cancelled, Engine, EngineCrashed, EngineError, fixed_tau
from .greedy import GreedyOptions, greedy_refine
from .images import Image, ImageError
from .optimizer import metrics
from .scene import Scene, SceneError
from .svg import from_svg, to_svg


class UsageError(Exception):
    """Bad arguments or input files: printed as one line, exit status 1."""


# The CLI's files and paths live in artifacts (one module, shared with llm/cli.py).
_read = artifacts.read_bytes
load_target = artifacts.load_target
load_scene = artifacts.load_scene


class Progress:
    """One live line on a terminal (percentage, ETA, loss); a line per 10 % otherwise."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.started = time.perf_counter()
        self.tty = os.environ.get("PELICAN_TTY") == "1"
        self.last_decile = -1

    def __call__(self, p: dict[str, Any]) -> None:
        step, steps = p["step"], p["steps"]
        elapsed = time.perf_counter() - self.started
        eta = elapsed / step * (steps - step) if step else 0.0
        text = (
            f"{self.label} {step}/{steps} ({100 * step // steps}%) loss: {p['breakdown']['total']:.4f} ETA {eta:.1f}s"
        )
        if self.tty:
            sys.stdout.write("\r" + text.ljust(72))
            sys.stdout.flush()
        elif 10 * step // steps > self.last_decile:
            self.last_decile = 10 * step // steps
            print(text)

    def done(self) -> None:
        if self.tty:
            sys.stdout.write("\n")


def _resolution(value: str) -> int:
    n = int(value)
    if not 8 <= n <= 1024:
        raise argparse.ArgumentTypeError(f"{n} is outside 8..1024")
    return n


def _shape_budget(value: str) -> int:
    n = int(value)
    if not 1 <= n <= 1000:
        raise argparse.ArgumentTypeError(f"{n} is outside 1..1000")
    return n


def _positive(value: str) -> int:
    n = int(value)
    if n < 0:
        raise argparse.ArgumentTypeError(f"{n} is negative")
    return n


async def cmd_test_render(a: argparse.Namespace) -> None:
    scene = Scene.initial(a.resolution)
    async with await Engine.borrow(Image(a.resolution, a.resolution, [1.0] * a.resolution**2)) as engine:
        await engine.set_scene(scene)
        render = await engine.render(1.0 / a.resolution)
    artifacts.write_render(artifacts.ensure_dir(a.output_dir), "pelican_test", scene, render)
    print(f"wrote {a.output_dir}/pelican_test.png and .svg ({len(scene)} shapes, {a.resolution}x{a.resolution})")


async def cmd_optimize(a: argparse.Namespace) -> None:
    random.seed(a.seed)
    target = load_target(a.target, a.resolution)
    scene = Scene.initial(target.width, target.height)
    out = artifacts.ensure_dir(a.output_dir)
    frames_dir = os.path.join(out, "frames")
    frames: list[Image] = []
    progress = Progress("optimize")

    def on_progress(p: dict[str, Any]) -> None:
        progress(p)
        preview = p.get("preview")
        if preview is not None and a.save_every:
            frames.append(preview)
            artifacts.write_bytes(os.path.join(frames_dir, f"frame_{p['step']:04d}.png"), preview.to_png())

    async with await Engine.borrow(target) as engine:
        await engine.set_scene(scene)
        if a.save_every:
            first = await engine.render(1.0 / target.side)
            frames.append(first)
            artifacts.write_bytes(os.path.join(frames_dir, "frame_0000.png"), first.to_png())
        result = await engine.optimize(a.steps, a.lr, on_progress=on_progress, preview_every=a.save_every)
        progress.done()
        final = await engine.render(fixed_tau(target.side))
        mse = (await engine.evaluate()).breakdown["mse"]
    artifacts.write_render(out, "pelican_optimized", result.scene, final)
    artifacts.write_json(os.path.join(out, "metrics.json"), metrics(result, target.side))
    if a.save_every:
        artifacts.write_bytes(os.path.join(frames_dir, "frame_final.png"), final.to_png())
        artifacts.write_gif(os.path.join(out, "optimization.gif"), frames + [final], [400] * (len(frames) + 1))
    print(
        f"final loss {result.best_loss:.6f} (mse {mse:.6f}) after {result.steps_completed} steps "
        f"in {result.elapsed_ms / 1000:.2f} s; wrote {out}/"
    )


async def cmd_greedy(a: argparse.Namespace) -> None:
    target = load_target(a.target, a.resolution)
    options = GreedyOptions(
        max_shapes=a.max_shapes,
        initial_steps=a.initial_steps,
        settle_steps=a.settle_steps,
        reoptimize_steps=a.reoptimize_steps,
        freeze_existing=not a.no_freeze,
        scale=a.scale,
        max_failures=a.max_failures,
        seed=a.seed,
        proposal=a.proposal,
        candidates=a.candidates,
    )
    out = artifacts.ensure_dir(a.output_dir)
    frames: list[Image] = []
    stages: list[tuple[str, Scene]] = []
    started = time.perf_counter()

    def on_stage(label: str, scene: Scene, render: Image, loss: float) -> None:
        frames.append(render)
        if label == "initial":
            artifacts.write_render(os.path.join(out, "round_00_initial"), "initial", scene, render)
            stages.append(("Initial", scene))
        elif label == "optimized":
            artifacts.write_render(os.path.join(out, "round_00_initial"), "optimized", scene, render)
            stages.append(("Optimized", scene))
            print(f"initial optimisation: loss {loss:.6f} ({time.perf_counter() - started:.1f} s)")
        else:
            n = int(label.split()[-1])
            kind = scene.shapes[-1].type
            artifacts.write_render(os.path.join(out, f"round_{n:02d}_accept_{kind}"), "optimized", scene, render)
            stages.append((f"Round {n}", scene))

    def on_round(record: dict[str, Any], scene: Scene) -> None:
        verdict = "Accepted" if record["accepted"] else "Rejected"
        print(
            f"round {record['round']:>2}: {verdict:<8} {record['shape_type']:<8} loss {record['loss_before']:.6f} -> "
            f"{record['loss_after']:.6f}  shapes {record['num_shapes']}  ({time.perf_counter() - started:.1f} s)"
        )

    result = await greedy_refine(Scene.initial(target.width, target.height), target, options, on_round, on_stage)
    async with await Engine.borrow(target) as engine:
        await engine.set_scene(result.scene)
        final = await engine.render()
        mse = (await engine.evaluate()).breakdown["mse"]
    artifacts.write_render(os.path.join(out, "final"), "pelican_final", result.scene, final)
    artifacts.write_json(os.path.join(out, "greedy_history.json"), result.summary(options))
    artifacts.write_json(os.path.join(out, "final", "scene.json"), result.scene.to_dict())
    artifacts.write_gif(os.path.join(out, "greedy_refinement.gif"), frames + [final], [400] * len(frames) + [1200])
    artifacts.write_text(
        os.path.join(out, "pipeline_stages.svg"), artifacts.pipeline_stages_svg(stages + [("Final", result.scene)])
    )
    added = sum(1 for r in result.history if r["accepted"])
    print(
        f"added {added} shapes in {len(result.history)} rounds: {len(result.scene)} shapes, loss "
        f"{result.initial_loss:.6f} -> {result.final_loss:.6f} (mse {mse:.6f}) in {result.elapsed_s:.1f} s; wrote {out}/"
    )


async def cmd_eval(a: argparse.Namespace) -> None:
    scene = load_scene(a.scene)
    target = artifacts.load_target_for(scene, a.target)
    if (target.width, target.height) != (scene.width, scene.height):
        raise UsageError(
            f"the scene is {scene.width}x{scene.height} but the target fits to {target.width}x{target.height}"
        )
    async with await artifacts.scene_engine(scene, target) as engine:
        ev = await engine.evaluate(a.tau if a.tau is not None else fixed_tau(scene))
    report: dict[str, Any] = {
        "breakdown": {k: ev.breakdown[k] for k in _engine.BREAKDOWN_KEYS},
        "gradients": ev.gradients,
    }
    if ev.background_gradients:
        report["background_gradients"] = ev.background_gradients
    text = json.dumps(report)
    if a.output:
        artifacts.write_text(a.output, text)
    print(text)


async def cmd_render(a: argparse.Namespace) -> None:
    scene = load_scene(a.scene)
    out = a.output
    if out.lower().endswith(".svg"):
        artifacts.write_text(out, to_svg(scene))
    elif out.lower().endswith(".png"):
        side = a.size or scene.side
        w, h = max(1, round(scene.width * side / scene.side)), max(1, round(scene.height * side / scene.side))
        async with await artifacts.scene_engine(scene) as engine:
            render = await engine.render(a.tau if a.tau is not None else fixed_tau(scene), w, h)
        artifacts.write_bytes(out, render.to_png())
    else:
        raise UsageError(f"--output {a.output!r}: the name must end in .png or .svg")
    print(f"wrote {a.output}")


async def cmd_vectorize(a: argparse.Namespace) -> None:
    """The app's pipeline on any picture: the command people script, so its output is stable."""
    from .vectorize import VectorizeOptions, vectorize

    out = a.output
    kind = os.path.splitext(out)[1].lower()
    if kind not in (".svg", ".png", ".json"):
        raise UsageError(f"--output {out!r}: the name must end in .svg, .png or .json")
    target = Image.from_bytes(_read(a.target, "target"), a.target, fit=a.resolution)
    if a.gray:
        target = target.gray()
    progress = None if a.json else _RoundLog(a.shapes)
    result = await vectorize(target, shapes=a.shapes, gray=a.gray, on_round=progress)
    tau = VectorizeOptions().polish_tau_px / target.side
    # What is reported is the file as written: a PNG's 8-bit samples; for a scene file, the
    # scene read back from its own text (rounded as written), rendered by the engine.
    text = None if kind == ".png" else to_svg(result.scene) if kind == ".svg" else result.scene.to_json()
    written_scene = result.scene if text is None else from_svg(text) if kind == ".svg" else Scene.from_json(text)
    async with await artifacts.scene_engine(written_scene, target) as engine:
        render = await engine.render(tau)
    if text is None:
        artifacts.write_bytes(out, render.to_png())
        written = render.quantized()
    else:
        artifacts.write_text(out, text)
        written = render
    mse = written.mse(target)
    psnr = -10 * math.log10(mse) if mse > 0 else float("inf")
    if a.json:
        print(json.dumps({"shapes": len(result.scene), "seconds": round(result.seconds, 3), "mse": mse, "psnr": psnr}))
    else:
        print(f"wrote {out} ({len(result.scene)} shapes, {result.seconds:.1f} s, PSNR {psnr:.2f} dB)")


class _RoundLog:
    """A line per round of vectorize(): shapes so far and the loss."""

    def __init__(self, budget: int) -> None:
        self.budget = budget

    def __call__(self, record: dict[str, Any], scene: Scene) -> None:
        print(
            f"round {record['round']}: {record['num_shapes']}/{self.budget} shapes, loss {record['loss']:.5f}, "
            f"{record['seconds']:.1f} s"
        )


async def cmd_judge(a: argparse.Namespace) -> None:
    from .llm.cli import judge_command

    await judge_command(a, _read)


async def cmd_refine(a: argparse.Namespace) -> int:
    from .llm.cli import refine_command

    return await refine_command(a, load_target)


def _run_options(p: argparse.ArgumentParser, output_dir: str) -> None:
    """What every fitting command takes: a target, where to write, the working size."""
    p.add_argument("--target", required=True, help="PNG, JPEG or PGM")
    p.add_argument("--output-dir", default=output_dir)
    p.add_argument("--resolution", type=_resolution, default=128, help="longer side in pixels")
    p.add_argument("--seed", type=int, default=42)


def _llm_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--provider", choices=("anthropic", "openai"), default="anthropic")
    p.add_argument("--base-url", default=None, help="endpoint (default: the provider's public API)")
    p.add_argument("--model", default=None)
    p.add_argument("--api-key-env", default="ANTHROPIC_API_KEY", help="environment variable holding the key")


def parser() -> argparse.ArgumentParser:
    from .vectorize import VectorizeOptions

    root = argparse.ArgumentParser(prog="pelican", description="Differentiable vector graphics, offline.")
    sub = root.add_subparsers(dest="command", metavar="<command>")

    p = sub.add_parser("test-render", help="render the initial 9-shape pelican")
    p.add_argument("--output-dir", default="out/test_render")
    p.add_argument("--resolution", type=_resolution, default=64)
    p.set_defaults(run=cmd_test_render)

    p = sub.add_parser("optimize", help="fit the initial pelican to a target")
    _run_options(p, "out/optimize")
    p.add_argument("--steps", type=_positive, default=500)
    p.add_argument("--lr", type=float, default=DEFAULT_LR)
    p.add_argument("--save-every", type=_positive, default=25)
    p.set_defaults(run=cmd_optimize)

    p = sub.add_parser("greedy-refine", help="grow the scene shape by shape")
    _run_options(p, "out/greedy_refine")
    p.add_argument("--max-shapes", type=_positive, default=20)
    p.add_argument("--initial-steps", type=_positive, default=500)
    p.add_argument("--settle-steps", type=_positive, default=100)
    p.add_argument("--reoptimize-steps", type=_positive, default=200)
    p.add_argument("--no-freeze", action="store_true")
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--max-failures", type=_positive, default=5)
    p.add_argument("--proposal", choices=("residual", "random"), default="residual")
    p.add_argument("--candidates", type=_positive, default=0, help="candidates per round (0: one per worker)")
    p.set_defaults(run=cmd_greedy)

    p = sub.add_parser("eval", help="loss breakdown and gradients of a scene as JSON")
    p.add_argument("--scene", required=True, help="scene JSON or one of our SVGs")
    p.add_argument("--target", required=True)
    p.add_argument("--tau", type=float, default=None, help="softness (default 0.5 px)")
    p.add_argument("--output", default=None)
    p.set_defaults(run=cmd_eval)

    p = sub.add_parser("render", help="scene to PNG or SVG")
    p.add_argument("--scene", required=True)
    p.add_argument("--output", required=True, help="a .png or .svg path")
    p.add_argument("--size", type=_resolution, default=None, help="longest side of a PNG")
    p.add_argument("--tau", type=float, default=None)
    p.set_defaults(run=cmd_render)

    p = sub.add_parser("vectorize", help="any picture as N shapes, in colour (the app's pipeline)")
    p.add_argument("--target", required=True, help="PNG, JPEG or PGM")
    p.add_argument("--output", required=True, help="a .svg, .png or .json (scene) path")
    p.add_argument("--shapes", type=_shape_budget, default=100)
    p.add_argument("--resolution", type=_resolution, default=256, help="longer side of the working size in pixels")
    p.add_argument("--gray", action="store_true", help="fit the picture's luma instead of its colours")
    p.add_argument(
        "--json",
        action="store_true",
        help='print one line {"shapes", "seconds", "mse", "psnr"} of the file written: for a PNG its 8-bit '
        "samples; for an SVG or JSON the engine's render of the exported scene at the polish softness "
        f"({VectorizeOptions.polish_tau_px:g} px), since a browser's antialiasing cannot be reproduced here",
    )
    p.set_defaults(run=cmd_vectorize)

    p = sub.add_parser("judge", help="ask an LLM to critique a render")
    p.add_argument("--svg", required=True)
    p.add_argument("--png", required=True)
    p.add_argument("--target", required=True)
    p.add_argument("--metrics", default=None)
    p.add_argument("--output", default=None)
    _llm_options(p)
    p.set_defaults(run=cmd_judge)

    p = sub.add_parser("refine", help="optimise with LLM critique and structural edits")
    _run_options(p, "out/refine")
    p.add_argument("--rounds", type=_positive, default=3)
    p.add_argument("--steps-per-round", type=_positive, default=200)
    p.add_argument("--scene", default=None, help="start from this scene instead of the initial pelican")
    _llm_options(p)
    p.set_defaults(run=cmd_refine)
    return root


async def main(argv: list[str]) -> int:
    p = parser()
    if not argv:
        p.print_help()
        return 1
    try:
        args = p.parse_args(argv)
    except SystemExit as e:  # argparse has printed the usage and the problem
        return int(e.code or 0)
    if not getattr(args, "run", None):
        p.print_help()
        return 1
    try:
        # A command returns its exit status when success is not all-or-nothing (refine).
        code = await args.run(args)
    except (UsageError, SceneError, ImageError, EngineError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except EngineCrashed as e:
        print(f"error: the compute engine crashed: {e}", file=sys.stderr)
        return 1
    except Cancelled:
        print("stopped", file=sys.stderr)
        return 130
    except OSError as e:
        print(f"error: {e.strerror or e}: {getattr(e, 'filename', '') or ''}", file=sys.stderr)
        return 1
    return int(code or 0)
