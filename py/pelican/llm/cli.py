"""The CLI's ``judge`` and ``refine`` commands (cli.py parses their arguments)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, Callable

from .. import artifacts
from ..images import Image
from ..optimizer import optimize
from ..scene import Scene
from ..svg import from_svg
from .client import LlmClient, ProviderConfig
from .prompts import JUDGE_TOOL, judge_parts, parse_feedback
from .refine import RefineOptions, _fit, refine

KEY_VARIABLES = {"anthropic": "ANTHROPIC_API_KEY", "openai": "OPENAI_API_KEY"}


def api_key(provider: str, variable: str | None) -> str:
    """The key from the environment, or from ``.env.local`` in the current directory (as the
    original read it). Never printed."""
    name = variable if variable and variable != "ANTHROPIC_API_KEY" else KEY_VARIABLES[provider]
    if os.environ.get(name):
        return os.environ[name]
    try:
        text = artifacts.read_bytes(".env.local", "key file").decode("utf-8", errors="replace")
    except artifacts.FileError:
        return ""
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key.strip() == name:
            return value.strip().strip('"').strip("'")
    return ""


def client_for(a: argparse.Namespace) -> LlmClient:
    key = api_key(a.provider, a.api_key_env)
    if a.provider == "anthropic" and not key:
        raise ValueError(f"no API key: set {KEY_VARIABLES['anthropic']} (or put it in .env.local)")
    return LlmClient(ProviderConfig(a.provider, model=a.model, base_url=a.base_url, api_key=key))


async def judge_command(a: argparse.Namespace, read: Callable[[str, str], bytes]) -> None:
    svg = read(a.svg, "svg").decode("utf-8", errors="replace")
    scene = from_svg(svg)
    png = read(a.png, "png")
    Image.from_bytes(png, a.png)  # refuse a broken render before sending it anywhere
    target = _fit(Image.from_bytes(read(a.target, "target"), a.target, fit=scene.side).gray(), RefineOptions.image_size)
    metrics = json.loads(read(a.metrics, "metrics").decode("utf-8")) if a.metrics else None
    answer = await client_for(a).call_tool(judge_parts(png, target.to_png(), svg, None, metrics), JUDGE_TOOL)
    feedback = parse_feedback(answer)
    for key, value in feedback.items():
        print(f"{key}: {value}")
    if a.output:
        artifacts.write_json(a.output, feedback)


async def refine_command(a: argparse.Namespace, load_target: Callable[[str, int], Image]) -> int:
    """Exit status 1 when every round failed: a script must not take the starting scene for a result."""
    if a.scene:
        # A scene file decides the size, and its kind the target's channels (colour scenes are
        # refined against the picture's colours).
        scene = artifacts.load_scene(a.scene)
        target = artifacts.load_target_for(scene, a.target)
    else:
        target = load_target(a.target, a.resolution)
    client = client_for(a)
    out = artifacts.ensure_dir(a.output_dir)
    if not a.scene:
        # The original's first round optimises the initial pelican before anyone judges it.
        scene = (await optimize(Scene.initial(target.width, target.height), target, steps=a.steps_per_round)).scene
    options = RefineOptions(rounds=a.rounds, steps_per_round=a.steps_per_round)

    async def on_round(record: dict[str, Any]) -> None:
        folder = os.path.join(out, f"round_{record['round']:02d}")
        current = Scene.from_dict(record["scene"])
        async with await artifacts.scene_engine(current, target) as engine:
            artifacts.write_render(folder, "optimized", current, await engine.render())
        for key in ("feedback", "architect"):
            if key in record:
                artifacts.write_json(os.path.join(folder, f"{key}.json"), record[key])
        verdict = (
            "rolled back"
            if record.get("rolled_back")
            else "accepted"
            if record.get("accepted")
            else "converged"
            if record.get("converged")
            else f"error: {record.get('error', 'no change')}"
        )
        print(
            f"round {record['round']}: {verdict}; loss {record['loss_before']:.6f} -> {record['loss']:.6f}, "
            f"{record['num_shapes']} shapes"
        )

    result = await refine(scene, target, client, options, on_round=on_round)
    async with await artifacts.scene_engine(result.scene, target) as engine:
        artifacts.write_render(os.path.join(out, "final"), "pelican_final", result.scene, await engine.render())
    artifacts.write_json(os.path.join(out, "refinement_history.json"), result.summary(options))
    print(f"best loss {result.best_loss:.6f} (from {result.initial_loss:.6f}); stopped: {result.stopped}; wrote {out}/")
    failed = [r for r in result.history if r.get("error")]
    if result.history and len(failed) == len(result.history):
        print(
            f"error: every round failed, the scene is the starting one (last error: {failed[-1]['error']})",
            file=sys.stderr,
        )
        return 1
    return 0
