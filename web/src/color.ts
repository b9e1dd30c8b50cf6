// Colours and pixel planes on the page. Engine images are `channels` planes one after the other
// (1: gray; 3: red, green, blue), values in [0, 1]; canvases are interleaved RGBA bytes.

export type Rgb = [number, number, number];

/** ITU-R 601 luma, the same weights as py/pelican (scene.LUMA, images.gray()). */
export const LUMA: Rgb = [0.299, 0.587, 0.114];

export const luma = (c: Rgb) => LUMA[0] * c[0] + LUMA[1] * c[1] + LUMA[2] * c[2];

export function parseHex(text: string): Rgb | null {
  const t = text.trim().toLowerCase();
  if (!/^#[0-9a-f]{6}$/.test(t)) return null;
  return [1, 3, 5].map((i) => parseInt(t.slice(i, i + 2), 16) / 255) as Rgb;
}

export function toHex(c: readonly number[]): string {
  return (
    '#' +
    c
      .map((v) =>
        Math.min(255, Math.max(0, Math.round(255 * v)))
          .toString(16)
          .padStart(2, '0'),
      )
      .join('')
  );
}

/** Channels of an image of `pixels` values over width × height (1 or 3). */
export function channelsOf(pixels: ArrayLike<number>, width: number, height: number): 1 | 3 {
  const n = width * height;
  if (pixels.length === 3 * n) return 3;
  if (pixels.length === n) return 1;
  throw new RangeError(`${pixels.length} values are neither 1 nor 3 planes of ${width}×${height}`);
}

/** Planes → opaque RGBA bytes for a canvas. */
export function planesToImageData(pixels: ArrayLike<number>, width: number, height: number): ImageData {
  const n = width * height;
  const c = channelsOf(pixels, width, height);
  const out = new ImageData(width, height);
  const d = out.data;
  const byte = (v: number) => Math.max(0, Math.min(255, Math.round(v * 255)));
  for (let i = 0; i < n; i++) {
    d[4 * i] = byte(pixels[i]);
    d[4 * i + 1] = byte(pixels[c === 3 ? n + i : i]);
    d[4 * i + 2] = byte(pixels[c === 3 ? 2 * n + i : i]);
    d[4 * i + 3] = 255;
  }
  return out;
}

/**
 * RGBA bytes → planes, each pixel composited over `matte` by its alpha first (what a user sees
 * of a transparent picture on that colour); gray planes are the luma of the composited colour.
 */
export function rgbaToPlanes(
  rgba: Uint8ClampedArray,
  width: number,
  height: number,
  channels: 1 | 3,
  matte: Rgb,
): Float32Array {
  const n = width * height;
  const out = new Float32Array(channels * n);
  for (let i = 0; i < n; i++) {
    const a = rgba[4 * i + 3] / 255;
    const r = (rgba[4 * i] / 255) * a + matte[0] * (1 - a);
    const g = (rgba[4 * i + 1] / 255) * a + matte[1] * (1 - a);
    const b = (rgba[4 * i + 2] / 255) * a + matte[2] * (1 - a);
    if (channels === 3) {
      out[i] = r;
      out[n + i] = g;
      out[2 * n + i] = b;
    } else out[i] = LUMA[0] * r + LUMA[1] * g + LUMA[2] * b;
  }
  return out;
}

/** True when some pixel is not fully opaque. */
export function hasTransparency(rgba: Uint8ClampedArray): boolean {
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i] < 255) return true;
  return false;
}

/** The mean colour of `channels` planes (a gray image's mean on all three channels). */
export function meanColor(pixels: ArrayLike<number>, width: number, height: number): Rgb {
  const n = width * height;
  const c = channelsOf(pixels, width, height);
  const sums = [0, 0, 0];
  for (let k = 0; k < c; k++) for (let i = 0; i < n; i++) sums[k] += pixels[k * n + i];
  return (c === 3 ? sums.map((s) => s / n) : [sums[0] / n, sums[0] / n, sums[0] / n]) as Rgb;
}
