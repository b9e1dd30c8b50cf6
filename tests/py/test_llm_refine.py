"""The refinement loop against the real engine and the local fake provider: edits applied,
a worse round rolled back to the exact scene before it (edits included), errors recorded,
the scene never lost, the key never in the history."""

from __future__ import annotations

import base64
import json
import unittest

from helpers import two_blob_target
from pelican import Engine, Scene
from pelican.llm import LlmClient, ProviderConfig, RefineOptions, judge, refine
from pelican.llm.prompts import metrics_summary
from test_llm_client import KEY, fake_url, png_size, recorded, script

JUDGE = {
    "overall_quality": 0.4,
    "resembles_pelican": False,
    "geometric_accuracy": "right blob misplaced",
    "missing_features": ["lower right blob"],
    "topology_issues": [],
    "suggestions": ["move right"],
    "ready_for_refinement": False,
    "similarity_to_target": 0.5,
}

# Round 0: put "right" on the second blob (a big improvement), plus two edits that must be refused.
GOOD = {
    "actions": [
        {"type": "modify", "shape": "right", "changes": {"cx": 0.72, "cy": 0.7, "radius": 0.16, "intensity": 0.4}},
        {"type": "modify", "shape": "no_such_shape", "changes": {"cx": 0.5}},
        {"type": "modify", "shape": "left", "changes": {"cx": 7}},
    ],
    "rationale": "cover the second blob",
}
# A round that wrecks the picture: the shape on the first blob goes, the other turns white.
BAD = {
    "actions": [
        {"type": "remove", "shape": "left"},
        {"type": "modify", "shape": "right", "changes": {"intensity": 0.99}},
    ],
    "rationale": "simplify",
}


def start_scene() -> Scene:
    return Scene.from_dict(
        {
            "format": "pelican-scene",
            "version": 1,
            "width": 32,
            "height": 32,
            "shapes": [
                {"name": "left", "type": "circle", "cx": 0.28, "cy": 0.3, "r": 0.14, "intensity": 0.1},
                {"name": "right", "type": "circle", "cx": 0.4, "cy": 0.45, "r": 0.05, "intensity": 0.9},
            ],
        }
    )


def make_client(provider: str, **kw) -> LlmClient:
    url = fake_url()
    return LlmClient(
        ProviderConfig(
            provider,
            model="fake-model-1",
            base_url=url + "/v1" if provider == "openai" else url,
            api_key=KEY,
            backoff_s=0.001,
            **kw,
        )
    )


def images_in(req: dict) -> list[bytes]:
    out = []
    for block in req["body"]["messages"][0]["content"]:
        if block.get("type") == "image":
            out.append(base64.b64decode(block["source"]["data"]))
        elif block.get("type") == "image_url":
            out.append(base64.b64decode(block["image_url"]["url"].split(",", 1)[1]))
    return out


OPTIONS = dict(steps_per_round=30, tolerance=1.05, image_size=16)


class Rollback(unittest.IsolatedAsyncioTestCase):
    async def test_edits_applied_then_a_worse_round_rolled_back_exactly(self):
        for provider in ("anthropic", "openai"):
            with self.subTest(provider=provider):
                await self.run_three_rounds(provider)

    async def run_three_rounds(self, provider: str) -> None:
        target = two_blob_target(32)
        scene = start_scene()
        original = json.dumps(scene.to_dict())
        # judge, architect (good) | judge, architect (bad -> rollback) | judge, architect (HTTP 400)
        script(
            {"answer": JUDGE},
            {"answer": GOOD},
            {"answer": JUDGE},
            {"answer": BAD},
            {"answer": JUDGE},
            {"status": 400, "body": {"error": {"message": "bad request"}}},
        )
        seen: list[dict] = []
        engine = await Engine.open(target)
        try:
            result = await refine(
                scene,
                target,
                make_client(provider),
                RefineOptions(rounds=5, **OPTIONS),
                engine=engine,
                on_round=seen.append,
            )
            engine_scene = engine.scene.to_dict()
            after_round0 = Scene.from_dict(result.history[0]["scene"])
            await engine.set_scene(after_round0)
            expected_render = (await engine.render(None, 16, 16)).to_png()
        finally:
            engine.close()

        self.assertEqual(json.dumps(scene.to_dict()), original, "the input scene was modified")
        h = result.history
        self.assertEqual(seen, h)
        self.assertEqual(len(h), 3)
        self.assertEqual(result.stopped, "failures")

        # Round 0: the valid edit applied and kept, the two bad ones refused with their reasons.
        self.assertTrue(h[0].get("accepted"))
        self.assertEqual(len(h[0]["edits"]["applied"]), 1)
        self.assertTrue(h[0]["edits"]["applied"][0].startswith("modify right"))
        reasons = [r["reason"] for r in h[0]["edits"]["rejected"]]
        self.assertIn("no shape named 'no_such_shape'", reasons[0])
        self.assertIn("cx=7", reasons[1])
        self.assertLess(h[0]["loss_after"], h[0]["loss_before"])
        self.assertEqual(len(h[0]["metrics"]["loss_history"]), 30)

        # Round 1: the edits made it worse -> rolled back to the exact scene after round 0.
        self.assertTrue(h[1].get("rolled_back"))
        self.assertFalse(h[1].get("accepted"))
        self.assertGreater(h[1]["loss_after"], h[1]["loss_before"] * 1.05)
        self.assertEqual(h[1]["scene"], h[0]["scene"])
        self.assertEqual(h[1]["loss"], h[0]["loss"])
        self.assertEqual(h[1]["scene"]["shapes"][0]["name"], "left")  # the removed shape is back

        # Round 2: the provider refused; recorded, scene unchanged, loop stopped (2 failures).
        self.assertIn("HTTP 400", h[2]["error"])
        self.assertEqual(h[2]["scene"], h[0]["scene"])

        self.assertEqual(result.final_scene.to_dict(), h[0]["scene"])
        self.assertEqual(result.scene.to_dict(), h[0]["scene"])
        self.assertEqual(engine_scene, h[0]["scene"], "the engine was not restored either")
        self.assertEqual(result.best_loss, h[0]["loss_after"])

        # The wire: judge + architect per round; the round-2 judge saw the restored scene.
        reqs = recorded()
        self.assertEqual(len(reqs), 6)
        tools = [json.dumps(r["body"].get("tool_choice")) for r in reqs]
        self.assertEqual(["judge_render" in t for t in tools], [True, False] * 3)
        self.assertEqual(images_in(reqs[4])[0], expected_render)
        for r in reqs:
            self.assertEqual(r["body"]["model"], "fake-model-1")
            self.assertNotIn(KEY, r["rawBody"])
        self.assertNotIn(KEY, json.dumps(result.summary(RefineOptions(rounds=5), include_scenes=True)))

    async def test_a_bad_first_round_restores_the_input_scene(self):
        target = two_blob_target(32)
        scene = start_scene()
        script({"answer": JUDGE}, {"answer": BAD}, {"answer": JUDGE}, {"answer": {"actions": [{"type": "explode"}]}})
        result = await refine(scene, target, make_client("anthropic"), RefineOptions(rounds=4, **OPTIONS))
        h = result.history
        self.assertTrue(h[0]["rolled_back"])
        self.assertIn("no valid edit", h[1]["error"])
        self.assertIn("unknown edit type 'explode'", h[1]["error"])
        self.assertEqual(result.stopped, "failures")
        self.assertEqual(result.final_scene.to_dict(), scene.to_dict())
        self.assertEqual(result.scene.to_dict(), scene.to_dict())
        self.assertEqual(result.best_loss, result.initial_loss)
        summary = result.summary(RefineOptions(rounds=4))
        self.assertEqual(summary["rounds_completed"], 2)
        self.assertNotIn("scene", summary["history"][0])


class Failures(unittest.IsolatedAsyncioTestCase):
    async def test_provider_down_keeps_the_scene(self):
        target = two_blob_target(32)
        scene = start_scene()
        script(default={"status": 503, "body": "overloaded $AUTH"})
        result = await refine(
            scene,
            target,
            make_client("openai", attempts=2),
            RefineOptions(rounds=5, max_consecutive_failures=3, **OPTIONS),
        )
        self.assertEqual(len(result.history), 3)
        self.assertEqual(result.stopped, "failures")
        for rec in result.history:
            self.assertIn("could not be reached after 2 attempts", rec["error"])
            self.assertIn("HTTP 503", rec["error"])
        self.assertEqual(len(recorded()), 6)  # 3 rounds x 2 attempts of the judge
        self.assertEqual(result.scene.to_dict(), scene.to_dict())
        self.assertNotIn(KEY, json.dumps(result.summary(RefineOptions(), include_scenes=True)))

    async def test_hostile_judge_answers_are_errors_not_crashes(self):
        target = two_blob_target(32)
        scene = start_scene()
        script(
            {"answer": dict(JUDGE, overall_quality="great")},
            {"answer": dict(JUDGE, suggestions="just one string")},
            {"answer": dict(JUDGE, overall_quality=7)},
            {"answer": {"nothing": "useful"}},
        )
        result = await refine(
            scene, target, make_client("anthropic"), RefineOptions(rounds=4, max_consecutive_failures=4, **OPTIONS)
        )
        errors = [r["error"] for r in result.history]
        self.assertIn("overall_quality must be a number", errors[0])
        self.assertIn("suggestions must be a list", errors[1])
        self.assertIn("overall_quality = 7 is outside [0, 1]", errors[2])
        self.assertIn("overall_quality is missing", errors[3])
        self.assertEqual(len(recorded()), 4, "no architect call after a bad judge answer")
        self.assertEqual(result.scene.to_dict(), scene.to_dict())

    async def test_hostile_architect_answers(self):
        target = two_blob_target(32)
        scene = start_scene()
        many = {
            "actions": [
                {"type": "add", "shape": f"s{i}", "primitive": "circle", "init_params": {}} for i in range(5000)
            ],
            "rationale": "x" * 100_000,
        }
        script({"answer": JUDGE}, {"answer": {"actions": "remove all"}}, {"answer": JUDGE}, {"answer": many})
        result = await refine(
            scene,
            target,
            make_client("openai"),
            RefineOptions(rounds=2, max_edits=3, max_consecutive_failures=5, **OPTIONS),
        )
        h = result.history
        self.assertIn("actions must be a list", h[0]["error"])
        # Only the first 3 of 5000 adds were even considered; the record stays small.
        self.assertEqual(len(h[1]["edits"]["applied"]), 3)
        self.assertIn("more than 3 edits", h[1]["edits"]["rejected"][-1]["reason"])
        self.assertEqual(h[1]["architect"]["actions_total"], 5000)
        self.assertLess(len(json.dumps(h[1]["architect"])), 10_000)
        self.assertLessEqual(len(h[1]["scene"]["shapes"]), 5)


class JudgeInput(unittest.IsolatedAsyncioTestCase):
    async def test_judge_sees_downscaled_pngs_and_convergence_stops(self):
        target = two_blob_target(48)
        scene = Scene.from_dict(dict(start_scene().to_dict(), width=48, height=48))
        ready = dict(JUDGE, ready_for_refinement=True, overall_quality=0.9)
        script({"answer": JUDGE}, {"answer": GOOD}, {"answer": ready})
        result = await refine(
            scene,
            target,
            make_client("anthropic"),
            RefineOptions(rounds=5, convergence_threshold=1.0, subject="two blobs", **OPTIONS),
        )
        reqs = recorded()
        self.assertEqual(len(reqs), 3, "converged after the second judge, no architect call")
        self.assertTrue(result.history[1]["converged"])
        self.assertEqual(result.stopped, "converged")
        render, sent_target = images_in(reqs[0])
        self.assertEqual(png_size(render), (16, 16))
        self.assertEqual(sent_target, target.fit(16).to_png(), "the target must be the downscaled PNG")
        text = json.dumps(reqs[0]["body"])
        self.assertIn("two blobs", text)
        self.assertIn("<svg", text)
        # The second judge gets the compact metrics summary of round 0, never the per-step history.
        second = json.dumps(reqs[2]["body"])
        self.assertIn("Optimization metrics", second)
        self.assertIn("final_loss_breakdown", second)
        self.assertNotIn("loss_history", second)

    async def test_standalone_judge_with_a_compact_metrics_summary(self):
        target = two_blob_target(32)
        history = [
            {
                "mse": 0.1,
                "edge": 0.2,
                "ssim": 0.3,
                "perimeter": 0.4,
                "degeneracy": 0.0,
                "canvas": 0.0,
                "total": 0.123456789,
            }
        ] * 500
        metrics = {"loss_history": history, "final_loss": 0.12, "steps_completed": 500, "resolution": 32}
        self.assertLess(len(json.dumps(metrics_summary(metrics), separators=(",", ":"))), 500)
        script({"answer": JUDGE})
        feedback = await judge(start_scene(), target, make_client("openai"), RefineOptions(image_size=16), metrics)
        self.assertEqual(feedback, JUDGE)
        [req] = recorded()
        self.assertEqual(len(images_in(req)), 2)
        prompt = req["body"]["messages"][0]["content"][-1]["text"]
        self.assertIn('"final_loss":0.123457', prompt)
        self.assertNotIn("loss_history", prompt)


if __name__ == "__main__":
    unittest.main()
