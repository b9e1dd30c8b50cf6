// Test images made on the spot, so the suite ships no binary files.
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';

/** RGBA of a w×h picture: a light background, a dark disc left of centre, a mid-gray bar. */
export function picture(w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = 4 * (y * w + x);
      let v = 235;
      if ((x - w * 0.35) ** 2 + (y - h * 0.5) ** 2 < (0.3 * h) ** 2) v = 30;
      else if (x > w * 0.65 && x < w * 0.85 && y > h * 0.2 && y < h * 0.8) v = 120;
      out[i] = v;
      out[i + 1] = Math.min(255, v + 10);
      out[i + 2] = v;
      out[i + 3] = 255;
    }
  }
  return out;
}

export function pngBuffer(w: number, h: number): Buffer {
  const png = new PNG({ width: w, height: h });
  png.data = Buffer.from(picture(w, h));
  return PNG.sync.write(png);
}

export function jpegBuffer(w: number, h: number): Buffer {
  return jpeg.encode({ data: Buffer.from(picture(w, h)), width: w, height: h }, 90).data;
}
