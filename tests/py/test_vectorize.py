import math
import unittest

from helpers import colour_target, two_blob_target
from pelican import Engine, Model, Scene, StopToken, VectorizeOptions, from_svg, to_svg, vectorize
from pelican.vectorize import mean_color

FAST = VectorizeOptions(round_steps=40, polish_steps=60, candidates=48, mutations=32)


class Vectorize(unittest.TestCase):
    async def test_a_colour_picture_reaches_its_budget_in_colour(self):
        target = colour_target()
        result = await vectorize(target, shapes=12, options=FAST)
        self.assertEqual(len(result.scene), 12)
        self.assertTrue(any(s.color is not None and abs(s.color[0] - s.color[2]) > 0.3 for s in result.scene.shapes))
        self.assertTrue(all(0 < s.opacity <= 1 for s in result.scene.shapes))
        # Far better than the canvas alone (the mean colour), which is where it started.
        blank = Scene.blank(target.width, target.height, mean_color(target))
        async with await Engine.borrow() as engine:
            await engine.set_target(target, Model.for_picture(target))
            await engine.set_scene(blank)
            start_mse = (await engine.render(0.3 / target.side)).mse(target)
        self.assertLess(result.mse, start_mse / 8)
        self.assertGreater(result.psnr, 20)
        self.assertGreater(result.seconds, 0)
        # The SVG carries the colours, opacities and background and reads back as the same scene.
        again = from_svg(to_svg(result.scene))
        self.assertEqual(len(again), 12)
        self.assertNotEqual(again.background, (1.0, 1.0, 1.0))

    async def test_gray_mode_fits_the_luma_with_gray_shapes(self):
        result = await vectorize(colour_target(), shapes=6, gray=True, options=FAST)
        self.assertEqual(len(result.scene), 6)
        self.assertTrue(all(s.color is None for s in result.scene.shapes))
        r, g, b = result.scene.background
        self.assertTrue(r == g == b)

    async def test_more_shapes_fit_better(self):
        target = two_blob_target(32)
        few = await vectorize(target, shapes=2, options=FAST)
        more = await vectorize(target, shapes=8, options=FAST)
        self.assertLess(more.mse, few.mse)

    async def test_a_stop_keeps_the_best_so_far(self):
        stop = StopToken()
        rounds = []

        def on_round(record, scene):
            rounds.append(record)
            if len(rounds) == 2:
                stop.stop()

        result = await vectorize(colour_target(), shapes=40, options=FAST, on_round=on_round, stop=stop)
        self.assertTrue(result.cancelled)
        self.assertLess(len(result.scene), 40)
        self.assertGreater(len(result.scene), 0)

    async def test_bad_options_are_refused(self):
        with self.assertRaisesRegex(ValueError, "shapes"):
            await vectorize(colour_target(), shapes=5000)
        with self.assertRaisesRegex(ValueError, "growth"):
            await vectorize(colour_target(), shapes=3, options=VectorizeOptions(growth=-1))


class OtherPipelinesOnColourScenes(unittest.TestCase):
    async def test_optimize_and_greedy_take_a_vectorized_scene_in_colour(self):
        from pelican import GreedyOptions, greedy_refine, optimize

        target = colour_target()
        start = (await vectorize(target, shapes=4, options=FAST)).scene
        self.assertTrue(any(s.opacity != 1.0 for s in start.shapes))
        fitted = await optimize(start, target, steps=20)
        self.assertEqual(len(fitted.scene), 4)
        self.assertTrue(all(s.color is not None for s in fitted.scene.shapes))
        grown = await greedy_refine(
            fitted.scene,
            target,
            GreedyOptions(max_shapes=5, initial_steps=0, settle_steps=20, reoptimize_steps=20, candidates=1),
        )
        self.assertGreaterEqual(len(grown.scene), 4)
        self.assertNotEqual(grown.scene.background, (1.0, 1.0, 1.0))


class Propose(unittest.TestCase):
    async def test_proposals_are_valid_shapes_where_the_error_is(self):
        target = colour_target()
        async with await Engine.borrow() as engine:
            await engine.set_target(target, Model.for_picture(target))
            await engine.set_scene(Scene.blank(target.width, target.height, (0.1, 0.15, 0.45)))
            shapes = await engine.propose(3, seed=5)
            self.assertEqual(len(shapes), 3)
            self.assertEqual(len({s.name for s in shapes}), 3)
            first = shapes[0]
            self.assertIsNotNone(first.color)
            x, y = (first.cx, first.cy) if first.type != "triangle" else first.points[0]
            # The largest error is the bright band, the red disc or the green triangle, not the canvas.
            self.assertGreater(max(first.color), 0.5)
            self.assertTrue(0 <= x <= 1 and 0 <= y <= 1)
            with self.assertRaisesRegex(Exception, "not a shape type"):
                await engine.propose(1, types=("square",))


if __name__ == "__main__":
    unittest.main()
