// Scoring what a user sees: every SVG is rasterised by headless Chromium (one browser for the
// whole run) at the target's size, then compared with the target by PSNR and SSIM.
import { chromium } from 'playwright-core';
import { CHROMIUM } from '../../../scripts/chromium.mjs';

/** `svg` drawn by `page` (any Playwright page) at width × height over white, as RGB bytes. */
export async function drawSvg(page, svg, width, height) {
  const base64 = await page.evaluate(
    async ([text, w, h]) => {
      const img = new Image();
      img.src = URL.createObjectURL(new Blob([text], { type: 'image/svg+xml' }));
      await img.decode();
      const canvas = new OffscreenCanvas(w, h);
      const ctx = canvas.getContext('2d');
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, 0, w, h);
      ctx.drawImage(img, 0, 0, w, h);
      URL.revokeObjectURL(img.src);
      const rgba = ctx.getImageData(0, 0, w, h).data;
      // A binary string through base64: a quarter-million-element array as JSON is slow.
      let s = '';
      for (let i = 0; i < rgba.length; i += 4) s += String.fromCharCode(rgba[i], rgba[i + 1], rgba[i + 2]);
      return btoa(s);
    },
    [svg, width, height],
  );
  return new Uint8Array(Buffer.from(base64, 'base64'));
}

/** One Chromium page that draws SVGs; `close()` ends the browser. */
export async function createRasteriser() {
  const browser = await chromium.launch(CHROMIUM);
  const page = await browser.newPage();
  return {
    /** The SVG drawn at width × height over white, as RGB bytes. */
    rasterise: (svg, width, height) => drawSvg(page, svg, width, height),
    close: () => browser.close(),
  };
}

/** The drawn RGB bytes as an image of `channels` values per pixel (1 = ITU-R 601 luma). */
export function drawnImage(rgb, width, height, channels) {
  const n = width * height;
  const data = new Float32Array(n * channels);
  for (let i = 0; i < n; i++) {
    if (channels === 3) {
      for (let c = 0; c < 3; c++) data[3 * i + c] = rgb[3 * i + c] / 255;
    } else {
      data[i] = Math.round((299 * rgb[3 * i] + 587 * rgb[3 * i + 1] + 114 * rgb[3 * i + 2]) / 1000) / 255;
    }
  }
  return { width, height, channels, data };
}

/** -10·log10(MSE) over every channel value in [0,1]. */
export function psnr(a, b) {
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) sum += (a.data[i] - b.data[i]) ** 2;
  return -10 * Math.log10(Math.max(sum / a.data.length, 1e-12));
}

const KERNEL = (() => {
  const g = Array.from({ length: 11 }, (_, i) => Math.exp(-((i - 5) ** 2) / (2 * 1.5 ** 2)));
  const total = g.reduce((x, y) => x + y, 0);
  return g.map((v) => v / total);
})();

/** 11×11 Gaussian-weighted means over the valid region, separably (the window is a product). */
function blur(plane, w, h) {
  const [ow, oh] = [w - 10, h - 10];
  const rows = new Float64Array(h * ow);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < ow; x++) {
      let s = 0;
      for (let i = 0; i < 11; i++) s += KERNEL[i] * plane[y * w + x + i];
      rows[y * ow + x] = s;
    }
  }
  const out = new Float64Array(oh * ow);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let s = 0;
      for (let j = 0; j < 11; j++) s += KERNEL[j] * rows[(y + j) * ow + x];
      out[y * ow + x] = s;
    }
  }
  return out;
}

function ssimPlane(p, q, w, h) {
  const [c1, c2] = [0.01 ** 2, 0.03 ** 2];
  const [mp, mq] = [blur(p, w, h), blur(q, w, h)];
  const [pp, qq, pq] = [
    blur(
      p.map((v) => v * v),
      w,
      h,
    ),
    blur(
      q.map((v) => v * v),
      w,
      h,
    ),
    blur(
      p.map((v, i) => v * q[i]),
      w,
      h,
    ),
  ];
  let sum = 0;
  for (let i = 0; i < mp.length; i++) {
    const [vp, vq, cov] = [pp[i] - mp[i] ** 2, qq[i] - mq[i] ** 2, pq[i] - mp[i] * mq[i]];
    sum += ((2 * mp[i] * mq[i] + c1) * (2 * cov + c2)) / ((mp[i] ** 2 + mq[i] ** 2 + c1) * (vp + vq + c2));
  }
  return sum / mp.length;
}

/** SSIM (Wang et al.: 11×11 Gaussian window, σ 1.5, K1 0.01, K2 0.03, valid region); colour = mean over channels. */
export function ssim(a, b) {
  const { width: w, height: h, channels: ch } = a;
  if (w < 11 || h < 11) throw new Error(`ssim: ${w}x${h} is smaller than the 11x11 window`);
  let sum = 0;
  for (let c = 0; c < ch; c++) {
    const plane = (img) => Float64Array.from({ length: w * h }, (_, i) => img.data[i * ch + c]);
    sum += ssimPlane(plane(a), plane(b), w, h);
  }
  return sum / ch;
}
