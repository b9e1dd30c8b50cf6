import unittest
import xml.etree.ElementTree as ET

from pelican import Scene, SceneError, from_svg, to_svg
from pelican.svg import DECIMALS


class SvgExport(unittest.TestCase):
    def test_viewbox_is_the_real_canvas_and_shapes_are_clipped(self):
        svg = to_svg(Scene.initial(200, 120))
        root = ET.fromstring(svg)
        self.assertEqual(root.get("viewBox"), "0 0 200 120")
        self.assertEqual(root.get("width"), "200")
        self.assertIn('clip-path="url(#pelican-canvas)"', svg)
        self.assertEqual(len(root.findall(".//{http://www.w3.org/2000/svg}ellipse")), 4)

    def test_round_trip_is_exact_to_export_precision(self):
        scene = Scene.initial(128, 96)
        scene.freeze("eye")
        again = from_svg(to_svg(scene))
        self.assertEqual(again.names(), scene.names())
        self.assertTrue(again["eye"].frozen)
        s = scene.side
        for a, b in zip(scene.shapes, again.shapes):
            self.assertEqual(a.type, b.type)
            self.assertLessEqual(abs(a.intensity - b.intensity), 0.5 / 255 + 1e-9)
            for key in ("cx", "cy", "r", "rx", "ry"):
                if getattr(a, key) is not None:
                    self.assertLessEqual(abs(getattr(a, key) - getattr(b, key)) * s, 0.5 * 10**-DECIMALS + 1e-9, key)
        # A second trip changes nothing: export precision is a fixed point.
        self.assertEqual(to_svg(from_svg(to_svg(scene))), to_svg(again))

    def test_colour_opacity_and_background_round_trip(self):
        from pelican import Shape

        scene = Scene(
            40,
            30,
            [
                Shape("ellipse", "leaf", color="#20a040", opacity=0.75, cx=0.4, cy=0.3, rx=0.2, ry=0.1, rotation=0.5),
                Shape("circle", "stone", color="#808080", cx=0.7, cy=0.5, r=0.1),
            ],
            background="#f0e0d0",
        )
        svg = to_svg(scene)
        self.assertIn('fill="#f0e0d0"', svg)
        self.assertIn('fill="#20a040" fill-opacity="0.75"', svg)
        again = from_svg(svg)
        self.assertEqual(again.to_dict()["background"], "#f0e0d0")
        self.assertEqual(again["leaf"].to_dict()["color"], "#20a040")
        self.assertEqual(again["leaf"].opacity, 0.75)
        # In a colour file a gray shape stays a colour shape.
        self.assertEqual(again["stone"].to_dict()["color"], "#808080")
        self.assertEqual(to_svg(again), svg)

    def test_numbers_are_compact(self):
        svg = to_svg(Scene.initial(100))
        self.assertNotIn(".000", svg)
        self.assertIn('cx="42"', svg)

    def test_no_script_or_event_attributes_are_ever_written(self):
        svg = to_svg(Scene.initial(64)).lower()
        for bad in ("<script", "onload", "onclick", "javascript:", "href"):
            self.assertNotIn(bad, svg)


class SvgImport(unittest.TestCase):
    def test_hostile_input_is_refused(self):
        good = to_svg(Scene.initial(32))
        cases = {
            "script": good.replace("</g>", "<script>alert(1)</script></g>"),
            "foreignObject": good.replace("</g>", "<foreignObject/></g>"),
            "DOCTYPE": '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa">]>' + good,
            "well-formed": good[:-20],
            "viewBox": good.replace('viewBox="0 0 32 32"', 'viewBox="0 0 a b"'),
            "viewBox 0": good.replace('viewBox="0 0 32 32"', 'viewBox="0 0 inf inf"'),
            "viewBox 1": good.replace('viewBox="0 0 32 32"', 'viewBox="0 0 nan 5"'),
            "no circle": '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><rect width="8" height="8" fill="#ffffff"/></svg>',
            "not a number": good.replace('r="', 'r="x', 1),
            "colour": good.replace('fill="#666666"', 'fill="red"', 1),
            "fill-opacity": good.replace('fill="#666666"', 'fill="#666666" fill-opacity="2"', 1),
        }
        for expected, text in cases.items():
            with self.assertRaises(SceneError, msg=expected) as caught:
                from_svg(text)
            self.assertIn(expected.split()[0], str(caught.exception), expected)

    def test_reads_the_originals_format(self):
        original = (
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 128 128" width="128" height="128">\n'
            '  <rect width="128" height="128" fill="white"/>\n'
            '  <circle cx="74.24" cy="23.04" r="10.24" fill="rgb(89,89,89)"/>\n'
            "</svg>"
        )
        scene = from_svg(original.replace('fill="white"', 'fill="#ffffff"'))
        self.assertEqual(scene.shapes[0].type, "circle")
        self.assertAlmostEqual(scene.shapes[0].r, 0.08, places=4)


if __name__ == "__main__":
    unittest.main()
