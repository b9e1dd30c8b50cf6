// Files the user takes away. Encoding runs in small slices with awaits between them so a long
// animation never blocks the page.
import { GIFEncoder, applyPalette, quantize } from 'gifenc';
import { planesToImageData } from './color';

export function download(name: string, data: Blob | string, type = 'application/octet-stream') {
  const blob = typeof data === 'string' ? new Blob([data], { type }) : data;
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 5000);
}

/** A PNG of `channels` planes (gray or RGB). */
export async function planesToPng(pixels: Float32Array, width: number, height: number): Promise<Blob> {
  const c = new OffscreenCanvas(width, height);
  c.getContext('2d')!.putImageData(planesToImageData(pixels, width, height), 0, 0);
  return c.convertToBlob({ type: 'image/png' });
}

export interface Frame {
  width: number;
  height: number;
  /** 8-bit RGBA, width × height (gray frames have equal channels). */
  rgba: Uint8ClampedArray;
  /** Display time in ms. */
  delay: number;
}

export function toFrame(pixels: Float32Array, width: number, height: number, delay: number, maxSide = 160): Frame {
  // Nearest-neighbour downscale: frames are small thumbnails of the run.
  const full = planesToImageData(pixels, width, height).data;
  const k = Math.min(1, maxSide / Math.max(width, height));
  const w = Math.max(1, Math.round(width * k));
  const h = Math.max(1, Math.round(height * k));
  const rgba = new Uint8ClampedArray(4 * w * h);
  for (let y = 0; y < h; y++) {
    const sy = Math.min(height - 1, Math.floor((y + 0.5) / k));
    for (let x = 0; x < w; x++) {
      const sx = Math.min(width - 1, Math.floor((x + 0.5) / k));
      rgba.set(full.subarray(4 * (sy * width + sx), 4 * (sy * width + sx) + 4), 4 * (y * w + x));
    }
  }
  return { width: w, height: h, rgba, delay };
}

const isGray = (f: Frame) => {
  for (let i = 0; i < f.rgba.length; i += 4)
    if (f.rgba[i] !== f.rgba[i + 1] || f.rgba[i] !== f.rgba[i + 2]) return false;
  return true;
};

/**
 * A GIF of the run. Gray frames share the palette of the 256 grays (exact, no quantising); a
 * colour frame gets its own 256-colour palette, quantised from that frame.
 */
export async function encodeGif(frames: Frame[]): Promise<Blob> {
  if (frames.length === 0) throw new Error('There is no run to animate yet: optimise first.');
  const grays = Array.from({ length: 256 }, (_, v) => [v, v, v]);
  const enc = GIFEncoder();
  const w = frames[0].width;
  const h = frames[0].height;
  let previous: number[][] | null = null;
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i];
    if (f.width !== w || f.height !== h) continue; // a target change mid-history; keep one size
    let palette: number[][];
    let index: Uint8Array;
    if (isGray(f)) {
      palette = grays;
      index = new Uint8Array(w * h);
      for (let p = 0; p < index.length; p++) index[p] = f.rgba[4 * p];
    } else {
      palette = quantize(f.rgba, 256, { format: 'rgb565' });
      index = applyPalette(f.rgba, palette, 'rgb565');
    }
    // A palette given again after the first frame becomes that frame's local table.
    enc.writeFrame(index, w, h, { palette: palette === previous ? undefined : palette, delay: f.delay, repeat: 0 });
    previous = palette;
    if (i % 20 === 19) await new Promise((r) => setTimeout(r, 0));
  }
  enc.finish();
  return new Blob([enc.bytes() as Uint8Array<ArrayBuffer>], { type: 'image/gif' });
}
