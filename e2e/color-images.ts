// Colour and transparent test pictures, made on the spot (the suite ships no binary files).
import { PNG } from 'pngjs';

type Rgba = [number, number, number, number];

/** A w×h PNG: `outside` everywhere, `disc` inside a disc of radius 0.3·h around (cx·w, cy·h). */
export function discPng(w: number, h: number, disc: Rgba, outside: Rgba, cx = 0.42, cy = 0.55): Buffer {
  const png = new PNG({ width: w, height: h });
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const inside = (x - cx * w) ** 2 + (y - cy * h) ** 2 < (0.3 * h) ** 2;
      png.data.set(inside ? disc : outside, 4 * (y * w + x));
    }
  }
  return PNG.sync.write(png);
}

/** A w×h PNG of smooth colour waves crossing in every direction: detail everywhere, no flat part. */
export function wavesPng(w: number, h: number): Buffer {
  const png = new PNG({ width: w, height: h });
  const byte = (v: number) => Math.round(255 * (0.5 + 0.5 * v));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [u, v] = [x / w, y / h];
      const rgb = [Math.sin(11 * u + 3 * Math.cos(7 * v)), Math.cos(9 * v - 5 * u * u), Math.sin(13 * (u + v))];
      png.data.set([...rgb.map(byte), 255], 4 * (y * w + x));
    }
  }
  return PNG.sync.write(png);
}
