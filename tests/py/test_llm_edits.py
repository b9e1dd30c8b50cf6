"""LLM edits are validated before they touch the scene (pelican.llm.edits).

The architect's output is untrusted: these cases are what a confused or hostile model sends.
Every case checks that the input scene is left exactly as it was.
"""

from __future__ import annotations

import json
import math
import time
import unittest

from pelican import Scene
from pelican.llm import Limits, apply_edits
from pelican.llm.edits import INTENSITY_CLAMP


def small_scene(width: int = 32, height: int = 32) -> Scene:
    return Scene.from_dict(
        {
            "format": "pelican-scene",
            "version": 1,
            "width": width,
            "height": height,
            "shapes": [
                {
                    "name": "body",
                    "type": "ellipse",
                    "cx": 0.4,
                    "cy": 0.5,
                    "rx": 0.2,
                    "ry": 0.25,
                    "rotation": -0.3,
                    "intensity": 0.35,
                },
                {"name": "head", "type": "circle", "cx": 0.6, "cy": 0.2, "r": 0.08, "intensity": 0.4},
                {
                    "name": "beak",
                    "type": "triangle",
                    "points": [[0.6, 0.15], [0.6, 0.22], [0.9, 0.2]],
                    "intensity": 0.25,
                },
            ],
        }
    )


class EditCase(unittest.TestCase):
    def setUp(self) -> None:
        self.scene = small_scene()
        self.before = json.dumps(self.scene.to_dict())

    def tearDown(self) -> None:
        # The input scene is never mutated, whatever the edits were.
        self.assertEqual(json.dumps(self.scene.to_dict()), self.before)

    def edit(self, actions, **limits):
        return apply_edits(self.scene, actions, Limits(**limits) if limits else None)

    def assertRejected(self, action, *fragments: str):
        out = self.edit([action])
        self.assertEqual(out.applied, [], f"{action!r} was applied")
        self.assertEqual(len(out.rejected), 1)
        reason = out.rejected[0]["reason"]
        for f in fragments:
            self.assertIn(f, reason)
        self.assertEqual(out.scene.to_dict(), self.scene.to_dict())
        return reason


class ValidEdits(EditCase):
    def test_absolute_and_percentages(self):
        out = self.edit(
            [
                {"type": "modify", "shape": "head", "changes": {"cx": 0.5, "radius": "+50%", "intensity": "-25%"}},
                {"type": "modify", "shape": "body", "changes": {"rx": "50%", "rotation": 0.5}},
                {"type": "modify", "shape": "beak", "changes": {"v2": [0.95, "+10%"]}},
            ]
        )
        self.assertEqual(out.rejected, [])
        self.assertEqual(len(out.applied), 3)
        head, body, beak = out.scene["head"], out.scene["body"], out.scene["beak"]
        self.assertEqual(head.cx, 0.5)
        self.assertAlmostEqual(head.r, 0.12)
        self.assertAlmostEqual(head.intensity, 0.3)
        self.assertAlmostEqual(body.rx, 0.1)
        self.assertEqual(body.rotation, 0.5)
        self.assertAlmostEqual(beak.points[2][0], 0.95)
        self.assertAlmostEqual(beak.points[2][1], 0.22)
        self.assertEqual(beak.points[0], [0.6, 0.15])

    def test_unicode_minus_and_decimal_strings(self):
        out = self.edit([{"type": "modify", "shape": "head", "changes": {"r": "\u221250%", "cy": "0.3"}}])
        self.assertEqual(out.rejected, [])
        self.assertAlmostEqual(out.scene["head"].r, 0.04)
        self.assertEqual(out.scene["head"].cy, 0.3)

    def test_add_on_top_with_defaults_and_remove(self):
        out = self.edit(
            [
                {
                    "type": "add",
                    "shape": "pouch",
                    "primitive": "ellipse",
                    "init_params": {"cx": 0.7, "cy": 0.3, "rx": 0.1},
                },
                {"type": "add", "shape": "wing_tip", "primitive": "triangle", "init_params": {"v0": [0.1, 0.1]}},
                {"type": "remove", "shape": "body"},
            ]
        )
        self.assertEqual(out.rejected, [])
        self.assertEqual(out.scene.names(), ["head", "beak", "pouch", "wing_tip"])
        pouch = out.scene["pouch"]
        self.assertEqual((pouch.cx, pouch.cy, pouch.rx, pouch.ry, pouch.rotation), (0.7, 0.3, 0.1, 0.1, 0.0))
        self.assertEqual(pouch.intensity, 0.5)
        self.assertEqual(out.scene["wing_tip"].points, [[0.1, 0.1], [0.7, 0.3], [0.5, 0.7]])

    def test_intensity_is_clamped_like_the_original(self):
        out = self.edit(
            [
                {"type": "modify", "shape": "head", "changes": {"intensity": 1.0}},
                {"type": "modify", "shape": "body", "changes": {"intensity": 0}},
            ]
        )
        self.assertEqual(out.scene["head"].intensity, INTENSITY_CLAMP[1])
        self.assertEqual(out.scene["body"].intensity, INTENSITY_CLAMP[0])

    def test_a_rejected_edit_does_not_stop_the_next(self):
        out = self.edit(
            [
                {"type": "modify", "shape": "nobody", "changes": {"cx": 0.1}},
                {"type": "modify", "shape": "head", "changes": {"cx": 0.1}},
            ]
        )
        self.assertEqual(out.scene["head"].cx, 0.1)
        self.assertEqual([r["index"] for r in out.rejected], [0])
        self.assertIn("no shape named 'nobody'", out.rejected[0]["reason"])
        self.assertIn("refused: #0", out.summary())


class HostileEdits(EditCase):
    def test_unknown_fields_and_keys(self):
        self.assertRejected({"type": "modify", "shape": "head", "changes": {"rx": 0.1}}, "circle has no field 'rx'")
        self.assertRejected({"type": "modify", "shape": "beak", "changes": {"cx": 0.1}}, "triangle has no field 'cx'")
        self.assertRejected({"type": "modify", "shape": "head", "changes": {"type": "ellipse"}}, "no field 'type'")
        self.assertRejected({"type": "modify", "shape": "head", "changes": {"name": "x"}}, "no field 'name'")
        self.assertRejected({"type": "modify", "shape": "head", "changes": {"__class__": 1}}, "no field")
        self.assertRejected(
            {"type": "modify", "shape": "head", "changes": {"cx": 0.1}, "frozen": True}, "unknown key 'frozen'"
        )
        self.assertRejected(
            {"type": "add", "shape": "x1", "primitive": "circle", "init_params": {"rx": 0.1}}, "no field 'rx'"
        )
        self.assertRejected({"type": "rename", "shape": "head"}, "unknown edit type 'rename'")
        self.assertRejected({"type": "add", "shape": "x1", "primitive": "square"}, "primitive")

    def test_non_finite_and_non_numbers(self):
        for bad in (
            math.nan,
            math.inf,
            -math.inf,
            "NaN",
            "nan",
            "inf",
            "Infinity",
            "1e308",
            "0x10",
            "+10deg",
            True,
            False,
            None,
            [0.5],
            {"value": 0.5},
            "",
            "  ",
            "%",
            "+%",
        ):
            with self.subTest(value=bad):
                self.assertRejected({"type": "modify", "shape": "head", "changes": {"cx": bad}})
        # json.loads accepts NaN and Infinity literals: what a model's JSON can really carry.
        actions = json.loads(
            '[{"type":"modify","shape":"head","changes":{"r":NaN}},'
            '{"type":"modify","shape":"head","changes":{"r":Infinity}}]'
        )
        out = self.edit(actions)
        self.assertEqual(out.applied, [])
        self.assertEqual(len(out.rejected), 2)

    def test_out_of_bounds(self):
        self.assertRejected({"type": "modify", "shape": "head", "changes": {"cx": 7}}, "cx=7")
        self.assertRejected({"type": "modify", "shape": "head", "changes": {"cy": -0.1}}, "outside")
        self.assertRejected({"type": "modify", "shape": "head", "changes": {"r": 0}}, "outside")
        self.assertRejected({"type": "modify", "shape": "head", "changes": {"r": -1}}, "outside")
        self.assertRejected({"type": "modify", "shape": "head", "changes": {"r": 1e9}}, "outside")
        self.assertRejected({"type": "modify", "shape": "head", "changes": {"cx": "+1000%"}}, "outside")
        self.assertRejected({"type": "modify", "shape": "head", "changes": {"intensity": 1.5}}, "outside")
        self.assertRejected({"type": "modify", "shape": "body", "changes": {"rotation": 1e6}}, "outside")
        self.assertRejected({"type": "modify", "shape": "beak", "changes": {"v0": [0.5, 2]}}, "v0.y")
        self.assertRejected({"type": "modify", "shape": "beak", "changes": {"v0": [0.5]}}, "[x, y]")
        self.assertRejected({"type": "modify", "shape": "beak", "changes": {"v0": 0.5}}, "[x, y]")
        self.assertRejected({"type": "modify", "shape": "beak", "changes": {"points": [[0.1, 0.1]] * 4}}, "three")

    def test_bounds_follow_a_non_square_canvas(self):
        wide = small_scene(64, 32)  # y spans [0, 0.5] in normalised units
        out = apply_edits(
            wide,
            [
                {"type": "modify", "shape": "head", "changes": {"cy": 0.45}},
                {"type": "modify", "shape": "head", "changes": {"cy": 0.6}},
            ],
        )
        self.assertEqual(out.scene["head"].cy, 0.45)
        self.assertIn("cy=0.6 is outside [0, 0.5]", out.rejected[0]["reason"])

    def test_an_edit_is_all_or_nothing(self):
        self.assertRejected({"type": "modify", "shape": "head", "changes": {"cx": 0.1, "cy": "NaN"}})

    def test_removing_everything_keeps_one_shape(self):
        out = self.edit([{"type": "remove", "shape": n} for n in ("body", "head", "beak")])
        self.assertEqual(len(out.scene), 1)
        self.assertEqual(len(out.applied), 2)
        self.assertIn("empty", out.rejected[0]["reason"])

    def test_edits_per_round_are_capped_and_a_huge_list_is_cheap(self):
        actions = [{"type": "modify", "shape": "head", "changes": {"cx": 0.5}}] * 200_000
        started = time.perf_counter()
        out = self.edit(actions, max_edits=3)
        self.assertLess(time.perf_counter() - started, 2.0)
        self.assertEqual(len(out.applied), 3)
        self.assertEqual(len(out.rejected), 1)
        self.assertIn("more than 3 edits", out.rejected[0]["reason"])
        self.assertIn("199997 more edits", out.rejected[0]["edit"])

    def test_shape_count_cap(self):
        adds = [
            {"type": "add", "shape": f"dot{i}", "primitive": "circle", "init_params": {"cx": 0.1 * i + 0.05}}
            for i in range(5)
        ]
        out = self.edit(adds, max_shapes=5)
        self.assertEqual(len(out.scene), 5)
        self.assertEqual(len(out.applied), 2)
        self.assertEqual(len(out.rejected), 3)
        self.assertIn("at most 5", out.rejected[0]["reason"])

    def test_names_unique_and_valid(self):
        self.assertRejected(
            {"type": "add", "shape": "head", "primitive": "circle", "init_params": {}}, "already exists"
        )
        for bad in ("", "<script>", "a b", "x" * 65, "x" * 1_000_000, "1st", "ü", "a\nb", 'a"b', 42, None, ["a"]):
            with self.subTest(name=bad if not isinstance(bad, str) or len(bad) < 70 else "long"):
                self.assertRejected({"type": "add", "shape": bad, "primitive": "circle", "init_params": {}})
        out = self.edit(
            [
                {"type": "add", "shape": "twin", "primitive": "circle", "init_params": {}},
                {"type": "add", "shape": "twin", "primitive": "ellipse", "init_params": {}},
            ]
        )
        self.assertEqual(out.scene.names().count("twin"), 1)
        self.assertIn("already exists", out.rejected[0]["reason"])

    def test_frozen_shapes_are_left_alone(self):
        self.scene.freeze("head")
        self.before = json.dumps(self.scene.to_dict())
        self.assertRejected({"type": "modify", "shape": "head", "changes": {"cx": 0.1}}, "frozen")
        self.assertRejected({"type": "remove", "shape": "head"}, "frozen")

    def test_junk_envelopes(self):
        for actions in (None, "remove everything", 42, {"type": "remove", "shape": "body"}):
            with self.subTest(actions=actions):
                out = self.edit(actions)
                self.assertEqual(out.applied, [])
                self.assertIn("actions must be a list", out.rejected[0]["reason"])
        nested: object = {"type": "modify", "shape": "head", "changes": {"cx": 0.5}}
        for _ in range(200):
            nested = {"changes": nested}
        for junk in (
            None,
            1,
            "modify head",
            [],
            [[[]]],
            {},
            {"type": "modify"},
            {"type": "modify", "shape": "head"},
            {"type": "modify", "shape": "head", "changes": []},
            {"type": "modify", "shape": "head", "changes": {}},
            {"type": "modify", "shape": "head", "changes": {f"k{i}": 1 for i in range(1000)}},
            {"type": "modify", "shape": "head", "changes": {"cx": "9" * 100_000}},
            {"type": "add", "shape": "x1", "primitive": "circle", "init_params": "big"},
            nested,
        ):
            with self.subTest(junk=str(junk)[:60]):
                out = self.edit([junk])
                self.assertEqual(out.applied, [])
                self.assertEqual(len(out.rejected), 1)
                self.assertLessEqual(len(out.rejected[0]["edit"]), 160)
                self.assertLessEqual(len(out.rejected[0]["reason"]), 300)


if __name__ == "__main__":
    unittest.main()
