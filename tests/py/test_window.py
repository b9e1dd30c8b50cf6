"""Engine.evaluate/optimize with a window: Python -> worker -> Wasm, the real engine."""

import unittest

from helpers import disc_target
from pelican import Engine, EngineError, Scene

IMAGE_ONLY = {"perimeter": 0.0, "degeneracy": 0.0, "canvas": 0.0, "edge": 0.0, "ssim": 0.0}


class Window(unittest.TestCase):
    async def test_a_window_scores_its_pixels_only(self):
        async with await Engine.borrow(disc_target()) as engine:
            await engine.set_scene(Scene.initial(32))
            await engine.set_weights(IMAGE_ONLY)
            full = await engine.evaluate()
            whole = await engine.evaluate(window=(0, 0, 32, 32))
            self.assertEqual(whole.breakdown, full.breakdown)
            self.assertEqual(whole.gradients, full.gradients)
            corner = await engine.evaluate(window=(16, 16, 32, 32))
            self.assertNotEqual(corner.breakdown["mse"], full.breakdown["mse"])
            self.assertEqual((await engine.evaluate()).breakdown, full.breakdown)

    async def test_settling_on_a_window_moves_only_the_free_shapes(self):
        scene = Scene.initial(32)
        async with await Engine.borrow(disc_target()) as engine:
            await engine.set_scene(scene, freeze=list(range(len(scene) - 1)))
            await engine.set_weights(IMAGE_ONLY)
            result = await engine.optimize(20, window=(8, 20, 24, 32))
            self.assertEqual(result.steps_completed, 20)
            for before, after in zip(scene.shapes[:-1], result.scene.shapes[:-1]):
                for a, b in zip(before.values(1, False), after.values(1, False)):
                    self.assertAlmostEqual(a, b, places=6)  # float32 in the engine
            self.assertNotEqual(result.scene.shapes[-1].to_dict(), scene.shapes[-1].to_dict())

    async def test_bad_windows_are_refused_with_a_message(self):
        async with await Engine.borrow(disc_target()) as engine:
            await engine.set_scene(Scene.initial(32))
            with self.assertRaisesRegex(EngineError, r"weights\.edge = 0 and weights\.ssim = 0"):
                await engine.evaluate(window=(0, 0, 8, 8))
            await engine.set_weights(IMAGE_ONLY)
            with self.assertRaisesRegex(EngineError, r"evaluate: window must be \(x0, y0, x1, y1\), got \(1, 2, 3\)"):
                await engine.evaluate(window=(1, 2, 3))
            with self.assertRaisesRegex(EngineError, "optimize: window.x1 must be an integer pixel, got 1.5"):
                await engine.optimize(2, window=(0, 0, 1.5, 4))
            with self.assertRaisesRegex(EngineError, "lies outside the 32x32 canvas"):
                await engine.optimize(2, window=(40, 0, 48, 8))


if __name__ == "__main__":
    unittest.main()
