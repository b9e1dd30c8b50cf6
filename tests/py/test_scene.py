import json
import math
import unittest

from pelican import Scene, SceneError, Shape
from pelican import Engine, Image


def doc(**shape):
    base = {"name": "a", "type": "circle", "cx": 0.5, "cy": 0.5, "r": 0.1, "intensity": 0.3}
    base.update(shape)
    return {"format": "pelican-scene", "version": 1, "width": 64, "height": 48, "shapes": [base]}


class SceneFormat(unittest.TestCase):
    def test_json_round_trip_is_exact(self):
        scene = Scene.initial(96, 64)
        again = Scene.from_json(scene.to_json())
        self.assertEqual(again.to_dict(), scene.to_dict())
        self.assertEqual(again.to_dict()["format"], "pelican-scene")

    def test_initial_scene_is_the_originals_on_a_square(self):
        scene = Scene.initial(128)
        self.assertEqual(
            scene.names(), ["body", "neck", "head", "beak_upper", "beak_lower", "wing", "tail", "eye", "feet"]
        )
        self.assertEqual(len(scene.values(1, False)), 53)
        self.assertAlmostEqual(scene["head"].r, 0.08)
        self.assertEqual(scene["beak_upper"].points[2], [0.88, 0.20])

    def test_initial_scene_fits_a_wide_canvas(self):
        scene = Scene.initial(200, 100)
        for shape in scene.shapes:
            ys = [p[1] for p in shape.points] if shape.points else [shape.cy]
            self.assertTrue(all(y <= 0.5 for y in ys), shape.name)

    def test_errors_name_the_field(self):
        cases = [
            (doc(cx=1.5), "shapes[0].cx"),
            (doc(r=-0.1), "shapes[0].r"),
            (doc(r=float("nan")), "shapes[0].r"),
            (doc(intensity="dark"), "shapes[0].intensity"),
            (doc(intensity=True), "shapes[0].intensity"),
            (doc(type="hexagon"), "shapes[0].type"),
            (doc(rx=0.2), "shapes[0].rx"),
            (doc(name=""), "shapes[0].name"),
            (doc(name="<script>"), "shapes[0].name"),
            (doc(type="triangle", cx=None, cy=None, r=None, points=[[0, 0], [1, 1]]), "shapes[0]"),
        ]
        for data, field in cases:
            data["shapes"][0] = {k: v for k, v in data["shapes"][0].items() if v is not None}
            with self.assertRaises(SceneError) as caught:
                Scene.from_dict(data)
            self.assertTrue(str(caught.exception).startswith(field), f"{caught.exception} should name {field}")

    def test_top_level_errors(self):
        good = doc()
        for key, value, field in [
            ("format", "svg", "format"),
            ("version", 3, "version"),
            ("width", 0, "width"),
            ("height", 1e9, "height"),
            ("shapes", {}, "shapes"),
            ("extra", 1, "extra"),
        ]:
            bad = dict(good, **{key: value})
            with self.assertRaises(SceneError) as caught:
                Scene.from_dict(bad)
            self.assertTrue(str(caught.exception).startswith(field), str(caught.exception))
        with self.assertRaises(SceneError):
            Scene.from_json("{not json")
        # Deep nesting would overflow Pyodide's JS stack and kill the interpreter.
        with self.assertRaisesRegex(SceneError, "nested"):
            Scene.from_json('{"shapes": ' + "[" * 100_000 + "]" * 100_000 + "}")

    def test_duplicate_names_are_rejected(self):
        data = doc()
        data["shapes"].append(dict(data["shapes"][0]))
        with self.assertRaisesRegex(SceneError, "used twice"):
            Scene.from_dict(data)


class SceneEditing(unittest.TestCase):
    def test_add_remove_reorder_modify(self):
        scene = Scene.initial(64)
        scene.add({"name": "sun", "type": "circle", "cx": 0.9, "cy": 0.1, "r": 0.05, "intensity": 0.9})
        self.assertEqual(scene.names()[-1], "sun")
        scene.reorder("sun", 0)
        self.assertEqual(scene.names()[0], "sun")
        scene.modify("sun", r=0.07)
        self.assertAlmostEqual(scene["sun"].r, 0.07)
        scene.remove("eye")
        self.assertNotIn("eye", scene.names())
        self.assertEqual(len(scene), 9)

    def test_a_bad_modify_changes_nothing(self):
        scene = Scene.initial(64)
        before = scene.to_dict()
        with self.assertRaises(SceneError):
            scene.modify("head", r=-1)
        with self.assertRaises(SceneError):
            scene.modify("nobody", r=0.1)
        with self.assertRaises(SceneError):
            scene.add({"name": "head", "type": "circle", "cx": 0.5, "cy": 0.5, "r": 0.1, "intensity": 0.5})
        self.assertEqual(scene.to_dict(), before)

    def test_freeze_flags_reach_the_mask(self):
        scene = Scene.initial(64)
        scene.freeze("wing")
        self.assertEqual(scene.frozen_mask(), [0, 0, 0, 0, 0, 1, 0, 0, 0])
        self.assertEqual(scene.frozen_mask([0]), [1, 0, 0, 0, 0, 1, 0, 0, 0])
        self.assertTrue(Scene.from_json(scene.to_json())["wing"].frozen)


class Version2(unittest.TestCase):
    def colour_scene(self):
        return Scene(
            64,
            48,
            [
                Shape("circle", "sun", color="#ff8000", opacity=0.5, cx=0.5, cy=0.4, r=0.1),
                Shape("triangle", "roof", 0.2, points=[[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]),
            ],
            background="#102030",
        )

    def test_colour_opacity_and_background_round_trip(self):
        scene = self.colour_scene()
        data = scene.to_dict()
        self.assertEqual((data["version"], data["background"]), (2, "#102030"))
        self.assertEqual(data["shapes"][0]["color"], "#ff8000")
        self.assertEqual(data["shapes"][0]["opacity"], 0.5)
        self.assertNotIn("opacity", data["shapes"][1])
        again = Scene.from_json(scene.to_json())
        self.assertEqual(again.to_dict(), data)
        self.assertAlmostEqual(again["sun"].intensity, 0.299 + 0.587 * 128 / 255)

    def test_a_gray_white_scene_is_still_written_as_version_1(self):
        self.assertEqual(Scene.initial(32).to_dict()["version"], 1)

    def test_version_1_refuses_the_new_fields(self):
        with self.assertRaisesRegex(SceneError, r"shapes\[0\]\.color: unknown field for a circle in a version 1"):
            Scene.from_dict(doc(color="#ffffff"))
        with self.assertRaisesRegex(SceneError, "background: unknown top-level field in a version 1"):
            Scene.from_dict(dict(doc(), background="#000000"))

    def test_bad_colours_and_opacities_name_the_field(self):
        base = self.colour_scene().to_dict()
        for path, value, message in [
            ("color", "#ff80", r"shapes\[0\]\.color: '#ff80'"),
            ("color", "red", "not a colour"),
            ("opacity", 1.5, r"shapes\[0\]\.opacity: 1.5 is outside"),
            ("opacity", True, "expected a number"),
        ]:
            data = json.loads(json.dumps(base))
            data["shapes"][0][path] = value
            with self.assertRaisesRegex(SceneError, message):
                Scene.from_dict(data)
        data = json.loads(json.dumps(base))
        data["shapes"][1]["color"] = "#000000"
        with self.assertRaisesRegex(SceneError, "not both"):
            Scene.from_dict(data)
        with self.assertRaisesRegex(SceneError, "^background:"):
            Scene.from_dict(dict(base, background="#12345g"))


class EngineLayout(unittest.TestCase):
    def test_values_are_paint_first_then_the_tables_geometry(self):
        shape = Shape("ellipse", "e", 0.3, cx=0.2, cy=0.7, rx=0.1, ry=0.05, rotation=-0.4)
        self.assertEqual(shape.values(1, False), [0.3, 0.2, 0.7, 0.1, 0.05, -0.4])
        colour = Shape(
            "triangle", "t", color=(1.0, 0.5, 0.0), opacity=0.25, points=[[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]
        )
        self.assertEqual(colour.values(3, True), [1.0, 0.5, 0.0, 0.25, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
        self.assertAlmostEqual(colour.values(1, False)[0], 0.299 + 0.587 * 0.5)

    def test_with_values_inverts_values(self):
        scene = Scene.initial(64)
        again = scene.with_values(scene.values(1, False), [1.0], 1, False)
        self.assertEqual(again.to_dict(), scene.to_dict())
        with self.assertRaisesRegex(SceneError, "values: 3 values"):
            scene.with_values([0.0, 0.0, 0.0], [1.0], 1, False)

    async def test_intensity_is_clamped_as_the_original(self):
        target = Image(8, 8, [0.5] * 64)
        engine = await Engine.borrow(target)
        try:
            await engine.set_scene(Scene(8, 8, [Shape("circle", "c", 0.0, cx=0.5, cy=0.5, r=0.1)]))
            result = await engine.optimize(steps=1, lr=1e-9)
            self.assertAlmostEqual(result.scene["c"].intensity, 0.01, places=4)
        finally:
            engine.close()


if __name__ == "__main__":
    unittest.main()
