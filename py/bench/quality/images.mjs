// The quality benchmark's image set: the shared photographs and engraving, read in place, plus
// synthetic images drawn here by code (so nothing binary is committed) to cover what photographs
// rarely do: flat saturated colour, near-black scenes, a face, a hard horizon under a smooth sky.
// An image is {name, width, height, channels, data}: row-major Float32 values in [0,1],
// `channels` (3 = RGB, 1 = luma) values per pixel.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SYNTHETIC } from './synthetic.mjs';

function readJpeg(file, jpeg) {
  const img = jpeg.decode(readFileSync(file), { useTArray: true, maxMemoryUsageInMB: 1024 });
  const data = new Float32Array(img.width * img.height * 3);
  for (let i = 0; i < img.width * img.height; i++) {
    for (let c = 0; c < 3; c++) data[3 * i + c] = img.data[4 * i + c] / 255;
  }
  return { width: img.width, height: img.height, channels: 3, data };
}

/** Every image the benchmark knows, by name (`file` if read from disk); `load()` decodes or draws it at full size. */
export function catalogue(targetsDir) {
  const photo = (name, file) => ({ name, file, load: async () => readJpeg(file, (await import('jpeg-js')).default) });
  return [
    photo('china', join(targetsDir, 'dev', 'china.jpg')),
    photo('flower', join(targetsDir, 'dev', 'flower.jpg')),
    photo('grace_hopper', join(targetsDir, 'dev', 'grace_hopper.jpg')),
    photo('engraving', join(targetsDir, 'pelican-engraving.jpg')),
    ...Object.entries(SYNTHETIC).map(([name, draw]) => ({ name, load: async () => draw() })),
  ];
}

/** Weights of each source sample in each output sample when n samples are averaged into m. */
function areaWeights(n, m) {
  const scale = n / m;
  return Array.from({ length: m }, (_, o) => {
    const [lo, hi] = [o * scale, (o + 1) * scale];
    const taps = [];
    for (let s = Math.floor(lo); s < Math.min(n, Math.ceil(hi)); s++) {
      const w = Math.min(hi, s + 1) - Math.max(lo, s);
      if (w > 0) taps.push([s, w / scale]);
    }
    return taps;
  });
}

/**
 * Area (box) resampling to a longer side of `side`, keeping the aspect ratio: each output pixel
 * is the exact mean of the source area it covers, which neither rings nor aliases on downscaling.
 */
export function fit(image, side) {
  const { width, height, channels: ch, data } = image;
  const s = Math.max(width, height);
  const w = Math.max(1, Math.round((width * side) / s));
  const h = Math.max(1, Math.round((height * side) / s));
  const wx = areaWeights(width, w);
  const wy = areaWeights(height, h);
  const rows = new Float32Array(height * w * ch);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < w; x++) {
      for (const [sx, k] of wx[x]) {
        for (let c = 0; c < ch; c++) rows[(y * w + x) * ch + c] += k * data[(y * width + sx) * ch + c];
      }
    }
  }
  const out = new Float32Array(w * h * ch);
  for (let y = 0; y < h; y++) {
    for (const [sy, k] of wy[y]) {
      for (let i = 0; i < w * ch; i++) out[y * w * ch + i] += k * rows[sy * w * ch + i];
    }
  }
  for (let i = 0; i < out.length; i++) out[i] = Math.min(1, Math.max(0, out[i]));
  return { ...image, width: w, height: h, data: out };
}

/** ITU-R 601 luma (0.299 R + 0.587 G + 0.114 B), quantised to 8 bits as every 8-bit tool sees it. */
export function luma(image) {
  if (image.channels === 1) return image;
  const n = image.width * image.height;
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const [r, g, b] = [0, 1, 2].map((c) => Math.round(255 * image.data[3 * i + c]));
    data[i] = Math.round((299 * r + 587 * g + 114 * b) / 1000) / 255;
  }
  return { ...image, channels: 1, data };
}

/** 8-bit RGBA bytes of an image (gray replicated), the form geometrize and PNG files take. */
export function toRgba(image) {
  const n = image.width * image.height;
  const rgba = new Uint8Array(4 * n);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) {
      rgba[4 * i + c] = Math.round(255 * image.data[image.channels === 1 ? i : 3 * i + c]);
    }
    rgba[4 * i + 3] = 255;
  }
  return rgba;
}

/** The image exactly as its 8-bit RGBA bytes say, so every method is scored against what it got. */
export function quantised(image) {
  const rgba = toRgba(image);
  const ch = image.channels;
  const data = Float32Array.from(
    { length: image.width * image.height * ch },
    (_, k) => rgba[4 * Math.floor(k / ch) + (k % ch)] / 255,
  );
  return { ...image, data };
}
