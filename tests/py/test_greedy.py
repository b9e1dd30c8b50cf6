import random
import unittest

from helpers import two_blob_target
from pelican import Engine, GreedyOptions, Scene, Shape, StopToken, fixed_tau, greedy_refine
from pelican.proposals import random_candidate, residual_windows


def one_shape_scene(n=32):
    return Scene(n, n, [Shape("circle", "start", 0.9, cx=0.5, cy=0.5, r=0.05)])


FAST = dict(initial_steps=60, settle_steps=30, reoptimize_steps=40, candidates=2)


class Proposals(unittest.TestCase):
    def test_random_proposals_draw_as_the_original(self):
        rng = random.Random(42)
        shape = random_candidate(Scene.initial(128), 0, rng)
        check = random.Random(42)
        cx, cy, intensity = check.uniform(0.15, 0.85), check.uniform(0.15, 0.85), check.uniform(0.05, 0.55)
        r = 0.08 * check.uniform(0.5, 1.5)
        self.assertEqual((shape.type, shape.cx, shape.cy, shape.intensity, shape.r), ("circle", cx, cy, intensity, r))
        self.assertEqual(random_candidate(Scene.initial(128), 1, rng).type, "ellipse")
        self.assertEqual(random_candidate(Scene.initial(128), 2, rng).name, "triangle_2")

    def test_residual_points_at_the_largest_error(self):
        target = two_blob_target(32)
        blank = type(target)(32, 32, [1.0] * 1024)
        windows = residual_windows(target, blank, 2)
        self.assertEqual(len(windows), 2)
        best = windows[0]
        # The darker blob (value 0.1, centre 9,9.6 px) gains the most.
        self.assertLess(abs(best["x"] - 9), 4)
        self.assertLess(abs(best["y"] - 9.6), 4)
        self.assertLess(best["mean"], 0.4)
        self.assertGreater(windows[1]["x"], 16)

    def test_tried_places_are_avoided(self):
        target = two_blob_target(32)
        blank = type(target)(32, 32, [1.0] * 1024)
        first = residual_windows(target, blank, 1)[0]
        again = residual_windows(target, blank, 1, avoid=[(first["x"], first["y"])])[0]
        self.assertGreater(abs(again["x"] - first["x"]) + abs(again["y"] - first["y"]), 6)


class GreedySearch(unittest.TestCase):
    async def test_shapes_are_added_while_the_loss_drops_at_fixed_tau(self):
        target = two_blob_target(32)
        result = await greedy_refine(one_shape_scene(), target, GreedyOptions(max_shapes=4, **FAST))
        accepted = [r for r in result.history if r["accepted"]]
        self.assertGreaterEqual(len(accepted), 1)
        for record in result.history:
            self.assertEqual(record["accepted"], record["loss_after"] < record["loss_before"])
            self.assertEqual(len(record["candidates"]), 2)
        # Losses before and after are both fixed-τ evaluations: the final one is reproducible.
        async with await Engine.borrow(target) as engine:
            await engine.set_scene(result.scene)
            self.assertAlmostEqual(await engine.loss(fixed_tau(32)), result.final_loss, places=6)
        self.assertLess(result.final_loss, result.initial_loss)

    async def test_no_accepted_shape_is_ever_dropped(self):
        result = await greedy_refine(one_shape_scene(), two_blob_target(32), GreedyOptions(max_shapes=5, **FAST))
        added = [r["shape_name"] for r in result.history if r["accepted"]]
        self.assertTrue(set(added) <= set(result.scene.names()))
        self.assertEqual(len(result.scene), 1 + len(added))
        losses = [r["loss_before"] for r in result.history] + [result.final_loss]
        self.assertEqual(losses, sorted(losses, reverse=True))

    async def test_stops_after_max_failures(self):
        # A target the scene already matches: every candidate makes it worse.
        target = type(two_blob_target())(32, 32, [1.0] * 1024)
        scene = Scene(32, 32, [Shape("circle", "ghost", 0.99, cx=0.5, cy=0.5, r=0.01)])
        result = await greedy_refine(
            scene, target, GreedyOptions(max_shapes=10, max_failures=2, proposal="random", **FAST)
        )
        self.assertEqual([r["accepted"] for r in result.history], [False, False])
        self.assertEqual(result.scene.names(), ["ghost"])

    async def test_random_mode_and_stop_token(self):
        stop = StopToken()
        seen = []

        def on_round(record, scene):
            seen.append(record)
            stop.stop()

        result = await greedy_refine(
            one_shape_scene(),
            two_blob_target(32),
            GreedyOptions(max_shapes=9, proposal="random", **FAST),
            on_round=on_round,
            stop=stop,
        )
        self.assertEqual(len(seen), 1)
        self.assertTrue(result.cancelled)
        self.assertIn(seen[0]["candidates"][0]["type"], ("circle", "ellipse", "triangle"))

    async def test_the_pipeline_preset_polishes_at_a_sharp_tau(self):
        stages = []
        options = GreedyOptions.pipeline(
            max_shapes=3, initial_steps=30, settle_steps=20, reoptimize_steps=20, polish_steps=20, candidates=2
        )
        self.assertEqual(options.weights, {"perimeter": 0.0001})
        result = await greedy_refine(
            one_shape_scene(),
            two_blob_target(32),
            options,
            on_stage=lambda label, scene, render, loss: stages.append((label, loss)),
        )
        self.assertEqual(stages[-1][0], "polished")
        # Losses are compared at the preset's τ (0.25 px), and the final one is measured there too.
        async with await Engine.borrow(two_blob_target(32)) as engine:
            await engine.set_weights(options.weights)
            await engine.set_scene(result.scene)
            self.assertAlmostEqual(await engine.loss(0.25 / 32), result.final_loss, places=6)

    def test_bad_options_are_refused(self):
        for bad in (
            dict(max_shapes=-1),
            dict(proposal="clever"),
            dict(lr=5.0),
            dict(settle_steps=1.5),
            dict(compare_tau_px=0),
            dict(polish_tau_px=float("nan")),
            dict(polish_steps=-3),
        ):
            with self.assertRaises(ValueError):
                GreedyOptions(**bad).validate()


if __name__ == "__main__":
    unittest.main()
