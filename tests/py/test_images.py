import array
import unittest

from helpers import shared_target
from pelican import Image, ImageError


class Images(unittest.TestCase):
    def test_png_round_trip_keeps_8_bit_values(self):
        img = Image(3, 2, array.array("f", [0.0, 0.5, 1.0, 0.25, 0.75, 0.1]))
        again = Image.from_bytes(img.to_png(), "x.png")
        self.assertEqual((again.width, again.height), (3, 2))
        for a, b in zip(img.pixels, again.pixels):
            self.assertLessEqual(abs(a - b), 1 / 255 + 1e-6)

    def test_shared_targets_load(self):
        target = shared_target(64)
        self.assertEqual((target.width, target.height), (64, 64))
        self.assertTrue(0.5 < sum(target.pixels) / len(target.pixels) < 1.0)

    def test_resize_matches_pillow_closely(self):
        # The 64 px target was made by Pillow from the full-size JPEG; ours comes from the 256 px one.
        ours = shared_target(256).resized(64, 64)
        self.assertLess(ours.mse(shared_target(64)), 1e-4)

    def test_fit_keeps_the_aspect_ratio(self):
        img = Image(300, 150, array.array("f", [0.5] * 45000)).fit(128)
        self.assertEqual((img.width, img.height), (128, 64))

    def test_jpeg_goes_through_the_host_decoder(self):
        # A truncated JPEG: the host's decoder fails and the error names the file.
        with self.assertRaises(ImageError) as caught:
            Image.from_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 40, "broken.jpg")
        self.assertIn("broken.jpg", str(caught.exception))

    def test_garbage_is_refused_clearly(self):
        for data in (b"", b"hello world, not an image", b"\x89PNG\r\n\x1a\n" + b"\x00" * 30, b"P5\n10 10\n255\n\x00"):
            with self.assertRaises(ImageError):
                Image.from_bytes(data, "bad")


if __name__ == "__main__":
    unittest.main()
