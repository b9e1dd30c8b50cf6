"""The CLI's commands, run in-process (pelican.cli.main) on Pyodide's own file system."""

import contextlib
import io
import json
import os
import shutil
import tempfile
import unittest

from helpers import golden
from pelican import Image, Scene, from_svg
from pelican.cli import main
from test_llm_client import JUDGE, KEY, fake_url, recorded, script

TARGET = os.path.join(os.environ.get("PELICAN_TARGETS", "/targets"), "pelican-engraving-64.pgm")


async def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = await main(list(argv))
    return code, out.getvalue(), err.getvalue()


class Cli(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    async def refine(self, rounds, steps, base):
        """`pelican refine` on the shared target at 64 px into this test's refine/ folder."""
        args = ["--target", TARGET, "--resolution", "64", "--rounds", str(rounds), "--steps-per-round", str(steps)]
        return await run("refine", *args, "--output-dir", self.path("refine"), *base)

    async def test_test_render_writes_png_and_svg(self):
        code, out, _ = await run("test-render", "--output-dir", self.dir, "--resolution", "48")
        self.assertEqual(code, 0)
        with open(self.path("pelican_test.png"), "rb") as f:
            png = Image.from_bytes(f.read())
        self.assertEqual((png.width, png.height), (48, 48))
        with open(self.path("pelican_test.svg")) as f:
            self.assertEqual(from_svg(f.read()).names(), Scene.initial(48).names())

    async def test_optimize_writes_the_originals_artefacts(self):
        code, out, _ = await run(
            "optimize",
            "--target",
            TARGET,
            "--resolution",
            "64",
            "--steps",
            "60",
            "--save-every",
            "10",
            "--output-dir",
            self.dir,
        )
        self.assertEqual(code, 0, out)
        with open(self.path("metrics.json")) as f:
            metrics = json.load(f)
        self.assertEqual(metrics["steps_completed"], 60)
        self.assertEqual(metrics["resolution"], 64)
        self.assertEqual(len(metrics["loss_history"]), 60)
        self.assertEqual(
            set(metrics["loss_history"][0]), {"mse", "edge", "ssim", "perimeter", "degeneracy", "canvas", "total"}
        )
        self.assertAlmostEqual(metrics["final_loss"], min(h["total"] for h in metrics["loss_history"]), places=6)
        frames = sorted(os.listdir(self.path("frames")))
        self.assertEqual(frames[0], "frame_0000.png")
        self.assertEqual(frames[-1], "frame_final.png")
        with open(self.path("optimization.gif"), "rb") as f:
            self.assertEqual(f.read(6), b"GIF89a")
        self.assertIn("final loss", out)

    async def test_greedy_refine_writes_rounds_history_and_final(self):
        code, out, _ = await run(
            "greedy-refine",
            "--target",
            TARGET,
            "--resolution",
            "64",
            "--max-shapes",
            "11",
            "--initial-steps",
            "50",
            "--settle-steps",
            "20",
            "--reoptimize-steps",
            "30",
            "--output-dir",
            self.dir,
        )
        self.assertEqual(code, 0, out)
        with open(self.path("greedy_history.json")) as f:
            history = json.load(f)
        self.assertEqual(history["final_shape_count"], 9 + history["shapes_added"])
        self.assertTrue(os.path.exists(self.path("round_00_initial", "optimized.svg")))
        self.assertTrue(os.path.exists(self.path("final", "pelican_final.png")))
        with open(self.path("pipeline_stages.svg")) as f:
            self.assertIn("Final", f.read())

    async def test_eval_prints_breakdown_and_gradients_matching_the_original(self):
        scene_file = self.path("scene.json")
        with open(scene_file, "w") as f:
            f.write(Scene.initial(64).to_json())
        case = next(
            c
            for c in golden("loss-and-gradients.json")["cases"]
            if c["resolution"] == 64 and c["label"].startswith("initial")
        )
        ev = case["evals"][0]
        code, out, _ = await run("eval", "--scene", scene_file, "--target", TARGET, "--tau", str(ev["tau"]))
        self.assertEqual(code, 0)
        data = json.loads(out)
        self.assertAlmostEqual(data["breakdown"]["mse"], ev["breakdown"]["mse"], places=5)
        self.assertEqual([len(g) for g in data["gradients"]], [6, 6, 4, 7, 7, 6, 7, 4, 6])

    async def test_render_png_at_any_size_and_svg(self):
        scene_file = self.path("scene.json")
        with open(scene_file, "w") as f:
            f.write(Scene.initial(64, 32).to_json())
        self.assertEqual(
            (await run("render", "--scene", scene_file, "--output", self.path("a.png"), "--size", "200"))[0], 0
        )
        with open(self.path("a.png"), "rb") as f:
            img = Image.from_bytes(f.read())
        self.assertEqual((img.width, img.height), (200, 100))
        self.assertEqual((await run("render", "--scene", scene_file, "--output", self.path("a.svg")))[0], 0)
        code, _, err = await run("render", "--scene", scene_file, "--output", self.path("a.bmp"))
        self.assertEqual(code, 1)
        self.assertIn(".png or .svg", err)

    async def test_bad_arguments_and_files_fail_clearly(self):
        code, _, err = await run("optimize", "--target", self.path("missing.png"))
        self.assertEqual(code, 1)
        self.assertIn("does not exist", err)
        with open(self.path("junk.png"), "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
        code, _, err = await run("optimize", "--target", self.path("junk.png"))
        self.assertEqual(code, 1)
        self.assertIn("junk.png", err)
        with open(self.path("bad.json"), "w") as f:
            f.write(
                '{"format": "pelican-scene", "version": 1, "width": 64, "height": 64, "shapes": [{"type": "blob"}]}'
            )
        code, _, err = await run("eval", "--scene", self.path("bad.json"), "--target", TARGET)
        self.assertEqual(code, 1)
        self.assertIn("shapes[0].type", err)
        self.assertEqual((await run("optimize", "--steps", "-1", "--target", TARGET))[0], 2)
        self.assertEqual((await run("no-such-command"))[0], 2)
        self.assertEqual((await run())[0], 1)

    async def test_judge_and_refine_against_a_local_provider(self):
        fake_url()
        os.environ["OPENAI_API_KEY"] = KEY
        try:
            await run("test-render", "--output-dir", self.dir, "--resolution", "64")
            script({"answer": JUDGE})
            base = ["--provider", "openai", "--base-url", fake_url() + "/v1", "--model", "fake"]
            code, out, err = await run(
                "judge",
                "--svg",
                self.path("pelican_test.svg"),
                "--png",
                self.path("pelican_test.png"),
                "--target",
                TARGET,
                "--output",
                self.path("feedback.json"),
                *base
            )
            self.assertEqual(code, 0, err)
            with open(self.path("feedback.json")) as f:
                self.assertEqual(json.load(f)["missing_features"], ["pouch"])
            self.assertEqual(recorded()[0]["headers"]["authorization"], "Bearer " + KEY)

            plan = {"actions": [{"type": "modify", "shape": "eye", "changes": {"intensity": 0.1}}], "rationale": "r"}
            script(default={"answer": JUDGE}, *[{"answer": JUDGE}, {"answer": plan}])
            code, out, err = await self.refine(rounds=1, steps=20, base=base)
            self.assertEqual(code, 0, err)
            with open(self.path("refine", "refinement_history.json")) as f:
                history = json.load(f)
            self.assertEqual(history["rounds_completed"], 1)
            self.assertTrue(os.path.exists(self.path("refine", "round_00", "feedback.json")))
            self.assertTrue(os.path.exists(self.path("refine", "final", "pelican_final.svg")))
            self.assertNotIn(KEY, out + err + json.dumps(history))
        finally:
            del os.environ["OPENAI_API_KEY"]

    async def test_refine_fails_when_every_round_failed(self):
        fake_url()
        os.environ["OPENAI_API_KEY"] = KEY
        try:
            base = ["--provider", "openai", "--base-url", fake_url() + "/v1", "--model", "fake"]
            script(default={"status": 500, "body": "overloaded"})
            code, out, err = await self.refine(rounds=2, steps=10, base=base)
            self.assertEqual(code, 1, out + err)
            self.assertIn("every round failed", err)
            # The run's files are still written (the starting scene), and say what happened.
            with open(self.path("refine", "refinement_history.json")) as f:
                history = json.load(f)
            self.assertTrue(all("error" in r for r in history["history"]), history)
        finally:
            del os.environ["OPENAI_API_KEY"]


if __name__ == "__main__":
    unittest.main()
