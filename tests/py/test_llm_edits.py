"""LLM edits are validated before they touch the scene (pelican.llm.edits).

The architect's output is untrusted: these cases are what a confused or hostile model sends.
Every case checks that the input scene is left exactly as it was.
"""

from __future__ import annotations

import json
import math
import time
import unittest

from pelican import Scene, shape_table
from pelican.llm import Limits, apply_edits
from pelican.llm.edits import INTENSITY_CLAMP, MIN_SIZE_PX
from pelican.llm.prompts import architect_prompt, architect_tool, describe_scene


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
        # Unset fields take the defaults: a tenth of the canvas for a size, no rotation, mid-gray.
        self.assertEqual((pouch.cx, pouch.cy, pouch.rx, pouch.ry, pouch.rotation), (0.7, 0.3, 0.1, 0.1, 0.0))
        self.assertEqual(pouch.intensity, 0.5)
        tip = out.scene["wing_tip"].points
        self.assertEqual(tip[0], [0.1, 0.1])
        # The other vertices: a regular triangle of circumradius 0.2 about the centre.
        for x, y in tip[1:]:
            self.assertAlmostEqual(math.hypot(x - 0.5, y - 0.5), 0.2)
        self.assertAlmostEqual(tip[1][1], tip[2][1])

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


def colour_scene() -> Scene:
    data = small_scene().to_dict()
    data["version"] = 2
    data["background"] = "#203040"
    data["shapes"][0]["color"] = "#c08040"
    del data["shapes"][0]["intensity"]
    data["shapes"][1]["opacity"] = 0.7
    return Scene.from_dict(data)


class TableLimits(EditCase):
    """Fields, limits and defaults are the engine's table's, not a copy kept here."""

    def test_sizes_and_rotations_up_to_the_tables_limits(self):
        table = shape_table.table()
        fields = {f.name: f for f in table.type("ellipse").geometry}
        big, turn = fields["rx"].max, fields["rotation"].max
        out = self.edit([{"type": "modify", "shape": "body", "changes": {"rx": big, "rotation": turn}}])
        self.assertEqual(out.rejected, [])
        self.assertEqual((out.scene["body"].rx, out.scene["body"].rotation), (big, turn))
        reason = self.assertRejected({"type": "modify", "shape": "body", "changes": {"rx": big * 1.01}}, "outside")
        self.assertIn(f"{big:.4g}]", reason)
        self.assertRejected({"type": "modify", "shape": "body", "changes": {"rotation": -turn * 1.01}}, "outside")
        # Below a quarter pixel a shape vanishes: refused, though the table only asks for > 0.
        self.assertRejected(
            {"type": "modify", "shape": "head", "changes": {"r": 0.9 * MIN_SIZE_PX / self.scene.side}}, "outside"
        )

    def test_every_table_type_can_be_added_with_its_defaults_inside_a_wide_canvas(self):
        wide = small_scene(64, 32)
        table = shape_table.table()
        actions = [{"type": "add", "shape": f"new_{k}", "primitive": k} for k in table.types]
        out = apply_edits(wide, actions)
        self.assertEqual(out.rejected, [])
        for kind, spec in table.types.items():
            shape = out.scene[f"new_{kind}"]
            data = shape.to_dict()
            for f in spec.geometry:
                value = shape_table.get(data, f)
                self.assertIsNone(f.check(value), f"{kind}.{f.name}={value}")
                if f.transform == "unit":  # a coordinate: inside the 64x32 canvas, whose y ends at 0.5
                    self.assertLessEqual(value, 1.0 if f.name.endswith("x") or f.name.endswith("[0]") else 0.5)

    def test_the_architect_tool_and_prompt_list_the_tables_types(self):
        table = shape_table.table()
        schema = architect_tool().schema["properties"]["actions"]["items"]["properties"]
        self.assertEqual(schema["primitive"]["enum"], list(table.types))
        prompt = architect_prompt({"overall_quality": 0.5}, self.scene, 4, 10)
        for kind in table.types:
            self.assertIn(f"- {kind}: ", prompt)
        self.assertIn("- circle: cx, cy, radius, intensity", prompt)
        self.assertIn("- triangle: v0, v1, v2 (each [x, y]), intensity", prompt)
        self.assertNotIn("color", prompt)


class ColourEdits(unittest.TestCase):
    def setUp(self) -> None:
        self.scene = colour_scene()

    def test_color_and_opacity_edits_on_a_colour_scene(self):
        out = apply_edits(
            self.scene,
            [
                {"type": "modify", "shape": "body", "changes": {"color": "#102030", "opacity": "50%"}},
                {"type": "modify", "shape": "head", "changes": {"color": "#FFEEDD", "opacity": 1}},
                {"type": "add", "shape": "sun", "primitive": "circle", "init_params": {"color": "#ff8000", "r": 0.05}},
            ],
        )
        self.assertEqual(out.rejected, [])
        body, head, sun = out.scene["body"], out.scene["head"], out.scene["sun"]
        self.assertEqual(body.to_dict()["color"], "#102030")
        self.assertAlmostEqual(body.opacity, 0.5)
        self.assertEqual((head.to_dict()["color"], head.opacity), ("#ffeedd", 1.0))
        self.assertEqual((sun.to_dict()["color"], sun.opacity, sun.r), ("#ff8000", 1.0, 0.05))
        self.assertEqual(self.scene["body"].to_dict()["color"], "#c08040", "the input scene is untouched")

    def test_bad_colours_and_opacities_are_refused(self):
        for change, fragment in (
            ({"color": "red"}, "not a colour"),
            ({"color": "#12345"}, "not a colour"),
            ({"color": [1, 0, 0]}, "#rrggbb"),
            ({"color": 0.5}, "#rrggbb"),
            ({"opacity": 1.5}, "outside"),
            ({"opacity": "NaN"}, "neither"),
            ({"intensity": 0.3}, "coloured"),
        ):
            with self.subTest(change=change):
                out = apply_edits(self.scene, [{"type": "modify", "shape": "body", "changes": change}])
                self.assertEqual(out.applied, [])
                self.assertIn(fragment, out.rejected[0]["reason"])

    def test_a_gray_scene_stays_as_before(self):
        gray = small_scene()
        for change in ({"color": "#102030"}, {"opacity": 0.5}):
            out = apply_edits(gray, [{"type": "modify", "shape": "body", "changes": change}])
            self.assertEqual(out.applied, [])
            self.assertIn("gray and opaque", out.rejected[0]["reason"])
        # A gray shape in a colour scene keeps its intensity edits.
        out = apply_edits(self.scene, [{"type": "modify", "shape": "beak", "changes": {"intensity": 0.6}}])
        self.assertEqual(out.rejected, [])
        self.assertAlmostEqual(out.scene["beak"].intensity, 0.6)

    def test_the_prompt_offers_color_and_opacity_for_a_colour_scene(self):
        prompt = architect_prompt({"overall_quality": 0.5}, self.scene, 4, 10)
        self.assertIn("- circle: cx, cy, radius, intensity, color, opacity", prompt)
        self.assertIn('color as "#rrggbb"', prompt)
        lines = describe_scene(self.scene).splitlines()
        self.assertIn("color=#c08040", lines[0])
        self.assertIn("opacity=0.700", lines[1])
        self.assertIn("intensity=0.250", lines[2])


class ColourThroughTheProvider(unittest.IsolatedAsyncioTestCase):
    """A colour scene refined against the real engine and the fake provider: the architect is told
    about color and opacity, and its colour edits arrive in the scene."""

    async def test_colour_edits_over_the_wire(self):
        from array import array

        from pelican import Engine, Image
        from pelican.llm import RefineOptions, refine
        from test_llm_client import JUDGE, recorded, script
        from test_llm_refine import make_client

        n = 32 * 32
        red = [1.0 if (x - 20) ** 2 + (y - 12) ** 2 < 64 else 0.2 for y in range(32) for x in range(32)]
        target = Image(32, 32, array("f", red + [0.2] * n + [0.3] * n), 3)
        plan = {
            "actions": [
                {"type": "modify", "shape": "body", "changes": {"color": "#ee1111", "opacity": 0.9}},
                {"type": "add", "shape": "sun", "primitive": "circle", "init_params": {"color": "#ff2020"}},
            ],
            "rationale": "redder",
        }
        script({"answer": JUDGE}, {"answer": plan}, default={"answer": JUDGE})
        engine = await Engine.open()
        try:
            result = await refine(
                colour_scene(),
                target,
                make_client("anthropic"),
                RefineOptions(rounds=1, steps_per_round=5, image_size=16),
                engine=engine,
            )
        finally:
            engine.close()
        round0 = result.history[0]
        self.assertEqual(round0["edits"]["rejected"], [], round0["edits"])
        self.assertEqual([a.split(" (")[0] for a in round0["edits"]["applied"]], ["modify body", "add sun"])
        self.assertIn("sun", [s["name"] for s in round0["scene"]["shapes"]])
        judge_text = json.dumps(recorded()[0]["body"])
        self.assertIn("coloured, possibly translucent shapes", judge_text)
        self.assertIn(", ".join(f"{k}s" for k in shape_table.table().types), judge_text)
        architect = json.dumps(recorded()[1]["body"])
        self.assertIn('color as \\"#rrggbb\\"', architect)
        self.assertIn(json.dumps(list(shape_table.table().types)), architect)


if __name__ == "__main__":
    unittest.main()
