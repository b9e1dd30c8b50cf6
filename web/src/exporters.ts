// Files the user takes away. Encoding runs in small slices with awaits between them so a long
// animation never blocks the page.
import { GIFEncoder } from 'gifenc';

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

export function grayToImageData(pixels: Float32Array, width: number, height: number): ImageData {
  const out = new ImageData(width, height);
  const d = out.data;
  for (let i = 0; i < pixels.length; i++) {
    const v = Math.max(0, Math.min(255, Math.round(pixels[i] * 255)));
    d[4 * i] = d[4 * i + 1] = d[4 * i + 2] = v;
    d[4 * i + 3] = 255;
  }
  return out;
}

export async function grayToPng(pixels: Float32Array, width: number, height: number): Promise<Blob> {
  const c = new OffscreenCanvas(width, height);
  c.getContext('2d')!.putImageData(grayToImageData(pixels, width, height), 0, 0);
  return c.convertToBlob({ type: 'image/png' });
}

export interface Frame {
  width: number;
  height: number;
  /** 8-bit gray, width × height. */
  gray: Uint8Array;
  /** Display time in ms. */
  delay: number;
}

export function toFrame(pixels: Float32Array, width: number, height: number, delay: number, maxSide = 160): Frame {
  // Nearest-neighbour downscale: frames are small thumbnails of the run.
  const k = Math.min(1, maxSide / Math.max(width, height));
  const w = Math.max(1, Math.round(width * k));
  const h = Math.max(1, Math.round(height * k));
  const gray = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const sy = Math.min(height - 1, Math.floor((y + 0.5) / k));
    for (let x = 0; x < w; x++) {
      const sx = Math.min(width - 1, Math.floor((x + 0.5) / k));
      gray[y * w + x] = Math.max(0, Math.min(255, Math.round(pixels[sy * width + sx] * 255)));
    }
  }
  return { width: w, height: h, gray, delay };
}

/** A GIF of the run. The frames are gray, so the palette is the 256 grays and no quantising is needed. */
export async function encodeGif(frames: Frame[]): Promise<Blob> {
  if (frames.length === 0) throw new Error('There is no run to animate yet: optimise first.');
  const palette = Array.from({ length: 256 }, (_, v) => [v, v, v]);
  const enc = GIFEncoder();
  const w = frames[0].width;
  const h = frames[0].height;
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i];
    if (f.width !== w || f.height !== h) continue; // a target change mid-history; keep one size
    enc.writeFrame(f.gray, w, h, { palette: i === 0 ? palette : undefined, delay: f.delay, repeat: 0 });
    if (i % 20 === 19) await new Promise((r) => setTimeout(r, 0));
  }
  enc.finish();
  return new Blob([enc.bytes() as Uint8Array<ArrayBuffer>], { type: "image/gif" });
}
