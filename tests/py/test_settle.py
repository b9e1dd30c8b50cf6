"""Local settling and the joint-pass schedule of vectorize(): the real engine, windows included."""

import array
from dataclasses import replace
import unittest

from pelican import Engine, Image, Model, Scene, Shape, VectorizeOptions, vectorize
from pelican.settle import TILE, reach, settle

IMAGE_ONLY = {"perimeter": 0.0, "degeneracy": 0.0, "canvas": 0.0, "edge": 0.0, "ssim": 0.0}
FAST = VectorizeOptions(round_steps=40, polish_steps=60, candidates=48, mutations=32)
CANVAS = (0.1, 0.15, 0.45)


def blobs_target(width: int = 96, height: int = 64) -> Image:
    """Five flat-coloured discs and a band, apart from each other on a dark blue canvas: local
    structure that a few shapes each can match."""
    discs = [
        (14, 14, 8, (0.9, 0.2, 0.1)),
        (48, 12, 6, (0.95, 0.85, 0.2)),
        (80, 16, 9, (0.2, 0.7, 0.3)),
        (20, 46, 7, (0.85, 0.85, 0.9)),
        (70, 48, 10, (0.6, 0.2, 0.7)),
    ]
    n = width * height
    planes = [array.array("f", [CANVAS[c]] * n) for c in range(3)]
    for y in range(height):
        for x in range(width):
            paint = None
            for cx, cy, r, colour in discs:
                if (x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 < r * r:
                    paint = colour
            if paint is None and 36 <= x < 52 and 36 <= y < 60:
                paint = (0.9, 0.5, 0.2)
            if paint:
                for c in range(3):
                    planes[c][y * width + x] = paint[c]
    return Image(width, height, planes[0] + planes[1] + planes[2], 3)


class Windows(unittest.TestCase):
    def test_a_window_holds_the_shape_and_its_fade_in_whole_tiles(self):
        target = blobs_target()
        disc = Shape("circle", "c", color=(1, 0, 0), cx=48 / 96, cy=12 / 96, r=6 / 96)
        w = reach(disc, target.width, target.height, margin_px=1.0)
        self.assertTrue(w.x0 <= 42 - 1 and w.x1 >= 54 + 1 and w.y0 <= 6 - 1 and w.y1 >= 18 + 1)
        self.assertEqual([w.x0 % TILE, w.y0 % TILE], [0, 0])
        self.assertLess(w.area, target.width * target.height // 4)
        # At the border the window is clipped to the canvas, never beyond it.
        corner = Shape("circle", "k", color=(1, 0, 0), cx=0.01, cy=0.01, r=0.05)
        w = reach(corner, target.width, target.height, margin_px=1.0)
        self.assertEqual((w.x0, w.y0), (0, 0))
        self.assertLessEqual(w.x1, target.width)


class Settling(unittest.TestCase):
    async def test_settling_moves_only_the_new_shapes_and_keeps_the_canvas(self):
        target = blobs_target()
        async with await Engine.borrow() as engine:
            await engine.set_target(target, Model(3, True, False))
            await engine.set_weights(IMAGE_ONLY)
            scene = Scene.blank(target.width, target.height, CANVAS)
            await engine.set_scene(scene)
            for shape in await engine.propose(4, seed=3):
                scene.add(shape)
            await engine.set_scene(scene)
            before = await engine.loss(0.3 / target.side)
            moving = [1, 3]
            settled = await settle(
                engine,
                scene,
                moving,
                steps=20,
                lr=0.02,
                tau_start=1 / target.side,
                tau_end=0.3 / target.side,
                margin_px=1.0,
            )
            self.assertEqual(settled.windows, 2)
            self.assertEqual(settled.steps, 40)
            windows = [reach(scene.shapes[i], target.width, target.height, 1.0) for i in moving]
            self.assertEqual(settled.pixels, sum(w.area for w in windows))
            self.assertLess(settled.pixels, target.width * target.height)
            for i, (a, b) in enumerate(zip(scene.shapes, settled.scene.shapes)):
                same = all(abs(u - v) < 1e-6 for u, v in zip(a.values(3, True), b.values(3, True)))
                self.assertEqual(same, i not in moving, f"shape {i}")
            for a, b in zip(settled.scene.background, scene.background):
                self.assertAlmostEqual(a, b, places=6)  # float32 in the engine, not fitted
            await engine.set_scene(settled.scene)
            self.assertLess(await engine.loss(0.3 / target.side), before)
            # Nothing stays frozen: a plain optimisation moves every shape again.
            moved = await engine.optimize(5, 0.02)
            self.assertNotEqual(moved.scene.shapes[0].to_dict(), settled.scene.shapes[0].to_dict())


def joints(records):
    return [r["joint"] for r in records]


class Schedule(unittest.TestCase):
    async def test_joint_passes_come_every_k_rounds(self):
        rounds = []
        await vectorize(
            blobs_target(),
            shapes=14,
            options=VectorizeOptions(
                round_steps=20, polish_steps=0, candidates=32, mutations=16, joint_every=3, fade=0
            ),
            on_round=lambda r, s: rounds.append(r),
        )
        self.assertGreaterEqual(len(rounds), 7)
        self.assertEqual(joints(rounds), [(i + 1) % 3 == 0 for i in range(len(rounds))])
        # Every new shape settled in a window of its own, smaller than the canvas.
        for r in rounds:
            self.assertEqual(r["windows"], r["added"])
            self.assertLess(r["window_pixels"], r["added"] * 96 * 64)
            self.assertLessEqual(r["started"], r["seconds"])

    async def test_fading_gains_bring_a_joint_pass_sooner_and_local_false_joins_every_round(self):
        target = blobs_target()
        base = dict(round_steps=20, polish_steps=0, candidates=32, mutations=16, joint_every=0)
        never, fading, always = [], [], []
        await vectorize(
            target, shapes=10, options=VectorizeOptions(**base, fade=0), on_round=lambda r, s: never.append(r)
        )
        await vectorize(
            target, shapes=10, options=VectorizeOptions(**base, fade=1.0), on_round=lambda r, s: fading.append(r)
        )
        await vectorize(
            target, shapes=10, options=VectorizeOptions(**base, local=False), on_round=lambda r, s: always.append(r)
        )
        self.assertFalse(any(joints(never)))
        self.assertTrue(any(joints(fading)))
        self.assertFalse(all(joints(fading)))  # the first round after a joint pass sets the bar
        self.assertTrue(all(joints(always)))
        self.assertNotIn("windows", always[0])

    async def test_bad_schedule_options_are_refused(self):
        with self.assertRaisesRegex(ValueError, "fade: expected a number in \\[0, 1\\], got 2"):
            await vectorize(blobs_target(), shapes=3, options=VectorizeOptions(fade=2))
        with self.assertRaisesRegex(ValueError, "joint_every: expected a whole number >= 0"):
            await vectorize(blobs_target(), shapes=3, options=VectorizeOptions(joint_every=-1))
        with self.assertRaisesRegex(ValueError, "local: expected true or false"):
            await vectorize(blobs_target(), shapes=3, options=VectorizeOptions(local="yes"))
        with self.assertRaisesRegex(ValueError, "edge and ssim must be 0"):
            await vectorize(blobs_target(), shapes=3, options=VectorizeOptions(weights=dict(IMAGE_ONLY, ssim=0.05)))
        # ...which the joint-only pipeline still takes.
        result = await vectorize(
            blobs_target(),
            shapes=2,
            options=VectorizeOptions(
                local=False,
                round_steps=10,
                polish_steps=0,
                candidates=16,
                mutations=8,
                weights=dict(IMAGE_ONLY, ssim=0.05),
            ),
        )
        self.assertEqual(len(result.scene), 2)


class Quality(unittest.TestCase):
    async def test_local_settling_keeps_the_quality_of_joint_rounds(self):
        target = blobs_target()
        # With the pipeline's own polish (300 steps at τ 0.2 px), and without the regrowth that
        # follows it: this compares how the two schedules grow.
        local = await vectorize(target, shapes=16, options=replace(FAST, polish_steps=300, regrow=0))
        joint = await vectorize(target, shapes=16, options=replace(FAST_JOINT, polish_steps=300, regrow=0))
        self.assertEqual(len(local.scene), 16)
        # Measured (2026-12-01): local 32.1 dB, a joint pass after every round 33.0 dB on these
        # 16 shapes (29.7 / 30.2 with the polish at 0.3 px); on bench:quality's photographs and
        # flat pictures local is level with joint (±0.3 dB at 35 and 100 shapes). The bar leaves
        # room for another engine build's rounding.
        self.assertGreater(local.psnr, 30.5)
        self.assertGreater(local.psnr, joint.psnr - 1.5)


FAST_JOINT = VectorizeOptions(round_steps=40, polish_steps=60, candidates=48, mutations=32, local=False)

if __name__ == "__main__":
    unittest.main()
